#!/usr/bin/env bash
# Before authentication (regressions of the review in issue 12): parallel
# code guesses are counted one by one; a connection gets a few attempts; a
# flood of auth failures leaves a bounded trace; a user name cannot forge a
# log line; a reason must be clean text; a flood of unauthenticated
# connections from two addresses does not keep a third one out; a login
# whose stdin never ends is ended; a refused channel request does not break
# the connection's next channel; the CA never certifies its own keys;
# the listener's key is read through the descriptor it was checked on.
. "$(dirname "$0")/lib.sh"
: "${JIT_SSH_CA:?}" "${JIT_TESTAUTH:?}"
command -v oathtool > /dev/null || skip "oathtool missing (apt-get install oathtool)"
J=$JIT_SSH_CA

$J init --dir "$T/ca" > /dev/null
for u in alice bob stranger; do ssh-keygen -q -t ed25519 -N '' -C "$u" -f "$T/$u"; done
ssh-keygen -q -t ed25519 -N '' -f "$T/new"
cat > "$T/ca/policy.yaml" <<YAML
users:
  alice: { keys: ["$(cut -d' ' -f1,2 "$T/alice.pub")"], groups: [dev] }
  bob:   { keys: ["$(cut -d' ' -f1,2 "$T/bob.pub")"], groups: [dev] }
roles:
  ci:  { groups: [dev], principals: [ci], mfa: optional }
YAML
$J enroll --dir "$T/ca" --user alice | sed 's/.*secret=\([A-Z2-7]*\).*/\1/' > "$T/secret"
# A stdin that never ends is ended after config.yaml's deadline (10 s by
# default): shortened here, so the test need not wait for it.
printf 'deadlines: { stdin: 3s }\n' >> "$T/ca/config.yaml"
start_serve "$T/ca"
askpass_from_code
events() {	# EVENT [SOURCE]: how many such events are on record
	$J audit --dir "$T/ca" --event "$1" --json |
		python3 -c 'import json,sys
src=sys.argv[1]
print(sum(1 for l in sys.stdin if not src or json.loads(l)["source"]==src))' "${2:-}"
}
login_ms() {	# bob's certificate: prints the milliseconds it took, or fails
	local t0 t1
	t0=$(date +%s%N)
	ca_ssh bob -o BatchMode=yes login --role ci < "$T/new.pub" 2> /dev/null |
		grep -q '^ssh-ed25519-cert-v01@openssh.com ' || return 1
	t1=$(date +%s%N)
	echo $(( (t1 - t0) / 1000000 ))
}

# 1. Sixty parallel connections, each with a wrong code: five are checked.
echo 000000 > "$T/code"
G=()
for i in $(seq 1 60); do
	ca_ssh alice -o NumberOfPasswordPrompts=1 whoami < /dev/null > /dev/null 2>&1 &
	G+=($!)
done
wait "${G[@]}" || true
n=$(events mfa-fail); l=$(events lockout)
[ "$n" = 5 ] && [ "$l" = 1 ] && ok "60 parallel guesses: 5 codes checked, then locked out" ||
	bad "60 parallel guesses: $n codes checked, $l lockouts"
oathtool --totp -b "$(cat "$T/secret")" > "$T/code"
! ca_ssh alice -o NumberOfPasswordPrompts=1 whoami < /dev/null > /dev/null 2>&1 &&
	ok "locked out: the right code is refused too" || bad "lockout ignored"

# 2. One connection, a hundred offers: the server hangs up after a few.
n=$("$JIT_TESTAUTH" "$PORT" 127.0.0.4 nobody "$T/stranger.pub" 100)
[ "$n" -le 6 ] && ok "one connection gets at most 6 attempts ($n)" ||
	bad "one connection got $n attempts"

# 3. Fifty connections of failures: a bounded trace, and a count of the rest.
"$JIT_TESTAUTH" "$PORT" 127.0.0.4 nobody "$T/stranger.pub" 4 50 > /dev/null
n=$(events auth-fail 127.0.0.4)
[ "$n" -ge 1 ] && [ "$n" -le 10 ] && ok "auth-fail events per address are rate-limited ($n of 51)" ||
	bad "auth-fail events from one address: $n"

# 4. A user name cannot forge a log line.
"$JIT_TESTAUTH" "$PORT" 127.0.0.5 'evil\nFAKE jit-ssh-ca: issue' "$T/stranger.pub" 1 > /dev/null
sleep 0.2
! grep -q '^FAKE' "$T/serve.log" && grep -q 'user=evil\\x0aFAKE' "$T/serve.log" &&
	ok "a newline in a user name is escaped in the log" || bad "log injection: $(grep -a -A1 evil "$T/serve.log")"
$J audit --dir "$T/ca" --event auth-fail --json | grep -q '"user":"evil\\\\x0aFAKE' &&
	ok "and recorded escaped" || bad "auth-fail user: $($J audit --dir "$T/ca" --event auth-fail --json | tail -1)"

# 5. A reason must be clean text: invalid UTF-8, C1 controls, DEL.
for r in $'\xff\xfe' $'x\xc2\x9b31m' $'x\x7f'; do
	rc=0; ca_ssh bob "login --role ci --reason '$r'" < "$T/new.pub" > /dev/null 2> "$T/r.err" || rc=$?
	[ $rc = 2 ] && grep -q "UTF-8 text without control characters" "$T/r.err" ||
		bad "reason $(printf %q "$r"): rc=$rc $(cat "$T/r.err")"
