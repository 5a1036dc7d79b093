#!/usr/bin/env bash
# SSO login wall time (on demand, not a test): `jit-ssh login --sso` against
# a real OpenID Provider (tests/oidc), the person's part left out: the time
# from start until the code is shown, plus from the moment the sign-in at
# the provider is done until the certificate is written.  Baseline in the
# same run, alternating: `jit-ssh login` with a key and a code (a fresh
# enrolled user each run, the code from oathtool).  Medians of RUNS.
#   tests/bench/bench_sso.sh [RUNS]     (default 20)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${BUILD:-$top/build}
N=${1:-20}
T=$(mktemp -d /tmp/jit-bsso.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$T"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for i in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.05; done; return 1; }
now() { date +%s.%N; }
mkdir -p "$T/op"
cp "$top/tests/oidc/package.json" "$top/tests/oidc/package-lock.json" "$top/tests/oidc"/*.mjs "$T/op/"
(cd "$T/op" && npm ci --no-audit --no-fund --loglevel=error > /dev/null)
OPP=$(free_port)
node "$T/op/provider.mjs" "$OPP" > "$T/op.log" 2>&1 &
PIDS+=($!)
wait_port "$OPP"
"$B/ca/jit-ssh-ca" init --dir "$T/ca" > /dev/null
{
	echo "users:"
	for i in $(seq 1 "$N"); do
		ssh-keygen -q -t ed25519 -N '' -f "$T/k$i"
		echo "  k$i: { keys: [\"$(cut -d' ' -f1,2 "$T/k$i.pub")\"], groups: [dev] }"
	done
	echo "sso: { issuer: \"http://127.0.0.1:$OPP\", client_id: jit-ssh, scopes: [openid, profile, groups], groups: [dev] }"
	echo "roles:"
	echo "  dev: { groups: [dev], principals: [deploy], mfa: optional, ttl: 5m }"
} > "$T/ca/policy.yaml"
for i in $(seq 1 "$N"); do
	"$B/ca/jit-ssh-ca" enroll --dir "$T/ca" --user k$i | sed 's/.*secret=\([A-Z2-7]*\).*/\1/' > "$T/k$i.secret"
done
PORT=$(free_port)
"$B/ca/jit-ssh-ca" serve --dir "$T/ca" --listen "127.0.0.1:$PORT" 2> "$T/serve.log" &
PIDS+=($!)
wait_port "$PORT"
printf 'ca: 127.0.0.1:%s\nca_host_key: "%s"\n' "$PORT" "$(cut -d' ' -f1,2 "$T/ca/ssh_host_ed25519_key.pub")" > "$T/c.yaml"
export JIT_SSH_CONFIG=$T/c.yaml JIT_SSH_NO_BROWSER=1
: > "$T/times"
for i in $(seq 1 "$N"); do
	# SSO: start -> code shown; signed in -> certificate written.
	rm -f "$T/s" "$T/s-cert.pub"
	t0=$(now)
	"$B/agent/jit-ssh" login --sso --role dev --out "$T/s" < /dev/null > /dev/null 2> "$T/s.err" &
	p=$!
	until grep -q 'with the code' "$T/s.err" 2> /dev/null; do sleep 0.005; done
	t1=$(now)
	uri=$(grep -o 'http://[^ ]*/device' "$T/s.err" | head -1)
	code=$(grep -oE '\b[A-Z]{4}-[A-Z]{4}\b' "$T/s.err" | head -1)
	node "$T/op/user.mjs" "$uri" "$code" alice > /dev/null
	t2=$(now)
	wait $p
	t3=$(now)
	# Key and code.
	t4=$(now)
	JIT_SSH_OTP=$(oathtool --totp -b "$(cat "$T/k$i.secret")") "$B/agent/jit-ssh" --user k$i \
		--identity "$T/k$i" login --role dev --out "$T/k-out$i" < /dev/null > /dev/null 2>&1
	t5=$(now)
	echo "$t0 $t1 $t2 $t3 $t4 $t5" >> "$T/times"
done
python3 - "$T/times" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
sso = [(r[1] - r[0]) + (r[3] - r[2]) for r in rows]
show = [r[1] - r[0] for r in rows]
after = [r[3] - r[2] for r in rows]
key = [r[5] - r[4] for r in rows]
m = statistics.median
print("runs %d" % len(rows))
print("jit-ssh login --sso, the person's part left out: median %.0f ms (to the code shown %.0f ms; signed in -> certificate %.0f ms)" % (m(sso) * 1000, m(show) * 1000, m(after) * 1000))
print("jit-ssh login with a key and a code: median %.0f ms" % (m(key) * 1000))
print("ratio sso/key: %.1f" % (m(sso) / m(key)))
PY
