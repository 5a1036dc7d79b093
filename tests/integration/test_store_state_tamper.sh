#!/usr/bin/env bash
# audit verify re-derives the state kept beside the log: a request's state,
# a revocation, an index entry, the serial high-water mark and a TOTP
# record, each edited with mdb_dump / mdb_load while the chain still
# verifies, is named; and a restored old TOTP secret does not work
# (regressions of the review in issue 12).
. "$(dirname "$0")/lib.sh"
: "${JIT_SSH_CA:?}" "${JIT_TESTFILL:?}"
command -v mdb_dump > /dev/null || skip "mdb_dump missing (apt-get install lmdb-utils)"
command -v oathtool > /dev/null || skip "oathtool missing (apt-get install oathtool)"
tamper=$(dirname "$0")/tamper_state.py
J=$JIT_SSH_CA

$J init --dir "$T/ca" > /dev/null
for u in alice bob; do ssh-keygen -q -t ed25519 -N '' -C $u -f "$T/$u"; done
ssh-keygen -q -t ed25519 -N '' -f "$T/k"
cat > "$T/ca/policy.yaml" <<YAML
users:
  alice: { keys: ["$(cut -d' ' -f1,2 "$T/alice.pub")"], groups: [dev] }
  bob:   { keys: ["$(cut -d' ' -f1,2 "$T/bob.pub")"], groups: [dev] }
roles:
  ci:   { groups: [dev], principals: [ci], mfa: optional }
  prod: { groups: [dev], principals: [ci], mfa: optional, approval: { groups: [dev] } }
YAML
for i in 1 2 3; do $J sign --dir "$T/ca" --user bob --role ci "$T/k.pub" > /dev/null; done
"$JIT_TESTFILL" "$T/ca/store" 1100 > /dev/null	# the indexes cover 1,024 at a time
$J revoke --dir "$T/ca" --serial 2 --reason lost > /dev/null
$J enroll --dir "$T/ca" --user alice | sed 's/.*secret=\([A-Z2-7]*\).*/\1/' > "$T/old.secret"
mdb_dump -a "$T/ca/store" > "$T/old.dump"
$J enroll --dir "$T/ca" --user alice | sed 's/.*secret=\([A-Z2-7]*\).*/\1/' > "$T/new.secret"
mdb_dump -a "$T/ca/store" > "$T/new0.dump"	# the new secret, no code used yet
# A request bob withdraws: denied in the log and in its record.
start_serve "$T/ca"
ca_ssh bob login --role prod < "$T/k.pub" > /dev/null 2>&1 &
W=$!
for i in $(seq 1 50); do
	id=$($J audit --dir "$T/ca" --event request --json 2> /dev/null | sed -n 's/.*"request_id":"\([^"]*\)".*/\1/p' | tail -1)
	[ -n "$id" ] && break; sleep 0.2
done
ca_ssh bob deny "$id" < /dev/null > /dev/null 2>&1 || bad "withdraw"
wait $W 2> /dev/null || true
kill -TERM "$CA_PID"; wait "$CA_PID" 2> /dev/null || true
$J audit verify --dir "$T/ca" > "$T/out" && grep -q "^ok:" "$T/out" &&
	ok "the untouched store verifies, state included" || bad "untouched: $(cat "$T/out")"

# round MODE ARG NEEDLE WHAT: tamper a copy, verify must name it.
round() {
	local rc=0
	rm -rf "$T/t"; mkdir -p "$T/t/ca/store"
	cp "$T/ca/"*.pub "$T/t/ca/"
	mdb_dump -a "$T/ca/store" | python3 "$tamper" "$1" "$2" > "$T/dump"
	mdb_load -f "$T/dump" "$T/t/ca/store"
	$J audit verify --dir "$T/t/ca" > "$T/out" 2>&1 || rc=$?
	[ $rc = 1 ] && grep -q "^state altered: .*$3" "$T/out" && ok "$4" ||
		bad "$4: rc=$rc $(cat "$T/out")"
}
round reqstate 2 "the record says approved, the log denied" "a request's state edited (denied -> approved) is named"
round drop revoked "a revocation was removed" "a deleted revocation is named"
round drop i_user "index i_user: the entry for event [0-9]* is missing" "a deleted index entry is named"
round hwm 1 "serial_hwm is 1, below serial" "a rewound serial_hwm is named"
round totp "$T/old.dump" "an old secret restored" "a restored old TOTP record is named"

# The restored old secret does not work at the door either.
rm -rf "$T/t"; cp -a "$T/ca" "$T/t"; rm -rf "$T/t/store"; mkdir "$T/t/store"
mdb_dump -a "$T/ca/store" | python3 "$tamper" totp "$T/old.dump" > "$T/dump"
mdb_load -f "$T/dump" "$T/t/store"
PORT=$(free_port); start_serve "$T/t"
oathtool --totp -b "$(cat "$T/old.secret")" > "$T/code"
printf '#!/bin/sh\ncat "%s/code"\n' "$T" > "$T/askpass"; chmod +x "$T/askpass"
rc=0
SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force DISPLAY=:0 \
	ca_ssh alice -o NumberOfPasswordPrompts=1 whoami < /dev/null > /dev/null 2>&1 || rc=$?
[ $rc != 0 ] && ok "a code for the restored old secret is refused" || bad "the old secret works again"
grep -q "mfa user=alice: the audit log does not verify: it was altered: refused" "$T/serve.log" &&
	ok "and the CA says why" || bad "log: $(tail -3 "$T/serve.log")"
kill -TERM "$CA_PID"; wait "$CA_PID" 2> /dev/null || true
PORT=$(free_port); start_serve "$T/ca"	# the untouched store: the new secret works
oathtool --totp -b "$(cat "$T/new.secret")" > "$T/code"
SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force DISPLAY=:0 \
	ca_ssh alice -o NumberOfPasswordPrompts=1 whoami < /dev/null > /dev/null 2>&1 &&
	ok "while the current secret works on the untouched store" || bad "the current secret is refused"

# The code state and a request's deadline are re-derived from the log too.
mdb_dump -a "$T/ca/store" > "$T/used.dump"	# a code used: last step on record
round totp "$T/new0.dump" "the record's last used step is 0, the log's [0-9]" "a used code re-opened for replay (last step rewound) is named"
echo 000000 > "$T/code"
for i in 1 2 3 4 5; do
	SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force DISPLAY=:0 \
		ca_ssh alice -o NumberOfPasswordPrompts=1 whoami < /dev/null > /dev/null 2>&1 || true
done
[ "$($J audit --dir "$T/ca" --event lockout --user alice --json | wc -l)" = 1 ] &&
	ok "five wrong codes lock alice out" || bad "no lockout: $($J audit --dir "$T/ca" --user alice | tail -3)"
kill -TERM "$CA_PID"; wait "$CA_PID" 2> /dev/null || true
$J audit verify --dir "$T/ca" > "$T/out" && ok "the locked-out store verifies" || bad "after lockout: $(cat "$T/out")"
round totp "$T/used.dump" "the record counts 0 wrong codes, the log 5" "a lockout cleared (the counters of before) is named"
round reqexpires 86400 "the record's deadline [0-9]* is not the log's" "a request's deadline pushed out is named"
finish