done
[ "$(events issue)" = 0 ] && ok "a reason with bad bytes is refused with a clear error, nothing issued" ||
	bad "issued with a bad reason"

# 6. A flood: 300 silent connections from each of 127.0.0.2 and 127.0.0.3,
#    and failing clients in a loop, while bob on 127.0.0.1 logs in.
python3 - "$PORT" "$T/flood.ready" <<'PY' &
import socket, sys, time
port, ready = int(sys.argv[1]), sys.argv[2]
socks = []
for src in ("127.0.0.2", "127.0.0.3"):
    for i in range(300):
        s = socket.socket()
        s.bind((src, 0))
        s.settimeout(2)
        try:
            s.connect(("127.0.0.1", port))
        except OSError:
            pass
        socks.append(s)
open(ready, "w").write("ok")
time.sleep(25)
PY
FLOOD=$!
PIDS+=($FLOOD)
for i in 1 2; do
	"$JIT_TESTAUTH" "$PORT" 127.0.0.2 nobody "$T/stranger.pub" 50 40 > /dev/null &
	PIDS+=($!)
done
for i in $(seq 1 100); do [ -f "$T/flood.ready" ] && break; sleep 0.1; done
worst=0
for i in 1 2 3; do
	ms=$(login_ms) || { ms=99999; }
	[ "$ms" -gt "$worst" ] && worst=$ms
done
[ "$worst" -lt 2000 ] && ok "under the flood, 127.0.0.1 gets certificates (slowest ${worst} ms)" ||
	bad "under the flood a login took ${worst} ms"
n=$(events auth-fail 127.0.0.2)
[ "$n" -le 11 ] && ok "the attempt flood left $n auth-fail events" || bad "$n auth-fail events from the flood"
kill "$FLOOD" 2> /dev/null; wait "$FLOOD" 2> /dev/null || true

# 7. A login whose stdin never ends is ended, with a reason.
rc=0
mkfifo "$T/never"
sleep 60 > "$T/never" &	# holds the FIFO open: stdin never ends
NEVER=$!; PIDS+=($NEVER)
t0=$(date +%s)
timeout 25 bash -c "$(declare -f ca_ssh); PORT=$PORT T=$T ca_ssh bob login --role ci" \
	< "$T/never" > /dev/null 2> "$T/stdin.err" || rc=$?
t1=$(date +%s)
kill "$NEVER" 2> /dev/null || true
[ $rc = 2 ] && grep -q "stdin did not end within 3 s" "$T/stdin.err" && [ $((t1 - t0)) -lt 20 ] &&
	ok "a login whose stdin never ends is ended" || bad "stdin: rc=$rc $(cat "$T/stdin.err")"

# 8. A refused channel request (a shell) does not break the next channel.
ssh -F /dev/null -p "$PORT" -i "$T/bob" -o IdentitiesOnly=yes -o IdentityAgent=none \
	-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
	-o ControlMaster=yes -o ControlPath="$T/ctl" -fN bob@127.0.0.1
timeout 10 ssh -F /dev/null -o ControlPath="$T/ctl" -o LogLevel=ERROR -T x < /dev/null > /dev/null 2>&1 ||
	true	# a shell: refused
timeout 10 ssh -F /dev/null -o ControlPath="$T/ctl" -o LogLevel=ERROR x whoami < /dev/null > "$T/who" 2>&1 && grep -q bob "$T/who" &&
	ok "after a refused shell request the next channel works" || bad "next channel: $(cat "$T/who")"
ssh -F /dev/null -o ControlPath="$T/ctl" -O exit x 2> /dev/null || true

# 9. The CA never certifies its own keys, online or offline.
before=$(events issue)
for k in user_ca host_ca ssh_host_ed25519_key; do
	rc=0; ca_ssh bob login --role ci < "$T/ca/$k.pub" > "$T/own.out" 2> "$T/own.err" || rc=$?
	[ $rc = 1 ] && grep -q "does not certify its own keys" "$T/own.err" ||
		bad "login with $k.pub: rc=$rc $(cat "$T/own.err")"
	rc=0; $J sign --dir "$T/ca" --user bob --role ci "$T/ca/$k.pub" > /dev/null 2> "$T/own.err" || rc=$?
	[ $rc = 1 ] && grep -q "does not certify its own keys" "$T/own.err" ||
		bad "sign $k.pub: rc=$rc $(cat "$T/own.err")"
done
[ "$(events issue)" = "$before" ] && ok "the CA's own keys are refused by login and sign" || bad "an own key was certified"

# 10. The listener's host key is checked and read through one descriptor:
#    a symbolic link in its place is refused at start.
$J init --dir "$T/ca2" > /dev/null
mv "$T/ca2/ssh_host_ed25519_key" "$T/real_key"
ln -s "$T/real_key" "$T/ca2/ssh_host_ed25519_key"
rc=0; timeout 10 $J serve --dir "$T/ca2" --listen "127.0.0.1:$(free_port)" 2> "$T/ca2.err" || rc=$?
[ $rc = 1 ] && grep -q "ssh_host_ed25519_key" "$T/ca2.err" &&
	ok "a host key that is a symbolic link is refused at start" || bad "host key link: rc=$rc $(cat "$T/ca2.err")"
finish
