#!/usr/bin/env bash
# jit-ssh-ca lock / unlock: a lock stops new certificates for a user at
# once (login, offline sign, an approved request waiting for pickup),
# with the end and the reason in the refusal; it ends by itself at --until
# or with unlock; revoke --user --lock does both; every step is audited
# and a lock record removed behind the log's back is named by audit verify.
. "$(dirname "$0")/lib.sh"
: "${JIT_SSH_CA:?}"
command -v oathtool > /dev/null || skip "oathtool missing (apt-get install oathtool)"
command -v mdb_dump > /dev/null || skip "mdb_dump missing (apt-get install lmdb-utils)"
tamper=$(dirname "$0")/tamper_state.py
J=$JIT_SSH_CA

$J init --dir "$T/ca" > /dev/null
for u in bob carol; do ssh-keygen -q -t ed25519 -N '' -C "$u" -f "$T/$u"; done
ssh-keygen -q -t ed25519 -N '' -f "$T/new"
k() { cut -d' ' -f1,2 "$T/$1.pub"; }
cat > "$T/ca/policy.yaml" <<YAML
users:
  bob:   { keys: ["$(k bob)"], groups: [dev] }
  carol: { keys: ["$(k carol)"], groups: [leads] }
roles:
  dev:  { groups: [dev], principals: ["$LOGIN_USER"], mfa: optional }
  prod:
    groups: [dev]
    principals: ["$LOGIN_USER"]
    mfa: optional
    approval: { groups: [leads], quorum: 1 }
YAML
# Approvers need a verification code.
enroll_secret "$T/ca" carol
printf '#!/bin/sh\noathtool --totp -b "$(cat "%s/carol.secret")"\n' "$T" > "$T/askpass"
chmod +x "$T/askpass"
export SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force DISPLAY=:0
start_serve "$T/ca"
login() { ca_ssh bob login --role "$1" < "$T/new.pub"; }
issues() { $J audit --dir "$T/ca" --event issue --user bob --json | wc -l; }

login dev > "$T/c1" 2> /dev/null && grep -q cert-v01 "$T/c1" && ok "bob gets a certificate" ||
	bad "first login"

# Bad input changes nothing.
n0=$($J audit --dir "$T/ca" --json | wc -l)
for args in "--user bob" "--reason x" "--user bob --reason x --until yesterday" \
	"--user bob --reason x --until 2001-01-01T00:00:00Z" "--user bob --reason x extra"; do
	rc=0; $J lock --dir "$T/ca" $args > /dev/null 2> "$T/err" || rc=$?
	[ $rc = 2 ] || bad "lock $args: rc=$rc"
done
rc=0; $J unlock --dir "$T/ca" --user bob > /dev/null 2> "$T/err" || rc=$?
[ $rc = 1 ] && grep -q "bob is not locked" "$T/err" || bad "unlock of nobody: rc=$rc $(cat "$T/err")"
rc=0; $J revoke --dir "$T/ca" --user bob --lock --no-lock > /dev/null 2>&1 || rc=$?
[ $rc = 2 ] || bad "revoke --lock --no-lock: rc=$rc"
rc=0; $J revoke --dir "$T/ca" --serial 1 --lock > /dev/null 2>&1 || rc=$?
[ $rc = 2 ] || bad "revoke --serial --lock: rc=$rc"
[ "$($J audit --dir "$T/ca" --json | wc -l)" = "$n0" ] &&
	ok "bad lock, unlock and revoke arguments are refused and write nothing" ||
	bad "bad arguments wrote events"

# A lock holds at once, for login and offline sign, with end and reason.
$J lock --dir "$T/ca" --user bob --reason "laptop stolen" > "$T/out" &&
	grep -q "locked bob until unlocked" "$T/out" && ok "lock --user bob" || bad "lock: $(cat "$T/out")"
