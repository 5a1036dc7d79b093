#!/usr/bin/env bash
# SIGTERM while 32 clients are logging in, at a random moment, five times:
# the CA exits 0 after draining, every login the clients saw succeed is in
# the log, the chain verifies, and (in the sanitizer build) nothing leaks.
. "$(dirname "$0")/lib.sh"
: "${JIT_SSH_CA:?}" "${JIT_LOADGEN:?}"
J=$JIT_SSH_CA
$J init --dir "$T/ca" > /dev/null
ssh-keygen -q -t ed25519 -N '' -f "$T/user"
ssh-keygen -q -t ed25519 -N '' -f "$T/new"
cat > "$T/ca/policy.yaml" <<YAML
defaults: { max_live_certs: 1000000 }   # load: many live certificates for one user
users:
  $LOGIN_USER: { keys: ["$(cut -d' ' -f1,2 "$T/user.pub")"], groups: [bench] }
roles:
  bench: { groups: [bench], principals: [deploy], mfa: optional, ttl: 5m }
YAML
PORT=$(free_port)
for round in 1 2 3 4 5; do
	"$JIT_SSH_CA" serve --dir "$T/ca" --listen "127.0.0.1:$PORT" 2>> "$T/serve.log" &
	ca=$!
	wait_port "$PORT" || { cat "$T/serve.log"; exit 1; }
	# The load generator is a bench tool: its own leaks are not the question.
	ASAN_OPTIONS=detect_leaks=0 "$JIT_LOADGEN" "$PORT" "$LOGIN_USER" "$T/user" "$T/new.pub" 32 2 \
		"login --role bench" > "$T/lg.$round" 2> /dev/null &
	lg=$!
	sleep "0.$((RANDOM % 9 + 1))"
	kill -TERM "$ca"
	rc=0; wait "$ca" || rc=$?
	wait "$lg" 2> /dev/null || true
	[ $rc = 0 ] && ok "round $round: SIGTERM under load, exit 0" || bad "round $round: exit $rc"
done
grep -q "stopping: waiting for" "$T/serve.log" && ok "the CA drained its sessions" || bad "no drain in the log"
got=$(cat "$T"/lg.* | sed -n 's/.*(\([0-9]*\) ok.*/\1/p' | awk '{s += $1} END {print s + 0}')
logged=$($J audit --dir "$T/ca" --event issue --json | wc -l)
[ "$got" -gt 0 ] && [ "$got" -le "$logged" ] && ok "all $got certificates the clients got are among the $logged issue events" ||
	bad "clients got $got, the log has $logged"
$J audit verify --dir "$T/ca" > "$T/v" && ok "the chain verifies: $(cat "$T/v")" || bad "verify: $(cat "$T/v")"
finish
