#!/usr/bin/env bash
# Sign-in with the company's identity provider, at the SSH door, with real
# parts: a real OpenID Provider (npm oidc-provider 8.x), the real
# `jit-ssh-ca serve`, `jit-ssh login --sso` and stock ssh, and a real sshd
# that takes the certificate.  An IdP user who is not in users: gets a
# certificate for a role her groups allow; groups that do not allow it are
# refused with the reason; mfa: required follows the token's amr; stock
# ssh works (the prompt is the URI and code); an SSO approver approves an
# SSO user's request; whoami says where the groups came from; the issue
# event names the issuer and subject.  Refusals, each an auth-fail event
# and nothing issued: the user aborts at the IdP, a name with a control
# character, a name that signs in with a key, an expired code, the IdP
# down (and key users still served meanwhile).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/oidc.sh"
: "${JIT_SSH_CA:?}" "${JIT_SSH:?}"
J=$JIT_SSH_CA
op_install
start_op

$J init --dir "$T/ca" > /dev/null
ssh-keygen -q -t ed25519 -N '' -f "$T/keyuser"
ssh-keygen -q -t ed25519 -N '' -f "$T/new"
cat > "$T/ca/policy.yaml" <<YAML
users:
  keyuser: { keys: ["$(cut -d' ' -f1,2 "$T/keyuser.pub")"], groups: [dev] }
sso:
  issuer: http://127.0.0.1:$OP_PORT
  client_id: jit-ssh
  scopes: [openid, profile, groups]
  groups: [dev, leads]
  mfa_amr: [mfa]
roles:
  dev: { groups: [dev], principals: ["$LOGIN_USER"], mfa: optional, ttl: 5m }
  secure: { groups: [dev, leads], principals: ["$LOGIN_USER"], mfa: required }
  prod:
    groups: [dev]
    principals: ["$LOGIN_USER"]
    mfa: optional
    approval: { groups: [leads], quorum: 1 }
YAML
$J policy check --dir "$T/ca" > "$T/err" 2>&1 || { bad "policy: $(cat "$T/err")"; finish; }
start_serve "$T/ca"
start_sshd "$T/sshd" "TrustedUserCAKeys $T/ca/user_ca.pub"
printf 'ca: 127.0.0.1:%s\nca_host_key: "%s"\n' "$PORT" \
	"$(cut -d' ' -f1,2 "$T/ca/ssh_host_ed25519_key.pub")" > "$T/client.yaml"
export JIT_SSH_CONFIG=$T/client.yaml JIT_SSH_NO_BROWSER=1
issued() { $J audit --dir "$T/ca" --event issue --json | wc -l; }

# sso_login OUT USER [ARGS...]: jit-ssh login --sso, USER signing in at the
# provider when the CA shows the code; the exit status in OUT.rc
sso_login() {
	local out=$1 user=$2; shift 2
	(rc=0; "$JIT_SSH" login --sso "$@" < /dev/null > "$out" 2> "$out.err" || rc=$?; echo $rc > "$out.rc") &
	local pid=$!
	if code_of "$out.err"; then
		case $user in
		-) ;;
		abort:*) sign_in "$URI" "$CODE" "${user#abort:}" abort || true ;;
		*) sign_in "$URI" "$CODE" "$user" || true ;;
		esac
	fi
	wait $pid || true
}

# ---- an IdP user who is not in users: ----
sso_login "$T/a" alice --role dev --out "$T/a"
[ "$(cat "$T/a.rc")" = 0 ] && ssh-keygen -L -f "$T/a-cert.pub" | grep -q 'Key ID: "jit:alice:dev:' &&
	ok "jit-ssh login --sso: alice (not in users:) signs in at the provider and gets a dev certificate" ||
	bad "alice: rc=$(cat "$T/a.rc") $(cat "$T/a.err")"
grep -q "Sign in at http://127.0.0.1:$OP_PORT/device with the code" "$T/a.err" &&
	ok "the client shows the verification URI and the user code" || bad "prompt: $(cat "$T/a.err")"
try_ssh "$T/a" "$T/a-cert.pub" true 2> /dev/null && ok "sshd accepts alice's certificate" ||
	bad "sshd refused the SSO certificate"
