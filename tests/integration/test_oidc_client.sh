#!/usr/bin/env bash
# The CA's OpenID Connect client on its own, against a real OpenID
# Provider (npm oidc-provider 8.x, installed here from the committed lock
# file) and against tokens another implementation signed: the ID token
# verifier judged on 29 tokens Node's crypto made (every algorithm we take,
# and alg none, HS256 keyed with the public key, wrong audience, issuer,
# azp, expired, iat and nbf in the future, changed claims, a flipped
# signature bit, unknown and too-small keys, crit, malformed, oversized);
# the device flow to the end for a public and a confidential client, the
# provider's amr and groups in the claims; a refused sign-in, an expired
# code, a wrong secret, a provider that is down, one that never answers,
# one whose discovery names another issuer, one whose key set is too big,
# and an http issuer off loopback: each a clear error.  A token whose kid
# the cached key set lacks makes the client fetch the set once more (a
# rotated key verifies; a kid still unknown is refused, no third fetch).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/oidc.sh"
: "${JIT_TESTOIDC:?}" "${JIT_TESTJWT:?}"
op_install
grep -q '"version": "8\.' "$OP/node_modules/oidc-provider/package.json" &&
	ok "oidc-provider $(sed -n 's/.*"version": "\(.*\)".*/\1/p' "$OP/node_modules/oidc-provider/package.json") installed from the lock file" ||
	bad "not oidc-provider 8.x"

# ---- the verifier, judged on another implementation's tokens ----
node "$OP/mint.mjs" > "$T/mint.json" && "$JIT_TESTJWT" < "$T/mint.json" > "$T/jwt.out" 2>&1 &&
	ok "ID token verifier: $(grep -c '^ok' "$T/jwt.out") tokens from Node's crypto judged as wanted" ||
	bad "verifier: $(grep -v '^ok' "$T/jwt.out" | tr '\n' ' ')"

# ---- a real provider ----
flow() {	# OUT CLIENT SECRET USER [abort|none]: a device flow; its output in OUT
	local out=$1 client=$2 secret=$3 user=$4 how=${5:-}
	"$JIT_TESTOIDC" "http://127.0.0.1:$OP_PORT" "$client" "$secret" > "$out" 2>&1 &
	local pid=$!
	PIDS+=($pid)
	if [ "$how" != none ] && code_of "$out"; then
		sign_in "$URI" "$CODE" "$user" ${how:+abort} || true
	fi
	wait $pid || true
}
start_op
flow "$T/f1" jit-ssh - alice
python3 - "$T/f1" <<'PY' && ok "device flow, public client: alice signs in at the provider; the verified claims name her and her groups" || bad "public flow: $(cat "$T/f1")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
c = json.loads(lines[-1])
assert c["sub"] == "sub-alice" and c["preferred_username"] == "alice" and c["groups"] == ["dev"], c
assert c["aud"] == "jit-ssh" and c["iss"].startswith("http://127.0.0.1:"), c
PY
flow "$T/f2" jit-ssh-secret s3cret-for-tests bob
python3 - "$T/f2" <<'PY' && ok "device flow, confidential client (client_secret_basic): bob, with amr mfa" || bad "secret flow: $(cat "$T/f2")"
import json, sys
c = json.loads(open(sys.argv[1]).read().splitlines()[-1])
assert c["sub"] == "sub-bob" and "mfa" in c["amr"] and c["aud"] == "jit-ssh-secret", c
PY
flow "$T/f3" jit-ssh-secret wrong-secret bob none
grep -q "^error: the identity provider refused the device request (HTTP 401: invalid_client)" "$T/f3" &&
	ok "a wrong client secret: refused, saying so" || bad "wrong secret: $(cat "$T/f3")"
flow "$T/f4" jit-ssh - alice abort
grep -q "^error: the sign-in was refused at the identity provider" "$T/f4" &&
	ok "the user aborts at the provider (access_denied): refused, saying so" || bad "abort: $(cat "$T/f4")"