rc=0; login dev > "$T/c2" 2> "$T/err" || rc=$?
[ $rc = 1 ] && ! grep -q cert-v01 "$T/c2" &&
	grep -q "bob is locked until unlocked: no new certificates (laptop stolen)" "$T/err" &&
	ok "a locked user's login is refused with the reason" || bad "locked login: rc=$rc $(cat "$T/err")"
rc=0; $J sign --dir "$T/ca" --user bob --role dev "$T/new.pub" > /dev/null 2> "$T/err" || rc=$?
[ $rc != 0 ] && grep -q "locked" "$T/err" && ok "offline sign refuses a locked user" ||
	bad "locked sign: rc=$rc $(cat "$T/err")"
[ "$(issues)" = 1 ] && ok "nothing was issued while locked" || bad "$(issues) issue events"

# An approval that arrives while the requester is locked does not issue;
# after unlock the same login picks it up.
$J unlock --dir "$T/ca" --user bob --reason "found it" > "$T/out" && grep -q "unlocked bob" "$T/out" ||
	bad "unlock: $(cat "$T/out")"
login prod > /dev/null 2> "$T/p.err" &
W=$!
for i in $(seq 1 50); do
	id=$($J audit --dir "$T/ca" --event request --json | sed -n 's/.*"request_id":"\([^"]*\)".*/\1/p' | tail -1)
	[ -n "$id" ] && break; sleep 0.2
done
kill -STOP $W
$J lock --dir "$T/ca" --user bob --reason "under review" > /dev/null
ca_ssh carol approve "$id" < /dev/null > "$T/a.out" 2>&1 || bad "carol approves: $(cat "$T/a.out")"
kill -CONT $W
( sleep 20; kill $W 2> /dev/null ) > /dev/null 2>&1 &
DOG=$!
rc=0; wait $W || rc=$?
kill $DOG 2> /dev/null || true
[ $rc = 1 ] && grep -q "bob is locked until unlocked: no new certificates (under review)" "$T/p.err" &&
	grep -q "stays approved" "$T/p.err" && [ "$(issues)" = 1 ] &&
	ok "an approved request is not issued to a locked user" || bad "approved+locked: rc=$rc $(cat "$T/p.err")"
$J unlock --dir "$T/ca" --user bob > /dev/null
login prod > "$T/c3" 2> "$T/err" && grep -q cert-v01 "$T/c3" && [ "$(issues)" = 2 ] &&
	ok "after unlock the approved request is picked up" || bad "pickup after unlock: $(cat "$T/err")"

# --until: the lock ends by itself.
$J lock --dir "$T/ca" --user bob --until 3s --reason "short" > "$T/out" &&
	grep -q "locked bob until 20" "$T/out" || bad "lock --until: $(cat "$T/out")"
rc=0; login dev > /dev/null 2> "$T/err" || rc=$?
[ $rc = 1 ] && grep -q "bob is locked until 20.*(short)" "$T/err" &&
	ok "a lock with --until names its end" || bad "until: rc=$rc $(cat "$T/err")"
sleep 4
login dev > "$T/c4" 2> "$T/err" && grep -q cert-v01 "$T/c4" &&
	ok "a lock ends by itself at --until" || bad "after until: $(cat "$T/err")"

# revoke --user --lock: revoked and locked; without a terminal a note says how.
$J revoke --dir "$T/ca" --user bob --no-lock > "$T/out" 2> "$T/err" < /dev/null
! grep -q "note:.*lock" "$T/err" && grep -q "revoked" "$T/out" || bad "revoke --no-lock: $(cat "$T/out" "$T/err")"
login dev > /dev/null 2>&1 || bad "login after revoke --no-lock"
$J revoke --dir "$T/ca" --user bob < /dev/null > "$T/out" 2> "$T/err"
grep -q "note: bob can still get new certificates" "$T/err" &&
	ok "revoke --user without a terminal says how to lock too" || bad "no note: $(cat "$T/err")"
