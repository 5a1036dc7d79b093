#!/usr/bin/env bash
# The CA's store under load (on demand, not a test): bench_loadgen logins
# against, in alternating slices of the same run,
#   lmdb: one jit-ssh-ca serve on its LMDB store (the baseline),
#   pg1:  one jit-ssh-ca serve on a PostgreSQL store,
#   pg2:  two jit-ssh-ca serve instances on that same PostgreSQL database,
#         the clients split between them,
# at 8 and 32 clients.  Prints certificates/s and p50/p99 (medians of the
# slices), ratios to lmdb (also paired by round), and for PostgreSQL the
# WAL flushes and transactions per issuance.  PostgreSQL runs as a
# throwaway cluster (initdb) with its default durability (fsync on,
# synchronous_commit on), on the same disk as the LMDB store.
#   [LEVELS="8 32"] [ROUNDS=6] tests/bench/run_store_bench.sh [SECONDS_PER_POINT]  (default 30)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
B=$top/build
SECS=${1:-30}
T=$(mktemp -d /tmp/jit-bench.XXXXXX)
PIDS=()
CLEANUP_HOOKS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; for h in "${CLEANUP_HOOKS[@]}"; do $h; done; rm -rf "$T"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for i in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.05; done; return 1; }
skip() { echo "skip: $*"; exit 0; }
. "$top/tests/integration/pg.sh"
pg_start
psql "$PG_CONNINFO" -q -c "CREATE DATABASE bench" > /dev/null
DB="$PG_CONNINFO dbname=bench"

ssh-keygen -q -t ed25519 -N '' -f "$T/user"
ssh-keygen -q -t ed25519 -N '' -f "$T/new"
policy() {
	cat > "$1/policy.yaml" <<YAML
defaults: { max_live_certs: 1000000 }
users:
  $(id -un): { keys: ["$(cut -d' ' -f1,2 "$T/user.pub")"], groups: [bench] }
roles:
  bench: { groups: [bench], principals: [deploy], mfa: optional, ttl: 5m }
YAML
}
"$B/ca/jit-ssh-ca" init --dir "$T/lmdb" > /dev/null
"$B/ca/jit-ssh-ca" init --dir "$T/pg" --store "$DB" > /dev/null
policy "$T/lmdb"; policy "$T/pg"
serve() {	# DIR: sets P to its port
	P=$(free_port)
	"$B/ca/jit-ssh-ca" serve --dir "$1" --listen "127.0.0.1:$P" 2>> "$T/serve.log" &
	PIDS+=($!)
	wait_port "$P"
}
serve "$T/lmdb"; PL=$P; serve "$T/pg"; PA=$P; serve "$T/pg"; PB=$P
ROUNDS=${ROUNDS:-6}
SLICE=$(( SECS / ROUNDS > 0 ? SECS / ROUNDS : 1 ))
echo "$SECS s per point and store, as $ROUNDS rounds of ${SLICE}-s slices (lmdb, pg1, pg2 in turn); medians"
# CPU ticks of the database's processes (postgres) and of the CAs.
ticks() { cat /proc/[0-9]*/stat 2> /dev/null | awk -v c="($1)" '$2 == c { s += $14 + $15 } END { print s + 0 }'; }
stat() { echo "$(ticks postgres) $(ticks jit-ssh-ca) $(psql "$DB" -At -c "SELECT (SELECT wal_sync FROM pg_stat_wal), (SELECT xact_commit FROM pg_stat_database WHERE datname = 'bench'), (SELECT count(*) FROM jit_events WHERE event = 'issue')" | tr '|' ' ')"; }
lg() { "$B/tests/bench/bench_loadgen" "$1" "$(id -un)" "$T/user" "$T/new.pub" "$2" "$3" "login --role bench"; }
for n in ${LEVELS:-8 32}; do
	echo "-- $n clients"
	: > "$T/slices"
	for r in $(seq 1 "$ROUNDS"); do
		for who in lmdb pg1 pg2; do
			case $who in lmdb) port=$PL ;; pg1) port=$PA ;; pg2) port=$PA,$PB ;; esac
			before=$(stat)
			out=$(lg "$port" "$n" "$SLICE")
			echo "$who $r $out $before $(stat)" >> "$T/slices"
		done
	done
	python3 - "$T/slices" <<'PY'
import re, statistics, sys
rows, by_round, wal, xact, cpu = {}, {}, {}, {}, {}
for line in open(sys.argv[1]):
    who, rnd = line.split()[:2]
    m = re.search(r"([\d.]+) conn/s\s+p50\s+([\d.]+) ms\s+p99\s+([\d.]+) ms\s+\((\d+) ok, (\d+) failed", line)
    rows.setdefault(who, []).append(tuple(float(x) for x in m.groups()))
    by_round.setdefault(rnd, {})[who] = float(m.group(1))
    p0, c0, s0w, s0x, s0i, p1, c1, s1w, s1x, s1i = (int(x) for x in line.split()[-10:])
    ok = int(m.group(4))
    if ok:
        cpu.setdefault(who, []).append(((p1 - p0) * 10.0 / ok, (c1 - c0) * 10.0 / ok))
    if who != "lmdb" and s1i > s0i:
        wal.setdefault(who, []).append((s1w - s0w) / (s1i - s0i))
        xact.setdefault(who, []).append((s1x - s0x) / (s1i - s0i))
med = {w: [statistics.median(r[i] for r in rows[w]) for i in range(3)] for w in rows}
for w in ("lmdb", "pg1", "pg2"):
    fails = sum(int(r[4]) for r in rows[w])
    extra = "  CPU ms/cert: CA %.2f, postgres %.2f" % (statistics.median(c[1] for c in cpu[w]), statistics.median(c[0] for c in cpu[w]))
    if w in wal:
        extra += "; %.2f WAL flushes, %.1f transactions per cert" % (statistics.median(wal[w]), statistics.median(xact[w]))
    print("  %-4s %7.1f certs/s  p50 %6.2f ms  p99 %6.2f ms  (%d failed)%s" % (w, *med[w], fails, extra))
for w in ("pg1", "pg2"):
    paired = [r[w] / r["lmdb"] for r in by_round.values()]
    print("  %s / lmdb: %.1f%% of the throughput (paired by round: median %.1f%%), p99 %.2fx" % (
        w, 100 * med[w][0] / med["lmdb"][0], 100 * statistics.median(paired), med[w][2] / med["lmdb"][2]))
PY
done
"$B/ca/jit-ssh-ca" audit verify --dir "$T/pg" | head -1
