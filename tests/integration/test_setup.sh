#!/usr/bin/env bash
# jit-ssh setup against a real CA: a wrong fingerprint is refused and
# nothing is written; the right one writes the configuration (host key
# pinned) and the host CA's @cert-authority line, and a second run changes
# nothing; then jit-ssh login and a stock ssh to a host with a host
# certificate work with no prompt at all (BatchMode, strict host keys).
. "$(dirname "$0")/lib.sh"
: "${JIT_SSH_CA:?}" "${JIT_SSH:?}"
command -v ssh-agent > /dev/null || skip "ssh-agent missing (apt-get install openssh-client)"
J=$JIT_SSH_CA
export HOME=$T/home
mkdir -p "$HOME"
unset JIT_SSH_CONFIG

$J init --dir "$T/ca" > /dev/null
ssh-keygen -q -t ed25519 -N '' -C alice -f "$T/alice"
cat > "$T/ca/policy.yaml" <<YAML
users:
  alice: { keys: ["$(cut -d' ' -f1,2 "$T/alice.pub")"], groups: [dev] }
roles:
  dev: { groups: [dev], principals: ["$LOGIN_USER"], mfa: optional, ttl: 5m }
YAML
start_serve "$T/ca"
# A host with a host certificate from this CA, trusting its user CA.
mkdir -p "$T/sshd"
ssh-keygen -q -t ed25519 -N '' -f "$T/sshd/host_key"
$J sign-host --dir "$T/ca" --hostname 127.0.0.1,localhost -o "$T/sshd/host_key-cert.pub" "$T/sshd/host_key.pub" > /dev/null
start_sshd "$T/sshd" "TrustedUserCAKeys $T/ca/user_ca.pub" "HostCertificate $T/sshd/host_key-cert.pub"
eval "$(ssh-agent -s)" > /dev/null
PIDS+=("$SSH_AGENT_PID")
FP=$(ssh-keygen -lf "$T/ca/ssh_host_ed25519_key.pub" | cut -d' ' -f2)
WRONG=$(ssh-keygen -lf "$T/alice.pub" | cut -d' ' -f2)
CONF=$HOME/.config/jit-ssh/config.yaml
setup() { "$JIT_SSH" setup --ca "127.0.0.1:$PORT" --user alice --identity "$T/alice" "$@" < /dev/null; }

rc=0; setup --fingerprint "$WRONG" > "$T/out" 2> "$T/err" || rc=$?
[ $rc = 3 ] && grep -q "presented host key $FP, not $WRONG: refusing (nothing written)" "$T/err" &&
	[ ! -e "$CONF" ] && [ ! -e "$HOME/.ssh/known_hosts" ] &&
	ok "a wrong fingerprint is refused (exit 3) and nothing is written" || bad "wrong fp: rc=$rc $(cat "$T/err")"

# The ssh_config snippet is for the fleet's hosts: never Host *.
rc=0; setup --fingerprint "$FP" --ssh-config "$HOME/.ssh/jit-ssh.conf" > "$T/out" 2> "$T/err" || rc=$?
[ $rc = 2 ] && grep -q "go together" "$T/err" && [ ! -e "$CONF" ] &&
	ok "--ssh-config without --hosts is refused (never Host *)" || bad "no --hosts: rc=$rc $(cat "$T/err")"
rc=0; setup --fingerprint "$FP" --ssh-config "$HOME/.ssh/jit-ssh.conf" --hosts '*' > "$T/out" 2> "$T/err" || rc=$?
[ $rc = 2 ] && grep -q "not every host" "$T/err" && [ ! -e "$HOME/.ssh/jit-ssh.conf" ] &&
	ok "--hosts '*' is refused" || bad "hosts *: rc=$rc $(cat "$T/err")"
rc=0; setup --fingerprint "$FP" --ssh-config "$HOME/.ssh/jit-ssh.conf" --hosts localhost > "$T/out" 2> "$T/err" || rc=$?
[ $rc = 0 ] && grep -q "^wrote $CONF" "$T/out" && grep -q "^added to $HOME/.ssh/known_hosts" "$T/out" &&
	ok "the right fingerprint: configuration and known_hosts written" || bad "setup: rc=$rc $(cat "$T/out" "$T/err")"
[ "$(stat -c %a "$CONF")" = 600 ] && grep -q "ca_host_key: \"$(cut -d' ' -f1,2 "$T/ca/ssh_host_ed25519_key.pub")\"" "$CONF" &&
	ok "the configuration is 0600 and pins the CA's host key" || bad "config: $(cat "$CONF")"
grep -q "^@cert-authority \* $(cut -d' ' -f1,2 "$T/ca/host_ca.pub") " "$HOME/.ssh/known_hosts" &&
	ok "known_hosts trusts the host CA (@cert-authority *)" || bad "known_hosts: $(cat "$HOME/.ssh/known_hosts")"
cp "$CONF" "$T/conf1"; cp "$HOME/.ssh/known_hosts" "$T/kh1"
rc=0; setup --fingerprint "$FP" --ssh-config "$HOME/.ssh/jit-ssh.conf" --hosts localhost > "$T/out" 2> "$T/err" || rc=$?
[ $rc = 0 ] && grep -q "^unchanged: $CONF" "$T/out" && grep -q "^already in" "$T/out" &&
	cmp -s "$CONF" "$T/conf1" && cmp -s "$HOME/.ssh/known_hosts" "$T/kh1" &&
	ok "a second setup changes nothing" || bad "again: rc=$rc $(cat "$T/out" "$T/err")"
# An existing known_hosts keeps its lines.
echo "example.org ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEbMhFiYiyK4jkOMvf4kA8W9m6wdWQR6NmZDIj86Hkmc" > "$HOME/.ssh/known_hosts"
setup --fingerprint "$FP" > /dev/null 2>&1 && grep -q "^example.org " "$HOME/.ssh/known_hosts" &&
	[ "$(grep -c '^@cert-authority' "$HOME/.ssh/known_hosts")" = 1 ] &&
	ok "setup appends to an existing known_hosts" || bad "append: $(cat "$HOME/.ssh/known_hosts")"

# With the written configuration: login, then a stock ssh with no prompt.
rc=0; "$JIT_SSH" login --role dev < /dev/null > "$T/out" 2> "$T/err" || rc=$?
[ $rc = 0 ] && grep -q "role dev" "$T/out" && ok "jit-ssh login works with the written configuration" ||
	bad "login: rc=$rc $(cat "$T/err")"
ssh -F "$HOME/.ssh/jit-ssh.conf" -o BatchMode=yes -o UserKnownHostsFile="$HOME/.ssh/known_hosts" \
	-o GlobalKnownHostsFile=/dev/null -o IdentityFile=none -o LogLevel=ERROR \
	-p "$SSHD_PORT" "$LOGIN_USER@localhost" "echo in" > "$T/ssh.out" 2> "$T/ssh.err" &&
	grep -qx in "$T/ssh.out" && ok "ssh to a host with a host certificate: no prompt, strict host keys" ||
	bad "ssh: $(cat "$T/ssh.err")"
grep -q "StrictHostKeyChecking yes" "$HOME/.ssh/jit-ssh.conf" && grep -qx "Host localhost" "$HOME/.ssh/jit-ssh.conf" &&
	! grep -q "^Host \*" "$HOME/.ssh/jit-ssh.conf" && ok "--ssh-config writes the snippet for --hosts" ||
	bad "snippet: $(cat "$HOME/.ssh/jit-ssh.conf")"
finish
