#!/usr/bin/env bash
# A slow reader only slows its own session: a stock ssh running `audit`
# whose reader pauses longer than the key exchange's deadline (shortened to
# 2 s in config.yaml here; 10 s by default) gets the whole stream, and other sessions are served meanwhile; when the CA does end a
# session, its log says why.
. "$(dirname "$0")/lib.sh"
: "${JIT_SSH_CA:?}" "${JIT_TESTFILL:?}"
J=$JIT_SSH_CA

$J init --dir "$T/ca" > /dev/null
ssh-keygen -q -t ed25519 -N '' -C carol -f "$T/carol"
cat > "$T/ca/policy.yaml" <<YAML
users:
  carol: { keys: ["$(cut -d' ' -f1,2 "$T/carol.pub")"], groups: [audit] }
roles: {}
auditors: [audit]
YAML
"$JIT_TESTFILL" "$T/ca/store" 30000 mallory > /dev/null	# several MB of audit
printf 'deadlines: { kex: 2s }\n' >> "$T/ca/config.yaml"
start_serve "$T/ca"
ca_ssh carol audit < /dev/null > "$T/fast" 2> "$T/err" || bad "fast audit: $(cat "$T/err")"
size=$(wc -c < "$T/fast")
[ "$size" -gt 4000000 ] && ok "the audit is larger than the channel and pipe windows ($size bytes)" ||
	bad "audit only $size bytes"
rc=0
ca_ssh carol audit < /dev/null 2> "$T/err" | { sleep 5; cat; } > "$T/slow" || rc=$?
[ $rc = 0 ] && cmp -s "$T/fast" "$T/slow" && ok "a reader that pauses 5 s (the kex deadline is 2 s) gets the whole stream, exit 0" ||
	bad "slow reader: rc=$rc $(wc -c < "$T/slow") of $size bytes; $(cat "$T/err")"
ca_ssh carol audit --limit 1 < /dev/null > /dev/null 2>&1 && ok "other sessions are served" || bad "second session"
# When the CA ends a session, its log says why (six refused keys here).
for i in 1 2 3 4 5 6 7; do ssh-keygen -q -t ed25519 -N '' -f "$T/x$i"; done
ssh -F /dev/null -p "$PORT" -i "$T/x1" -i "$T/x2" -i "$T/x3" -i "$T/x4" -i "$T/x5" -i "$T/x6" \
	-i "$T/x7" -o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes \
	-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
	carol@127.0.0.1 ca-keys < /dev/null > /dev/null 2>&1 || true
for i in $(seq 1 20); do grep -q "ended by the CA" "$T/serve.log" && break; sleep 0.2; done
grep -q "session from 127.0.0.1 ended by the CA: too many refused authentication attempts" "$T/serve.log" &&
	ok "a session the CA ends is in its log, with why" || bad "no reason logged: $(tail -3 "$T/serve.log")"
finish
