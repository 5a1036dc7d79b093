#!/usr/bin/env bash
# Bad clients do not hurt others: garbage, a huge stdin, 1,000 idle
# connections (from 127.0.0.2, under the per-address cap) and a client that
# never reads its output, while a good client keeps getting certificates.
. "$(dirname "$0")/lib.sh"
: "${JIT_SSH_CA:?}"
J=$JIT_SSH_CA

$J init --dir "$T/ca" > /dev/null
ssh-keygen -q -t ed25519 -N '' -f "$T/alice"
ssh-keygen -q -t ed25519 -N '' -f "$T/new"
cat > "$T/ca/policy.yaml" <<YAML
users:
  alice: { keys: ["$(cut -d' ' -f1,2 "$T/alice.pub")"], groups: [dev, audit] }
roles:
  ci: { groups: [dev], principals: [ci], mfa: optional }
auditors: [audit]
YAML
# 10,000 events: their JSON (~4 MB) is more than ssh's window and a pipe.
"${JIT_TESTFILL:?}" "$T/ca/store" 10000
start_serve "$T/ca"
good_login() {
	ca_ssh alice -o BatchMode=yes login --role ci < "$T/new.pub" 2> /dev/null |
		grep -q '^ssh-ed25519-cert-v01@openssh.com '
}

# 1,000 idle TCP connections from another loopback address, held open.
python3 - "$PORT" "$T/idle.ready" <<'PY' &
import socket, sys, time
port, ready = int(sys.argv[1]), sys.argv[2]
socks = []
for i in range(1000):
    s = socket.socket()
    s.bind(("127.0.0.2", 0))
    try:
        s.connect(("127.0.0.1", port))
    except OSError:
        pass
    socks.append(s)
open(ready, "w").write(str(len(socks)))
time.sleep(20)
PY
IDLE=$!
PIDS+=($IDLE)
for i in $(seq 1 100); do [ -f "$T/idle.ready" ] && break; sleep 0.1; done
[ -f "$T/idle.ready" ] && ok "1,000 idle connections are open" || bad "idle connections"
good_login && ok "a good client gets a certificate despite 1,000 idle connections" ||
	bad "good client refused while idle connections were open"

# Garbage instead of an SSH handshake.
head -c 65536 /dev/urandom | timeout 10 python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.stdin.buffer.read())
s.close()' "$PORT" 2> /dev/null || true
good_login && ok "garbage on the wire hurts nobody else" || bad "after garbage"

# A huge stdin is cut off and refused; the server lives on.
head -c 50000000 /dev/zero | timeout 30 ssh -F /dev/null -p "$PORT" -i "$T/alice" \
	-o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no \
	-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR alice@127.0.0.1 login --role ci \
	> /dev/null 2> "$T/huge.err" || true
grep -q "at most" "$T/huge.err" && ok "a 50 MB stdin is refused" || bad "huge stdin: $(cat "$T/huge.err")"
good_login && ok "and others still get certificates" || bad "after a huge stdin"

# A client that never reads: 4 MB of audit JSON into a pipe nobody reads.
# Its session blocks on a full window; nobody else notices.
mkfifo "$T/stuck.fifo"
ca_ssh_bg "$T/stuck.fifo" alice -o BatchMode=yes audit --json
STUCK_SSH=$BG_PID
sleep 8 < "$T/stuck.fifo" &
STUCK=$!
PIDS+=($STUCK)
sleep 2
grep -q "State:.*S" /proc/$CA_PID/status && ok "the CA is up while a reader stalls" || bad "CA state"
good_login && ok "a client that never reads its output hurts nobody else" ||
	bad "a stalled reader blocked others"
kill "$IDLE" "$STUCK" "$STUCK_SSH" 2> /dev/null || true
kill -0 "$CA_PID" && ok "the CA is still running" || bad "the CA died"

# Remote audit streams what it prints (it used to collect it all in memory
# first): the whole log arrives, line for line the same as locally.
ca_ssh alice -o BatchMode=yes audit --json < /dev/null > "$T/remote.json" 2> "$T/remote.err" || true
"$JIT_SSH_CA" audit --dir "$T/ca" --json > "$T/local.json"
[ "$(wc -l < "$T/remote.json")" -ge 10000 ] &&
	[ "$(head -10000 "$T/remote.json" | md5sum)" = "$(head -10000 "$T/local.json" | md5sum)" ] &&
	ok "remote audit streams all $(wc -l < "$T/remote.json") events" ||
	bad "remote audit: $(wc -l < "$T/remote.json") lines $(cat "$T/remote.err")"
finish
