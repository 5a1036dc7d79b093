#!/usr/bin/env bash
# Two CA instances on one PostgreSQL database (a throwaway cluster): a
# request waiting on A is approved on B and the certificate arrives on A;
# a code used on A is refused on B; a lockout on A holds on B; a revocation
# on B is in A's KRL; both audit the same chain, which verifies; every
# event names the instance that wrote it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
: "${JIT_SSH_CA:?}" "${JIT_SSH:?}"
command -v oathtool > /dev/null || skip "oathtool missing (apt-get install oathtool)"
J=$JIT_SSH_CA
pg_start
psql "$PG_CONNINFO" -q -c "CREATE DATABASE jitca" -c "CREATE ROLE jit_a LOGIN IN ROLE jit" > /dev/null
DB="$PG_CONNINFO dbname=jitca"
DB_A="$DB user=jit_a"	# A logs in as its own role (to cut A off alone)

# A bad location is refused before anything is made.
rc=0; $J init --dir "$T/x" --store "postgresql://jit:secret@localhost/jitca" > /dev/null 2> "$T/err" || rc=$?
[ $rc = 2 ] && grep -q "must not hold a password" "$T/err" && [ ! -e "$T/x" ] &&
	ok "a password in the store URL is refused (passfile instead)" || bad "password URL: rc=$rc $(cat "$T/err")"

$J init --dir "$T/a" --store "$DB_A" > /dev/null 2> "$T/err" || { bad "init --store: $(cat "$T/err")"; finish; }
[ ! -e "$T/a/store" ] && grep -q "^store: " "$T/a/config.yaml" &&
	ok "init --store writes the location to config.yaml and no LMDB store" || bad "init --store layout"
# init binds the store to its CA (a ca-init event): a second init, even on a
# log with nothing else in it yet, is refused.
rc=0; $J init --dir "$T/c0" --store "$DB" > /dev/null 2> "$T/err" || rc=$?
[ $rc != 0 ] && grep -q "already holds a CA's log" "$T/err" && [ ! -e "$T/c0" ] &&
	ok "a second init right after the first is refused" || bad "second init at once: rc=$rc $(cat "$T/err")"
$J audit --dir "$T/a" --json | grep -q '"event":"ca-init"' && ok "the log starts with ca-init" ||
	bad "no ca-init: $($J audit --dir "$T/a")"
# Another CA's directory pointed at this store is refused at start, naming why.
$J init --dir "$T/d" > /dev/null
echo "store: \"$DB\"" >> "$T/d/config.yaml"
rm -rf "$T/d/store"
rc=0; timeout 10 $J serve --dir "$T/d" --listen "127.0.0.1:$(free_port)" > /dev/null 2> "$T/err" || rc=$?
[ $rc = 1 ] && grep -q "this store belongs to another CA: its log (event 1 and the rotations since) names the user CA key SHA256:" "$T/err" &&
	ok "serve refuses another CA's store, naming the key" || bad "foreign store: rc=$rc $(cat "$T/err")"
cp "$T/a/user_ca.pub" "$T/a/user_ca" "$T/a/host_ca.pub" "$T/a/host_ca" "$T/d/"
rc=0; $J revoke --dir "$T/d" --serial 1 > /dev/null 2> "$T/err" || rc=$?
[ $rc = 1 ] && grep -q "names totp.key SHA256:" "$T/err" &&
	ok "...and with the same keys but another totp.key" || bad "foreign totp.key: rc=$rc $(cat "$T/err")"
for u in bob carol erin dave; do ssh-keygen -q -t ed25519 -N '' -C "$u" -f "$T/$u"; done
ssh-keygen -q -t ed25519 -N '' -f "$T/new"
k() { cut -d' ' -f1,2 "$T/$1.pub"; }
cat > "$T/a/policy.yaml" <<YAML
users:
  bob:   { keys: ["$(k bob)"], groups: [dev] }
  dave:  { keys: ["$(k dave)"], groups: [dev] }
  carol: { keys: ["$(k carol)"], groups: [leads] }
  erin:  { keys: ["$(k erin)"], groups: [leads] }