login dev > /dev/null 2>&1 || bad "login after plain revoke"
$J revoke --dir "$T/ca" --user bob --lock --reason "left the company" > "$T/out" 2> "$T/err" < /dev/null
grep -q "locked bob until unlocked" "$T/out" && grep -q "revoked 1 certificate of bob" "$T/out" ||
	bad "revoke --lock: $(cat "$T/out" "$T/err")"
rc=0; login dev > /dev/null 2> "$T/err" || rc=$?
[ $rc = 1 ] && grep -q "(left the company)" "$T/err" &&
	ok "revoke --user --lock revokes and locks" || bad "after revoke --lock: rc=$rc $(cat "$T/err")"
n=$($J audit --dir "$T/ca" --event lock --user bob --json | wc -l)
m=$($J audit --dir "$T/ca" --event unlock --user bob --json | wc -l)
[ "$n" = 4 ] && [ "$m" = 2 ] && ok "every lock and unlock is audited ($n, $m)" || bad "lock events $n, unlock $m"

# The lock record is derived state: removing it is named.
kill -TERM "$CA_PID"; wait "$CA_PID" 2> /dev/null || true
$J audit verify --dir "$T/ca" > "$T/out" || bad "untouched store: $(cat "$T/out")"
mkdir -p "$T/t/ca/store"; cp "$T/ca/"*.pub "$T/t/ca/"
mdb_dump -a "$T/ca/store" | python3 "$tamper" dropkey meta lock:bob > "$T/dump"
mdb_load -f "$T/dump" "$T/t/ca/store"
rc=0; $J audit verify --dir "$T/t/ca" > "$T/out" 2>&1 || rc=$?
[ $rc = 1 ] && grep -q "state altered: locks: 0 records, the log has 1 users locked" "$T/out" &&
	ok "audit verify names a removed lock" || bad "removed lock: rc=$rc $(cat "$T/out")"

# The per-user cap on live certificates (defaults.max_live_certs),
# counted in the commit that records the issue: 8 parallel signs with a
# cap of 3 give 3 certificates; a revocation frees a place.
$J init --dir "$T/cap" > /dev/null
cat > "$T/cap/policy.yaml" <<YAML
defaults: { max_live_certs: 3 }
users:
  bob: { keys: ["$(k bob)"], groups: [dev] }
roles:
  dev: { groups: [dev], principals: ["$LOGIN_USER"], mfa: optional }
YAML
for i in 1 2 3 4 5 6 7 8; do
	$J sign --dir "$T/cap" --user bob --role dev "$T/new.pub" > "$T/cap$i.cert" 2> "$T/cap$i.err" &
done
wait
got=$(cat "$T"/cap?.cert | grep -c cert-v01) || true
[ "$got" = 3 ] && [ "$($J audit --dir "$T/cap" --event issue --json | wc -l)" = 3 ] &&
	ok "8 parallel signs under a cap of 3: 3 certificates, 3 issue events" || bad "cap: $got certificates"
grep -qh "as many live certificates as the policy allows (defaults.max_live_certs)" "$T"/cap?.err &&
	ok "the others are told why" || bad "cap message: $(cat "$T"/cap?.err | head -3)"
$J revoke --dir "$T/cap" --serial "$($J audit --dir "$T/cap" --event issue --json | head -1 |
	sed 's/.*"serial":\([0-9]*\).*/\1/')" > /dev/null 2>&1 || bad "revoke one"
$J sign --dir "$T/cap" --user bob --role dev "$T/new.pub" 2> "$T/err" | grep -q cert-v01 &&
	ok "a revocation frees a place under the cap" || bad "after revoke: $(cat "$T/err")"
$J audit verify --dir "$T/cap" > "$T/out" || bad "cap store verify: $(cat "$T/out")"
rm -rf "$T/t"; mkdir -p "$T/t/ca/store"; cp "$T/cap/"*.pub "$T/t/ca/"
mdb_dump -a "$T/cap/store" | python3 "$tamper" dropkey live bob > "$T/dump"
mdb_load -f "$T/dump" "$T/t/ca/store"
rc=0; $J audit verify --dir "$T/t/ca" > "$T/out" 2>&1 || rc=$?
[ $rc = 1 ] && grep -q "state altered: live: 0 live certificates indexed, the log has 3" "$T/out" &&
	ok "audit verify names a removed live-certificate entry" || bad "live index: rc=$rc $(cat "$T/out")"
