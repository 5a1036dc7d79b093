#!/usr/bin/env bash
# The approval lifecycle against races and policy changes (regressions of
# the review in issue 12): eight sessions waiting on one request get one
# certificate between them; an approval not picked up in time lapses; a
# raised quorum or a lost approver right applies to an approved request;
# a windowed role whose window caps the ttl stays issuable after approval.
. "$(dirname "$0")/lib.sh"
: "${JIT_SSH_CA:?}"
command -v oathtool > /dev/null || skip "oathtool missing (apt-get install oathtool)"
J=$JIT_SSH_CA

$J init --dir "$T/ca" > /dev/null
for u in bob carol erin dave frank gina; do ssh-keygen -q -t ed25519 -N '' -C "$u" -f "$T/$u"; done
ssh-keygen -q -t ed25519 -N '' -f "$T/new"
k() { cut -d' ' -f1,2 "$T/$1.pub"; }
# A window that ends within the next two hours, so the 2h ttl is capped by
# its end; two hours wide, so a run that crosses the hour stays inside.
now_h=$(date -u +%H); end_h=$(( (10#$now_h + 2) % 24 ))
write_policy() {	# QUORUM LEADS_OF_ERIN
	cat > "$T/ca/policy.yaml" <<YAML
defaults: { mfa_grace: 10m }
users:
  bob:   { keys: ["$(k bob)"], groups: [dev] }
  carol: { keys: ["$(k carol)"], groups: [leads] }
  dave:  { keys: ["$(k dave)"], groups: [leads] }
  frank: { keys: ["$(k frank)"], groups: [leads] }
  gina:  { keys: ["$(k gina)"], groups: [leads] }
  erin:  { keys: ["$(k erin)"], groups: [$2] }
roles:
  prod:
    groups: [dev]
    principals: ["$LOGIN_USER"]
    mfa: optional
    approval: { groups: [leads], quorum: $1, pending_ttl: 2m, pickup_ttl: 3s }
  late:
    groups: [dev]
    principals: ["$LOGIN_USER"]
    mfa: optional
    ttl: 2h
    max_ttl: 2h
    windows: ["daily $(printf %02d "$now_h"):00-$(printf %02d "$end_h"):00"]
    approval: { groups: [leads], quorum: 1 }
YAML
}
write_policy 1 leads
$J policy check --dir "$T/ca" > /dev/null || { bad "test policy refused"; finish; }
for u in carol erin dave frank gina; do
	enroll_secret "$T/ca" $u
done
start_serve "$T/ca"
askpass_from_code
# Approvers' codes: a code is good once, so a user's next code comes from
# the next 30 s step (the first counts for mfa_grace with the same key and
# address, but grace dies with a restart of the CA and a reload).  Each
# approval that needs a code is by another lead, so nobody waits a step.
ca() {
	if [ -f "$T/$1.secret" ]; then
		# The code of the very second the step was taken from (a slow
		# moment must not make it the next step's, used next time).
		local now step; now=$(date +%s); step=$(( now / 30 ))
		if [ "$step" = "$(cat "$T/$1.step" 2> /dev/null)" ]; then
			sleep $(( 30 - now % 30 )); now=$(date +%s); step=$(( now / 30 ))
		fi
		echo "$step" > "$T/$1.step"
		oathtool --totp -b "$(cat "$T/$1.secret")" -N "@$now" > "$T/code"
	fi
	ca_ssh "$@"
}
touch "$T/seen"
pending_id() {	# USER ROLE: the id of USER's newest request for ROLE not seen yet
	local i id
	for i in $(seq 1 50); do
		id=$($J audit --dir "$T/ca" --event request --user "$1" --role "$2" --json 2> /dev/null |
			tail -1 | python3 -c 'import json,sys
l=sys.stdin.readline()
print(json.loads(l)["request_id"] if l.strip() else "")')
		grep -qx "$id" "$T/seen" && id=	# (subshells: seen ids in a file)
		[ -n "$id" ] && { echo "$id" >> "$T/seen"; echo "$id"; return 0; }
		sleep 0.2
	done
	return 1
}
count_events() {	# EVENT REQUEST_ID
	$J audit --dir "$T/ca" --event "$1" --request "$2" --json | wc -l
}

# 1. Eight sessions wait on one request (same user, role and key: they
#    join it); one approval gives exactly one certificate.
for i in 1 2 3 4 5 6 7 8; do
	ca bob login --role prod < "$T/new.pub" > "$T/race$i.cert" 2> "$T/race$i.err" &
	W[$i]=$!
	[ "$i" = 1 ] && { id=$(pending_id bob prod) || bad "no pending request"; }
done
sleep 1.5	# all eight are waiting and polling
n=$(grep -l "waiting for 1 approval" "$T"/race*.err | wc -l)
[ "$n" = 8 ] && ok "eight sessions wait on request $id" || bad "only $n waiting"
ca carol approve "$id" < /dev/null > /dev/null 2>> "$T/approve.err" || bad "approve"
got=0
for i in 1 2 3 4 5 6 7 8; do
	wait "${W[$i]}" 2> /dev/null || true
	grep -q '^ssh-ed25519-cert-v01@openssh.com ' "$T/race$i.cert" && got=$((got + 1))
done
[ "$got" = 1 ] && ok "one approval, one certificate among eight waiters" || bad "$got certificates"
[ "$(count_events issue "$id")" = 1 ] && ok "exactly one issue event for the request" ||
	bad "$(count_events issue "$id") issue events"
grep -h "already issued" "$T"/race*.err | wc -l | grep -qx 7 &&
	ok "the seven others are told it was already issued" || bad "others: $(cat "$T"/race*.err)"

# 2. The pickup window: approved, nobody picks it up, it lapses.
ca bob login --role prod < "$T/new.pub" > /dev/null 2> "$T/p.err" &
PW=$!
id2=$(pending_id bob prod)
kill -TERM "$CA_PID"; wait "$CA_PID" 2> /dev/null || true; wait $PW 2> /dev/null || true
start_serve "$T/ca"
ca dave approve "$id2" < /dev/null > /dev/null 2>> "$T/approve.err" || bad "approve 2"
sleep 4	# pickup_ttl is 3s
# The late login is told, and asks anew (withdrawn here at once).
ca bob login --role prod < "$T/new.pub" > "$T/late.cert" 2> "$T/late.err" &
LW=$!
id3=$(pending_id bob prod) || bad "the late login asked anew"
ca bob deny "$id3" < /dev/null > /dev/null 2>> "$T/approve.err" || bad "withdraw $id3"
rc=0; wait $LW || rc=$?
! grep -q cert-v01 "$T/late.cert" && [ "$(count_events issue "$id2")" = 0 ] &&
	[ "$(count_events expire "$id2")" = 1 ] &&
	ok "an approval not picked up within pickup_ttl expires" ||
	bad "late pickup rc=$rc $(cat "$T/late.err") issues=$(count_events issue "$id2")"
grep -q "request $id2 was approved but not picked up in time: it expired; asking again" "$T/late.err" &&
	ok "the late requester is told the approval lapsed, and asks anew" || bad "late: $(cat "$T/late.err")"

# 3. A raised quorum applies to a request approved under the old one.
ca bob login --role prod < "$T/new.pub" > /dev/null 2> "$T/q.err" &
QW=$!
id4=$(pending_id bob prod)
kill -STOP "$QW"	# the requester is away while the policy changes
ca frank approve "$id4" < /dev/null > /dev/null 2>> "$T/approve.err" || bad "approve 4"
write_policy 2 leads
kill -HUP "$CA_PID"; sleep 1
kill -CONT "$QW"
rc=0; wait "$QW" || rc=$?
[ $rc = 1 ] && grep -q "now needs 2 approval" "$T/q.err" && [ "$(count_events issue "$id4")" = 0 ] &&
	ok "a raised quorum is applied at issuance" || bad "raised quorum: rc=$rc $(cat "$T/q.err")"

# 4. An approver who lost the right no longer counts.
write_policy 1 leads
kill -HUP "$CA_PID"; sleep 1
ca bob login --role prod < "$T/new.pub" > /dev/null 2> "$T/g.err" &
GW=$!
id5=$(pending_id bob prod)
kill -STOP "$GW"
ca erin approve "$id5" < /dev/null > /dev/null 2>> "$T/approve.err" || bad "erin approves"
write_policy 1 dev	# erin is no longer a lead
kill -HUP "$CA_PID"; sleep 1
kill -CONT "$GW"
rc=0; wait "$GW" || rc=$?
[ $rc = 1 ] && grep -q "0 of them still count" "$T/g.err" &&
	ok "an approval by somebody who lost the right does not count" ||
	bad "lost right: rc=$rc $(cat "$T/g.err")"

# 5. A windowed role: the window caps the ttl; approval still issues.
write_policy 1 leads
kill -HUP "$CA_PID"; sleep 1
ca bob login --role late < "$T/new.pub" > "$T/w.cert" 2> "$T/w.err" &
LW=$!
id6=$(pending_id bob late)
sleep 1.2	# the window's end is now closer than at the request
ca gina approve "$id6" < /dev/null > /dev/null 2>> "$T/approve.err" || bad "approve late"
rc=0; wait "$LW" || rc=$?
[ $rc = 0 ] && ssh-keygen -L -f "$T/w.cert" > /dev/null &&
	ok "an approved windowed role is issued (ttl bound, not exact)" ||
	bad "windowed: rc=$rc $(cat "$T/w.err")"
finish