$J audit --dir "$T/ca" --json > "$T/audit.json"
python3 - "$T/audit.json" "$OP_PORT" <<'PY' && ok "the issue event says auth sso, the issuer and the subject; an sso event says how the groups came" || bad "events: $(tail -3 "$T/audit.json")"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
iss = "http://127.0.0.1:" + sys.argv[2]
i = [e for e in evs if e["event"] == "issue"][-1]
assert i["user"] == "alice" and i["auth"] == "sso" and i["issuer"] == iss and i["subject"] == "sub-alice", i
assert i["source"] == "127.0.0.1", i
s = [e for e in evs if e["event"] == "sso"][-1]
assert s["user"] == "alice" and "subject sub-alice" in s["reason"] and "dev (groups)" in s["reason"], s
PY

# ---- groups decide ----
n=$(issued)
sso_login "$T/b" bob --role dev --out "$T/b"
[ "$(cat "$T/b.rc")" != 0 ] && grep -q "bob is not in a group that may request role dev" "$T/b.err" && [ "$(issued)" = "$n" ] &&
	ok "bob (groups leads) is refused dev, with the reason; nothing issued" || bad "bob dev: $(cat "$T/b.err")"
sso_login "$T/c" alice --role secure --out "$T/c"
[ "$(cat "$T/c.rc")" != 0 ] && grep -qi "mfa\|verification code\|second factor" "$T/c.err" &&
	ok "mfa: required: alice's token has no MFA amr: refused, saying so" || bad "alice secure: $(cat "$T/c.err")"
sso_login "$T/d" bob --role secure --out "$T/d"
[ "$(cat "$T/d.rc")" = 0 ] && ok "mfa: required: bob's token says amr mfa: issued" || bad "bob secure: $(cat "$T/d.err")"

# ---- stock ssh: the prompt is the URI and code ----
cat > "$T/askpass" <<SH
#!/bin/sh
for i in \$(seq 1 150); do [ -f "$T/signed" ] && break; sleep 0.2; done
echo
SH
chmod +x "$T/askpass"
stock() {	# USER OUT IN CMD...: stock ssh as "sso" (stdin IN), USER signing in
	local user=$1 out=$2 in=$3; shift 3
	rm -f "$T/signed"
	(SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force DISPLAY=:0 ssh -F /dev/null -p "$PORT" \
		-o IdentitiesOnly=yes -o IdentityAgent=none -i "$T/new" -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o LogLevel=INFO sso@127.0.0.1 "$@" < "$in" > "$out" 2> "$out.err";
		echo $? > "$out.rc") &
	local pid=$!
	code_of "$out.err" && sign_in "$URI" "$CODE" "$user" || true
	touch "$T/signed"
	wait $pid || true
}
stock alice "$T/s-cert.pub" "$T/new.pub" login --role dev
[ "$(cat "$T/s-cert.pub.rc")" = 0 ] && ssh-keygen -L -f "$T/s-cert.pub" | grep -q 'Key ID: "jit:alice:dev:' &&
	ok "stock ssh: ssh sso@ca login --role dev < key.pub works (the URI and code in the prompt)" ||
	bad "stock: rc=$(cat "$T/s-cert.pub.rc") $(tr '\n' ' ' < "$T/s-cert.pub.err")"
stock alice "$T/who" /dev/null whoami
grep -q "^user:   alice" "$T/who" && grep -q "groups from: dev (groups) (signed in at http://127.0.0.1:$OP_PORT)" "$T/who" &&
	ok "whoami shows the mapped groups and where they came from" || bad "whoami: $(cat "$T/who" "$T/who.err")"

# ---- an SSO approver ----
(rc=0; "$JIT_SSH" login --sso --role prod --reason deploy --out "$T/p" < /dev/null > "$T/p" 2> "$T/p.err" || rc=$?; echo $rc > "$T/p.rc") &
W=$!
code_of "$T/p.err" && sign_in "$URI" "$CODE" alice || true
for i in $(seq 1 100); do id=$(grep -o 'r-[0-9a-f]\{16\}' "$T/p.err" | head -1 || true); [ -n "$id" ] && break; sleep 0.1; done
stock bob "$T/ap" /dev/null approve "$id"
wait $W || true
grep -q "$id: approved" "$T/ap" && [ "$(cat "$T/p.rc")" = 0 ] && ssh-keygen -L -f "$T/p-cert.pub" | grep -q 'jit:alice:prod:' &&
	ok "bob, an SSO user, approves alice's request; her waiting login gets the certificate" ||
	bad "approval: id=$id rc=$(cat "$T/p.rc") $(cat "$T/ap" "$T/ap.err" "$T/p.err" | tr '\n' ' ')"