roles:
  plain:
    groups: [dev]
    principals: ["$LOGIN_USER"]
    mfa: optional
  prod:
    groups: [dev]
    principals: ["$LOGIN_USER"]
    mfa: optional
    approval: { groups: [leads], quorum: 1, pending_ttl: 2m }
YAML
for u in carol erin; do
	enroll_secret "$T/a" $u
done
rc=0; $J init --dir "$T/c" --store "$DB" > /dev/null 2> "$T/err" || rc=$?
[ $rc != 0 ] && grep -q "already holds a CA's log" "$T/err" && [ ! -e "$T/c" ] &&
	ok "a second init on a store with a log is refused (copy the directory instead)" || bad "second init: rc=$rc $(cat "$T/err")"
# The second instance: a copy of the first's directory (keys, totp.key,
# config.yaml, policy.yaml), as the README says.
cp -a "$T/a" "$T/b"
sed -i 's/ user=jit_a"$/"/' "$T/b/config.yaml"

PORT=; start_serve "$T/a"; PA=$PORT; PID_A=$CA_PID
PORT=; start_serve "$T/b"; PB=$PORT
askpass_from_code
at() {	# PORT USER ARGS...: a CA command with stock ssh (INFO: banners)
	local p=$1 who=$2; shift 2
	ssh -F /dev/null -p "$p" -i "$T/$who" -o IdentitiesOnly=yes -o IdentityAgent=none \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o LogLevel=INFO -o ConnectTimeout=10 "$who@127.0.0.1" "$@"
}
code() { oathtool --totp -b "$(cat "$T/$1.secret")" ${2:+-N "$2"} > "$T/code"; }

# Request on A, approval on B, certificate on A.
at "$PA" bob "login --role prod" < "$T/new.pub" > "$T/prod-cert.pub" 2> "$T/bob.err" &
WAITER=$!
for i in $(seq 1 100); do	# the request is in the database
	[ -n "$(psql "$DB" -At -c "SELECT id FROM jit_requests WHERE \"user\" = 'bob'")" ] && break
	sleep 0.1
