#!/usr/bin/env bash
# Verification codes and keys as a new user meets them, with mfa_grace: 0s
# (every connection owes a code): a right code used twice is no guess and
# locks nobody out, the client says when the next code comes; commands
# that reveal nothing (ca-keys, krl, help, setup) need no code, and a
# session without one runs nothing else; the client offers the CA only the
# configured identity, never the other keys of ssh-agent (its own jit:
# certificates among them), and a limit that ends a connection is named.
. "$(dirname "$0")/lib.sh"
: "${JIT_SSH_CA:?}" "${JIT_SSH:?}"
command -v oathtool > /dev/null || skip "oathtool missing (apt-get install oathtool)"
command -v ssh-agent > /dev/null || skip "ssh-agent missing (apt-get install openssh-client)"
J=$JIT_SSH_CA

$J init --dir "$T/ca" > /dev/null
for u in alice bob carol dave erin; do ssh-keygen -q -t ed25519 -N '' -C "$u" -f "$T/$u"; done
k() { cut -d' ' -f1,2 "$T/$1.pub"; }
cat > "$T/ca/policy.yaml" <<YAML
defaults: { mfa_grace: 0s }
users:
  alice: { keys: ["$(k alice)"], groups: [dev] }
  bob:   { keys: ["$(k bob)"], groups: [dev] }
  carol: { keys: ["$(k carol)"], groups: [dev] }
  dave:  { keys: ["$(k dave)"], groups: [dev] }
  erin:  { keys: ["$(k erin)"], groups: [dev] }
roles:
  dev: { groups: [dev], principals: ["$LOGIN_USER"], mfa: required, ttl: 5m }
YAML
for u in alice bob carol dave erin; do
	enroll_secret "$T/ca" $u
done
start_serve "$T/ca"
eval "$(ssh-agent -s)" > /dev/null
PIDS+=("$SSH_AGENT_PID")
HOSTKEY=$(cut -d' ' -f1,2 "$T/ca/ssh_host_ed25519_key.pub")
FP=$(ssh-keygen -lf "$T/ca/ssh_host_ed25519_key.pub" | cut -d' ' -f2)
code() { oathtool --totp -b "$(cat "$T/$1.secret")"; }
# Far enough from the end of a 30-s step that one step holds the sequence.
settle() { while [ $(( $(date +%s) % 30 )) -gt 18 ]; do sleep 1; done; }
run() {	# WANT_RC NEEDLE WHAT -- ENV... -- ARGS...: jit-ssh, no terminal
	local want=$1 needle=$2 what=$3 rc=0 envs=(); shift 4
	while [ "$1" != -- ]; do envs+=("$1"); shift; done; shift
	env "${envs[@]}" "$JIT_SSH" "$@" < /dev/null > "$T/out" 2> "$T/err" || rc=$?
	if [ "$rc" = "$want" ] && grep -q -- "$needle" "$T/out" "$T/err"; then ok "$what"
	else bad "$what: rc=$rc (want $want) out=$(cat "$T/out") err=$(cat "$T/err")"; fi
}
lockouts() { $J audit --dir "$T/ca" --event lockout --json | wc -l; }

# setup needs no code (it reads ca-keys), so setup then login in one step works.
settle
C=$(code alice)
run 0 "wrote" "setup without a code" -- HOME=$T JIT_SSH_CONFIG=$T/alice.yaml -- \
	setup --ca "127.0.0.1:$PORT" --fingerprint "$FP" --user alice --identity "$T/alice"
grep -q "^ca_host_key: \"$HOSTKEY\"" "$T/alice.yaml" && ok "setup pinned the CA's host key" ||
	bad "setup: $(cat "$T/alice.yaml")"
run 0 "role dev" "login right after setup, with the step's code" -- \
	JIT_SSH_CONFIG=$T/alice.yaml JIT_SSH_OTP=$C -- login --role dev
# The same code again in the same step: refused as used, with the wait, never
# counted: seven times over is still no lockout (5 wrong codes lock).
for i in 1 2 3 4 5 6 7; do
	run 1 "already used.*next one comes in [0-9]* s" "the code again ($i): used, says when the next comes" -- \
		JIT_SSH_CONFIG=$T/alice.yaml JIT_SSH_OTP=$C -- roles
done
grep -q "locked out" "$T/err" && bad "locked out by used codes" || ok "not locked out by used codes"
[ "$(lockouts)" = 0 ] && ok "no lockout on record" || bad "$(lockouts) lockouts"
n=$($J audit --dir "$T/ca" --event mfa-fail --user alice --json | grep -c "code already used" || true)
[ "$n" = 7 ] && ok "each used code is on record (mfa-fail, code already used)" || bad "$n used-code events"

# Commands that reveal nothing need no code (no JIT_SSH_OTP, no terminal).
run 1 "set JIT_SSH_OTP" "roles without a code asks for one" -- JIT_SSH_CONFIG=$T/alice.yaml -- roles
# A stock client answering the prompt empty: only the code-less commands.
printf '#!/bin/sh\necho\n' > "$T/empty-askpass"; chmod +x "$T/empty-askpass"
empty_ssh() {
	SSH_ASKPASS=$T/empty-askpass SSH_ASKPASS_REQUIRE=force DISPLAY=none setsid -w \
	ssh -F /dev/null -p "$PORT" -i "$T/alice" -o IdentitiesOnly=yes -o IdentityAgent=none \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
		-o ConnectTimeout=10 -o NumberOfPasswordPrompts=1 alice@127.0.0.1 "$@" < /dev/null
}
rc=0; empty_ssh ca-keys > "$T/out" 2> "$T/err" || rc=$?
[ $rc = 0 ] && grep -q "ssh-ed25519" "$T/out" && ok "stock ssh, empty code: ca-keys" ||
	bad "stock ssh ca-keys: rc=$rc $(cat "$T/err")"
