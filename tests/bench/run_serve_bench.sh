#!/usr/bin/env bash
# The CA service under load (on demand, not a test): bench_loadgen against
#   1. jit-ssh-ca serve (publickey auth + login for a no-MFA role, durable),
#   2. bench_ceiling (the same libssh plumbing, a fixed answer: the ceiling),
#   3. a CA from stock parts (sshd + ForceCommand running ssh-keygen -s),
# at 1, 8, 32 and 128 clients, and the CA's peak RSS.  With BASE_CA=PATH
# (a jit-ssh-ca built from another commit: the baseline) that CA serves
# too, in the same rounds, and each level ends with this CA's throughput
# over the baseline's (the ratio of the means, and paired round by round).
#   [LEVELS="8 32"] [ROUNDS=6] [BASE_CA=...] tests/bench/run_serve_bench.sh [SECONDS_PER_POINT]   (default 30)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
B=$top/build
SECS=${1:-30}
T=$(mktemp -d /tmp/jit-bench.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$T"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for i in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.05; done; return 1; }

ssh-keygen -q -t ed25519 -N '' -f "$T/user"
ssh-keygen -q -t ed25519 -N '' -f "$T/new"
"$B/ca/jit-ssh-ca" init --dir "$T/ca" > /dev/null
cat > "$T/ca/policy.yaml" <<YAML
defaults: { max_live_certs: 1000000 }   # load: many live certificates for one user
users:
  $(id -un): { keys: ["$(cut -d' ' -f1,2 "$T/user.pub")"], groups: [bench] }
roles:
  bench: { groups: [bench], principals: [deploy], mfa: optional, ttl: 5m }
YAML
P1=$(free_port); P2=$(free_port); P3=$(free_port); P4=$(free_port)
"$B/ca/jit-ssh-ca" serve --dir "$T/ca" --listen "127.0.0.1:$P1" 2> "$T/serve.log" &
CA=$!; PIDS+=($CA)
WHO="ceiling ca"
if [ -n "${BASE_CA:-}" ]; then
	"$BASE_CA" init --dir "$T/base" > /dev/null
	cp "$T/ca/policy.yaml" "$T/base/policy.yaml"
	"$BASE_CA" serve --dir "$T/base" --listen "127.0.0.1:$P4" 2> "$T/base.log" &
	PIDS+=($!)
	wait_port "$P4"
	WHO="ceiling ca base"
fi
"$B/tests/bench/bench_ceiling" "$P2" "$T/ca/ssh_host_ed25519_key" &
PIDS+=($!)
# Stock parts: sshd whose ForceCommand signs stdin's key with ssh-keygen.
mkdir -p "$T/stock"; [ "$(id -u)" -ne 0 ] || mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$T/stock/host"
cp "$T/user.pub" "$T/stock/authorized_keys"
cat > "$T/stock/sign.sh" <<SH
#!/bin/sh
d=\$(mktemp -d) && cat > "\$d/k.pub" &&
ssh-keygen -q -s "$T/ca/user_ca" -I stock -n deploy -V -30s:+5m "\$d/k.pub" &&
cat "\$d/k-cert.pub"; rc=\$?; rm -rf "\$d"; exit \$rc
SH
chmod +x "$T/stock/sign.sh"
cat > "$T/stock/sshd_config" <<CFG
Port $P3
ListenAddress 127.0.0.1
HostKey $T/stock/host
AuthorizedKeysFile $T/stock/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
ForceCommand $T/stock/sign.sh
MaxStartups 200
MaxSessions 200
LogLevel ERROR
CFG
/usr/sbin/sshd -D -e -f "$T/stock/sshd_config" 2> "$T/stock/log" &
PIDS+=($!)
wait_port "$P1"; wait_port "$P2"; wait_port "$P3"
ROUNDS=${ROUNDS:-6}
SLICE=$(( SECS / ROUNDS > 0 ? SECS / ROUNDS : 1 ))
echo "$SECS s per point, as $ROUNDS alternating slices of ${SLICE} s per server (the machine's"
echo "speed drifts: alternating keeps both servers on the same stretch); medians of the slices."
echo "loopback; jit-ssh-ca serve with durable commits"
lg() { "$B/tests/bench/bench_loadgen" "$1" "$(id -un)" "$T/user" "$T/new.pub" "$2" "$3" "$4"; }
for n in ${LEVELS:-1 8 32 128}; do
	echo "-- $n clients"
	: > "$T/slices"
	for r in $(seq 1 "$ROUNDS"); do
		# Each round in another order: no server always goes first.
		order=$(echo $WHO | tr ' ' '\n' | awk -v r="$r" '{ a[NR] = $0 } END {
			for (i = 0; i < NR; i++) print a[(i + r) % NR + 1] }')
		for who in $order; do
			port=$P1; [ $who = ceiling ] && port=$P2; [ $who = base ] && port=$P4
			echo "$who $r $(lg "$port" "$n" "$SLICE" "login --role bench")" >> "$T/slices"
		done
	done
	python3 - "$T/slices" <<'PY'
import re, statistics, sys
rows = {"ceiling": [], "ca": [], "base": []}
by_round = {}
for line in open(sys.argv[1]):
    who, rnd = line.split()[:2]
    m = re.search(r"([\d.]+) conn/s\s+p50\s+([\d.]+) ms\s+p99\s+([\d.]+) ms\s+\((\d+) ok, (\d+) failed", line)
    rows[who].append(tuple(float(x) for x in m.groups()))
    by_round.setdefault(rnd, {})[who] = float(m.group(1))
med = {w: [statistics.median(r[i] for r in rows[w]) for i in range(3)] for w in rows if rows[w]}
for w, name in (("ceiling", "ceiling"), ("ca", "jit-ca "), ("base", "base   ")):
    if w not in med:
        continue
    fails = sum(int(r[4]) for r in rows[w])
    slices = " ".join("%.0f" % r[0] for r in rows[w])
    print("  %s %7.1f conn/s  p50 %6.2f ms  p99 %6.2f ms  (%d failed; slices: %s)" % (name, *med[w], fails, slices))
print("  jit-ca / ceiling: %.1f%% of the throughput, p99 %.2fx" % (100 * med["ca"][0] / med["ceiling"][0], med["ca"][2] / med["ceiling"][2]))
# Each CA slice against the ceiling slice next to it (same stretch of time).
paired = [r["ca"] / r["ceiling"] for r in by_round.values() if r.get("ceiling")]
print("  paired by round: median %.1f%% (%s)" % (100 * statistics.median(paired), " ".join("%.0f" % (100 * x) for x in paired)))
if rows["base"]:
    mean = lambda w: statistics.mean(r[0] for r in rows[w])
    pb = [r["ca"] / r["base"] for r in by_round.values() if r.get("base")]
    print("  jit-ca / base: ratio of the means %.3f; paired by round: median %.3f (%s)" % (
        mean("ca") / mean("base"), statistics.median(pb), " ".join("%.2f" % x for x in pb)))
PY
	if [ "$n" -le 32 ]; then
		printf '  stock:   '; lg "$P3" "$n" "$SECS" "login"
	fi
done
echo "jit-ssh-ca peak RSS: $(grep VmHWM /proc/$CA/status | awk '{print $2, $3}')"
"$B/ca/jit-ssh-ca" audit verify --dir "$T/ca"
