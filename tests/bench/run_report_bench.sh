#!/usr/bin/env bash
# The access review over a big log (on demand, not a test): bench_report
# fills an LMDB store and a PostgreSQL database (a throwaway cluster,
# default durability, on the same disk and cores) with a year of events,
# 1/10 and all of EVENTS, then times the report against a bare walk of the
# same events (the store's read cost, the baseline), ROUNDS times each,
# alternating; medians and ratios, and the anonymous memory peak at both
# sizes (bounded: not proportional to the events).  Then the CLI end to
# end: `jit-ssh-ca report --format html` on the big LMDB store.
#   tests/bench/run_report_bench.sh [EVENTS] [ROUNDS]   (default 1000000 5)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${BUILD:-$top/build}
N=${1:-1000000}
ROUNDS=${2:-5}
T=$(mktemp -d /tmp/jit-bench.XXXXXX)
PIDS=()
CLEANUP_HOOKS=()
trap 'for h in "${CLEANUP_HOOKS[@]}"; do $h; done; rm -rf "$T"' EXIT
skip() { echo "skip: $*"; exit 0; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
. "$top/tests/integration/pg.sh"
pg_start
small=$((N / 10))
for n in $small $N; do
	psql "$PG_CONNINFO" -q -c "CREATE DATABASE r$n" > /dev/null
done
ssh-keygen -q -t ed25519 -N '' -f "$T/user"
"$B/ca/jit-ssh-ca" init --dir "$T/ca" > /dev/null
{
	echo "users:"
	for u in $(seq -f '%03g' 0 999); do
		echo "  user$u: { keys: [\"$(cut -d' ' -f1,2 "$T/user.pub")\"], groups: [g] }"
	done
	echo "roles:"
	for r in $(seq -f '%02g' 0 21); do
		echo "  role$r: { groups: [g], principals: [deploy], mfa: optional }"
	done
	echo 'review: { business_hours: ["Mon-Fri 08:00-18:00"], timezone: Europe/Berlin }'
} > "$T/ca/policy.yaml"
for n in $small $N; do
	echo "fill lmdb $n: $("$B/tests/bench/bench_report" fill "$T/lmdb$n" "$n")"
	echo "fill postgresql $n: $("$B/tests/bench/bench_report" fill "$PG_CONNINFO dbname=r$n" "$n")"
done
for n in $small $N; do
	"$B/tests/bench/bench_report" run "$T/lmdb$n" "$T/ca/policy.yaml" "$ROUNDS" | tail -1
	"$B/tests/bench/bench_report" run "$PG_CONNINFO dbname=r$n" "$T/ca/policy.yaml" "$ROUNDS" | tail -1
done
# The command an operator runs, on the big store (its log is the CA's).
rm -rf "$T/ca/store"
cp -r "$T/lmdb$N" "$T/ca/store"
for i in 1 2 3; do
	s=$(date +%s.%N)
	"$B/ca/jit-ssh-ca" report --dir "$T/ca" --since 2025-12-31T00:00:00Z --until 2028-01-01T00:00:00Z \
		--format html -o "$T/r$i.html"
	echo "jit-ssh-ca report --format html over $N events: $(python3 -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 2))" "$s" "$(date +%s.%N)") s, $(wc -c < "$T/r$i.html") bytes"
done
