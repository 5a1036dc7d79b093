#!/usr/bin/env bash
# Requests at scale and the policy under a slow client (regressions of the
# review in issue 12, defect 14): the per-user cap and the expiry sweep
# read an index of open requests, not the history, and the index is
# checked by audit verify; a reload (SIGHUP) does not wait for a session
# whose client stopped reading, so the CA keeps accepting connections.
. "$(dirname "$0")/lib.sh"
: "${JIT_SSH_CA:?}" "${JIT_TESTFILL:?}"
command -v mdb_dump > /dev/null || skip "mdb_dump missing (apt-get install lmdb-utils)"
tamper=$(dirname "$0")/tamper_state.py
J=$JIT_SSH_CA

$J init --dir "$T/ca" > /dev/null
for u in bob carol erin; do ssh-keygen -q -t ed25519 -N '' -C "$u" -f "$T/$u"; done
for i in 1 2 3; do ssh-keygen -q -t ed25519 -N '' -f "$T/k$i"; done
k() { cut -d' ' -f1,2 "$T/$1.pub"; }
cat > "$T/ca/policy.yaml" <<YAML
users:
  bob:   { keys: ["$(k bob)"], groups: [dev] }
  carol: { keys: ["$(k carol)"], groups: [leads] }
  erin:  { keys: ["$(k erin)"], groups: [dev] }
roles:
  prod:
    groups: [dev]
    principals: ["$LOGIN_USER"]
    mfa: optional
    approval: { groups: [leads], quorum: 1, pending_ttl: 3s }
YAML
# History: 3,000 requests of bob's, decided; 3 still pending.
"$JIT_TESTFILL" "$T/ca/store" requests 3000 bob prod deny
"$JIT_TESTFILL" "$T/ca/store" requests 3 bob prod
start_serve "$T/ca"
login() {	# USER KEY: a login that waits; its pid in LW
	ca_ssh "$1" login --role prod < "$T/$2.pub" > /dev/null 2> "$T/$1-$2.err" &
	LW=$!
}
login bob k1; W1=$LW
login bob k2; W2=$LW
sleep 1
rc=0; ca_ssh bob login --role prod < "$T/k3.pub" > /dev/null 2> "$T/cap.err" || rc=$?
[ $rc = 1 ] && grep -q "too many pending requests" "$T/cap.err" &&
	grep -q "waiting for 1 approval" "$T/bob-k1.err" && grep -q "waiting for 1 approval" "$T/bob-k2.err" &&
	ok "the cap counts the 5 pending requests, not the 3,000 decided ones" ||
	bad "cap: rc=$rc $(cat "$T/cap.err" "$T/bob-k1.err")"
# Past pending_ttl the waiting ones expire through the index.
wait $W1 $W2 2> /dev/null || true
grep -q "expired without approval" "$T/bob-k1.err" && ok "a request past pending_ttl expires" ||
	bad "expiry: $(cat "$T/bob-k1.err")"
n=$($J audit --dir "$T/ca" --event expire --json | wc -l)
[ "$n" -ge 2 ] && ok "expire events for the overdue requests ($n)" || bad "$n expire events"

# A reload while a session's client does not read: 800 long rows of
# `requests --json` (~4 MB) fill the SSH window and the pipe; SIGHUP;
# a new connection must still be served.
"$JIT_TESTFILL" "$T/ca/store" requests 800 erin prod
mkfifo "$T/stall.fifo"
ca_ssh_bg "$T/stall.fifo" carol requests --json
STALL_SSH=$BG_PID
sleep 60 < "$T/stall.fifo" &
STALL=$!
PIDS+=($STALL)
sleep 2
kill -HUP "$CA_PID"
sleep 0.5
rc=0; timeout 10 bash -c "$(declare -f ca_ssh); T=$T PORT=$PORT ca_ssh bob whoami" > "$T/who" 2>&1 || rc=$?
[ $rc = 0 ] && grep -q bob "$T/who" &&
	ok "a reload does not wait for a session whose client stopped reading" ||
	bad "after SIGHUP with a stalled reader: rc=$rc $(cat "$T/who")"
grep -q "policy reloaded" "$T/serve.log" && ok "the reload happened" || bad "no reload logged"
kill "$STALL" "$STALL_SSH" 2> /dev/null || true
kill -TERM "$CA_PID"; wait "$CA_PID" 2> /dev/null || true

# The open index is derived state: audit verify checks it.
$J audit verify --dir "$T/ca" > "$T/out" && ok "the store verifies, open index included" ||
	bad "verify: $(cat "$T/out")"
mkdir -p "$T/t/ca/store"; cp "$T/ca/"*.pub "$T/t/ca/"
mdb_dump -a "$T/ca/store" | python3 "$tamper" dropkey open u > "$T/dump"
mdb_load -f "$T/dump" "$T/t/ca/store"
rc=0; $J audit verify --dir "$T/t/ca" > "$T/out" 2>&1 || rc=$?
[ $rc = 1 ] && grep -q "state altered: open: 8.. index entries for 8.. open requests" "$T/out" &&
	ok "audit verify names missing open-index entries" || bad "open index: rc=$rc $(head -3 "$T/out")"
finish
