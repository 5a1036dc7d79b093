#!/usr/bin/env bash
# jit-ssh-ca sign and audit as an operator and an auditor use them,
# including the refusals.
. "$(dirname "$0")/lib.sh"
: "${JIT_SSH_CA:?}" "${TEST_DATA:?}"
J=$JIT_SSH_CA
export TZ=UTC

$J init --dir "$T/ca" > /dev/null
cp "$TEST_DATA/policy-design.yaml" "$T/ca/policy.yaml"
ssh-keygen -q -t ed25519 -N '' -f "$T/k"
D="--dir $T/ca"

expect_fail() {	# WHAT NEEDLE CMD...
	local what=$1 needle=$2 rc=0; shift 2
	"$@" > "$T/out" 2> "$T/err" || rc=$?
	if [ $rc = 1 ] && grep -q -- "$needle" "$T/err" && [ ! -s "$T/out" ]; then ok "$what"
	else bad "$what: rc=$rc err=$(cat "$T/err") out=$(head -c 200 "$T/out")"; fi
}

expect_fail "sign refuses an MFA role offline and says how" "force-offline" \
	$J sign $D --user alice --role dev "$T/k.pub"
expect_fail "sign refuses a role bound to the requester's address" "address" \
	$J sign $D --user bob --role prod-root --reason x --force-offline "$T/k.pub"
# Approval roles: refused offline unless the operator forces it (audited).
$J init --dir "$T/ca2" > /dev/null
key=$(cut -d' ' -f1,2 "$TEST_DATA/key_ed25519.pub")
cat > "$T/ca2/policy.yaml" <<YAML
users:
  alice: { keys: ["$key"], groups: [dev] }
  carol: { keys: ["$key"], groups: [leads] }
roles:
  appr: { groups: [dev], principals: [x], mfa: optional, approval: { groups: [leads] } }
YAML
expect_fail "sign refuses a role needing approval" "needs approval" \
	$J sign --dir "$T/ca2" --user alice --role appr "$T/k.pub"
$J sign --dir "$T/ca2" --user alice --role appr --force-offline "$T/k.pub" > /dev/null &&
	[ "$($J audit --dir "$T/ca2" --event issue --json | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["source"])')" = offline:forced ] &&
	ok "--force-offline issues it, audited as offline:forced" || bad "forced approval role"
expect_fail "sign refuses a role the user may not have" "not in a group" \
	$J sign $D --user alice --role breakglass --reason x "$T/k.pub"
expect_fail "sign refuses an unknown user" "unknown user" \
	$J sign $D --user mallory --role ci "$T/k.pub"
expect_fail "sign refuses RSA under 3072 bits" "too small" \
	$J sign $D --user alice --role ci "$TEST_DATA/key_rsa2048.pub"
echo "not a key" > "$T/bad.pub"
expect_fail "sign refuses a file that is not a key" "bad.pub" \
	$J sign $D --user alice --role ci "$T/bad.pub"
cp "$T/ca/user_ca" "$T/ca/user_ca.bak"; chmod 640 "$T/ca/user_ca"
expect_fail "sign refuses a group-readable CA key" "bad permissions" \
	$J sign $D --user alice --role ci "$T/k.pub"
chmod 600 "$T/ca/user_ca"
n=$($J audit $D --json | grep -vc '"event":"ca-init"' || true)
[ "$n" = 0 ] && ok "refused issuances wrote nothing (the log holds init's ca-init only)" || bad "refusals wrote $n events"

$J sign $D --user alice --role ci --reason "nightly deploy" "$T/k.pub" > "$T/c1.pub"
ssh-keygen -L -f "$T/c1.pub" | grep -q 'Key ID: "jit:alice:ci:1"' && ok "sign prints a certificate" ||
	bad "sign output: $(cat "$T/c1.pub")"
$J sign $D --user alice --role dev --force-offline --ttl 3h "$T/k.pub" > "$T/c2.pub"
ssh-keygen -L -f "$T/c2.pub" | grep -q "Valid: from .* to " && ok "forced offline issuance" || bad "forced"
$J sign $D --user bob --role breakglass --reason "db down" --force-offline "$T/k.pub" > /dev/null
$J sign $D --user alice --role ci -o "$T/k-cert.pub" "$T/k.pub" 2> /dev/null
# -o FILE is where the output goes, as in krl: an old `-o KEY.pub` habit
# is a usage error and never overwrites the key.
cp "$T/k.pub" "$T/k.pub.orig"
rc=0; $J sign $D --user alice --role ci -o "$T/k.pub" > /dev/null 2>&1 || rc=$?
[ $rc = 2 ] && cmp -s "$T/k.pub" "$T/k.pub.orig" && ok "sign -o KEY.pub with no key argument is a usage error" ||
	bad "old -o habit: rc=$rc"
