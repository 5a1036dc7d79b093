#!/usr/bin/env bash
# jit-ssh end to end with real processes only: jit-ssh-ca serve, a real
# sshd, a real ssh-agent, codes from oathtool.  Engineer, approver and
# auditor, and each failure a person meets (wrong CA key, CA down, no agent,
# wrong code) with its exit status and message.
. "$(dirname "$0")/lib.sh"
: "${JIT_SSH_CA:?}" "${JIT_SSH:?}"
command -v oathtool > /dev/null || skip "oathtool missing (apt-get install oathtool)"
command -v ssh-agent > /dev/null || skip "ssh-agent missing (apt-get install openssh-client)"
J=$JIT_SSH_CA
export XDG_STATE_HOME=$T/state	# the client's records of waiting requests

$J init --dir "$T/ca" > /dev/null
for u in alice bob carol erin; do ssh-keygen -q -t ed25519 -N '' -C "$u" -f "$T/$u"; done
k() { cut -d' ' -f1,2 "$T/$1.pub"; }
cat > "$T/ca/policy.yaml" <<YAML
defaults: { mfa_grace: 10m }
users:
  alice: { keys: ["$(k alice)"], groups: [dev] }
  bob:   { keys: ["$(k bob)"], groups: [dev, leads] }
  carol: { keys: ["$(k carol)"], groups: [audit] }
  erin:  { keys: ["$(k erin)"], groups: [dev, leads] }
roles:
  dev:   { groups: [dev], principals: ["$LOGIN_USER"], mfa: required, ttl: 5m }
  short: { groups: [dev], principals: ["$LOGIN_USER"], mfa: optional, ttl: 5s, max_ttl: 5s }
  other: { groups: [dev], principals: [nobody-here], mfa: optional }
  prod:
    groups: [dev]
    principals: ["$LOGIN_USER"]
    mfa: required
    reason: required
    approval: { groups: [leads], quorum: 1, pending_ttl: 2m }
auditors: [audit]
YAML
for u in alice bob erin; do
	enroll_secret "$T/ca" $u
done
start_serve "$T/ca"
start_sshd "$T/sshd" "TrustedUserCAKeys $T/ca/user_ca.pub"

