#!/usr/bin/env bash
# CA keys on a PKCS#11 token (a throwaway SoftHSM2 token): certificates
# signed through the token are accepted by a real sshd and parsed by
# ssh-keygen -L; the token's public keys are what ssh-keygen -D lists; a
# wrong PIN, a readable PIN file or a missing token stop `serve` at start;
# a token that goes away mid-run (its p11-kit server killed) fails that
# login cleanly and the next login after it is back succeeds.
. "$(dirname "$0")/lib.sh"
: "${JIT_SSH_CA:?}"
J=$JIT_SSH_CA
SO=/usr/lib/softhsm/libsofthsm2.so
CLIENT_SO=$(ls /usr/lib/*/pkcs11/p11-kit-client.so 2> /dev/null | head -1 || true)
[ -f "$SO" ] || skip "no SoftHSM2 ($SO): apt-get install softhsm2"
command -v softhsm2-util > /dev/null || skip "no softhsm2-util"
# Sanitizer builds: SoftHSM's own leak (lsan-softhsm.supp) is not ours; the
# slow unwinder sees through libcrypto into libsofthsm2 to match it.
export LSAN_OPTIONS="suppressions=$(cd "$(dirname "$0")" && pwd)/lsan-softhsm.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}:fast_unwind_on_malloc=0"

mkdir -p "$T/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" > "$T/softhsm2.conf"
export SOFTHSM2_CONF=$T/softhsm2.conf
softhsm2-util --init-token --free --label jit --pin 4321 --so-pin 8765 > /dev/null
printf '4321\n' > "$T/pin"; chmod 600 "$T/pin"
printf '9999\n' > "$T/badpin"; chmod 600 "$T/badpin"
uri() { echo "pkcs11:token=jit;object=$1?pin-source=$T/${2:-pin}"; }

ssh-keygen -q -t ed25519 -N '' -C alice -f "$T/alice"
policy() {
	cat > "$1/policy.yaml" <<YAML
users:
  alice: { keys: ["$(cut -d' ' -f1,2 "$T/alice.pub")"], groups: [ops] }
roles:
  login: { groups: [ops], principals: ["$LOGIN_USER"], mfa: optional, ttl: 5m }
YAML
}

# init --ca-key generates the key on the token (the private half never
# exists as a file); a second init with the same URI uses it.
for t in ed25519 ecdsa rsa; do
	rc=0; $J init --dir "$T/ca-$t" --key-type $t --pkcs11-module "$SO" \
		--ca-key "$(uri user-$t)" > /dev/null 2> "$T/init.err" || rc=$?
	[ $rc = 0 ] && grep -q "generated a" "$T/init.err" && ok "init $t: key generated on the token" ||
		bad "init $t: rc $rc $(cat "$T/init.err")"
	[ ! -e "$T/ca-$t/user_ca" ] && ok "init $t: no private key file" || bad "init $t: user_ca exists"
	[ -f "$T/ca-$t/host_ca" ] && ok "init $t: the host CA stays a file" || bad "init $t: no host_ca"
	policy "$T/ca-$t"
done
rc=0; $J init --dir "$T/ca-again" --pkcs11-module "$SO" --ca-key "$(uri user-ecdsa)" \
	> /dev/null 2> "$T/init.err" || rc=$?
[ $rc = 0 ] && grep -q "using the ecdsa-sha2-nistp256 key" "$T/init.err" &&
	cmp -s <(cut -d' ' -f1,2 "$T/ca-again/user_ca.pub") <(cut -d' ' -f1,2 "$T/ca-ecdsa/user_ca.pub") &&
	ok "init with the URI of an existing token key uses it" || bad "init again: rc $rc $(cat "$T/init.err")"

# The token's public keys are the ones ssh-keygen -D lists (OpenSSH 9.2
# lists RSA and ECDSA keys; Ed25519 when it can).
ssh-keygen -D "$SO" > "$T/listed" 2> /dev/null || true
for t in ecdsa rsa ed25519; do
	if grep -qF "$(cut -d' ' -f2 "$T/ca-$t/user_ca.pub")" "$T/listed"; then
		ok "ssh-keygen -D lists the $t user CA key"
	elif [ $t = ed25519 ] && ! grep -q '^ssh-ed25519' "$T/listed"; then
		echo "# ssh-keygen -D of $(ssh -V 2>&1) does not list Ed25519 token keys"
	else
		bad "ssh-keygen -D does not list the $t key: $(cat "$T/listed")"
	fi
done

# Offline sign through the token: ssh-keygen -L parses, sshd accepts.
cat "$T"/ca-{ed25519,ecdsa,rsa}/user_ca.pub > "$T/trusted.pub"
start_sshd "$T/sshd" "TrustedUserCAKeys $T/trusted.pub"
for t in ed25519 ecdsa rsa; do
	ssh-keygen -q -t ed25519 -N '' -f "$T/k-$t"
	rc=0; $J sign --dir "$T/ca-$t" --user alice --role login -o "$T/k-$t-cert.pub" "$T/k-$t.pub" 2> "$T/sign.err" || rc=$?
	[ $rc = 0 ] || bad "sign $t: rc $rc $(cat "$T/sign.err")"
	fp=$(ssh-keygen -l -f "$T/ca-$t/user_ca.pub" | awk '{print $2}')
	ssh-keygen -L -f "$T/k-$t-cert.pub" > "$T/L" 2>&1 && grep -q "Signing CA: .* $fp " "$T/L" &&
		ok "ssh-keygen -L parses the $t token-signed certificate" || bad "ssh-keygen -L $t: $(cat "$T/L")"
	try_ssh "$T/k-$t" "$T/k-$t-cert.pub" && ok "sshd accepts the $t token-signed certificate" ||
		bad "sshd refused the $t token-signed certificate"
done

# The host CA on the token too: sign-host signs through it, and a client
# that checks host keys strictly against host-config's line trusts the host.
rc=0; $J init --dir "$T/ca-host" --key-type ecdsa --pkcs11-module "$SO" \
	--ca-key "$(uri user-h)" --host-ca-key "$(uri host-h)" > /dev/null 2> "$T/init.err" || rc=$?
[ $rc = 0 ] && [ ! -e "$T/ca-host/host_ca" ] && [ ! -e "$T/ca-host/user_ca" ] &&
	ok "init puts both CA keys on the token" || bad "init with both on the token: rc $rc $(cat "$T/init.err")"
policy "$T/ca-host"
mkdir -p "$T/sshd-h"; ssh-keygen -q -t ed25519 -N '' -f "$T/sshd-h/host_key"
$J sign-host --dir "$T/ca-host" --hostname 127.0.0.1 -o "$T/sshd-h/host_key-cert.pub" "$T/sshd-h/host_key.pub" 2> "$T/err" &&
	grep -qF "$(ssh-keygen -l -f "$T/ca-host/host_ca.pub" | awk '{print $2}')" <(ssh-keygen -L -f "$T/sshd-h/host_key-cert.pub") &&
	ok "sign-host signs through the token" || bad "sign-host: $(cat "$T/err")"
ssh-keygen -q -t ed25519 -N '' -f "$T/k-h"
$J sign --dir "$T/ca-host" --user alice --role login -o "$T/k-h-cert.pub" "$T/k-h.pub" 2> /dev/null
$J host-config --dir "$T/ca-host" | grep '^@cert-authority' > "$T/known_h"
main_port=$SSHD_PORT main_log=$SSHD_LOG
start_sshd "$T/sshd-h" "TrustedUserCAKeys $T/ca-host/user_ca.pub" "HostCertificate $T/sshd-h/host_key-cert.pub"
ssh -F /dev/null -p "$SSHD_PORT" -o BatchMode=yes -o StrictHostKeyChecking=yes \
	-o UserKnownHostsFile="$T/known_h" -o GlobalKnownHostsFile=/dev/null -o IdentitiesOnly=yes \
	-o IdentityAgent=none -o ConnectTimeout=10 -o LogLevel=ERROR -i "$T/k-h" \
	-o CertificateFile="$T/k-h-cert.pub" "$LOGIN_USER@127.0.0.1" true 2> "$T/err" &&
	ok "a strict client trusts the token-signed host certificate; sshd the token-signed user one" ||
	bad "host and user CA on the token: $(cat "$T/err")"
SSHD_PORT=$main_port SSHD_LOG=$main_log	# the sshd that trusts the first three CAs

# Rotation onto the token: a file CA's next key generated on the token,
# activated (config.yaml's ca_key: user: becomes the URI, the old key file
# goes).
$J init --dir "$T/ca-rot" > /dev/null; policy "$T/ca-rot"
printf 'pkcs11_module: %s\n' "$SO" >> "$T/ca-rot/config.yaml"
rc=0; $J rotate --dir "$T/ca-rot" --ca user --key-type ecdsa --ca-key "$(uri user-rot)" > /dev/null 2> "$T/err" || rc=$?
[ $rc = 0 ] && [ -f "$T/ca-rot/user_ca.next.uri" ] && [ ! -e "$T/ca-rot/user_ca.next" ] &&
	grep -q "generated a ecdsa" "$T/err" && ok "rotate --ca-key generates the next key on the token" ||
	bad "rotate onto the token: rc $rc $(cat "$T/err")"
$J rotate --dir "$T/ca-rot" --ca user --activate > /dev/null 2> "$T/err" &&
	grep -qF "user: 'pkcs11:token=jit;object=user-rot" "$T/ca-rot/config.yaml" &&
	grep -q '^  host: file' "$T/ca-rot/config.yaml" && [ ! -e "$T/ca-rot/user_ca" ] &&
	ok "activate puts the token URI in config.yaml and drops the old key file" ||
	bad "activate onto the token: $(cat "$T/err"; cat "$T/ca-rot/config.yaml")"
ssh-keygen -q -t ed25519 -N '' -f "$T/k-rot"
$J sign --dir "$T/ca-rot" --user alice --role login -o "$T/k-rot-cert.pub" "$T/k-rot.pub" 2> /dev/null
[ "$(ssh-keygen -L -f "$T/k-rot-cert.pub" | sed -n 's/.*Signing CA: [A-Z0-9-]* \(SHA256:[^ ]*\).*/\1/p')" = \
  "$(ssh-keygen -l -f "$T/ca-rot/user_ca.pub" | awk '{print $2}')" ] && grep -q ECDSA <(ssh-keygen -l -f "$T/ca-rot/user_ca.pub") &&
	ok "after activate the token key signs" || bad "rotated signer"
rc=0; $J rotate --dir "$T/ca-rot" --ca user > /dev/null 2> "$T/err" || rc=$?
[ $rc = 1 ] && grep -q "still retiring" "$T/err" && ok "no next key while the old one retires" ||
	bad "a next key during retirement: rc $rc $(cat "$T/err")"

# The service signs through the token.
start_serve "$T/ca-ecdsa"
ssh-keygen -q -t ed25519 -N '' -f "$T/new"
rc=0; ca_ssh alice login --role login < "$T/new.pub" > "$T/new-cert.pub" 2> "$T/err" || rc=$?
[ $rc = 0 ] && try_ssh "$T/new" "$T/new-cert.pub" && ok "serve: a login's token-signed certificate gets in" ||
	bad "serve login: rc $rc $(cat "$T/err")"
# SIGHUP opens the token again (the keys reload) while the old handle is
# still in use; logins go on through the new one.
kill -HUP "$CA_PID"; sleep 0.5
rc=0; ca_ssh alice login --role login < "$T/new.pub" > "$T/new2-cert.pub" 2> "$T/err" || rc=$?
[ $rc = 0 ] && try_ssh "$T/new" "$T/new2-cert.pub" && kill -0 "$CA_PID" &&
	ok "serve: after SIGHUP the token still signs" || bad "after SIGHUP: rc $rc $(cat "$T/err")"
kill "$CA_PID"; wait "$CA_PID" 2> /dev/null || true
unset PORT

# Wrong PIN, PIN file others can read, no such token, no such key: serve
# stops at start with the reason, and listens nowhere.
start_fails() {	# WHAT PATTERN EDIT-SED
	local what=$1 pattern=$2 p rc=0
	rm -rf "$T/ca-bad"; cp -a "$T/ca-ecdsa" "$T/ca-bad"
	sed -i "$3" "$T/ca-bad/config.yaml"
	p=$(free_port)
	timeout 20 "$J" serve --dir "$T/ca-bad" --listen "127.0.0.1:$p" > /dev/null 2> "$T/bad.err" || rc=$?
	if [ $rc != 0 ] && [ $rc != 124 ] && grep -q "$pattern" "$T/bad.err"; then
		ok "serve refuses to start: $what"
	else
		bad "serve with $what: rc $rc, $(cat "$T/bad.err")"
	fi
}
start_fails "wrong PIN" "CKR_PIN_INCORRECT: wrong PIN" "s|pin-source=$T/pin|pin-source=$T/badpin|"
chmod 644 "$T/badpin"
start_fails "a PIN file others can read" "others can read it" "s|pin-source=$T/pin|pin-source=$T/badpin|"
start_fails "a missing token" "no token present matches" "s|token=jit|token=gone|"
start_fails "no such key on the token" "no private key on the token matches" "s|object=user-ecdsa|object=nope|"
start_fails "a PIN in the URI" "must not hold the PIN" "s|?pin-source=$T/pin|?pin-value=4321|"
start_fails "a module that is not there" "cannot load the PKCS#11 module" "s|$SO|/nonexistent/lib.so|"
# The token holds another key than user_ca.pub says.
rm -rf "$T/ca-bad"; cp -a "$T/ca-ecdsa" "$T/ca-bad"; cp "$T/ca-rsa/user_ca.pub" "$T/ca-bad/user_ca.pub"
rc=0; timeout 20 "$J" serve --dir "$T/ca-bad" --listen "127.0.0.1:$(free_port)" > /dev/null 2> "$T/bad.err" || rc=$?
[ $rc != 0 ] && grep -q "is not the public half of" "$T/bad.err" &&
	ok "serve refuses a token key that is not the published one" || bad "other key: rc $rc $(cat "$T/bad.err")"

# The token goes away mid-run and comes back: the token behind a p11-kit
# server, which the CA reaches through p11-kit-client.so.
if [ -z "$CLIENT_SO" ] || ! command -v p11-kit > /dev/null; then
	bad "no p11-kit-client.so or p11-kit: apt-get install p11-kit p11-kit-modules"
	finish; exit
fi
export P11_KIT_SERVER_ADDRESS="unix:path=$T/p11.sock"
p11_up() {
	p11-kit server -f --provider "$SO" -n "$T/p11.sock" "pkcs11:token=jit" > "$T/p11.out" 2>&1 &
	P11_PID=$!; PIDS+=($P11_PID)
	for _ in $(seq 1 100); do [ -S "$T/p11.sock" ] && return 0; sleep 0.05; done
	bad "p11-kit server did not start: $(cat "$T/p11.out")"
}
# The server forks a process per client connection: all of them go.
p11_down() {
	local c
	for c in $(ps -o pid= --ppid "$P11_PID"); do kill -KILL "$c" 2> /dev/null || true; done
	kill -KILL "$P11_PID"; wait "$P11_PID" 2> /dev/null || true; rm -f "$T/p11.sock"
}
p11_up
cp -a "$T/ca-ecdsa" "$T/ca-remote"
sed -i "s|$SO|$CLIENT_SO|" "$T/ca-remote/config.yaml"
n0=$($J audit --dir "$T/ca-remote" --event issue --json | wc -l)
start_serve "$T/ca-remote"
login() {	# N: a login with a fresh key; 0 when its certificate gets in
	ssh-keygen -q -t ed25519 -N '' -f "$T/m$1"
	ca_ssh alice login --role login < "$T/m$1.pub" > "$T/m$1-cert.pub" 2> "$T/m$1.err" &&
		try_ssh "$T/m$1" "$T/m$1-cert.pub"
}
login 1 && ok "through p11-kit server: a login gets in" || bad "remote token login: $(cat "$T/m1.err")"
p11_down
rc=0; login 2 || rc=$?
if [ $rc != 0 ] && grep -q "could not be issued" "$T/m2.err" && [ ! -s "$T/m2-cert.pub" ]; then
	ok "token gone: the login fails cleanly, no certificate"
else
	bad "token gone: rc $rc, $(cat "$T/m2.err")"
fi
kill -0 "$CA_PID" 2> /dev/null && ok "the CA keeps running" || bad "the CA died with its token"
grep -q "token" "$T/serve.log" && ok "the CA's log says the token failed" || bad "nothing in the log"
p11_up
login 3 && ok "token back: the next login gets in" || bad "token back: $(cat "$T/m3.err")"
n=$($J audit --dir "$T/ca-remote" --event issue --json | wc -l)
[ "$n" = $((n0 + 2)) ] && ok "the log has exactly the certificates handed out (2 more)" ||
	bad "$((n - n0)) new issue events, wanted 2"
$J audit verify --dir "$T/ca-remote" > /dev/null && ok "the chain verifies" || bad "audit verify"
finish
