#!/usr/bin/env bash
# Crash safety: `jit-ssh-ca sign` in a loop, killed with SIGKILL at random
# points, many times.  After each kill every certificate that was printed
# must be in the audit log, serials must be unique, and the chain verifies.
. "$(dirname "$0")/lib.sh"
: "${JIT_SSH_CA:?}" "${TEST_DATA:?}"
ROUNDS=${CRASH_ROUNDS:-30}

"$JIT_SSH_CA" init --dir "$T/ca" > /dev/null
key=$(cut -d' ' -f1,2 "$TEST_DATA/key_ed25519.pub")
cat > "$T/ca/policy.yaml" <<YAML
defaults: { max_live_certs: 1000000 }   # load: many live certificates for one user
users:
  alice: { keys: ["$key"], groups: [ops] }
roles:
  ci:
    groups: [ops]
    principals: [ci]
    mfa: optional
YAML
ssh-keygen -q -t ed25519 -N '' -f "$T/k"
: > "$T/printed"
fails=0
for r in $(seq 1 "$ROUNDS"); do
	# Each certificate is printed as one line "cert base64 key-id".
	# The loop writes each sign's PID before it waits for it: killing the
	# loop first, then the last sign it started, kills both by PID.
	( while :; do "$JIT_SSH_CA" sign --dir "$T/ca" --user alice --role ci "$T/k.pub" \
		>> "$T/printed" 2> /dev/null & echo $! > "$T/sign.pid"; wait $!; done ) &
	loop=$!
	sleep "0.$(( (RANDOM % 25) + 2 ))"
	kill -9 "$loop" 2> /dev/null
	wait "$loop" 2> /dev/null || true
	kill -9 "$(cat "$T/sign.pid")" 2> /dev/null || true
	# Complete lines only: a kill can cut the last write short.
	grep -E '^ssh-ed25519-cert-v01@openssh.com [A-Za-z0-9+/=]+ jit:alice:ci:[0-9]+$' \
		"$T/printed" | awk '{print $3}' | sort > "$T/printed_ids"
	"$JIT_SSH_CA" audit --dir "$T/ca" --event issue --json > "$T/audit.json"
	python3 - "$T/audit.json" "$T/printed_ids" > "$T/check" <<'PY' || fails=$((fails + 1))
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
ids = {e["key_id"] for e in events}
serials = [e["serial"] for e in events]
printed = [l.strip() for l in open(sys.argv[2]) if l.strip()]
missing = [p for p in printed if p not in ids]
if missing:
    sys.exit("printed but not audited: %s" % missing[:5])
if len(set(serials)) != len(serials):
    sys.exit("duplicate serials")
if len(set(printed)) != len(printed):
    sys.exit("a key id was printed twice")
print(len(printed), len(events))
PY
	if ! "$JIT_SSH_CA" audit verify --dir "$T/ca" > "$T/verify" 2>&1; then
		fails=$((fails + 1)); cat "$T/verify"
	fi
done
read -r nprinted naudited < "$T/check"
[ "$fails" = 0 ] && ok "$ROUNDS kill -9 rounds: all $nprinted printed certificates audited ($naudited issued), serials unique, chain verifies" ||
	bad "$fails of $ROUNDS rounds failed: $(cat "$T/check")"
[ "$nprinted" -gt "$ROUNDS" ] && ok "the loop made progress ($nprinted certificates)" ||
	bad "too few certificates printed: $nprinted"
finish
