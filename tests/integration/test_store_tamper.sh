#!/usr/bin/env bash
# The audit chain against LMDB's own tools: mdb_dump, edit, mdb_load.
. "$(dirname "$0")/lib.sh"
: "${JIT_SSH_CA:?}" "${TEST_DATA:?}"
command -v mdb_dump > /dev/null || skip "mdb_dump missing (apt-get install lmdb-utils)"
tamper=$(dirname "$0")/tamper.py

"$JIT_SSH_CA" init --dir "$T/ca" > /dev/null
key=$(cut -d' ' -f1,2 "$TEST_DATA/key_ed25519.pub")
cat > "$T/ca/policy.yaml" <<YAML
users:
  alice: { keys: ["$key"], groups: [dev] }
roles:
  ci:
    groups: [dev]
    principals: [ci]
    mfa: optional
YAML
ssh-keygen -q -t ed25519 -N '' -f "$T/k"
for i in 1 2 3 4 5 6; do
	"$JIT_SSH_CA" sign --dir "$T/ca" --user alice --role ci --reason "run $i" "$T/k.pub" > /dev/null
done
"$JIT_SSH_CA" revoke --dir "$T/ca" --serial 2 > /dev/null
"$JIT_SSH_CA" audit verify --dir "$T/ca" > "$T/out" && grep -q "^ok: 8 events" "$T/out" &&
	ok "untouched store verifies (8 events: init's ca-init, 6 issues, a revoke)" || bad "untouched: $(cat "$T/out")"

# round MODE SEQ WANT_BAD_SEQ WHAT
round() {
	local mode=$1 seq=$2 want=$3 what=$4 rc=0
	rm -rf "$T/t"; mkdir -p "$T/t/ca/store"
	cp "$T/ca/user_ca.pub" "$T/t/ca/"
	mdb_dump -a "$T/ca/store" | python3 "$tamper" "$mode" "$seq" > "$T/dump"
	mdb_load -f "$T/dump" "$T/t/ca/store"
	"$JIT_SSH_CA" audit verify --dir "$T/t/ca" > "$T/out" 2>&1 || rc=$?
	if [ "$want" = 0 ]; then
		[ $rc = 0 ] && ok "$what" || bad "$what: rc=$rc $(cat "$T/out")"
	else
		[ $rc = 1 ] && grep -q "first bad event is seq $want\$" "$T/out" && ok "$what" ||
			bad "$what: rc=$rc $(cat "$T/out")"
	fi
}

round none 1 0 "a dump/load round trip still verifies"
round edit 3 3 "an edited event is named (seq 3)"
round edit 8 8 "an edited last event is named (seq 8)"
round drop 4 4 "a dropped event is named (seq 4)"
round swap 2 2 "two swapped events are named (seq 2)"
round drop 8 8 "a dropped last event is noticed (seq 8)"
finish
