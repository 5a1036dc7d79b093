#!/usr/bin/env bash
# Session recording benchmarks, on demand (not a test): one sshd on
# loopback per way of running a session, measured in the same run, paired
# round by round (the machine is shared: medians and ratios, not absolutes).
#   1. bulk output: `ssh -tt` printing MB megabytes to the terminal, through
#      the same sshd (a) without recording, (b) with `jit-ssh-host record`,
#      (c) with tlog-rec (Debian's tlog, the anchor); MB/s and ratios
#   2. echo latency: one byte typed, its echo back through `cat` on the far
#      side, SAMPLES times each way; the recorder's p50 and p99 added
#   3. CA ingestion: HOSTS enrolled hosts shipping RECS recordings each at
#      once (`jit-ssh-host ship --once`); recordings/s, MB/s, and store
#      growth per hour of a scripted shell session
# Usage: tests/bench/run_record_bench.sh [BUILD]   (as root: tlog needs /run/utmp)
# Knobs: MB=200 ROUNDS=5 SAMPLES=400 HOSTS=32 RECS=4
set -euo pipefail
B=$(cd "${1:-build}" && pwd)
J=$B/ca/jit-ssh-ca H=$B/host/jit-ssh-host
MB=${MB:-200} ROUNDS=${ROUNDS:-5} SAMPLES=${SAMPLES:-400} HOSTS=${HOSTS:-32} RECS=${RECS:-4}
command -v tlog-rec > /dev/null || { echo "no tlog-rec (apt-get install tlog)"; exit 1; }
[ -e /run/utmp ] || { touch /run/utmp && chmod 664 /run/utmp; }	# tlog-rec wants one
T=$(mktemp -d /tmp/jit-recbench.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill $p 2> /dev/null || true; done; rm -rf "$T"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { local i; for i in $(seq 1 100); do (echo > /dev/tcp/127.0.0.1/$1) 2> /dev/null && return 0; sleep 0.05; done; return 1; }

# ---- a CA, a certificate, a host set-up ----
$J init --dir "$T/ca" > /dev/null
ssh-keygen -q -t ed25519 -N '' -f "$T/u"
cat > "$T/ca/policy.yaml" <<YAML
users:
  u: { keys: ["$(cut -d' ' -f1,2 "$T/u.pub")"], groups: [g] }
roles:
  r: { groups: [g], principals: ["$(id -un)"], mfa: optional, ttl: 1h, max_ttl: 1h, extensions: [permit-pty] }
YAML
$J sign --dir "$T/ca" --user u --role r -o "$T/u-cert.pub" "$T/u.pub" > /dev/null
$J krl --dir "$T/ca" -o "$T/krl" 2> /dev/null
mkdir -m 700 "$T/spool"
printf 'name: bench\nuser_ca_keys: %s\nkrl: %s\nspool: %s\nspool_max: 1T\n' \
	"$T/ca/user_ca.pub" "$T/krl" "$T/spool" > "$T/host.yaml"
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey"
mkdir -p /run/sshd
sshd_with() {	# NAME [FORCECOMMAND]: an sshd; its port in $NAME.port
	local n=$1 p; p=$(port)
	{
		echo "Port $p"; echo "ListenAddress 127.0.0.1"; echo "HostKey $T/hostkey"
		echo "PidFile $T/$n.pid"; echo "AuthorizedKeysFile none"; echo "UsePAM no"
		echo "PasswordAuthentication no"; echo "KbdInteractiveAuthentication no"
		echo "PermitRootLogin prohibit-password"; echo "StrictModes no"; echo "LogLevel ERROR"
		echo "TrustedUserCAKeys $T/ca/user_ca.pub"; echo "ExposeAuthInfo yes"
		[ $# -lt 2 ] || echo "ForceCommand $2"
	} > "$T/$n.conf"
	/usr/sbin/sshd -D -f "$T/$n.conf" 2> "$T/$n.log" &
	PIDS+=($!)
	wait_port $p
	echo $p > "$T/$n.port"
}
sshd_with plain
sshd_with jit "$H record --config $T/host.yaml"
sshd_with tlog "tlog-rec --writer=file --file-path=$T/tlog.log /bin/sh -c \"\$SSH_ORIGINAL_COMMAND\""
sshc() {	# NAME ARGS...: ssh to that sshd
	local n=$1; shift
	ssh -F /dev/null -p "$(cat "$T/$n.port")" -o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o IdentitiesOnly=yes \
		-o IdentityAgent=none -i "$T/u" -o CertificateFile="$T/u-cert.pub" "$(id -un)@127.0.0.1" "$@"
}

# ---- 1. bulk output through a PTY ----
echo "== bulk output: $MB MB to the terminal (ssh -tt), $ROUNDS rounds, paired"
bulk() {	# NAME: seconds for MB megabytes of text through ssh -tt
	local s e
	s=$(date +%s.%N)
	sshc "$1" -tt "head -c ${MB}M /dev/zero | tr '\\0' x | fold -w 100" > /dev/null 2>&1 < /dev/null
	e=$(date +%s.%N)
	rm -f "$T/spool"/*.cast "$T/spool"/*.end "$T/tlog.log"
	python3 -c "print($e - $s)"
}
for r in $(seq 1 "$ROUNDS"); do
	echo "$(bulk plain) $(bulk jit) $(bulk tlog)"
done > "$T/bulk"
python3 - "$T/bulk" "$MB" <<'PY'
import statistics as st, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
mb = float(sys.argv[2])
for i, name in enumerate(["sshd, no recording", "jit-ssh-host record", "tlog-rec"]):
    print("  %-22s median %6.1f MB/s (%.2f s)" % (name, mb / st.median(r[i] for r in rows), st.median(r[i] for r in rows)))
print("  jit-ssh-host / no recording: median throughput ratio %.2f (round by round)" % st.median(r[0] / r[1] for r in rows))
print("  jit-ssh-host / tlog-rec:     median throughput ratio %.2f" % st.median(r[2] / r[1] for r in rows))
PY

# ---- 2. echo latency ----
echo "== echo latency: $SAMPLES bytes typed, each echoed back by cat on the far side"
latency() {	# NAME: one line of SAMPLES round trips in microseconds
	python3 - "$SAMPLES" ssh -tt -F /dev/null -p "$(cat "$T/$1.port")" -o BatchMode=yes \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
		-o IdentitiesOnly=yes -o IdentityAgent=none -i "$T/u" -o CertificateFile="$T/u-cert.pub" \
		"$(id -un)@127.0.0.1" "stty raw -echo; echo READY; exec cat" <<'PY'
import os, pty, sys, time, select
n = int(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
import tty
buf = b""
while b"READY" not in buf:
    buf += os.read(fd, 4096)
time.sleep(0.3)
while select.select([fd], [], [], 0.2)[0]:
    os.read(fd, 4096)
out = []
for i in range(n):
    c = bytes([97 + i % 26])
    t = time.perf_counter()
    os.write(fd, c)
    got = b""
    while c not in got:
        got += os.read(fd, 64)
    out.append((time.perf_counter() - t) * 1e6)
    time.sleep(0.002)
os.write(fd, b"\x04")
os.kill(pid, 9)
print(" ".join("%.0f" % x for x in out))
PY
}
latency plain > "$T/lat.plain"
latency jit > "$T/lat.jit"
python3 - "$T/lat.plain" "$T/lat.jit" <<'PY'
import sys
def pct(v, p):
    v = sorted(v); return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]
a = list(map(float, open(sys.argv[1]).read().split()))
b = list(map(float, open(sys.argv[2]).read().split()))
for p in (50, 99):
    print("  p%d: no recording %.0f us, jit-ssh-host %.0f us, added %.0f us" % (p, pct(a, p), pct(b, p), pct(b, p) - pct(a, p)))
PY
rm -f "$T/spool"/*

# ---- 3. CA ingestion ----
echo "== CA ingestion: $HOSTS hosts shipping $RECS recordings each at once"
PORT=$(port)
$J serve --dir "$T/ca" --listen "127.0.0.1:$PORT" 2> "$T/serve.log" &
PIDS+=($!)
wait_port "$PORT"
# A scripted shell session (commands and their output, at a person's pace
# compressed), recorded once: the recording every host sends.
(sleep 0.5; for c in 'ls -la /usr/bin | head -100' 'cat /etc/services | head -200' 'ps aux' 'df -h' \
	'dmesg 2>/dev/null | tail -50 || true' 'env | sort' 'exit'; do echo "$c"; sleep 0.3; done) |
	script -qfec "ssh -tt -F /dev/null -p $(cat "$T/jit.port") -o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o IdentitiesOnly=yes -o IdentityAgent=none \
		-i $T/u -o CertificateFile=$T/u-cert.pub $(id -un)@127.0.0.1" /dev/null > /dev/null 2>&1 || true
CAST=$(ls "$T/spool"/*.cast | head -1)
SECS=$(python3 -c "import json,sys; print(max(json.loads(l)[0] for l in open(sys.argv[1]).readlines()[1:]))" "$CAST")
SIZE=$(stat -c %s "$CAST")
HDR=$(head -1 "$CAST")
SID0=$(basename "$CAST" .cast)
for h in $(seq 1 "$HOSTS"); do
	mkdir -m 700 -p "$T/h$h/spool"
	ssh-keygen -q -t ed25519 -N '' -f "$T/h$h/key"
	$J host enroll --dir "$T/ca" --name "h$h" "$T/h$h/key.pub" > /dev/null
	printf 'ca: 127.0.0.1:%s\nca_host_key: "%s"\nhost_key: %s\nname: h%s\nspool: %s\n' "$PORT" \
		"$(cut -d' ' -f1,2 "$T/ca/ssh_host_ed25519_key.pub")" "$T/h$h/key" "$h" "$T/h$h/spool" > "$T/h$h/host.yaml"
	for k in $(seq 1 "$RECS"); do
		sid=$(printf 's-%08x%08x' "$h" "$k")
		sed "s/$SID0/$sid/; 1s/\"host\":\"bench\"/\"host\":\"h$h\"/" "$CAST" > "$T/h$h/spool/$sid.cast"
		echo '{"reason":"exit","status":0,"time":1,"bytes_in":0,"bytes_out":0}' > "$T/h$h/spool/$sid.end"
	done
done
before=$(du -sb "$T/ca/store" | cut -f1)
SHIPS=()
s=$(date +%s.%N)
for h in $(seq 1 "$HOSTS"); do
	"$H" ship --once --config "$T/h$h/host.yaml" 2>> "$T/ship.log" &
	SHIPS+=($!)
done
for p in "${SHIPS[@]}"; do wait "$p" || true; done
e=$(date +%s.%N)
after=$(du -sb "$T/ca/store" | cut -f1)
left=$( (ls "$T"/h*/spool/*.cast 2> /dev/null || true) | wc -l)
python3 - <<PY
n = $HOSTS * $RECS - $left
secs = $e - $s
print("  %d recordings of %d bytes stored in %.2f s: %.0f recordings/s, %.1f MB/s (%d left: %s)" %
      (n, $SIZE, secs, n / secs, n * $SIZE / secs / 1e6, $left, "none" if $left == 0 else "see ship.log"))
growth = ($after - $before) / max(n, 1)
print("  store growth: %.0f bytes a recording of %d bytes (x%.2f)" % (growth, $SIZE, growth / $SIZE))
print("  a scripted shell session (commands at 0.3 s, an upper bound for a person): %d bytes in %.1f s; %.1f MB of store an hour" %
      ($SIZE, $SECS, growth / $SECS * 3600 / 1e6))
PY
$J audit verify --dir "$T/ca" | tail -1
