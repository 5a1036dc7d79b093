#!/usr/bin/env bash
# Approval rules with a real CA: a request not decided after remind_after
# reminds the approvers (a "remind" event, told to notify.command, once);
# after escalate.after more people may approve ("escalate", once), and
# their approval issues; approval.auto issues at once when every condition
# holds, audited with approvers policy:auto, and waits for people when one
# does not.
. "$(dirname "$0")/lib.sh"
: "${JIT_SSH_CA:?}"
command -v oathtool > /dev/null || skip "oathtool missing (apt-get install oathtool)"
J=$JIT_SSH_CA

$J init --dir "$T/ca" > /dev/null
for u in bob carol dave erin; do ssh-keygen -q -t ed25519 -N '' -C "$u" -f "$T/$u"; done
for i in 1 2 3; do ssh-keygen -q -t ed25519 -N '' -f "$T/k$i"; done
k() { cut -d' ' -f1,2 "$T/$1.pub"; }
cat > "$T/notify.sh" <<SH
#!/bin/sh
cat >> "$T/notified"
SH
chmod +x "$T/notify.sh"
# mfa_grace: dave's one code covers his later connections (a code is good once).
cat > "$T/ca/policy.yaml" <<YAML
defaults: { mfa_grace: 10m }
users:
  bob:   { keys: ["$(k bob)"], groups: [dev, oncall] }
  erin:  { keys: ["$(k erin)"], groups: [dev] }
  carol: { keys: ["$(k carol)"], groups: [leads] }
  dave:  { keys: ["$(k dave)"], groups: [managers] }
roles:
  prod:
    groups: [dev]
    principals: ["$LOGIN_USER"]
    mfa: optional
    approval:
      groups: [leads]
      pending_ttl: 1m
      remind_after: 2s
      escalate: { after: 8s, groups: [managers] }
  fix:
    groups: [dev]
    principals: ["$LOGIN_USER"]
    mfa: optional
    approval:
      groups: [leads]
      pending_ttl: 4s
      auto: { groups: [oncall], from: [127.0.0.0/8], reason_match: "^INC-[0-9]+" }
  maint:
    groups: [dev]
    principals: [postgres]
    mfa: optional
    reason: required
    windows: ["Sat 01:00-05:00 UTC"]
    from: [10.0.0.0/8, "192.168.0.0/16"]
notify: { command: "$T/notify.sh" }
YAML
$J policy check --dir "$T/ca" > /dev/null || { bad "policy refused: $($J policy check --dir "$T/ca" 2>&1)"; finish; }
enroll_secret "$T/ca" dave
printf '#!/bin/sh\noathtool --totp -b "$(cat "%s/dave.secret")"\n' "$T" > "$T/askpass"
chmod +x "$T/askpass"
export SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force DISPLAY=:0
start_serve "$T/ca"
events() { $J audit --dir "$T/ca" --event "$1" ${2:+--request "$2"} --json | wc -l; }

# 1. Reminder, escalation, and the escalated approver's approval.
ca_ssh bob login --role prod < "$T/k1.pub" > "$T/c1" 2> "$T/w1.err" &
W=$!
for i in $(seq 1 50); do
	id=$($J audit --dir "$T/ca" --event request --json | sed -n 's/.*"request_id":"\([^"]*\)".*/\1/p' | tail -1)
	[ -n "$id" ] && break; sleep 0.2
done
rc=0; ca_ssh dave approve "$id" < /dev/null > /dev/null 2> "$T/early.err" || rc=$?
[ $rc = 1 ] && grep -q "approve: no request $id" "$T/early.err" &&
	ok "before escalate.after a manager may not approve" || bad "early: rc=$rc $(cat "$T/early.err")"
for i in $(seq 1 40); do [ "$(events remind "$id")" = 1 ] && break; sleep 0.25; done
[ "$(events remind "$id")" = 1 ] && [ "$(events escalate "$id")" = 0 ] &&
	ok "after remind_after: one remind event" || bad "remind: $(events remind "$id"), escalate $(events escalate "$id")"
for i in $(seq 1 60); do [ "$(events escalate "$id")" = 1 ] && break; sleep 0.25; done
sleep 1.5	# a second sweep must not add another
[ "$(events escalate "$id")" = 1 ] && [ "$(events remind "$id")" = 1 ] &&
	ok "after escalate.after: one escalate event" || bad "escalate events: $(events escalate "$id")"
$J audit --dir "$T/ca" --event escalate --json | grep -q 'now managers may approve too' &&
	ok "the escalate event names who may approve now" || bad "escalate reason"
