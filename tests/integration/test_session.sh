#!/usr/bin/env bash
# The session as a client meets it: the command word found the way the
# command line is split (quoted, after blanks), so login waits for its key
# on stdin; many commands one after another on one connection (ssh's
# ControlMaster), each channel opened as the last one closes.
. "$(dirname "$0")/lib.sh"
: "${JIT_SSH_CA:?}"
J=$JIT_SSH_CA
$J init --dir "$T/ca" > /dev/null
ssh-keygen -q -t ed25519 -N '' -C alice -f "$T/alice"; ssh-keygen -q -t ed25519 -N '' -f "$T/new"
cat > "$T/ca/policy.yaml" <<YAML
users:
  alice: { keys: ["$(cut -d' ' -f1,2 "$T/alice.pub")"], groups: [dev] }
roles:
  dev: { groups: [dev], principals: [x], mfa: optional }
YAML
start_serve "$T/ca"
for cmd in "'login' --role dev" "  login --role dev" '"login" "--role" "dev"'; do
	rc=0; (sleep 0.5; cat "$T/new.pub") | ca_ssh alice "$cmd" > "$T/c" 2> "$T/err" || rc=$?
	[ $rc = 0 ] && grep -q cert-v01 "$T/c" && ok "[$cmd] waits for stdin and issues" || bad "[$cmd]: rc=$rc $(cat "$T/err")"
done
M="-o ControlPath=$T/cm -o ControlMaster=auto -o ControlPersist=30"
ssh -F /dev/null -p "$PORT" -i "$T/alice" -o IdentitiesOnly=yes -o IdentityAgent=none -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR $M -fN alice@127.0.0.1
fails=0
for i in $(seq 1 100); do
	ssh -F /dev/null -p "$PORT" $M -o LogLevel=ERROR alice@127.0.0.1 ca-keys > /dev/null 2>> "$T/cm.err" || fails=$((fails+1))
done
[ $fails = 0 ] && ok "100 commands one after another on one connection" || bad "$fails of 100 refused: $(sort "$T/cm.err" | uniq -c | head -3)"
ssh -F /dev/null -p "$PORT" $M -O exit alice@127.0.0.1 2>/dev/null || true
# The same with a libssh client, which opens the next channel the moment it
# has closed the last one.
n=$("${JIT_TESTAUTH:?}" chans "$PORT" alice "$T/alice" 200)
[ "$n" = 0 ] && ok "200 channels back to back through libssh: none refused" || bad "$n of 200 channels refused"
# Data on a channel before it runs a command is no command's stdin (and no
# activity): dropped, so the login that follows reads only its key.
out=$("${JIT_TESTAUTH:?}" prestdin "$PORT" alice "$T/alice" dev "$T/new.pub" 2>&1)
echo "$out" | grep -q "^ssh-ed25519-cert-v01@openssh.com " &&
	ok "data before the command is dropped: login reads only its key" || bad "pre-command data: $out"
# The client closing first (a login given up at once), then opening the
# next channel before the CA handled the close: served (the old session
# refused a few in a hundred).
n=$("$JIT_TESTAUTH" chans "$PORT" alice "$T/alice" 200 abort)
[ "$n" = 0 ] && ok "200 channels opened right after the client closed the last: none refused" ||
	bad "$n of 200 channels refused right after a close"
finish
