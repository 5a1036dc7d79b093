#!/usr/bin/env bash
# The CA service driven by the stock ssh client (codes from oathtool), and
# its certificates used on a real sshd.
. "$(dirname "$0")/lib.sh"
: "${JIT_SSH_CA:?}"
command -v oathtool > /dev/null || skip "oathtool missing (apt-get install oathtool)"
J=$JIT_SSH_CA

$J init --dir "$T/ca" > /dev/null
for u in alice bob mallory; do ssh-keygen -q -t ed25519 -N '' -C "$u" -f "$T/$u"; done
ssh-keygen -q -t ed25519 -N '' -f "$T/new"
cat > "$T/ca/policy.yaml" <<YAML
users:
  alice: { keys: ["$(cut -d' ' -f1,2 "$T/alice.pub")"], groups: [dev] }
  bob:   { keys: ["$(cut -d' ' -f1,2 "$T/bob.pub")"], groups: [dev] }
roles:
  ci:   { groups: [dev], principals: ["$LOGIN_USER"], mfa: optional, ttl: 5m, max_ttl: 10m }
  dev:  { groups: [dev], principals: ["$LOGIN_USER", "{user}"], mfa: required }
  ops:  { groups: [dev], principals: [root], mfa: optional, from: [10.0.0.0/8] }
YAML
start_serve "$T/ca"
ok "serve listens on 127.0.0.1:$PORT"
ca() { ca_ssh "$@"; }
# The same, with the CA's banners shown (why a code was refused).
ca_told() {
	local who=$1; shift
	ssh -F /dev/null -p "$PORT" -i "$T/$who" -o IdentitiesOnly=yes -o IdentityAgent=none \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o LogLevel=INFO -o ConnectTimeout=10 "$who@127.0.0.1" "$@"
}
# Codes come through SSH_ASKPASS (no terminal here).
askpass_from_code
code_now() { oathtool --totp -b "$(cat "$T/secret")" > "$T/code"; }
# The next step's code: valid now (one step of skew) and never used yet.
code_next() { oathtool --totp -b "$(cat "$T/secret")" -N "$(date -u -d '+30 seconds' '+%Y-%m-%d %H:%M:%S UTC')" > "$T/code"; }

# A plain role, no MFA.
rc=0; ca alice login --role ci < "$T/new.pub" > "$T/new-cert.pub" 2> "$T/err" || rc=$?
[ $rc = 0 ] && ssh-keygen -L -f "$T/new-cert.pub" | grep -q 'Key ID: "jit:alice:ci:' &&
	ok "login for a plain role prints a certificate" || bad "login ci: rc=$rc $(cat "$T/err")"
start_sshd "$T/sshd" "TrustedUserCAKeys $T/ca/user_ca.pub"
try_ssh "$T/new" "$T/new-cert.pub" true 2> /dev/null && ok "sshd accepts the issued certificate" ||
	bad "sshd refused the issued certificate"

# ttl capped at max_ttl (10m).
ca alice login --role ci --ttl 2h --json < "$T/new.pub" > "$T/j" 2> "$T/err"
python3 - "$T/j" <<'PY' && ok "--ttl above max_ttl is capped (JSON output)" || bad "ttl cap: $(cat "$T/j")"
import json, sys, datetime
o = json.loads(open(sys.argv[1]).readline())
vb = datetime.datetime.strptime(o["valid_before"], "%Y-%m-%dT%H:%M:%SZ")
left = (vb - datetime.datetime.utcnow()).total_seconds()
assert 500 < left <= 600, left
assert o["role"] == "ci" and o["key_id"].startswith("jit:alice:ci:")
PY
grep -q "note: --ttl 2h is more than role ci gives now .*: the certificate is valid for 10m" "$T/err" &&
	ok "...and stderr says it was capped, to what" || bad "cap note: $(cat "$T/err")"

