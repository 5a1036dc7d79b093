#!/usr/bin/env bash
# kill -9 of one of two CA instances on one PostgreSQL database while 16
# jit-ssh clients (configured with both) log in in a loop: they go on
# through the other; every certificate a client holds is on record, no
# serial is issued twice, and the chain verifies.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
: "${JIT_SSH_CA:?}" "${JIT_SSH:?}"
J=$JIT_SSH_CA
N=16
pg_start
psql "$PG_CONNINFO" -q -c "CREATE DATABASE jitca" > /dev/null
$J init --dir "$T/a" --store "$PG_CONNINFO dbname=jitca" > /dev/null
{
	echo "defaults: { max_live_certs: 10000 }"
	echo "users:"
	for i in $(seq -w 1 $N); do
		ssh-keygen -q -t ed25519 -N '' -C "u$i" -f "$T/u$i"
		echo "  u$i: { keys: [\"$(cut -d' ' -f1,2 "$T/u$i.pub")\"], groups: [dev] }"
	done
	echo "roles:"
	echo "  plain: { groups: [dev], principals: [\"$LOGIN_USER\"], mfa: optional, ttl: 5m }"
} > "$T/a/policy.yaml"
$J policy check --dir "$T/a" > /dev/null || { bad "policy"; finish; }
cp -a "$T/a" "$T/b"
PORT=; start_serve "$T/a"; PA=$PORT; PID_A=$CA_PID
PORT=; start_serve "$T/b"; PB=$PORT
HOSTKEY=$(cut -d' ' -f1,2 "$T/a/ssh_host_ed25519_key.pub")

client() {	# U: log in until $T/stop appears; one line per attempt
	local u=$1 i=0 rc
	mkdir -p "$T/c$u"
	printf 'ca: [127.0.0.1:%s, 127.0.0.1:%s]\nuser: u%s\nidentity: %s\nca_host_key: "%s"\n' \
		"$PA" "$PB" "$u" "$T/u$u" "$HOSTKEY" > "$T/c$u/config.yaml"
	while [ ! -e "$T/stop" ]; do
		i=$((i + 1)); rc=0
		JIT_SSH_CONFIG=$T/c$u/config.yaml "$JIT_SSH" login --role plain \
			--out "$T/c$u/k$i" < /dev/null > /dev/null 2>> "$T/c$u/err" || rc=$?
		echo "$(date +%s.%N) $rc" >> "$T/c$u/log"
	done
}
CLIENTS=()
for u in $(seq -w 1 $N); do client "$u" & CLIENTS+=($!); PIDS+=($!); done
sleep 3
kill -9 "$PID_A"; killed=$(date +%s.%N)
sleep 4
touch "$T/stop"
for p in "${CLIENTS[@]}"; do wait "$p" 2> /dev/null || true; done

total=$(cat "$T"/c*/log | wc -l)
good=$(cat "$T"/c*/log | awk '$2 == 0' | wc -l)
after=$(cat "$T"/c*/log | awk -v k="$killed" '$1 > k + 1 && $2 == 0' | wc -l)
failed=$(cat "$T"/c*/log | awk '$2 != 0' | wc -l)
clients_after=$(for d in "$T"/c*/; do awk -v k="$killed" '$1 > k + 1 && $2 == 0' "$d/log" | head -1; done | wc -l)
echo "# $total logins, $good certificates, $failed failed, $after after the kill"
[ "$clients_after" = $N ] && ok "all $N clients go on through B after A is killed ($after logins later)" ||
	bad "only $clients_after of $N clients got certificates after the kill"
[ "$failed" -le $N ] && ok "at most one login per client was lost with A ($failed)" ||
	bad "$failed logins failed: $(cat "$T"/c*/err | sort | uniq -c | sort -rn | head -5)"

# Every certificate a client holds is on record, once.
for f in "$T"/c*/k*-cert.pub; do ssh-keygen -L -f "$f" | sed -n 's/.*Serial: \([0-9]*\).*/\1/p'; done | sort -n > "$T/held"
$J audit --dir "$T/b" --event issue --json |
	python3 -c 'import json,sys
for l in sys.stdin: print(json.loads(l)["serial"])' | sort -n > "$T/issued"
nheld=$(wc -l < "$T/held")
[ "$nheld" = "$good" ] && ok "each successful login left a certificate ($nheld)" || bad "$nheld certificates for $good logins"
[ -z "$(comm -23 "$T/held" "$T/issued")" ] && ok "every certificate a client holds is on record" ||
	bad "certificates not on record: $(comm -23 "$T/held" "$T/issued" | head -5 | tr '\n' ' ')"
[ -z "$(uniq -d "$T/issued")" ] && [ -z "$(uniq -d "$T/held")" ] && ok "no serial was issued twice ($(wc -l < "$T/issued") issued)" ||
	bad "serials twice: $(uniq -d "$T/issued" | head -5 | tr '\n' ' ')"
$J audit verify --dir "$T/b" > "$T/verify" 2>&1 && ok "the chain verifies ($(head -1 "$T/verify"))" ||
	bad "verify: $(cat "$T/verify")"
n=$(psql "$PG_CONNINFO dbname=jitca" -At -c "SELECT count(DISTINCT instance) FROM jit_events WHERE event = 'issue'")
[ "$n" = 2 ] && ok "both instances issued" || bad "issuing instances: $n"
finish