# A lock ends the MFA grace at once and a locked user decides nothing.
$J init --dir "$T/g" > /dev/null
ssh-keygen -q -t ed25519 -N '' -C dave -f "$T/dave"
cat > "$T/g/policy.yaml" <<YAML
defaults: { mfa_grace: 10m }
users:
  carol: { keys: ["$(k carol)"], groups: [leads] }
  dave:  { keys: ["$(k dave)"], groups: [dev] }
roles:
  prod:
    groups: [dev]
    principals: ["$LOGIN_USER"]
    mfa: optional
    approval: { groups: [leads], quorum: 1 }
YAML
enroll_secret "$T/g" carol
kill "$CA_PID" 2> /dev/null || true; wait "$CA_PID" 2> /dev/null || true
PORT=; start_serve "$T/g"
nocode() {	# USER ARGS: the stock client that cannot answer a code prompt
	local who=$1; shift
	SSH_ASKPASS_REQUIRE=never setsid -w ssh -F /dev/null -p "$PORT" -i "$T/$who" \
		-o IdentitiesOnly=yes -o IdentityAgent=none -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=10 \
		"$who@127.0.0.1" "$@" < /dev/null
}
ca_ssh carol whoami < /dev/null > /dev/null 2>&1 && ok "carol gives a code" || bad "carol whoami"
ca_ssh dave login --role prod < "$T/new.pub" > "$T/dave.cert" 2> "$T/dave.err" &
DPID=$!
for i in $(seq 1 50); do
	rid=$($J audit --dir "$T/g" --event request --json | sed -n 's/.*"request_id":"\([^"]*\)".*/\1/p' | tail -1)
	[ -n "$rid" ] && break; sleep 0.2
done
nocode carol whoami > /dev/null 2>&1 &&
	ok "in grace, carol needs no code" || bad "no grace before the lock"
$J lock --dir "$T/g" --user carol --reason "under review" > /dev/null
rc=0; nocode carol whoami > "$T/out" 2>&1 || rc=$?
[ $rc = 1 ] && grep -q "whoami needs a verification code" "$T/out" &&
	ok "after lock, the grace is over: a code is owed" || bad "grace after lock: rc=$rc $(cat "$T/out")"
# The code was used this step: the next step's (one step of skew is taken),
# a second after the lock, so that its grace (for deny below) is after it.
sleep 1
printf '#!/bin/sh\noathtool --totp -b --now "$(date -u -d @$(( $(date +%%s) + 30 )) "+%%Y-%%m-%%d %%H:%%M:%%S UTC")" "$(cat "%s/carol.secret")"\n' "$T" > "$T/askpass"
rc=0; ca_ssh carol approve "$rid" < /dev/null > "$T/out" 2> "$T/err" || rc=$?
[ $rc = 1 ] && grep -q "approve: carol is locked until unlocked: no decisions (under review)" "$T/err" &&
	ok "a locked user cannot approve" || bad "locked approve: rc=$rc $(cat "$T/out" "$T/err")"
rc=0; nocode carol deny "$rid" > "$T/out" 2> "$T/err" || rc=$?	# in the new code's grace
[ $rc = 1 ] && grep -q "deny: carol is locked" "$T/err" && ok "...nor deny" ||
	bad "locked deny: rc=$rc $(cat "$T/out" "$T/err")"
[ "$($J audit --dir "$T/g" --event approve --json | wc -l)" = 0 ] &&
	[ "$($J audit --dir "$T/g" --event issue --json | wc -l)" = 0 ] &&
	ok "nothing approved, nothing issued" || bad "approved or issued while locked"
kill "$DPID" 2> /dev/null || true; wait "$DPID" 2> /dev/null || true
finish
