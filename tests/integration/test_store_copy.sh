#!/usr/bin/env bash
# An LMDB store with history moves into PostgreSQL (store copy): the same
# chain (same head), the same audit, state that verifies; the CA then runs
# on PostgreSQL and serials go on past the old ones.  store migrate makes or
# checks a schema; a copy into a store in use is refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
: "${JIT_SSH_CA:?}"
J=$JIT_SSH_CA
pg_start
psql "$PG_CONNINFO" -q -c "CREATE DATABASE moved" -c "CREATE DATABASE other" \
	-c "ALTER DATABASE moved SET bytea_output = 'escape'" > /dev/null	# a DBA's setting
DB="$PG_CONNINFO dbname=moved"

$J init --dir "$T/ca" > /dev/null
ssh-keygen -q -t ed25519 -N '' -C bob -f "$T/bob"
ssh-keygen -q -t ed25519 -N '' -f "$T/new"
cat > "$T/ca/policy.yaml" <<YAML
users:
  bob:   { keys: ["$(cut -d' ' -f1,2 "$T/bob.pub")"], groups: [dev] }
  carol: { keys: ["$(cut -d' ' -f1,2 "$T/bob.pub")"], groups: [dev] }
roles:
  plain: { groups: [dev], principals: ["$LOGIN_USER"], mfa: optional }
YAML
$J enroll --dir "$T/ca" --user bob > /dev/null
for i in 1 2 3; do
	cp "$T/new.pub" "$T/k$i.pub"
	$J sign --dir "$T/ca" --user bob --role plain --reason "copy test $i" -o "$T/k$i-cert.pub" "$T/k$i.pub" > /dev/null 2>&1 ||
		bad "sign $i"
done
serial=$(ssh-keygen -L -f "$T/k2-cert.pub" | sed -n 's/.*Serial: \([0-9]*\).*/\1/p')
$J revoke --dir "$T/ca" --serial "$serial" --reason "copy test" > /dev/null
$J lock --dir "$T/ca" --user carol --reason "on leave" > /dev/null
$J audit --dir "$T/ca" --json > "$T/audit-lmdb"
head_lmdb=$($J audit verify --dir "$T/ca" | sed -n 's/.*chain head \([0-9a-f]*\).*/\1/p')

out=$($J store migrate --store "$PG_CONNINFO dbname=other" 2>&1) && [[ $out == *"schema version 1"* ]] &&
	ok "store migrate creates a schema ($out)" || bad "migrate: $out"
out=$($J store migrate --store "$PG_CONNINFO dbname=other" 2>&1) && ok "...and a second run finds it ready" ||
	bad "migrate again: $out"

rc=0; $J store copy --dir "$T/ca" --to "$DB" > "$T/out" 2>&1 || rc=$?
n=$(wc -l < "$T/audit-lmdb")
[ $rc = 0 ] && grep -q "copied $n events; both stores verify; chain head $head_lmdb" "$T/out" &&
	ok "store copy: $n events, the same chain head, both verify" || bad "copy: rc=$rc $(cat "$T/out")"

# The CA now on PostgreSQL.
sed -i '/^store:/d' "$T/ca/config.yaml"
echo "store: \"$DB\"" >> "$T/ca/config.yaml"
$J audit --dir "$T/ca" --json > "$T/audit-pg"
cmp -s "$T/audit-lmdb" "$T/audit-pg" && ok "the audit reads the same from PostgreSQL" || bad "audits differ: $(diff "$T/audit-lmdb" "$T/audit-pg" | head -5)"
$J audit verify --dir "$T/ca" > "$T/verify" 2>&1 && grep -q "$head_lmdb" "$T/verify" &&
	ok "audit verify on PostgreSQL: intact, same head" || bad "verify: $(cat "$T/verify")"
$J krl --dir "$T/ca" -o "$T/krl" > /dev/null
q=$(ssh-keygen -Q -f "$T/krl" "$T/k2-cert.pub" 2>&1 || true)
[[ $q == *REVOKED* ]] && ok "the revocation came along (KRL)" || bad "revocation lost: $q"
cp "$T/new.pub" "$T/c.pub"
rc=0; $J sign --dir "$T/ca" --user carol --role plain -o "$T/c-cert.pub" "$T/c.pub" > /dev/null 2> "$T/err" || rc=$?
[ $rc != 0 ] && grep -q "locked" "$T/err" && ok "the lock came along" || bad "lock lost: rc=$rc $(cat "$T/err")"
cp "$T/new.pub" "$T/k4.pub"
$J sign --dir "$T/ca" --user bob --role plain --reason "after the move" -o "$T/k4-cert.pub" "$T/k4.pub" > /dev/null 2>&1 || bad "sign on PostgreSQL"
s4=$(ssh-keygen -L -f "$T/k4-cert.pub" | sed -n 's/.*Serial: \([0-9]*\).*/\1/p')
max=$(python3 -c 'import json,sys
print(max(json.loads(l)["serial"] or 0 for l in open(sys.argv[1])))' "$T/audit-lmdb")
[ -n "$s4" ] && [ "$s4" -gt "$max" ] && ok "serials go on past the copied ones ($max -> $s4)" || bad "serial $s4 after $max"
n2=$(psql "$DB" -At -c "SELECT count(*) FROM jit_totp")
[ "$n2" = 1 ] && ok "the TOTP record came along" || bad "totp rows: $n2"

rc=0; $J store copy --dir "$T/ca" --to "$DB" > "$T/out" 2>&1 || rc=$?
[ $rc = 1 ] && grep -q "must be an empty store" "$T/out" && ok "a copy into a store in use is refused" ||
	bad "second copy: rc=$rc $(cat "$T/out")"
rc=0; $J store copy --dir "$T/ca" --to "postgresql://jit:pw@localhost/x" > "$T/out" 2>&1 || rc=$?
[ $rc != 0 ] && grep -q "must not hold a password" "$T/out" && ok "a password in --to is refused" || bad "password --to: $(cat "$T/out")"
finish