eval "$(ssh-agent -s)" > /dev/null
PIDS+=("$SSH_AGENT_PID")
HOSTKEY=$(cut -d' ' -f1,2 "$T/ca/ssh_host_ed25519_key.pub")
conf() {	# USER [EXTRA LINES]: a config file for USER
	{
		echo "ca: 127.0.0.1:$PORT"
		echo "user: $1"
		echo "identity: $T/$1"
		echo "ca_host_key: \"$HOSTKEY\""
		if [ $# -gt 1 ]; then printf '%s\n' "${@:2}"; fi
	} > "$T/$1.yaml"
}
for u in alice bob carol erin; do conf $u; done
code() { oathtool --totp -b "$(cat "$T/$1.secret")"; }
js() {	# USER ARGS...: jit-ssh as USER (no terminal), code from oathtool
	local who=$1; shift
	JIT_SSH_CONFIG=$T/$who.yaml JIT_SSH_OTP=$( [ -f "$T/$who.secret" ] && code $who || echo 000000 ) \
		"$JIT_SSH" "$@" < /dev/null
}
run() {	# WANT_RC NEEDLE WHAT -- USER ARGS...: exit status and a message
	local want=$1 needle=$2 what=$3 rc=0; shift 4
	js "$@" > "$T/out" 2> "$T/err" || rc=$?
	if [ "$rc" = "$want" ] && grep -q -- "$needle" "$T/out" "$T/err"; then ok "$what"
	else bad "$what: rc=$rc (want $want) out=$(cat "$T/out") err=$(cat "$T/err")"; fi
}
ssh_agent_in() {	# ssh into sshd with only the agent's keys
	ssh -F /dev/null -p "$SSHD_PORT" -o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null \
		-o PasswordAuthentication=no -o KbdInteractiveAuthentication=no \
		-o IdentityFile=none -o ConnectTimeout=10 -o LogLevel=ERROR \
		"$LOGIN_USER@127.0.0.1" "${@:-true}"
}
agent_certs() { ssh-add -l 2> /dev/null | grep -c 'jit:' || true; }

# ---- the engineer ----
ssh_agent_in true 2> /dev/null && bad "sshd let us in before login" || ok "no access before login"
run 0 "role dev: principals $LOGIN_USER" "login prints role, principals and expiry" -- alice login --role dev
ssh-add -l | grep -q "jit:alice:dev:.*ED25519-CERT" && ok "ssh-add -l shows the certificate" ||
	bad "agent: $(ssh-add -l)"
ssh_agent_in "echo in-as-\$(id -un)" 2> "$T/err" | grep -qx "in-as-$LOGIN_USER" &&
	ok "plain ssh gets in with the agent's certificate" || bad "ssh refused: $(cat "$T/err")"
grep -q "Accepted publickey for $LOGIN_USER.*ID jit:alice:dev:" "$SSHD_LOG" && ok "sshd logged the key id" ||
	bad "sshd log: $(tail -3 "$SSHD_LOG")"
run 0 "jit:alice:dev:" "status lists the certificate with time left" -- alice status
js alice status --json | LOGIN_USER=$LOGIN_USER python3 -c '
import json, sys, datetime
o = [json.loads(l) for l in sys.stdin]
a = [x for x in o if x["where"] == "agent"]
c = [x for x in o if x["where"] == "ca" and "key_id" in x]
assert len(a) == 1 and a[0]["role"] == "dev" and 250 < a[0]["seconds_left"] <= 300, o
assert a[0]["principals"] == [__import__("os").environ["LOGIN_USER"]], a
datetime.datetime.strptime(a[0]["valid_before"], "%Y-%m-%dT%H:%M:%SZ")
assert a[0]["key_id"] in [x["key_id"] for x in c] and not c[0]["revoked"], c
assert isinstance(c[0]["principals"], list), c' &&
	ok "status --json: the agent'"'"'s and the CA'"'"'s view, principals as arrays, RFC 3339 times" || bad "status --json"
run 0 "removed jit:alice:dev:" "logout removes it" -- alice logout
[ "$(agent_certs)" = 0 ] && ok "the agent holds no jit certificate after logout" || bad "after logout: $(ssh-add -l)"
ssh_agent_in true 2> /dev/null && bad "ssh still works after logout" || ok "ssh refused after logout"

# The lifetime: a 5 s certificate leaves the agent on its own.
run 0 "role short" "login for a 5 s role" -- alice login --role short
[ "$(agent_certs)" = 1 ] && ok "the short certificate is in the agent" || bad "short: $(ssh-add -l)"
sleep 7
[ "$(agent_certs)" = 0 ] && ok "the agent dropped it when it expired" || bad "still there: $(ssh-add -l)"

# A principal sshd does not accept: the agent has it, sshd refuses.
run 0 "role other" "login for a role with another principal" -- alice login --role other
ssh_agent_in true 2> /dev/null && bad "sshd accepted a wrong principal" || ok "sshd refuses the wrong principal"
js alice logout > /dev/null

# --out: key 0600 and FILE-cert.pub, no agent needed.
(unset SSH_AUTH_SOCK; run 0 "key in $T/out-key" "--out writes key and certificate" -- alice login --role short --out "$T/out-key")
[ "$(stat -c %a "$T/out-key")" = 600 ] && ssh-keygen -L -f "$T/out-key-cert.pub" | grep -q "jit:alice:short" &&
	ok "--out key is 0600 and ssh-keygen -L reads the certificate" || bad "--out files: $(ls -l "$T"/out-key*)"
try_ssh "$T/out-key" "$T/out-key-cert.pub" true 2> /dev/null && ok "ssh -i with the --out files gets in" ||
	bad "ssh -i --out refused"

# ---- what goes wrong, and what the person is told ----
n_before=$($J audit --dir "$T/ca" --event issue --json | wc -l)
(unset SSH_AUTH_SOCK; run 4 "SSH_AUTH_SOCK is not set" "no agent: exit 4 and how to start one" -- alice login --role short)
(SSH_AUTH_SOCK=$T/nowhere; run 4 "cannot use the ssh-agent" "agent socket gone: exit 4" -- alice login --role short)
[ "$($J audit --dir "$T/ca" --event issue --json | wc -l)" = "$n_before" ] &&
	ok "nothing is issued when there is no agent to keep it" || bad "issued without an agent"
ssh-keygen -q -t ed25519 -N '' -f "$T/impostor"
conf alice "" && sed -i "s|^ca_host_key:.*|ca_host_key: \"$(cut -d' ' -f1,2 "$T/impostor.pub")\"|" "$T/alice.yaml"
fp_real=$(ssh-keygen -lf "$T/ca/ssh_host_ed25519_key.pub" | cut -d' ' -f2)
fp_pin=$(ssh-keygen -lf "$T/impostor.pub" | cut -d' ' -f2)
run 3 "different host key" "wrong pinned CA key: exit 3" -- alice roles
grep -qF "$fp_real" "$T/err" && grep -qF "$fp_pin" "$T/err" && ok "the message shows both fingerprints" ||
	bad "fingerprints: $(cat "$T/err")"
grep -v '^ca_host_key' "$T/alice.yaml" > "$T/nopin.yaml"; cp "$T/nopin.yaml" "$T/alice.yaml"
run 3 "$fp_real" "no pinned key: exit 3 and the presented fingerprint" -- alice roles
conf alice
(PORT=$(free_port); conf alice; run 3 "cannot reach the CA" "CA down: exit 3" -- alice roles); conf alice
JIT_SSH_CONFIG=$T/erin.yaml JIT_SSH_OTP=123456 "$JIT_SSH" login --role dev > "$T/out" 2> "$T/err" < /dev/null && rc=0 || rc=$?
[ $rc = 1 ] && grep -q "verification code refused: wrong code (1 of 5 before a lockout)" "$T/err" &&
	ok "a wrong code: exit 1 with the reason" ||
	bad "wrong code: rc=$rc $(cat "$T/err")"
JIT_SSH_CONFIG=$T/erin.yaml "$JIT_SSH" login --role dev > "$T/out" 2> "$T/err" < /dev/null && rc=0 || rc=$?
[ $rc = 1 ] && grep -q "set JIT_SSH_OTP" "$T/err" && ok "no code and no terminal: exit 1, says JIT_SSH_OTP" ||
	bad "no code: rc=$rc $(cat "$T/err")"
run 1 "the CA refused the key" "a key the policy does not list: exit 1" -- alice --identity "$T/impostor" roles
run 2 "is a public key: identity needs the private key file" "a .pub given as identity: exit 2, says so" \
	-- alice --identity "$T/alice.pub" roles
run 2 "does not exist" "a missing identity: a configuration error (exit 2)" -- alice --identity "$T/nothing-here" roles
run 3 "(port 2222: 'ca:' names no port)" "ca: without a port says which port it used" -- alice --ca 127.0.0.2 roles
chmod 644 "$T/erin"
(unset SSH_AUTH_SOCK; run 1 "chmod 600" "an identity readable by others is refused" -- erin roles)
chmod 600 "$T/erin"
ln -s "$T/erin" "$T/erin.link"	# checked on one open, read on another: no more
(unset SSH_AUTH_SOCK; run 1 "not a link" "an identity that is a symbolic link is refused" -- \
	erin --identity "$T/erin.link" roles)
chmod 666 "$T/alice.yaml"
run 2 "not writable by group or others" "a config others may write is refused" -- alice roles
chmod 600 "$T/alice.yaml"
run 2 "unknown command" "unknown command: exit 2" -- alice frobnicate
run 2 "unexpected" "stray argument: exit 2" -- alice login extra
printf 'ca: 127.0.0.1:1\nbogus: 1\n' > "$T/bad.yaml"
JIT_SSH_CONFIG=$T/bad.yaml "$JIT_SSH" roles > /dev/null 2> "$T/err" && rc=0 || rc=$?
[ $rc = 2 ] && grep -q "bad.yaml:2:1: unknown key" "$T/err" && ok "bad config: exit 2 with file:line:column" ||
	bad "bad config: rc=$rc $(cat "$T/err")"
printf 'ca: [oops\n' > "$T/bad.yaml"
JIT_SSH_CONFIG=$T/bad.yaml "$JIT_SSH" roles > /dev/null 2> "$T/err" && rc=0 || rc=$?
[ $rc = 2 ] && grep -q "bad.yaml:" "$T/err" && ok "broken YAML: exit 2" || bad "broken yaml: rc=$rc $(cat "$T/err")"
run 1 "not in a group that may request role dev" "a role the user may not have: exit 1" -- carol login --role dev

# ---- the CA's commands, through jit-ssh ----
run 0 "prod" "roles lists the user's roles" -- alice roles
js alice roles --json | python3 -c '
import json, sys
r = {json.loads(l)["role"] for l in sys.stdin}
assert {"dev", "short", "prod"} <= r, r' && ok "roles --json is JSON Lines" || bad "roles --json"
run 0 '"user":"alice"' "whoami --json" -- alice whoami --json

# Arguments reach the CA word for word (quotes, backslashes, shell syntax).
R='it'"'"'s "quoted" \back $HOME; ls *  two  spaces'
js alice login --role short --reason "$R" > /dev/null 2> "$T/err" || bad "tricky reason: $(cat "$T/err")"
js carol audit --json --event issue --user alice --role short | tail -1 |
	REASON=$R python3 -c 'import json, os, sys; r = json.loads(sys.stdin.read())["reason"]; assert r == os.environ["REASON"], repr(r)' &&
	ok "a reason with quotes, backslashes and shell syntax is recorded exactly" || bad "reason was mangled"
run 2 "control characters" "a reason with a control character is refused locally" -- alice login --role short --reason "$(printf 'a\tb')"
js alice logout > /dev/null

# ---- the approval flow across two users ----
approval_login() {	# background login for prod; its pid in LPID
	: > "$T/lerr"	# emptied now: the background job truncates it later
	JIT_SSH_CONFIG=$T/alice.yaml JIT_SSH_OTP=$(code alice) "$JIT_SSH" login --role prod \
		--reason "deploy hotfix" > "$T/lout" 2> "$T/lerr" < /dev/null &
	LPID=$!
	PIDS+=($LPID)
}
wait_request() {	# the request id once bob sees it
	local i id
	for i in $(seq 1 50); do
		id=$(js bob requests --json | python3 -c '
import json, sys
for l in sys.stdin:
    o = json.loads(l)
    if o["user"] == "alice": print(o["request_id"])' | head -1)
		[ -n "$id" ] && { echo "$id"; return 0; }
		sleep 0.2
	done
	return 1
}
approval_login
RID=$(wait_request) && ok "the approver sees the pending request ($RID)" || bad "no request for bob"
run 1 "no request $RID" "a non-approver cannot approve" -- alice approve "$RID"
sed "s/$RID/ID/" "$T/err" > "$T/err.real"
run 1 "no request r-00000000deadbeef" "a request that does not exist" -- alice approve r-00000000deadbeef
sed "s/r-00000000deadbeef/ID/" "$T/err" > "$T/err.none"
cmp -s "$T/err.real" "$T/err.none" && ok "...answered exactly as a request that does not exist" ||
	bad "told apart: $(cat "$T/err.real") / $(cat "$T/err.none")"
run 0 "approved" "the approver approves" -- bob approve "$RID" --comment "ok, go"
js carol audit --json --event approve --request "$RID" | python3 -c '
import json, sys
o = json.loads(sys.stdin.readline())
assert o["comment"] == "ok, go" and o["reason"] is None, o' &&
	ok "the approver's comment is in its own comment field" || bad "approve event: $(js carol audit --json --event approve --request "$RID")"
js carol audit --event approve --request "$RID" | grep -q " $" && bad "audit table lines end in spaces" ||
	ok "no trailing spaces in the audit table"
wait "$LPID" && rc=0 || rc=$?
[ $rc = 0 ] && grep -q "role prod" "$T/lout" && ok "the waiting login gets its certificate" ||
	bad "approved login: rc=$rc $(cat "$T/lout" "$T/lerr")"
grep -q "waiting for 1 approval(s) from leads" "$T/lerr" && ok "the waiting requester is told who must approve" ||
	bad "waiting message: $(cat "$T/lerr")"

ssh-add -l | grep -q "jit:alice:prod:" && ssh_agent_in true 2> /dev/null &&
	ok "the approved certificate is in the agent and opens sshd" || bad "prod cert: $(ssh-add -l)"
js carol audit --event issue --role prod > "$T/atable" 2>&1
head -1 "$T/atable" | grep -q "APPROVERS" && grep -E "^[0-9]+ .* issue .* alice .* bob " "$T/atable" > /dev/null &&
	ok "the audit table shows who approved the issuance" || bad "audit table: $(cat "$T/atable")"
js alice logout > /dev/null

# An approver's own request: self-approval refused; deny withdraws it.
JIT_SSH_CONFIG=$T/bob.yaml JIT_SSH_OTP=000000 "$JIT_SSH" login --role prod --reason "mine" \
	> /dev/null 2> "$T/berr" < /dev/null &
BPID=$!; PIDS+=($BPID)
for i in $(seq 1 50); do
	BRID=$(js bob requests --json | python3 -c '
import json, sys
for l in sys.stdin:
    o = json.loads(l)
    if o["user"] == "bob": print(o["request_id"])' | head -1)
	[ -n "$BRID" ] && break; sleep 0.2
done
run 1 "cannot approve their own request" "an approver cannot approve their own request" -- bob approve "$BRID"
run 0 "denied" "a requester may deny (withdraw) their own request" -- bob deny "$BRID"
wait "$BPID" && rc=0 || rc=$?
[ $rc = 1 ] && grep -q "was withdrawn (by bob)" "$T/berr" &&
	ok "the approver's own waiting login ends, told it was withdrawn, not denied (exit 1)" ||
	bad "bob's login: rc=$rc $(cat "$T/berr")"

# Denied.
approval_login
RID=$(wait_request) || true
run 0 "denied" "the approver denies" -- bob deny "$RID" --comment "not now"
wait "$LPID" && rc=0 || rc=$?
[ $rc = 1 ] && grep -q "was denied by bob: not now" "$T/lerr" &&
	ok "the waiting login is told who denied it and the comment (exit 1)" ||
	bad "denied login: rc=$rc $(cat "$T/lerr")"

# Ctrl-C withdraws.
approval_login
RID=$(wait_request) || true
kill -INT "$LPID"
wait "$LPID" && rc=0 || rc=$?
[ $rc = 1 ] && grep -q "withdrawn" "$T/lerr" && ok "Ctrl-C while waiting withdraws the request" ||
	bad "withdraw: rc=$rc $(cat "$T/lerr")"
js bob requests --json | grep -q "$RID" && bad "the withdrawn request is still pending" ||
	ok "the withdrawn request is no longer pending"
[ "$(agent_certs)" = 0 ] && ok "nothing was added to the agent" || bad "agent after withdraw: $(ssh-add -l)"

# ---- resuming a waiting request (issue 12, defect 3) ----
# The waiting login dies (kill -9: no withdraw); its request's key stays in
# ssh-agent as a pending key, and the next login picks the request up
# instead of opening a new one; never a key file on disk.
requests_of_alice() { js carol audit --json --event request --user alice | wc -l; }
n0=$(requests_of_alice)
approval_login
RID=$(wait_request) || true
sleep 0.5
kill -9 "$LPID"; wait "$LPID" 2> /dev/null || true
ssh-add -l | grep -q "jit-pending:$RID:prod" && ok "a waiting request's key is kept in ssh-agent ($RID)" ||
	bad "no pending key in the agent: $(ssh-add -l)"
run 0 "waiting: request $RID for role prod" "status names the waiting request and how to resume" -- alice status
approval_login
for i in $(seq 1 50); do grep -q "waiting for" "$T/lerr" && break; sleep 0.2; done
grep -q "resuming request $RID (role prod)" "$T/lerr" && [ "$(requests_of_alice)" = $((n0 + 1)) ] &&
	ok "the next login resumes the same request, no new one" || bad "resume: $(cat "$T/lerr") requests $(requests_of_alice) vs $n0"
run 0 "approved" "the approver approves the resumed request" -- bob approve "$RID"
wait "$LPID" && rc=0 || rc=$?
[ $rc = 0 ] && ssh-add -l | grep -q "jit:alice:prod:" && ssh_agent_in true 2> /dev/null &&
	ok "the resumed login gets the certificate into the agent and sshd takes it" || bad "resumed: rc=$rc $(cat "$T/lerr")"
ssh-add -l | grep -q "jit-pending:" && bad "the pending key is still in the agent" ||
	ok "the pending key leaves the agent with the certificate"
js alice logout > /dev/null
# Approved while nobody waits: --request ID picks it up at once.
approval_login
RID=$(wait_request) || true
sleep 0.5
kill -9 "$LPID"; wait "$LPID" 2> /dev/null || true
run 0 "approved" "approved while the requester is away" -- bob approve "$RID"
run 0 "role prod" "login --request ID picks up an approved request" -- alice login --request "$RID"
grep -q "resuming request $RID" "$T/err" && [ "$(requests_of_alice)" = $((n0 + 2)) ] &&
	ok "...the same request ($RID)" || bad "request count $(requests_of_alice) vs $n0+2: $(cat "$T/err")"
run 1 "no key for request r-00000000deadbeef" "--request with no key for it is refused" \
	-- alice login --request r-00000000deadbeef
run 2 "not with --out" "--request with --out is a usage error" -- alice login --request "$RID" --out "$T/x"
js alice logout > /dev/null
[ -z "$(find "$T" -newer "$T/alice.yaml" -type f -name '*pending*')" ] && ! grep -rqs "jit-pending" "$T"/*.yaml &&
	ok "no pending key touched the disk" || bad "a pending key file exists"

# A key planted in the agent with a pending comment (whoever the agent is
# forwarded to can add one, knowing its private half) is never resumed:
# only requests this client recorded are.
ssh-keygen -q -t ed25519 -N '' -C "jit-pending:r-00000000000000aa:prod" -f "$T/planted"
ssh-add -q "$T/planted" 2> /dev/null
[ -d "$T/state/jit-ssh/pending" ] && [ "$(stat -c %a "$T/state/jit-ssh/pending")" = 700 ] &&
	ok "the client's records of waiting requests are in a 0700 directory" || bad "state dir"
n1=$(requests_of_alice)
approval_login
for i in $(seq 1 50); do grep -q "waiting for" "$T/lerr" && break; sleep 0.2; done
! grep -q "resuming" "$T/lerr" && [ "$(requests_of_alice)" = $((n1 + 1)) ] &&
	ok "a planted pending key is not resumed: a new request of its own" ||
	bad "planted key: $(cat "$T/lerr") requests $(requests_of_alice) vs $n1"
f=$(ls "$T/state/jit-ssh/pending/" 2> /dev/null | head -1)
[ -n "$f" ] && [ "$(stat -c %a "$T/state/jit-ssh/pending/$f")" = 600 ] &&
	ok "the waiting request is recorded (0600)" || bad "no record: $(ls -la "$T/state/jit-ssh/pending/" 2>&1)"
kill -INT "$LPID"; wait "$LPID" 2> /dev/null || true
[ -z "$(ls "$T/state/jit-ssh/pending/" 2> /dev/null)" ] && ok "withdrawn: its record is gone" ||
	bad "records left: $(ls "$T/state/jit-ssh/pending/")"
ssh-add -d "$T/planted.pub" 2> /dev/null || true

# ---- on a terminal (script(1) gives us a pty) ----
if command -v script > /dev/null && script -qec true /dev/null > /dev/null 2>&1 < /dev/null; then
	# The code typed at the prompt, without echo.
	{ sleep 1; code erin; } | script -qec "JIT_SSH_CONFIG=$T/erin.yaml $JIT_SSH whoami" /dev/null > "$T/tty" 2>&1 &&
		rc=0 || rc=$?
	code_now=$(code erin)
	[ $rc = 0 ] && grep -q "Verification code:" "$T/tty" && grep -q "erin" "$T/tty" &&
		! grep -q "$code_now" "$T/tty" && ok "the code is asked on the terminal, not echoed" ||
		bad "tty code: rc=$rc $(cat "$T/tty")"
	# An identity with a passphrase: asked on the terminal (no agent).
	ssh-keygen -q -p -P '' -N 'correct horse' -f "$T/carol" > /dev/null
	{ sleep 1; echo 'correct horse'; } | (unset SSH_AUTH_SOCK; script -qec "JIT_SSH_CONFIG=$T/carol.yaml $JIT_SSH whoami" /dev/null) \
		> "$T/tty" 2>&1 && rc=0 || rc=$?
	[ $rc = 0 ] && grep -q "Enter passphrase for $T/carol" "$T/tty" && grep -q '^user *carol\|carol' "$T/tty" &&
		! grep -q "correct horse" "$T/tty" && ok "an encrypted identity's passphrase is asked on the terminal, not echoed" ||
		bad "passphrase: rc=$rc $(cat "$T/tty")"
	(unset SSH_AUTH_SOCK; run 1 "no terminal to ask for its passphrase" "an encrypted identity without a terminal: exit 1, says why" -- carol whoami)
	grep -q "wrong passphrase" "$T/err" && bad "a second, misleading message" || true
	ssh-keygen -q -p -P 'correct horse' -N '' -f "$T/carol" > /dev/null
	# The approver's review: one request, approved at the prompt.
	approval_login
	RID=$(wait_request) || true
	{ sleep 1; echo a; } | script -qec "JIT_SSH_CONFIG=$T/bob.yaml $JIT_SSH approve --comment reviewed" /dev/null \
		> "$T/tty" 2>&1 && rc=0 || rc=$?
	grep -q "request $RID: alice wants role prod" "$T/tty" && grep -q "reason: deploy hotfix" "$T/tty" &&
		grep -q "approved" "$T/tty" && ok "approve with no ID reviews the request and approves it" ||
		bad "review: rc=$rc $(cat "$T/tty")"
	wait "$LPID" && rc=0 || rc=$?
	[ $rc = 0 ] && ok "the reviewed request's login completes" || bad "reviewed login: rc=$rc $(cat "$T/lerr")"
	js alice logout > /dev/null
	# Words a person types: anything else asks again; skip says so; a
	# comment is asked for (optional) when --comment was not given.
	approval_login
	RID=$(wait_request) || true
	{ sleep 1; echo maybe; sleep 0.3; echo s; } | script -qec "JIT_SSH_CONFIG=$T/bob.yaml $JIT_SSH approve" /dev/null \
		> "$T/tty" 2>&1 || true
	grep -q "please answer y, n or s" "$T/tty" && grep -q "skipped" "$T/tty" &&
		js bob requests --json | grep -q "$RID" && ok "review: an unknown answer asks again, s skips and says so" ||
		bad "review skip: $(cat "$T/tty")"
	{ sleep 1; echo yes; sleep 0.3; echo "looks fine"; } | script -qec "JIT_SSH_CONFIG=$T/bob.yaml $JIT_SSH approve" /dev/null \
		> "$T/tty" 2>&1 || true
	wait "$LPID" 2> /dev/null || true
	js carol audit --json --event approve --request "$RID" | grep -q '"comment":"looks fine"' &&
		ok "review: yes approves, with the comment typed at the prompt" || bad "review yes: $(cat "$T/tty")"
	js alice logout > /dev/null
else
	echo "# script(1) missing or no pty here: terminal paths not tested"
fi
(unset SSH_AUTH_SOCK; run 2 "give a request ID" "approve with no ID and no terminal: exit 2" -- bob approve)

# ---- the auditor ----
js carol audit --json > "$T/audit" 2> "$T/err" && python3 - "$T/audit" <<'PY' && ok "auditor's audit --json shows issue, approve, deny events" || bad "audit: $(cat "$T/err")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
kinds = {e["event"] for e in ev}
assert {"issue", "request", "approve", "deny"} <= kinds, kinds
prod = [e for e in ev if e["event"] == "issue" and e.get("role") == "prod"]
assert prod and prod[0]["user"] == "alice", prod
withdrawn = [e for e in ev if e["event"] == "deny" and e.get("user") == "alice"]
assert withdrawn, "the withdrawal is audited as alice's own deny"
PY
run 0 "SEQ .*EVENT" "auditor's audit table has its header on stdout" -- carol audit --user alice --role dev
grep -q "issue *alice *dev " "$T/out" && ! grep -q " prod " "$T/out" && ok "the table is filtered by user and role" ||
	bad "audit table: $(cat "$T/out")"
run 1 "auditor" "audit is refused to a non-auditor" -- alice audit

finish