ca_ssh dave requests < /dev/null > "$T/dave.list" 2> /dev/null || true
grep -q "$id" "$T/dave.list" && ok "the manager sees the escalated request" || bad "dave's list: $(cat "$T/dave.list")"
ca_ssh dave approve "$id" --comment ok < /dev/null > "$T/a.out" 2>&1 || bad "dave approves: $(cat "$T/a.out")"
( sleep 20; kill $W 2> /dev/null ) > /dev/null 2>&1 &
DOG=$!
rc=0; wait $W || rc=$?
kill $DOG 2> /dev/null || true
[ $rc = 0 ] && ssh-keygen -L -f "$T/c1" > /dev/null 2>&1 &&
	ok "the escalated approver's approval issues the certificate" || bad "escalated issue: rc=$rc $(cat "$T/w1.err")"
$J audit --dir "$T/ca" --event issue --request "$id" --json | grep -q '"approvers":\["dave"\]' &&
	ok "the issue event names dave as approver" || bad "issue approvers"
for i in $(seq 1 20); do grep -q '"event":"escalate"' "$T/notified" 2> /dev/null && break; sleep 0.25; done
n_r=$(grep -c '"event":"remind"' "$T/notified" || true)
n_e=$(grep -c '"event":"escalate"' "$T/notified" || true)
[ "$n_r" = 1 ] && [ "$n_e" = 1 ] && ok "notify got one remind and one escalate" ||
	bad "notify: remind $n_r escalate $n_e"

# 2. approval.auto: all conditions hold -> issued at once, audited as such.
ca_ssh bob login --role fix --reason "'INC-7 disk full'" < "$T/k2.pub" > "$T/c2" 2> "$T/auto.err" &&
	ssh-keygen -L -f "$T/c2" > /dev/null 2>&1 && grep -q "approved by the policy" "$T/auto.err" &&
	ok "approval.auto issues at once when every condition holds" || bad "auto: $(cat "$T/auto.err")"
$J audit --dir "$T/ca" --event issue --role fix --json | grep -q '"approvers":\["policy:auto"\]' &&
	ok "an auto-approved issuance is audited with approvers policy:auto" || bad "auto audit"
n=$(events request)
# A condition fails (reason, then group): a request waits for people.
rc=0; timeout 10 bash -c "$(declare -f ca_ssh); T=$T PORT=$PORT ca_ssh bob login --role fix --reason hello" \
	< "$T/k3.pub" > "$T/c3" 2> "$T/noauto.err" || rc=$?
[ $rc = 1 ] && grep -q "waiting for 1 approval" "$T/noauto.err" && grep -q "expired" "$T/noauto.err" &&
	ok "a reason that does not match waits for an approver" || bad "no auto (reason): rc=$rc $(cat "$T/noauto.err")"
rc=0; timeout 10 bash -c "$(declare -f ca_ssh); T=$T PORT=$PORT ca_ssh erin login --role fix --reason INC-8" \
	< "$T/k3.pub" > "$T/c4" 2> "$T/noauto2.err" || rc=$?
[ $rc = 1 ] && grep -q "waiting for 1 approval" "$T/noauto2.err" &&
	ok "a requester outside auto.groups waits for an approver" || bad "no auto (group): rc=$rc $(cat "$T/noauto2.err")"
[ "$(events request)" = $((n + 2)) ] && ok "those two were recorded as requests" || bad "requests: $(events request) vs $n"
# 3. roles shows what each role takes: reason, windows, from, auto.
ca_ssh bob roles < /dev/null > "$T/roles" 2>&1
grep -E "^maint +postgres .* yes +-" "$T/roles" > /dev/null && grep -q "only during Sat 01:00-05:00 UTC" "$T/roles" &&
	grep -q "only from 10.0.0.0/8,192.168.0.0/16" "$T/roles" && grep -q "or the policy (auto)" "$T/roles" &&
	ok "roles shows reason required, windows, from limits and auto-approval" || bad "roles: $(cat "$T/roles")"
ca_ssh bob roles --json < /dev/null | python3 -c '
import json, sys
r = {o["role"]: o for o in map(json.loads, sys.stdin)}
m = r["maint"]
assert m["reason_required"] is True and m["windows"] == ["Sat 01:00-05:00 UTC"], m
assert m["from"] == ["10.0.0.0/8", "192.168.0.0/16"] and r["fix"]["auto_approval"] is True, r' &&
	ok "roles --json has them too" || bad "roles --json"
kill -TERM "$CA_PID"; wait "$CA_PID" 2> /dev/null || true
$J audit verify --dir "$T/ca" > "$T/out" && ok "the store verifies (flags re-derived)" || bad "verify: $(cat "$T/out")"
finish
