#!/usr/bin/env bash
# PostgreSQL after a read-only spell: a CA whose connection was opened while
# the database was read-only (default_transaction_read_only; a standby is
# the same to the CA) is refused writes (SQLSTATE 25006, "store
# unavailable"), and once the database is writable again the same CA
# process issues again by itself: the read-only session is reset, nobody
# kills its backends.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
: "${JIT_SSH_CA:?}"
J=$JIT_SSH_CA
pg_start
psql "$PG_CONNINFO" -q -c "CREATE DATABASE jitca" > /dev/null
DB="$PG_CONNINFO dbname=jitca"
$J init --dir "$T/ca" --store "$DB" > /dev/null 2> "$T/err" || { bad "init: $(cat "$T/err")"; finish; }
ssh-keygen -q -t ed25519 -N '' -C bob -f "$T/bob"
ssh-keygen -q -t ed25519 -N '' -f "$T/new"
cat > "$T/ca/policy.yaml" <<YAML
users:
  bob: { keys: ["$(cut -d' ' -f1,2 "$T/bob.pub")"], groups: [dev] }
roles:
  plain: { groups: [dev], principals: ["$LOGIN_USER"], mfa: optional }
YAML
psql "$PG_CONNINFO" -q -c "ALTER DATABASE jitca SET default_transaction_read_only = on" > /dev/null
start_serve "$T/ca"
rc=0; ca_ssh bob login --role plain < "$T/new.pub" > "$T/c0" 2> "$T/err" || rc=$?
[ $rc != 0 ] && ! ssh-keygen -L -f "$T/c0" > /dev/null 2>&1 &&
	ok "a read-only database issues nothing (rc $rc)" || bad "read-only: rc=$rc $(cat "$T/err")"
psql "$PG_CONNINFO" -q -c "ALTER DATABASE jitca SET default_transaction_read_only = off" > /dev/null
backends0=$(psql "$PG_CONNINFO" -At -c "SELECT count(*) FROM pg_stat_activity WHERE datname = 'jitca'")
n=0
for i in 1 2 3; do
	ca_ssh bob login --role plain < "$T/new.pub" > "$T/c$i" 2> "$T/err" &&
		ssh-keygen -L -f "$T/c$i" > /dev/null 2>&1 && n=$((n + 1))
done
[ "$n" = 3 ] && ok "writable again: every login issues, with no restart and no backend killed" ||
	bad "after the read-only spell: $n of 3 issued: $(cat "$T/err")"
kill -0 "$CA_PID" && ok "...the same CA process" || bad "the CA died"
$J audit verify --dir "$T/ca" > "$T/verify" 2>&1 && ok "the chain verifies" || bad "verify: $(cat "$T/verify")"
finish