# Refusals, each with its reason.
expect_refusal() {	# WHAT NEEDLE RC USER ARGS...
	local what=$1 needle=$2 want=$3 who=$4 rc=0; shift 4
	ca "$who" "$@" < "$T/new.pub" > "$T/out" 2> "$T/err" || rc=$?
	if [ "$rc" = "$want" ] && grep -q -- "$needle" "$T/err" && [ ! -s "$T/out" ]; then ok "$what"
	else bad "$what: rc=$rc err=$(cat "$T/err")"; fi
}
expect_refusal "a role needing MFA is refused without it" "requires MFA" 1 alice login --role dev
expect_refusal "a role limited to other networks" "10.0.0.0/8" 1 alice login --role ops
expect_refusal "an unknown role" "no role" 1 alice login --role nope
expect_refusal "an unknown command" "unknown command" 2 alice rm -rf /
expect_refusal "a bad option" "unknown option" 2 alice login --role ci --root
rc=0; ca mallory whoami < /dev/null > /dev/null 2>&1 || rc=$?
[ $rc = 255 ] && ok "an unknown key cannot authenticate" || bad "mallory got in: rc=$rc"
sleep 0.2
$J audit --dir "$T/ca" --event auth-fail --json | grep -q '"user":"mallory"' &&
	ok "the failed authentication is audited with its source" || bad "no auth-fail event"

# stdin: garbage, two keys, too much.
echo "garbage" | ca alice login --role ci > /dev/null 2> "$T/err" && bad "garbage accepted" ||
	{ grep -q "not a public key" "$T/err" && ok "garbage on stdin is refused"; }
cat "$T/new.pub" "$T/new.pub" | ca alice login --role ci > /dev/null 2> "$T/err" && bad "two keys accepted" ||
	{ grep -q "one public key line" "$T/err" && ok "two lines on stdin are refused"; }
head -c 100000 /dev/zero | tr '\0' 'A' | ca alice login --role ci > /dev/null 2> "$T/err" &&
	bad "huge stdin accepted" || { grep -q "at most" "$T/err" && ok "a huge stdin is refused"; }

# MFA: enroll alice, then codes.
$J enroll --dir "$T/ca" --user alice | sed 's/.*secret=\([A-Z2-7]*\).*/\1/' > "$T/secret"
hex=$(python3 -c 'import base64, sys; print(base64.b32decode(sys.argv[1]).hex())' "$(cat "$T/secret")")
mdb_dump -a "$T/ca/store" > "$T/dump"
grep -q totp "$T/dump" && ! grep -qi "$hex" "$T/dump" && [ "$(stat -c %a "$T/ca/totp.key")" = 600 ] &&
	ok "the TOTP secret is sealed in the store (not in an mdb_dump), under the 0600 totp.key" ||
	bad "TOTP secret at rest"
code_now
rc=0; ca alice login --role dev < "$T/new.pub" > "$T/dev-cert.pub" 2> "$T/err" || rc=$?
[ $rc = 0 ] && ssh-keygen -L -f "$T/dev-cert.pub" | grep -q "jit:alice:dev:" &&
	ok "with a valid code, the MFA role is issued" || bad "MFA login: rc=$rc $(cat "$T/err")"
rc=0; ca_told alice whoami < /dev/null > /dev/null 2> "$T/err" || rc=$?
[ $rc = 255 ] && ok "the same code a second time is refused (replay)" || bad "replayed code accepted"
grep -q "that code was already used: the next one comes in [0-9]* s" "$T/err" &&
	ok "...and the client is told it was already used" || bad "replay message: $(cat "$T/err")"
echo 000000 > "$T/code"
rc=0; ca_told alice whoami < /dev/null > /dev/null 2> "$T/err" || rc=$?
[ $rc = 255 ] && ok "a wrong code is refused" || bad "wrong code accepted"
grep -q "wrong code ([0-9] of 5 before a lockout)" "$T/err" &&
	ok "...and the client is told it is wrong, with the count" || bad "wrong-code message: $(cat "$T/err")"
