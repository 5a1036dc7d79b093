#!/usr/bin/env bash
# Approvals over the CA service with stock ssh: the requester waits, an
# approver (with MFA) approves and the certificate arrives; self-approval,
# deny and expiry; audit over SSH for auditors only; break-glass + notify.
. "$(dirname "$0")/lib.sh"
: "${JIT_SSH_CA:?}"
command -v oathtool > /dev/null || skip "oathtool missing (apt-get install oathtool)"
J=$JIT_SSH_CA

$J init --dir "$T/ca" > /dev/null
for u in bob carol erin dana; do ssh-keygen -q -t ed25519 -N '' -C "$u" -f "$T/$u"; done
ssh-keygen -q -t ed25519 -N '' -f "$T/new"
k() { cut -d' ' -f1,2 "$T/$1.pub"; }
cat > "$T/notify.sh" <<SH
#!/bin/sh
cat >> "$T/notified"
SH
chmod +x "$T/notify.sh"
cat > "$T/ca/policy.yaml" <<YAML
defaults: { mfa_grace: 10m }
users:
  bob:   { keys: ["$(k bob)"], groups: [dev] }
  carol: { keys: ["$(k carol)"], groups: [dev, leads] }
  erin:  { keys: ["$(k erin)"], groups: [leads] }
  dana:  { keys: ["$(k dana)"], groups: [audit] }
roles:
  prod:
    groups: [dev]
    principals: ["$LOGIN_USER"]
    mfa: optional
    reason: required
    approval: { groups: [leads], quorum: 1, pending_ttl: 2m }
  quick:
    groups: [dev]
    principals: ["$LOGIN_USER"]
    mfa: optional
    approval: { groups: [leads], quorum: 1, pending_ttl: 3s }
  breakglass:
    groups: [dev]
    principals: ["$LOGIN_USER"]
    mfa: optional
    reason: required
    break_glass: true
auditors: [audit]
notify: { command: "$T/notify.sh" }
YAML
$J policy check --dir "$T/ca" > /dev/null || { bad "test policy refused"; finish; }
for u in carol erin; do
	enroll_secret "$T/ca" $u
