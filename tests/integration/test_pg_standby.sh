#!/usr/bin/env bash
# A primary and a streaming standby (synchronous: a commit is on both
# before the CA answers).  The CA's conninfo lists both hosts with
# target_session_attrs=read-write.  The primary dies (immediate stop), the
# standby is promoted; the same CA process issues again, and every
# certificate issued before is on record there.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
: "${JIT_SSH_CA:?}"
J=$JIT_SSH_CA
PG_EXTRA_OPTS="-c wal_keep_size=64MB"
pg_start
P1=${PG_CONNINFO#*port=}; P1=${P1%% *}
psql "$PG_CONNINFO" -q -c "CREATE DATABASE jitca" > /dev/null
# The standby: a base backup of the primary, streaming from it.
P2=$(free_port)
"${PG_AS[@]}" "$(pg_bin)/pg_basebackup" -D "$PGD/standby" -R -X stream -c fast -h "$PGD" -p "$P1" -U jit \
	> "$PGD/basebackup.log" 2>&1 || { cat "$PGD/basebackup.log"; bad "pg_basebackup"; finish; }
echo "primary_conninfo = 'host=$PGD port=$P1 user=jit application_name=standby'" >> "$PGD/standby/postgresql.auto.conf"
"${PG_AS[@]}" "$(pg_bin)/pg_ctl" -D "$PGD/standby" -l "$PGD/standby.log" -w -t 60 \
	-o "-k $PGD -p $P2 -c listen_addresses=''" start > /dev/null || { cat "$PGD/standby.log"; bad "standby"; finish; }
psql "$PG_CONNINFO" -q -c "ALTER SYSTEM SET synchronous_standby_names = '*'" -c "SELECT pg_reload_conf()" > /dev/null
sync=0
for i in $(seq 1 100); do
	sync=$(psql "$PG_CONNINFO" -At -c "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'")
	[ "$sync" = 1 ] && break
	sleep 0.1
done
[ "$sync" = 1 ] && ok "a synchronous standby streams from the primary" || { bad "no synchronous standby"; finish; }

URL="host=$PGD,$PGD port=$P1,$P2 user=jit dbname=jitca target_session_attrs=read-write"
$J init --dir "$T/ca" --store "$URL" > /dev/null 2> "$T/err" || { bad "init: $(cat "$T/err")"; finish; }
ssh-keygen -q -t ed25519 -N '' -C bob -f "$T/bob"
ssh-keygen -q -t ed25519 -N '' -f "$T/new"
cat > "$T/ca/policy.yaml" <<YAML
users:
  bob: { keys: ["$(cut -d' ' -f1,2 "$T/bob.pub")"], groups: [dev] }
roles:
  plain: { groups: [dev], principals: ["$LOGIN_USER"], mfa: optional }
YAML
start_serve "$T/ca"
for i in 1 2 3; do
	ca_ssh bob login --role plain < "$T/new.pub" > "$T/before$i" 2> "$T/err" || bad "login before: $(cat "$T/err")"
done
ssh-keygen -L -f "$T/before3" > /dev/null 2>&1 && ok "the CA issues on the primary" || bad "no certificate"

# The primary dies; the standby is promoted.
pg_ctl -m immediate stop > /dev/null
"${PG_AS[@]}" "$(pg_bin)/pg_ctl" -D "$PGD/standby" -w promote > /dev/null || bad "promote"
got=
for i in $(seq 1 40); do
	if ca_ssh bob login --role plain < "$T/new.pub" > "$T/after" 2> "$T/err" &&
		ssh-keygen -L -f "$T/after" > /dev/null 2>&1; then got=$i; break; fi
	sleep 0.25
done
[ -n "$got" ] && ok "the same CA process issues again on the promoted standby (attempt $got)" ||
	bad "no certificate after the promotion: $(cat "$T/err")"
kill -0 "$CA_PID" && ok "...with no restart" || bad "the CA died"
DB2="host=$PGD port=$P2 user=jit dbname=jitca"
held=$(for f in "$T"/before? "$T/after"; do ssh-keygen -L -f "$f" | sed -n 's/.*Serial: \([0-9]*\).*/\1/p'; done | sort -n | tr '\n' ' ')
rec=$(psql "$DB2" -At -c "SELECT serial FROM jit_events WHERE event = 'issue' ORDER BY serial" | tr '\n' ' ')
[ "$held" = "$rec" ] && ok "every certificate issued, before and after, is on record on the new primary ($held)" ||
	bad "held: $held; on record: $rec"
$J audit verify --dir "$T/ca" > "$T/verify" 2>&1 && ok "the chain verifies on the new primary" || bad "verify: $(cat "$T/verify")"
finish