sleep 0.2
n=$($J audit --dir "$T/ca" --event mfa-fail --json | wc -l)
[ "$n" -ge 2 ] && ok "failed codes are audited ($n)" || bad "mfa-fail events: $n"
# Lockout: keep failing until locked; then even a right code is refused.
for i in 1 2 3; do ca alice whoami < /dev/null > /dev/null 2>&1 || true; done
sleep 0.2
$J audit --dir "$T/ca" --event lockout --json | grep -q '"user":"alice"' &&
	ok "repeated failures lock the user out (audited)" || bad "no lockout event"
code_next
rc=0; ca_told alice whoami < /dev/null > /dev/null 2> "$T/err" || rc=$?
[ $rc = 255 ] && ok "a locked-out user is refused even with a right code" || bad "lockout ignored"
grep -q "locked out after 5 wrong codes in a row: try again in [0-9]*[sm]" "$T/err" &&
	ok "...and told so, with the time left" || bad "lockout message: $(cat "$T/err")"

# bob (not enrolled) still works meanwhile; SIGHUP with a broken policy.
cp "$T/ca/policy.yaml" "$T/policy.good"
echo "roles: [broken" >> "$T/ca/policy.yaml"
kill -HUP "$CA_PID"; sleep 0.5
grep -q "policy reload refused" "$T/serve.log" && ok "a broken policy is refused on SIGHUP" ||
	bad "no refusal logged"
ca bob login --role ci < "$T/new.pub" > /dev/null 2>&1 && ok "the CA keeps serving with the old policy" ||
	bad "CA stopped serving after a bad reload"
cp "$T/policy.good" "$T/ca/policy.yaml"
sed -i 's/ttl: 5m, max_ttl: 10m/ttl: 5m, max_ttl: 20m/' "$T/ca/policy.yaml"
kill -HUP "$CA_PID"; sleep 0.5
grep -q "policy reloaded" "$T/serve.log" && ok "a good policy is loaded on SIGHUP" || bad "reload"

# Other commands.
ca bob roles < /dev/null | grep -q "^ci " && ok "roles lists what bob may request" || bad "roles"
# A bare ssh (a shell request) gets the list of commands; --help the usage.
rc=0; ca bob < /dev/null > "$T/bare" 2>&1 || rc=$?
[ $rc = 0 ] && grep -q "^  login " "$T/bare" && grep -q "^  ca-keys " "$T/bare" && ! grep -qi "shell request failed" "$T/bare" &&
	ok "a bare ssh to the CA lists its commands (exit 0)" || bad "bare ssh: rc=$rc $(cat "$T/bare")"
rc=0; ca bob login --help < /dev/null > "$T/lh" 2>&1 || rc=$?
[ $rc = 0 ] && grep -q "^usage: login \[--role R\]" "$T/lh" && ok "login --help over SSH prints the usage" ||
	bad "login --help: rc=$rc $(cat "$T/lh")"
rc=0; ca bob roles --jsn < /dev/null > /dev/null 2> "$T/err" || rc=$?
[ $rc = 2 ] && grep -q "unknown option '--jsn'" "$T/err" && ok "an unknown option is refused by the CA (exit 2)" ||
	bad "roles --jsn: rc=$rc $(cat "$T/err")"
ca bob whoami --json < /dev/null | python3 -c 'import json,sys; o=json.load(sys.stdin); assert o["user"]=="bob" and o["mfa"] is False' &&
	ok "whoami --json" || bad "whoami --json"
ca bob ca-keys < /dev/null | diff - <(cat "$T/ca/user_ca.pub" "$T/ca/host_ca.pub") > /dev/null &&
	ok "ca-keys prints the CA public keys" || bad "ca-keys"
ca bob krl < /dev/null > "$T/remote.krl" && ssh-keygen -Q -f "$T/remote.krl" "$T/new-cert.pub" > /dev/null &&
	ok "krl over SSH is a KRL ssh-keygen reads" || bad "remote krl"

# SIGTERM: stops, exit 0.
kill -TERM "$CA_PID"
rc=0; wait "$CA_PID" || rc=$?
[ $rc = 0 ] && ok "SIGTERM stops the CA cleanly" || bad "SIGTERM exit $rc"
finish
