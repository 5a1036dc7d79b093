#!/usr/bin/env bash
# examples/demo.sh: the whole jit-ssh story on one machine, in well under a
# minute, with real processes: a CA, an sshd, an ssh-agent, three people.
# Needs what ./setup installed; no root (as root it also works).  Cleans up
# every process it started and its temporary directory, whatever happens.
#   examples/demo.sh            (BUILD=dir for another build directory)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
B=${BUILD:-$top/build}
CA_BIN=$B/ca/jit-ssh-ca
JS_BIN=$B/agent/jit-ssh
for x in "$CA_BIN" "$JS_BIN"; do
	[ -x "$x" ] || { echo "demo: $x is missing: run ./setup first" >&2; exit 1; }
done
for x in oathtool ssh-agent ssh-keygen /usr/sbin/sshd python3; do
	command -v "$x" > /dev/null || { echo "demo: $x is missing: run ./setup first" >&2; exit 1; }
done

D=$(mktemp -d "${TMPDIR:-/tmp}/jit-demo.XXXXXX")
chmod 700 "$D"
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2> /dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2> /dev/null || true; done
	rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -t 1 ]; then B1=$'\e[1m' B0=$'\e[0m'; else B1= B0=; fi
say()  { printf '\n%s== %s ==%s\n' "$B1" "$*" "$B0"; }
quoted() { local a out=; for a in "$@"; do out+=" $(printf '%q' "$a")"; done; echo "${out# }"; }
show() { printf '%s$ %s%s\n' "$B1" "$(quoted "$@")" "$B0"; "$@"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { local i; for i in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2> /dev/null && return 0; sleep 0.05; done; return 1; }
ME=$(id -un)

say "The CA operator creates a CA, writes the policy, enrolls people"
show "$CA_BIN" init --dir "$D/ca"
for u in alice bob carol; do ssh-keygen -q -t ed25519 -N '' -C "$u@laptop" -f "$D/$u"; done
k() { cut -d' ' -f1,2 "$D/$1.pub"; }
cat > "$D/ca/policy.yaml" <<YAML
defaults: { ttl: 10m, mfa_grace: 5m }
users:
  alice: { keys: ["$(k alice)"], groups: [dev] }          # engineer
  bob:   { keys: ["$(k bob)"], groups: [leads] }          # approver
  carol: { keys: ["$(k carol)"], groups: [audit] }        # auditor
roles:
  dev:  { groups: [dev], principals: [deploy], mfa: required, ttl: 10m }
  prod:
    groups: [dev]
    principals: [root-ops]
    mfa: required
    reason: required
    approval: { groups: [leads], quorum: 1, pending_ttl: 5m }
auditors: [audit]
YAML
show "$CA_BIN" policy check --dir "$D/ca"
for u in alice bob; do
	printf '%s$ %s%s\n' "$B1" "jit-ssh-ca enroll --dir $D/ca --user $u" "$B0"
	"$CA_BIN" enroll --dir "$D/ca" --user $u | tee "$D/$u.uri" | cut -c1-72 | sed 's/$/.../'
	sed 's/.*secret=\([A-Z2-7]*\).*/\1/' "$D/$u.uri" > "$D/$u.secret"
done
CA_PORT=$(free_port)
"$CA_BIN" serve --dir "$D/ca" --listen "127.0.0.1:$CA_PORT" 2> "$D/serve.log" &
PIDS+=($!)
wait_port "$CA_PORT" || { cat "$D/serve.log"; exit 1; }
echo "jit-ssh-ca serve is listening on 127.0.0.1:$CA_PORT"

say "The host admin makes a stock sshd trust the CA"
mkdir -p "$D/host/principals"
ssh-keygen -q -t ed25519 -N '' -f "$D/host/ssh_host_ed25519_key"
show "$CA_BIN" sign-host --dir "$D/ca" --hostname localhost -o "$D/host/ssh_host_ed25519_key-cert.pub" "$D/host/ssh_host_ed25519_key.pub"
"$CA_BIN" host-config --dir "$D/ca" > "$D/host-config.txt"
sed -n '/^TrustedUserCAKeys/,/^LogLevel/p' "$D/host-config.txt"
cp "$D/ca/user_ca.pub" "$D/host/jit-ssh-user-ca.pub"
printf 'deploy\nroot-ops\n' > "$D/host/principals/$ME"   # certificate principals that may log in as $ME
"$CA_BIN" krl --dir "$D/ca" -o "$D/host/revoked.krl" 2> /dev/null
SSHD_PORT=$(free_port)
cat > "$D/host/sshd_config" <<CFG
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $D/host/ssh_host_ed25519_key
HostCertificate $D/host/ssh_host_ed25519_key-cert.pub
PidFile $D/host/sshd.pid
TrustedUserCAKeys $D/host/jit-ssh-user-ca.pub
AuthorizedPrincipalsFile $D/host/principals/%u
RevokedKeys $D/host/revoked.krl
AuthorizedKeysFile none
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
LogLevel VERBOSE
CFG
[ "$(id -u)" -ne 0 ] || mkdir -p /run/sshd
/usr/sbin/sshd -D -e -f "$D/host/sshd_config" 2> "$D/host/sshd.log" &
PIDS+=($!)
wait_port "$SSHD_PORT" || { cat "$D/host/sshd.log"; exit 1; }
grep '^@cert-authority' "$D/host-config.txt" > "$D/known_hosts"
echo "sshd is listening on 127.0.0.1:$SSHD_PORT; clients trust it through:"
cut -c1-60 "$D/known_hosts" | sed 's/$/.../'

# Each person's jit-ssh configuration; codes come from oathtool (their phone).
HOSTKEY=$(cut -d' ' -f1,2 "$D/ca/ssh_host_ed25519_key.pub")
for u in alice bob carol; do
	printf 'ca: 127.0.0.1:%s\nuser: %s\nidentity: %s\nca_host_key: "%s"\n' \
		"$CA_PORT" "$u" "$D/$u" "$HOSTKEY" > "$D/$u.yaml"
done
as() {	# as USER jit-ssh ARGS...: run jit-ssh as USER, with a fresh code
	local u=$1; shift 2
	local code=000000
	[ -f "$D/$u.secret" ] && code=$(oathtool --totp -b "$(cat "$D/$u.secret")")
	printf '%s%s$ jit-ssh %s%s\n' "$B1" "[$u]" "$(quoted "$@")" "$B0"
	JIT_SSH_CONFIG=$D/$u.yaml JIT_SSH_OTP=$code "$JS_BIN" "$@" < /dev/null
}
ssh_host() {	# plain ssh, keys from the agent, host trusted by certificate
	printf '%s$ ssh -p %s %s@localhost %s%s\n' "$B1" "$SSHD_PORT" "$ME" "$(quoted "$@")" "$B0"
	ssh -F /dev/null -p "$SSHD_PORT" -o BatchMode=yes -o UserKnownHostsFile="$D/known_hosts" \
		-o GlobalKnownHostsFile=/dev/null -o IdentityFile=none -o ConnectTimeout=10 \
		-o LogLevel=ERROR "$ME@localhost" "$@"
}

say "The engineer: alice logs in for role dev (code from her authenticator)"
eval "$(ssh-agent -s -a "$D/agent.sock")" > /dev/null	# its socket in the demo's directory
PIDS+=("$SSH_AGENT_PID")
ssh_host true 2> /dev/null && { echo "demo: sshd let us in before login" >&2; exit 1; }
echo "(before login: sshd refuses, there is no standing access)"
as alice jit-ssh login --role dev
show ssh-add -l
ssh_host 'echo "hello from $(hostname) as $(id -un)"'
as alice jit-ssh status

say "The approver: alice needs prod, bob approves"
as alice jit-ssh login --role prod --reason "INC-42: restart the queue" > "$D/prod.out" 2> "$D/prod.err" &
LOGIN=$!
PIDS+=($LOGIN)
for i in $(seq 1 50); do grep -q "waiting for" "$D/prod.err" 2> /dev/null && break; sleep 0.1; done
cat "$D/prod.err"
as bob jit-ssh requests
RID=$(JIT_SSH_CONFIG=$D/bob.yaml "$JS_BIN" requests --json < /dev/null |
	python3 -c 'import json,sys; print([json.loads(l)["request_id"] for l in sys.stdin if json.loads(l)["user"]=="alice"][0])')
as bob jit-ssh approve "$RID" --comment "go ahead"
wait "$LOGIN"
cat "$D/prod.out"
show ssh-add -l

say "The auditor: carol asks who had which access, and why"
as carol jit-ssh audit
show "$CA_BIN" audit verify --dir "$D/ca"

say "The CA operator revokes alice's certificates; sshd refuses them"
show "$CA_BIN" revoke --dir "$D/ca" --user alice --reason "laptop stolen"
show "$CA_BIN" krl --dir "$D/ca" -o "$D/host/revoked.krl"
if ssh_host true 2> /dev/null; then echo "demo: sshd accepted a revoked certificate" >&2; exit 1; fi
echo "(sshd refused; its log says:)"
grep -i "revoked" "$D/host/sshd.log" | tail -1 | sed 's/^.*sshd\[[0-9]*\]: //'

say "Done: every process this demo started is stopped, $D is removed"