kill "$OP_PID" 2> /dev/null || true
start_op DEVICE_TTL=3
flow "$T/f5" jit-ssh - alice none
grep -q "^error: the sign-in code .* expired before it was used" "$T/f5" &&
	ok "a user code never entered expires: refused, saying so" || bad "expiry: $(cat "$T/f5")"

# ---- providers that misbehave ----
dead=$(free_port)
rc=0; timeout 20 "$JIT_TESTOIDC" "http://127.0.0.1:$dead" jit-ssh > "$T/f6" 2>&1 || rc=$?
[ $rc = 1 ] && grep -q "^error: http://127.0.0.1:$dead/.well-known/openid-configuration: Couldn't connect" "$T/f6" &&
	ok "the provider is down: a clear error at once" || bad "down: rc=$rc $(cat "$T/f6")"
fake() {	# MODE: the fake provider on a free port; sets FAKE_PORT
	FAKE_PORT=$(free_port)
	python3 "$OP/fake_idp.py" "$FAKE_PORT" "$1" > /dev/null 2>&1 &
	PIDS+=($!)
	wait_port "$FAKE_PORT"
}
fake slow
s=$(date +%s); rc=0
timeout 20 "$JIT_TESTOIDC" "http://127.0.0.1:$FAKE_PORT" jit-ssh - 1500 > "$T/f7" 2>&1 || rc=$?
[ $rc = 1 ] && grep -q "did not answer in 1500 ms" "$T/f7" && [ $(( $(date +%s) - s )) -lt 10 ] &&
	ok "a provider that never answers: the request gives up after its timeout, saying so" || bad "slow: rc=$rc $(cat "$T/f7")"
fake issuer
rc=0; timeout 20 "$JIT_TESTOIDC" "http://127.0.0.1:$FAKE_PORT" jit-ssh > "$T/f8" 2>&1 || rc=$?
[ $rc = 1 ] && grep -q "names issuer http://127.0.0.1:1, not http://127.0.0.1:$FAKE_PORT" "$T/f8" &&
	ok "a discovery document naming another issuer: refused" || bad "issuer: rc=$rc $(cat "$T/f8")"
fake bigjwks
rc=0; timeout 20 "$JIT_TESTOIDC" "http://127.0.0.1:$FAKE_PORT" jit-ssh > "$T/f9" 2>&1 || rc=$?
[ $rc = 1 ] && grep -q "jwks: the identity provider's answer is over 65536 bytes" "$T/f9" &&
	ok "an oversized key set: refused, nothing kept" || bad "big jwks: rc=$rc $(cat "$T/f9")"
fake rotate
rc=0; timeout 30 "$JIT_TESTOIDC" "http://127.0.0.1:$FAKE_PORT" jit-ssh > "$T/f11" 2>&1 || rc=$?
[ $rc = 0 ] && grep -q '"sub":"sub-alice"' "$T/f11" && curl -s "http://127.0.0.1:$FAKE_PORT/count" | grep -q '"jwks_fetches": 2' &&
	ok "an issuer that rotated its key: the token's kid is not in the cached set, the set is fetched once more, and the token verifies" ||
	bad "rotate: rc=$rc $(cat "$T/f11")"
fake nokid
rc=0; timeout 30 "$JIT_TESTOIDC" "http://127.0.0.1:$FAKE_PORT" jit-ssh > "$T/f12" 2>&1 || rc=$?
[ $rc = 1 ] && grep -q "error: the issuer has no RS256 key k2" "$T/f12" && curl -s "http://127.0.0.1:$FAKE_PORT/count" | grep -q '"jwks_fetches": 2' &&
	ok "an unknown kid the refetched set does not have either: refused after one refetch" ||
	bad "nokid: rc=$rc $(cat "$T/f12")"
rc=0; "$JIT_TESTOIDC" "http://idp.example.com" jit-ssh > "$T/f10" 2>&1 || rc=$?
[ $rc = 1 ] && grep -q "bad configuration" "$T/f10" && ok "an http issuer off loopback is refused" ||
	bad "http issuer: rc=$rc $(cat "$T/f10")"
finish