rc=0; $J sign $D --user alice --role ci -o "$T/k.pub" "$T/k.pub" > /dev/null 2> "$T/err" || rc=$?
[ $rc = 1 ] && grep -q "is not a certificate: refusing to replace it" "$T/err" && cmp -s "$T/k.pub" "$T/k.pub.orig" &&
	ok "-o never replaces a file that is not a certificate" || bad "-o over the key: rc=$rc $(cat "$T/err")"
[ -s "$T/k-cert.pub" ] && [ "$(stat -c %a "$T/k-cert.pub")" = 644 ] && ok "sign -o writes k-cert.pub" ||
	bad "sign -o"

# JSON Lines: the contract's field names, on every line.
$J audit $D --json > "$T/a.json"
python3 - "$T/a.json" > "$T/py" <<'PY' && ok "audit --json: fields and values ($(cat "$T/py"))" || bad "audit --json: $(cat "$T/py")"
import json, sys
want = ["seq", "time", "event", "user", "role", "serial", "key_id", "principals",
        "valid_after", "valid_before", "fingerprint", "source", "reason",
        "comment", "request_id", "approvers", "hash"]
ev = [json.loads(l) for l in open(sys.argv[1])]
# issue events also say where the certificate was used (recorded sessions)
assert [list(e) for e in ev] == [want + (["sessions", "hosts"] if e["event"] == "issue" else [])
                                 for e in ev], "field names/order"
assert all(e["sessions"] == 0 and e["hosts"] == [] for e in ev if e["event"] == "issue"), "used"
kinds = [e["event"] for e in ev]
assert kinds == ["ca-init", "issue", "issue", "issue", "break-glass", "issue"], kinds
assert ev[0]["source"] == "offline" and "totp.key SHA256:" in ev[0]["reason"]
assert ev[1]["reason"] == "nightly deploy" and ev[1]["principals"] == ["ci"]
assert ev[2]["source"] == "offline:forced" and ev[2]["principals"] == ["alice", "deploy"]
assert ev[2]["valid_before"].endswith("Z") and len(ev[1]["hash"]) == 64
assert ev[3]["serial"] == ev[4]["serial"], "break-glass names the same certificate"
print(len(ev), "events")
PY
out=$($J audit $D --csv | head -1)
[ "$out" = "seq,time,event,user,role,serial,key_id,principals,valid_after,valid_before,fingerprint,source,reason,comment,request_id,approvers,hash" ] &&
	ok "audit --csv header" || bad "csv header: $out"
[ "$($J audit $D --csv | wc -l)" = 7 ] && ok "audit --csv rows" || bad "csv rows"
[ "$($J audit $D --user bob --json | wc -l)" = 2 ] && ok "audit --user" || bad "--user"
[ "$($J audit $D --event break-glass --json | wc -l)" = 1 ] && ok "audit --event" || bad "--event"
[ "$($J audit $D --serial 2 --json | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["key_id"])')" = "jit:alice:dev:2" ] &&
	ok "audit --serial" || bad "--serial"
[ "$($J audit $D --since 1h --json | wc -l)" = 6 ] && ok "audit --since 1h" || bad "--since 1h"
[ "$($J audit $D --until 2000-01-01 --json | wc -l)" = 0 ] && ok "audit --until a date" || bad "--until"
[ "$($J audit $D --limit 2 --json | python3 -c 'import json,sys; print(",".join(str(json.loads(l)["seq"]) for l in sys.stdin))')" = "5,6" ] &&
	ok "audit --limit: the newest, oldest first" || bad "--limit"
$J audit $D | head -1 | grep -q "^SEQ *TIME *EVENT" && ok "audit table header" || bad "table"

rc=0; $J audit $D --since yesterday 2> "$T/err" || rc=$?
[ $rc = 2 ] && grep -q "RFC 3339" "$T/err" && ok "a bad time is a usage error" || bad "bad time rc=$rc"
rc=0; $J audit $D --event party 2> /dev/null || rc=$?
[ $rc = 2 ] && ok "an unknown event is a usage error" || bad "unknown event rc=$rc"
rc=0; $J audit --dir "$T/none" 2> "$T/err" || rc=$?
[ $rc = 1 ] && grep -q "no CA at $T/none" "$T/err" && [ ! -e "$T/none/store" ] &&
	ok "audit of a missing CA fails without creating it" || bad "missing store rc=$rc"
finish
