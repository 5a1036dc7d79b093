#!/usr/bin/env bash
# jit-ssh login wall time, process start to key in the agent (on demand, not
# a test).  Each run is a different enrolled user with a fresh code from
# oathtool in JIT_SSH_OTP, so every run does publickey + TOTP + issuance +
# durable commit + agent add.  Baseline in the same run: the stock way,
# `ssh CA login < key.pub > cert` (code through SSH_ASKPASS) then
# `ssh-add -t`.  Prints medians and the ratio.
#   tests/bench/bench_login.sh [RUNS]     (default 20)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
B=$top/build
N=${1:-20}
T=$(mktemp -d /tmp/jit-blogin.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$T"' EXIT
"$B/ca/jit-ssh-ca" init --dir "$T/ca" > /dev/null
{
	echo "users:"
	for i in $(seq 1 "$N"); do
		for p in j s; do
			ssh-keygen -q -t ed25519 -N '' -f "$T/$p$i"
			echo "  $p$i: { keys: [\"$(cut -d' ' -f1,2 "$T/$p$i.pub")\"], groups: [dev] }"
		done
	done
	echo "roles:"
	echo "  dev: { groups: [dev], principals: [deploy], mfa: required, ttl: 5m }"
} > "$T/ca/policy.yaml"
for i in $(seq 1 "$N"); do
	for p in j s; do
		"$B/ca/jit-ssh-ca" enroll --dir "$T/ca" --user $p$i | sed 's/.*secret=\([A-Z2-7]*\).*/\1/' > "$T/$p$i.secret"
	done
done
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$B/ca/jit-ssh-ca" serve --dir "$T/ca" --listen "127.0.0.1:$PORT" 2> "$T/serve.log" &
PIDS+=($!)
for i in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.05; done
eval "$(ssh-agent -s)" > /dev/null
PIDS+=("$SSH_AGENT_PID")
HOSTKEY=$(cut -d' ' -f1,2 "$T/ca/ssh_host_ed25519_key.pub")
printf '[127.0.0.1]:%s %s\n' "$PORT" "$HOSTKEY" > "$T/known_hosts"
printf '#!/bin/sh\ncat "%s/code"\n' "$T" > "$T/askpass"; chmod +x "$T/askpass"
ssh-keygen -q -t ed25519 -N '' -f "$T/fresh"
python3 - "$T" "$N" "$B/agent/jit-ssh" "$PORT" "$HOSTKEY" <<'PY'
import os, statistics, subprocess, sys, time
T, N, JS, PORT, HOSTKEY = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
def code(u):
    return subprocess.check_output(["oathtool", "--totp", "-b", open(f"{T}/{u}.secret").read().strip()]).decode().strip()
jit, stock = [], []
for i in range(1, N + 1):
    # jit-ssh
    u = f"j{i}"
    with open(f"{T}/{u}.yaml", "w") as f:
        f.write(f'ca: 127.0.0.1:{PORT}\nuser: {u}\nidentity: {T}/{u}\nca_host_key: "{HOSTKEY}"\n')
    env = dict(os.environ, JIT_SSH_CONFIG=f"{T}/{u}.yaml", JIT_SSH_OTP=code(u))
    t0 = time.perf_counter()
    subprocess.run([JS, "login", "--role", "dev"], env=env, check=True, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    jit.append((time.perf_counter() - t0) * 1000)
    # stock ssh + ssh-add
    u = f"s{i}"
    open(f"{T}/code", "w").write(code(u) + "\n")
    env = dict(os.environ, SSH_ASKPASS=f"{T}/askpass", SSH_ASKPASS_REQUIRE="force", DISPLAY=":0")
    t0 = time.perf_counter()
    with open(f"{T}/fresh.pub") as kin, open(f"{T}/fresh-cert.pub", "w") as cout:
        subprocess.run(["ssh", "-F", "/dev/null", "-p", PORT, "-i", f"{T}/{u}", "-o", "IdentitiesOnly=yes",
                        "-o", "IdentityAgent=none", "-o", f"UserKnownHostsFile={T}/known_hosts",
                        "-o", "LogLevel=ERROR", f"{u}@127.0.0.1", "login", "--role", "dev"],
                       env=env, check=True, stdin=kin, stdout=cout)
    subprocess.run(["ssh-add", "-q", "-t", "300", f"{T}/fresh"], check=True, stderr=subprocess.DEVNULL)
    stock.append((time.perf_counter() - t0) * 1000)
    subprocess.run(["ssh-add", "-D"], check=True, stderr=subprocess.DEVNULL)
m_j, m_s = statistics.median(jit), statistics.median(stock)
print(f"{N} logins each, enrolled users, code checked every time, durable commits")
print(f"  jit-ssh login:           median {m_j:6.1f} ms  (min {min(jit):.1f}, max {max(jit):.1f})")
print(f"  stock ssh + ssh-add -t:  median {m_s:6.1f} ms  (min {min(stock):.1f}, max {max(stock):.1f})")
print(f"  ratio stock / jit-ssh:   {m_s / m_j:.2f}x")
PY