# ---- refusals: each an auth-fail event, nothing issued ----
refused() {	# OUT WHAT PATTERN: the login refused with PATTERN, on record
	local out=$1 what=$2 pat=$3
	[ "$(cat "$out.rc")" != 0 ] && grep -q "$pat" "$out.err" && [ "$(issued)" = "$n" ] &&
		$J audit --dir "$T/ca" --event auth-fail --json | tail -1 | grep -q '"reason":"sso: ' &&
		ok "$what: refused ($pat), an auth-fail event, nothing issued" || bad "$what: $(cat "$out.err")"
}
n=$(issued)
sso_login "$T/r1" abort:alice --role dev --out "$T/r1"
refused "$T/r1" "the user aborts at the provider" "the sign-in was refused at the identity provider"
sso_login "$T/r2" $'evil\a' --role dev --out "$T/r2"
refused "$T/r2" "a name with a control character" "not a user name"
sso_login "$T/r3" keyuser --role dev --out "$T/r3"
refused "$T/r3" "a policy user with a key" "keyuser signs in with a key, not through the identity provider"
kill "$OP_PID"; wait "$OP_PID" 2> /dev/null || true
s=$(date +%s)
sso_login "$T/r4" - --role dev --out "$T/r4"
[ "$(cat "$T/r4.rc")" != 0 ] && grep -q "Couldn't connect\|identity provider" "$T/r4.err" && [ $(( $(date +%s) - s )) -lt 30 ] &&
	ok "the provider down: a clear message at once" || bad "down: $(cat "$T/r4.err")"
"$JIT_SSH" --user keyuser --identity "$T/keyuser" login --role dev --out "$T/k" < /dev/null > /dev/null 2> "$T/k.err" &&
	ok "meanwhile the CA serves key users" || bad "key user: $(cat "$T/k.err")"
n=$(issued)
start_op DEVICE_TTL=4
sed -i "s|issuer: http://127.0.0.1:[0-9]*|issuer: http://127.0.0.1:$OP_PORT|" "$T/ca/policy.yaml"
kill -HUP "$CA_PID"; sleep 0.5
sso_login "$T/r5" - --role dev --out "$T/r5"
refused "$T/r5" "a user code never entered" "expired before it was used"
# A provider whose ID token says alg none (everything else right).
FAKE=$(free_port)
python3 "$OP/fake_idp.py" "$FAKE" none > /dev/null 2>&1 &
PIDS+=($!)
wait_port "$FAKE"
sed -i "s|issuer: http://127.0.0.1:[0-9]*|issuer: http://127.0.0.1:$FAKE|" "$T/ca/policy.yaml"
kill -HUP "$CA_PID"; sleep 0.5
sso_login "$T/r6" - --role dev --out "$T/r6"
refused "$T/r6" "an ID token with alg none" "algorithm none is refused"

# ---- jit-ssh setup --sso: the first command, signing in instead of a key ----
kill "$OP_PID" 2> /dev/null || true
start_op
sed -i "s|issuer: http://127.0.0.1:[0-9]*|issuer: http://127.0.0.1:$OP_PORT|" "$T/ca/policy.yaml"
kill -HUP "$CA_PID"; sleep 0.5
fp=$(ssh-keygen -lf "$T/ca/ssh_host_ed25519_key.pub" | awk '{print $2}')
(rc=0; HOME=$T/home "$JIT_SSH" --config "$T/home/c.yaml" setup --sso --ca "127.0.0.1:$PORT" --fingerprint "$fp" \
	< /dev/null > "$T/su" 2> "$T/su.err" || rc=$?; echo $rc > "$T/su.rc") &
W=$!
code_of "$T/su.err" && sign_in "$URI" "$CODE" alice || true
wait $W || true
[ "$(cat "$T/su.rc")" = 0 ] && grep -q "signed in at the identity provider" "$T/su" && grep -q "^ca_host_key:" "$T/home/c.yaml" &&
	ok "jit-ssh setup --sso: signs in, pins the CA's host key, writes the configuration" || bad "setup --sso: $(cat "$T/su" "$T/su.err" | tr '\n' ' ')"
finish
