#!/usr/bin/env bash
# examples/demo.sh, as a newcomer runs it: green, under 60 s, and nothing
# left behind (no process, no temporary directory).
. "$(dirname "$0")/lib.sh"
: "${DEMO:?}" "${BUILD_DIR:?}"
mkdir -p "$T/tmp"
start=$(date +%s)
rc=0; TMPDIR=$T/tmp BUILD=$BUILD_DIR bash "$DEMO" > "$T/out" 2>&1 || rc=$?
secs=$(( $(date +%s) - start ))
[ $rc = 0 ] && ok "demo.sh exits 0" || { bad "demo.sh: rc=$rc"; tail -20 "$T/out"; }
[ $secs -lt 60 ] && ok "demo.sh took ${secs}s (< 60 s)" || bad "demo.sh took ${secs}s"
for story in "The engineer" "The approver" "The auditor" "revokes"; do
	grep -q "== .*$story" "$T/out" || bad "no '$story' story"
done
grep -q "hello from .* as $LOGIN_USER" "$T/out" && ok "the engineer's ssh got in" || bad "no ssh session"
grep -q "jit:alice:prod:.*ED25519-CERT" "$T/out" && ok "the approved certificate reached the agent" || bad "no prod cert"
grep -q "^ok: .* events, chain head" "$T/out" && ok "audit verify passed" || bad "no audit verify"
grep -q "revoked by file" "$T/out" && ok "sshd refused the revoked certificate" || bad "no revocation refusal"
sleep 0.5
if pgrep -af "$T/tmp" > "$T/left"; then bad "processes left behind: $(cat "$T/left")"; else ok "no process left behind"; fi
# Its ssh-agent is gone: no socket bound under its TMPDIR any more (only
# this demo's: other tests' agents run beside it).
if grep -q " $T/tmp/" /proc/net/unix; then
	bad "a socket under the demo's TMPDIR is still bound: $(grep " $T/tmp/" /proc/net/unix)"
else
	ok "its ssh-agent is gone too"
fi
[ -z "$(ls -A "$T/tmp")" ] && ok "no temporary files left behind" || bad "left: $(ls -A "$T/tmp")"
finish