done
start_serve "$T/ca"
askpass_from_code
ca() {
	[ -f "$T/$1.secret" ] && oathtool --totp -b "$(cat "$T/$1.secret")" > "$T/code"
	ca_ssh "$@"
}
request_id() {	# wait for a pending request of $1 and print its id
	local i id
	for i in $(seq 1 50); do
		id=$(ca "$2" requests --json < /dev/null 2> /dev/null |
			python3 -c 'import json,sys
for l in sys.stdin:
    o=json.loads(l)
    if o["user"]==sys.argv[1]: print(o["request_id"]); break' "$1")
		[ -n "$id" ] && { echo "$id"; return 0; }
		sleep 0.2
	done
	return 1
}

# bob asks for prod and waits; carol approves; the certificate arrives.
# (ssh joins its arguments with spaces: quote once more for the CA's parser.)
ca bob "login --role prod --reason 'deploy 1.2'" < "$T/new.pub" > "$T/prod-cert.pub" 2> "$T/bob.err" &
WAITER=$!
id=$(request_id bob carol) && ok "the request is pending ($id)" || bad "no pending request"
grep -q "waiting for 1 approval(s) from leads" "$T/bob.err" && ok "the requester is told who must approve" ||
	bad "waiting message: $(cat "$T/bob.err")"
out=$(ca carol approve "$id" --comment "'ok, go'" < /dev/null 2>&1) && [ "$out" = "$id: approved" ] &&
	ok "carol approves (with MFA)" || bad "approve: $out"
rc=0; wait $WAITER || rc=$?
[ $rc = 0 ] && ssh-keygen -L -f "$T/prod-cert.pub" | grep -q 'Key ID: "jit:bob:prod:' &&
	ok "the waiting login receives the certificate" || bad "waiter rc=$rc $(cat "$T/bob.err")"
start_sshd "$T/sshd" "TrustedUserCAKeys $T/ca/user_ca.pub"
try_ssh "$T/new" "$T/prod-cert.pub" true 2> /dev/null && ok "sshd accepts the approved certificate" ||
	bad "sshd refused the approved certificate"
sleep 0.3
$J audit --dir "$T/ca" --event issue --role prod --json | python3 -c '
import json,sys; o=json.loads(sys.stdin.readline())
assert o["approvers"]==["carol"] and o["request_id"] and o["reason"]=="deploy 1.2", o' &&
	ok "the issue event names the approver, request and reason" || bad "issue event"

# Self-approval, an approver without rights, deny.
ca carol login --role prod --reason "mine" < "$T/new.pub" > /dev/null 2> "$T/carol.err" &
W2=$!
id=$(request_id carol erin)
out=$(ca carol approve "$id" < /dev/null 2>&1) && bad "self-approval accepted" ||
	{ echo "$out" | grep -q "own request" && ok "self-approval is refused"; }
out=$(ca bob approve "$id" < /dev/null 2>&1) && bad "bob approved" ||
	{ echo "$out" | grep -q "no request $id" && ok "a non-approver is refused (as for no such request)"; }
out=$(ca erin deny "$id" --comment "'not today'" < /dev/null 2>&1) && ok "erin denies" || bad "deny: $out"
rc=0; wait $W2 || rc=$?
[ $rc = 1 ] && grep -q "was denied by erin: not today" "$T/carol.err" &&
	ok "the denied requester is told who denied it and why, exit 1" ||
	bad "denied waiter rc=$rc $(cat "$T/carol.err")"
out=$(ca erin approve "$id" < /dev/null 2>&1) && bad "decided twice" ||
	{ echo "$out" | grep -q "already decided" && ok "a decided request takes no more decisions"; }

# A pending request survives a CA restart: the requester re-runs login to
# pick the certificate up once approved.
ca bob "login --role prod --reason 'after restart'" < "$T/new.pub" > /dev/null 2> "$T/w3.err" &
W3=$!
id=$(request_id bob erin)
kill -TERM "$CA_PID"; wait "$CA_PID" 2> /dev/null || true
rc=0; wait "$W3" || rc=$?
[ $rc = 3 ] && grep -q "run login again to pick up request $id" "$T/w3.err" &&
	ok "SIGTERM tells a waiting requester how to resume" || bad "waiter at stop: rc=$rc $(cat "$T/w3.err")"
start_serve "$T/ca"
[ "$(request_id bob bob)" = "$id" ] && ok "the pending request survived the restart" ||
	bad "request lost in restart"
# erin's grace is gone with the restart: the next step's code, never used.
oathtool --totp -b "$(cat "$T/erin.secret")" -N "$(date -u -d '+30 seconds' '+%Y-%m-%d %H:%M:%S UTC')" > "$T/code"
ca_ssh erin approve "$id" < /dev/null > /dev/null 2>&1 && ok "approved after the restart" ||
	bad "approve after restart"
rc=0; ca bob "login --role prod --reason 'after restart'" < "$T/new.pub" > "$T/pick-cert.pub" 2> "$T/err" || rc=$?
[ $rc = 0 ] && ssh-keygen -L -f "$T/pick-cert.pub" | grep -q "jit:bob:prod:" &&
	ok "re-running login picks the approved certificate up" || bad "pickup rc=$rc $(cat "$T/err")"

# Expiry.
rc=0; ca bob login --role quick < "$T/new.pub" > /dev/null 2> "$T/q.err" || rc=$?
[ $rc = 1 ] && grep -q "expired" "$T/q.err" && ok "an unapproved request expires (exit 1)" ||
	bad "expiry rc=$rc $(cat "$T/q.err")"

# Audit over SSH: auditors only.
ca dana audit --json --event request < /dev/null > "$T/a.json" && [ "$(wc -l < "$T/a.json")" -ge 3 ] &&
	ok "an auditor reads the log over SSH" || bad "dana audit: $(cat "$T/a.json")"
rc=0; ca bob audit < /dev/null > /dev/null 2> "$T/err" || rc=$?
[ $rc = 1 ] && grep -q "not in an auditors group" "$T/err" && ok "a non-auditor is refused" ||
	bad "bob audit rc=$rc"

# Break-glass: issued without approval, audited, notify runs.
rc=0; ca bob login --role breakglass --reason "'db down'" < "$T/new.pub" > "$T/bg-cert.pub" 2> /dev/null || rc=$?
[ $rc = 0 ] && [ -s "$T/bg-cert.pub" ] && ok "break-glass issues at once" || bad "break-glass rc=$rc"
sleep 1
grep -q '"event":"break-glass"' "$T/notified" 2> /dev/null && ok "notify got the break-glass event" ||
	bad "notify: $(cat "$T/notified" 2> /dev/null)"
grep -q '"event":"request"' "$T/notified" && ok "notify got request events" || bad "no request notified"
# A request event says who may decide it: leads, not the requester.
grep '"event":"request"' "$T/notified" | grep '"user":"bob"' | grep -q '"may_approve":\["carol","erin"\]' &&
	grep '"event":"request"' "$T/notified" | grep '"user":"carol"' | grep -q '"may_approve":\["erin"\]' &&
	ok "a request event names who may approve it (never the requester)" ||
	bad "may_approve: $(grep '"event":"request"' "$T/notified" | head -3)"
# Every lifecycle event reaches notify, also one written by another process
# (revoke on the command line): the service follows the log.
$J revoke --dir "$T/ca" --serial "$(ssh-keygen -L -f "$T/bg-cert.pub" | sed -n 's/.*Serial: //p')" \
	--reason "test" > /dev/null
# Notifications run in parallel: wait for all of them, not the last one.
notified_all() {
	local e
	for e in request approve deny expire issue break-glass revoke; do
		grep -q "\"event\":\"$e\"" "$T/notified" || return 1
	done
}
for i in $(seq 1 50); do notified_all && break; sleep 0.2; done
for e in request approve deny expire issue break-glass revoke; do
	grep -q "\"event\":\"$e\"" "$T/notified" || bad "notify did not get a $e event"
done
grep -q '"event":"revoke"' "$T/notified" && ok "notify gets every lifecycle event, revoke by the CLI included" || true
n=$(grep -c '"event":"break-glass"' "$T/notified")
[ "$n" = 1 ] && ok "each event is told once" || bad "break-glass told $n times"
$J audit --dir "$T/ca" --event break-glass --json | grep -q '"reason":"db down"' &&
	ok "break-glass is audited with its reason" || bad "break-glass event"
finish