done
code erin
id=$(at "$PB" erin requests --json < /dev/null 2> /dev/null |
	python3 -c 'import json,sys
for l in sys.stdin:
    o=json.loads(l)
    if o["user"]=="bob": print(o["request_id"]); break')
[ -n "$id" ] && ok "B lists the request made on A ($id)" || bad "no request on B"
code carol
out=$(at "$PB" carol approve "$id" < /dev/null 2>&1) && ok "carol approves on B" || bad "approve on B: $out"
rc=0; timeout 30 tail --pid=$WAITER -f /dev/null || rc=$?
wait $WAITER && ssh-keygen -L -f "$T/prod-cert.pub" | grep -q "jit:bob:prod:" &&
	ok "the certificate arrives on A, where bob waits" || bad "no certificate on A: $(cat "$T/bob.err")"

# A waiting login does not read its request every second: it waits for
# the store's notifications (LISTEN/NOTIFY), and still hears B at once.
scans() {
	psql "$DB" -At -c "SELECT pg_stat_force_next_flush()" -c "SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = 'jit_requests_pkey'" | tail -1
}
at "$PA" bob "login --role prod" < "$T/new.pub" > "$T/prod2-cert.pub" 2> "$T/bob2.err" &
WAITER=$!
for i in $(seq 1 100); do
	[ "$(psql "$DB" -At -c "SELECT count(*) FROM jit_requests WHERE \"user\" = 'bob' AND state = 1")" = 1 ] && break
	sleep 0.1
done
id2=$(psql "$DB" -At -c "SELECT id FROM jit_requests WHERE \"user\" = 'bob' AND state = 1")
sleep 1; s0=$(scans); sleep 6; s1=$(scans)
[ $((s1 - s0)) -le 1 ] && ok "a waiting login reads its request only when told ($((s1 - s0)) reads in 6 s)" ||
	bad "a waiting login polled: $((s1 - s0)) reads of its request in 6 s"
# Parallel logins with one key on both instances make one request, not
# several (the look-up and the create are one transaction under a lock).
ssh-keygen -q -t ed25519 -N '' -f "$T/par"
PAR=()
for i in 1 2 3 4 5 6; do
	at "$([ $((i % 2)) = 0 ] && echo "$PA" || echo "$PB")" dave "login --role prod" < "$T/par.pub" \
		> /dev/null 2>&1 &
	PAR+=($!)
done
fp=$(ssh-keygen -lf "$T/par.pub" | cut -d' ' -f2)
for i in $(seq 1 100); do
	n=$(psql "$DB" -At -c "SELECT count(*) FROM jit_events WHERE event = 'request' AND fingerprint = '$fp'")
	[ "$(psql "$DB" -At -c "SELECT count(*) FROM pg_stat_activity WHERE datname = 'jitca'")" -ge 2 ] &&
		[ "$n" -ge 1 ] && [ $i -gt 20 ] && break
	sleep 0.1
done
kill "${PAR[@]}" 2> /dev/null || true; wait "${PAR[@]}" 2> /dev/null || true
n=$(psql "$DB" -At -c "SELECT count(*) FROM jit_requests WHERE \"user\" = 'dave' AND fingerprint = '$fp'")
[ "$n" = 1 ] && ok "six parallel logins with one key on A and B: one request" || bad "$n requests for one key"
code erin "+30 seconds"	# erin's current code went to `requests`
t0=$(date +%s%N)
at "$PB" erin approve "$id2" < /dev/null > /dev/null 2>&1 || bad "second approve on B"
timeout 10 tail --pid=$WAITER -f /dev/null || true
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
wait $WAITER && ssh-keygen -L -f "$T/prod2-cert.pub" > /dev/null 2>&1 && [ "$ms" -lt 3000 ] &&
	ok "an approval on B reaches the login waiting on A in $ms ms" || bad "approval to A: $ms ms $(cat "$T/bob2.err")"

# A code used on A is refused on B.
code carol "+30 seconds"
rc=0; at "$PA" carol whoami < /dev/null > /dev/null 2> "$T/err" || rc=$?
[ $rc = 0 ] && ok "carol's code works on A" || bad "code on A: rc=$rc $(cat "$T/err")"
rc=0; at "$PB" carol whoami < /dev/null > /dev/null 2> "$T/err" || rc=$?
[ $rc = 255 ] && grep -q "already used" "$T/err" && ok "the same code on B is refused (replay across instances)" ||
	bad "replay on B: rc=$rc $(cat "$T/err")"

# A lockout earned on A holds on B.
echo 000000 > "$T/code"
for i in 1 2 3 4 5; do at "$PA" erin whoami < /dev/null > /dev/null 2>&1 || true; done
code erin "+60 seconds"
rc=0; at "$PB" erin whoami < /dev/null > /dev/null 2> "$T/err" || rc=$?
[ $rc = 255 ] && grep -q "locked out" "$T/err" && ok "five wrong codes on A lock erin out on B" ||
	bad "lockout on B: rc=$rc $(cat "$T/err")"

# A plain login on A; revoked on B; in A's KRL.
at "$PA" bob login --role plain < "$T/new.pub" > "$T/plain-cert.pub" 2> "$T/err" || bad "plain login: $(cat "$T/err")"
serial=$(ssh-keygen -L -f "$T/plain-cert.pub" | sed -n 's/.*Serial: \([0-9]*\).*/\1/p')
$J revoke --dir "$T/b" --serial "$serial" --reason "multi test" > "$T/rv" 2>&1 || bad "revoke on B: $(cat "$T/rv")"
$J krl --dir "$T/a" -o "$T/krl" > /dev/null 2>&1 || bad "krl on A"
q=$(ssh-keygen -Q -f "$T/krl" "$T/plain-cert.pub" 2>&1 || true)	# exit 1 when revoked
[[ $q == *REVOKED* ]] &&
	ok "a revocation on B is in A's KRL (ssh-keygen -Q)" ||
	bad "KRL on A misses serial $serial: $q $(cat "$T/rv")"
ssh-keygen -Q -f "$T/krl" "$T/prod-cert.pub" 2>&1 | grep -q ": ok" &&
	ok "...and only that one" || bad "KRL revokes the other certificate"

# Audit: the same from either; the chain verifies; instances named.
$J audit --dir "$T/a" --json > "$T/audit-a" && $J audit --dir "$T/b" --json > "$T/audit-b" &&
	cmp -s "$T/audit-a" "$T/audit-b" && [ -s "$T/audit-a" ] &&
	ok "audit from A and from B is identical ($(wc -l < "$T/audit-a") events)" || bad "audits differ"
$J audit verify --dir "$T/b" > "$T/verify" 2>&1 && ok "the chain verifies ($(head -1 "$T/verify"))" ||
	bad "verify: $(cat "$T/verify")"
n=$(psql "$DB" -At -c "SELECT count(DISTINCT instance) FROM jit_events WHERE event IN ('approve', 'request')")
[ "$n" = 2 ] && ok "events name the instance that wrote them (request on A, approval on B)" ||
	bad "instances in the log: $n"

# The database goes away: a clear error (exit 3), the CA stays up, and it
# recovers by itself when the database is back; nothing half-written.
head0=$(psql "$DB" -At -c "SELECT seq FROM jit_head")
pg_down
rc=0; at "$PA" bob login --role plain < "$T/new.pub" > "$T/out" 2> "$T/err" || rc=$?
[ $rc = 255 ] && grep -q "the CA cannot reach its store (the store's database is unavailable)" "$T/err" &&
	[ ! -s "$T/out" ] && ok "with the database down, the CA says so (a banner; no certificate)" ||
	bad "login with the database down: rc=$rc $(cat "$T/err")"
kill -0 "$PID_A" && ok "...and the CA keeps running" || bad "the CA died with its database"
pg_up
rc=0; at "$PA" bob login --role plain < "$T/new.pub" > "$T/out" 2> "$T/err" || rc=$?
[ $rc = 0 ] && ssh-keygen -L -f "$T/out" > /dev/null 2>&1 &&
	ok "the database back, the same CA process issues again (no restart)" ||
	bad "after the database came back: rc=$rc $(cat "$T/err")"
head1=$(psql "$DB" -At -c "SELECT seq FROM jit_head")
$J audit verify --dir "$T/a" > "$T/verify" 2>&1 && [ "$head1" -gt "$head0" ] &&
	ok "the chain verifies across the outage ($head0 -> $head1 events)" || bad "after the outage: $(cat "$T/verify")"

# A alone loses the database (its role may no longer log in): jit-ssh,
# configured with both CAs, is told so by A and gets its certificate from B.
psql "$DB" -q -c "ALTER ROLE jit_a NOLOGIN" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'jit_a'" > /dev/null
cat > "$T/bob.yaml" <<YAML
ca: [127.0.0.1:$PA, 127.0.0.1:$PB]
user: bob
identity: $T/bob
ca_host_key: "$(cut -d' ' -f1,2 "$T/a/ssh_host_ed25519_key.pub")"
YAML
rc=0; JIT_SSH_CONFIG=$T/bob.yaml "$JIT_SSH" login --role plain --out "$T/fo" < /dev/null > "$T/out" 2> "$T/err" || rc=$?
[ $rc = 0 ] && grep -q "cannot reach its store" "$T/err" && ssh-keygen -L -f "$T/fo-cert.pub" > /dev/null 2>&1 &&
	ok "jit-ssh moves on from a CA without its store to the next one" || bad "failover: rc=$rc $(cat "$T/err")"
[ "$(psql "$DB" -At -c "SELECT instance FROM jit_events ORDER BY seq DESC LIMIT 1")" = \
  "$(psql "$DB" -At -c "SELECT instance FROM jit_events WHERE event = 'approve' LIMIT 1")" ] &&
	ok "...and B issued it" || bad "the failover certificate was not issued by B"
kill -0 "$PID_A" && ok "A stays up without its database" || bad "A died"

# State beside the log, edited in SQL, is named by audit verify: the code
# counters (a used code re-opened, a lockout cleared), the sealed secret,
# a request's deadline.  Each edit is undone after its check.
$J audit verify --dir "$T/b" > "$T/verify" 2>&1 && ok "B's store verifies before the edits" ||
	bad "before edits: $(cat "$T/verify")"
sqlround() {	# SQL UNDO NEEDLE WHAT
	local rc=0
	psql "$DB" -q -c "$1" > /dev/null
	$J audit verify --dir "$T/b" > "$T/verify" 2>&1 || rc=$?
	psql "$DB" -q -c "$2" > /dev/null
	[ $rc = 1 ] && grep -q "$3" "$T/verify" && ok "$4" || bad "$4: rc=$rc $(cat "$T/verify")"
}
u=$(psql "$DB" -At -c "SELECT \"user\" FROM jit_totp WHERE last_step > 0 LIMIT 1")
st=$(psql "$DB" -At -c "SELECT last_step FROM jit_totp WHERE \"user\" = '$u'")
sqlround "UPDATE jit_totp SET last_step = 0 WHERE \"user\" = '$u'" \
	"UPDATE jit_totp SET last_step = $st WHERE \"user\" = '$u'" \
	"totp $u: the record's last used step is 0" "PostgreSQL: a used code re-opened is named"
f=$(psql "$DB" -At -c "SELECT failures FROM jit_totp WHERE \"user\" = '$u'")
sqlround "UPDATE jit_totp SET failures = failures + 3 WHERE \"user\" = '$u'" \
	"UPDATE jit_totp SET failures = $f WHERE \"user\" = '$u'" \
	"totp $u: the record counts" "PostgreSQL: edited failure counters are named"
sec=$(psql "$DB" -At -c "SELECT encode(secret, 'hex') FROM jit_totp WHERE \"user\" = '$u'")
sqlround "UPDATE jit_totp SET secret = decode('00', 'hex') || secret WHERE \"user\" = '$u'" \
	"UPDATE jit_totp SET secret = decode('$sec', 'hex') WHERE \"user\" = '$u'" \
	"totp $u: the secret is not the one enroll event" "PostgreSQL: a replaced sealed secret is named"
rid=$(psql "$DB" -At -c "SELECT id FROM jit_requests LIMIT 1")
ex=$(psql "$DB" -At -c "SELECT expires FROM jit_requests WHERE id = '$rid'")
sqlround "UPDATE jit_requests SET expires = expires + 86400 WHERE id = '$rid'" \
	"UPDATE jit_requests SET expires = $ex WHERE id = '$rid'" \
	"request $rid: the record's deadline" "PostgreSQL: a request's deadline pushed out is named"
$J audit verify --dir "$T/b" > "$T/verify" 2>&1 && ok "...and undone, it verifies again" ||
	bad "after undoing: $(cat "$T/verify")"

# Tampering with a row is found.
psql "$DB" -q -c "UPDATE jit_events SET reason = 'edited' WHERE seq = 3" > /dev/null
rc=0; $J audit verify --dir "$T/a" > "$T/verify" 2>&1 || rc=$?
[ $rc = 1 ] && ok "an edited row breaks the chain (audit verify exit 1)" || bad "edit not found: rc=$rc $(cat "$T/verify")"
finish