rc=0; empty_ssh krl > "$T/out" 2> "$T/err" || rc=$?
[ $rc = 0 ] && ssh-keygen -Q -f "$T/out" "$T/alice.pub" > /dev/null 2>&1 &&
	ok "stock ssh, empty code: krl (a KRL ssh-keygen reads)" || bad "stock ssh krl: rc=$rc $(cat "$T/err")"
rc=0; empty_ssh whoami > "$T/out" 2> "$T/err" || rc=$?
[ $rc = 1 ] && grep -q "whoami needs a verification code" "$T/err" &&
	ok "stock ssh, empty code: whoami refused, saying why" || bad "stock ssh whoami: rc=$rc $(cat "$T/out" "$T/err")"
rc=0; empty_ssh login --role dev < /dev/null > "$T/out" 2> "$T/err" || rc=$?
[ $rc = 1 ] && grep -q "login needs a verification code" "$T/err" && ! grep -q "CERT" "$T/out" &&
	ok "stock ssh, empty code: no certificate" || bad "stock ssh login: rc=$rc $(cat "$T/out" "$T/err")"
[ "$(lockouts)" = 0 ] && ok "empty answers are no guesses" || bad "lockout after empty answers"

# ssh-agent full of other keys and our own certificates: the client offers
# only the identity (its file here; from the agent below).  One user a login,
# so each has a fresh code: the jit: certificates pile up in the agent.
for i in 1 2 3 4 5 6 7 8; do
	ssh-keygen -q -t ed25519 -N '' -f "$T/other$i"; ssh-add -q "$T/other$i" 2> /dev/null
done
fails0=$($J audit --dir "$T/ca" --event auth-fail --json | wc -l)
n=0
for u in bob carol dave; do
	{ echo "ca: 127.0.0.1:$PORT"; echo "user: $u"; echo "identity: $T/$u"
	  echo "ca_host_key: \"$HOSTKEY\""; } > "$T/$u.yaml"
	run 0 "role dev" "$u logs in with eight other keys and $n jit: certificates in the agent" -- \
		JIT_SSH_CONFIG=$T/$u.yaml JIT_SSH_OTP=$(code $u) -- login --role dev
	n=$((n + 1))
done
n=$(ssh-add -l | grep -c "jit:" || true)
[ "$n" = 4 ] && ok "the agent holds four jit: certificates (alice, bob, carol, dave)" || bad "agent: $(ssh-add -l)"
fails1=$($J audit --dir "$T/ca" --event auth-fail --json | wc -l)
[ "$fails1" = "$fails0" ] && ok "no auth-fail events from the agent's other keys" ||
	bad "$((fails1 - fails0)) auth-fail events: $($J audit --dir "$T/ca" --event auth-fail | tail -3)"
# The identity itself in the agent (its file gone): used from the agent.
{ echo "ca: 127.0.0.1:$PORT"; echo "user: erin"; echo "identity: $T/erin"
  echo "ca_host_key: \"$HOSTKEY\""; } > "$T/erin.yaml"
ssh-add -q "$T/erin" 2> /dev/null
mv "$T/erin" "$T/erin.away"
run 0 "erin" "whoami with the identity from the agent (no key file)" -- \
	JIT_SSH_CONFIG=$T/erin.yaml JIT_SSH_OTP=$(code erin) -- whoami
mv "$T/erin.away" "$T/erin"

# A limit that ends the connection is named: six refused attempts.
"${JIT_TESTAUTH:?}" "$PORT" 127.0.0.1 alice "$T/other1" 10 1 > /dev/null 2>&1 || true
rc=0
for i in 1 2 3 4 5 6 7; do ssh-keygen -q -t ed25519 -N '' -f "$T/x$i"; done
ssh -F /dev/null -p "$PORT" -i "$T/x1" -i "$T/x2" -i "$T/x3" -i "$T/x4" -i "$T/x5" -i "$T/x6" -i "$T/x7" \
	-o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes -o StrictHostKeyChecking=no \
	-o UserKnownHostsFile=/dev/null -o ConnectTimeout=10 alice@127.0.0.1 ca-keys > "$T/out" 2> "$T/err" || rc=$?
[ $rc = 255 ] && grep -q "6 refused authentication attempts on one connection" "$T/err" &&
	ok "the attempt limit is named" || bad "limit: rc=$rc $(cat "$T/err")"
x1=$(ssh-keygen -lf "$T/x1.pub" | cut -d' ' -f2)
$J audit --dir "$T/ca" --event auth-fail --json | grep -q "\"fingerprint\":\"$x1\"" &&
	ok "an auth-fail event names the refused key's fingerprint" || bad "auth-fail: $($J audit --dir "$T/ca" --event auth-fail --json | tail -2)"
finish
