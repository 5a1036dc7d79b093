#!/usr/bin/env bash
# jit-ssh-ca policy check / explain, as an operator runs them.
. "$(dirname "$0")/lib.sh"
: "${JIT_SSH_CA:?}" "${TEST_DATA:?}"

"$JIT_SSH_CA" init --dir "$T/ca" > /dev/null
# The starter policy written by init is valid.
"$JIT_SSH_CA" policy check --dir "$T/ca" > "$T/out" && ok "init's starter policy passes check" ||
	bad "starter policy refused: $(cat "$T/out")"
cp "$TEST_DATA/policy-design.yaml" "$T/ca/policy.yaml"
out=$("$JIT_SSH_CA" policy check --dir "$T/ca") && [ "$out" = "policy.yaml: ok (5 roles)" ] &&
	ok "the design's example policy passes check" || bad "check: $out"
"$JIT_SSH_CA" policy check "$TEST_DATA/policy-design.yaml" > /dev/null &&
	ok "check FILE" || bad "check FILE"

# A broken policy: exit 1, file:line:column on stderr, nothing on stdout.
sed 's/ttl: 10m/ttl: 10 minutes/' "$TEST_DATA/policy-design.yaml" > "$T/bad.yaml"
rc=0; "$JIT_SSH_CA" policy check "$T/bad.yaml" > "$T/out" 2> "$T/err" || rc=$?
[ "$rc" = 1 ] && grep -q "^$T/bad.yaml:11:10: ttl: '10 minutes' is not a duration" "$T/err" &&
	[ ! -s "$T/out" ] && ok "a bad duration is refused with file:line:column" ||
	bad "bad policy: rc=$rc $(cat "$T/err")"
rc=0; "$JIT_SSH_CA" policy check --dir "$T/nowhere" 2> "$T/err" || rc=$?
[ "$rc" = 1 ] && grep -q "nowhere/policy.yaml" "$T/err" && ok "a missing policy names the file" ||
	bad "missing policy: rc=$rc $(cat "$T/err")"
rc=0; "$JIT_SSH_CA" policy check a b 2> /dev/null || rc=$?
[ "$rc" = 2 ] && ok "usage errors exit 2" || bad "usage rc=$rc"

# explain: what bob may get, and why not.
"$JIT_SSH_CA" policy explain --dir "$T/ca" --user bob > "$T/out"
grep -q "^dev: yes" "$T/out" && grep -q "principals: bob deploy" "$T/out" &&
	ok "explain: bob gets dev with {user} expanded" || bad "explain dev: $(cat "$T/out")"
grep -q "^prod-root: yes, once approved by 1 of sre-leads (not bob)" "$T/out" &&
	ok "explain: prod-root needs approval" || bad "explain prod-root"
# db-maint fails two ways from 127.0.0.1 outside Saturday night: both named.
case "$(date -u +%a%H)" in Sat0[1-4]) ;; *)
	grep -q "^db-maint: no, for 2 reasons:" "$T/out" &&
		grep -q "^    - role db-maint can only be requested from 10.0.0.0/8,192.168.0.0/16" "$T/out" &&
		grep -q "^    - role db-maint can only be requested during Sat 01:00-05:00 UTC" "$T/out" &&
		ok "explain: db-maint names every failing condition" || bad "explain db-maint: $(grep -A3 db-maint "$T/out")"
esac
"$JIT_SSH_CA" policy explain --dir "$T/ca" --user bob --role db-maint --from 10.1.2.3 > "$T/out2"
grep -q "^db-maint: no: role db-maint can only be requested during" "$T/out2" || grep -q "^db-maint: yes" "$T/out2" &&
	ok "explain --from: the address condition holds from inside 10/8" || bad "explain --from: $(cat "$T/out2")"
rc=0; "$JIT_SSH_CA" policy explain --dir "$T/ca" --user bob --from somewhere > /dev/null 2> "$T/err" || rc=$?
[ $rc = 2 ] && grep -q "not an IPv4 or IPv6 address" "$T/err" && ok "explain: --from must be an address" ||
	bad "explain --from somewhere: rc=$rc $(cat "$T/err")"
out=$("$JIT_SSH_CA" policy explain --dir "$T/ca" --user alice --role prod-root)
echo "$out" | grep -q "prod-root: no: alice is not in a group that may request role prod-root (sre)" &&
	ok "explain: wrong group" || bad "explain wrong group: $out"
rc=0; "$JIT_SSH_CA" policy explain --dir "$T/ca" --user mallory > "$T/out" || rc=$?
[ "$rc" = 1 ] && grep -q "mallory is not a user" "$T/out" && ok "explain: unknown user" ||
	bad "explain unknown user rc=$rc"
# explain names the approval.auto condition that does not hold.
ssh-keygen -q -t ed25519 -N '' -f "$T/ak"
mkdir -p "$T/auto"
cat > "$T/auto/policy.yaml" <<YAML
users:
  bob:   { keys: ["$(cut -d' ' -f1,2 "$T/ak.pub")"], groups: [dev, oncall] }
  carol: { keys: ["$(cut -d' ' -f1,2 "$T/ak.pub")"], groups: [leads] }
roles:
  fix:
    groups: [dev]
    principals: [x]
    approval:
      groups: [leads]
      auto: { groups: [oncall], from: [10.0.0.0/8] }
YAML
"$JIT_SSH_CA" policy explain --dir "$T/auto" --user bob --from 192.0.2.1 > "$T/out" 2>&1
grep -q "approval.auto does not approve it now: approval.auto.from: the address is outside it" "$T/out" &&
	ok "explain names the approval.auto condition that fails (from)" || bad "explain auto: $(cat "$T/out")"
"$JIT_SSH_CA" policy explain --dir "$T/auto" --user bob --from 10.1.2.3 > "$T/out" 2>&1
grep -q "^fix: yes, approved by the policy itself" "$T/out" && ok "...and says when it holds" ||
	bad "explain auto ok: $(cat "$T/out")"
# check warns about a notify.command that is not there or not executable.
printf 'notify: { command: "%s/no-such-notifier" }\n' "$T" >> "$T/auto/policy.yaml"
"$JIT_SSH_CA" policy check --dir "$T/auto" > "$T/out" 2> "$T/err" &&
	grep -q "warning: notify.command $T/no-such-notifier: not found" "$T/err" &&
	ok "policy check warns when notify.command is missing" || bad "notify warn: $(cat "$T/out" "$T/err")"
touch "$T/notifier"; chmod 644 "$T/notifier"
sed -i "s|no-such-notifier|notifier|" "$T/auto/policy.yaml"
"$JIT_SSH_CA" policy check --dir "$T/auto" > "$T/out" 2> "$T/err" &&
	grep -q "warning: notify.command $T/notifier: not executable" "$T/err" &&
	ok "...or not executable" || bad "notify exec warn: $(cat "$T/out" "$T/err")"
# record: required forces the recorder and refuses what goes around it.
rec_policy() {	# EXTRA ROLE KEYS: a policy with one recorded role
	cat > "$T/rec.yaml" <<YAML
users:
  alice: { keys: ["$(cut -d' ' -f1,2 "$TEST_DATA/key_ed25519.pub")"], groups: [dev] }
roles:
  ops: { groups: [dev], principals: [ops], mfa: optional, record: required$1 }
YAML
}
rec_policy ""
"$JIT_SSH_CA" policy check "$T/rec.yaml" > /dev/null && ok "record: required passes check" || bad "record: required refused"
for bad_ext in permit-port-forwarding permit-agent-forwarding permit-X11-forwarding permit-user-rc; do
	rec_policy ", extensions: [permit-pty, $bad_ext]"
	rc=0; "$JIT_SSH_CA" policy check "$T/rec.yaml" > /dev/null 2> "$T/err" || rc=$?
	[ $rc = 1 ] && grep -q "a recorded role cannot have $bad_ext (it goes around the recorder)" "$T/err" ||
		bad "record + $bad_ext: rc=$rc $(cat "$T/err")"
done
ok "a recorded role that permits forwarding, X11 or user rc is refused, naming it"
rec_policy ", force_command: /bin/true"
rc=0; "$JIT_SSH_CA" policy check "$T/rec.yaml" > /dev/null 2> "$T/err" || rc=$?
[ $rc = 1 ] && grep -q "record: required forces the recorder" "$T/err" && ok "record: required with a force_command is refused" ||
	bad "record + force_command: rc=$rc $(cat "$T/err")"
rec_policy ", record: sometimes"
rc=0; "$JIT_SSH_CA" policy check "$T/rec.yaml" > /dev/null 2> "$T/err" || rc=$?
[ $rc = 1 ] && ok "record takes required or off" || bad "record value: rc=$rc"
# The review section: each bad value named where it is.
review_policy() {	# REVIEW LINES
	cat > "$T/rev.yaml" <<YAML
users:
  alice: { keys: ["$(cut -d' ' -f1,2 "$TEST_DATA/key_ed25519.pub")"], groups: [dev] }
roles:
  dev: { groups: [dev], principals: [dev], mfa: optional }
review:
$1
YAML
}
review_policy '  business_hours: ["Mon-Fri 08:30-18:00"]
  timezone: Europe/Berlin
  min_review: 1m
  standing_after: 4h
  krl_refresh: 2m
  refused_spike: 20
  exclude: [unused-role, { kind: out-of-hours, role: dev }]'
"$JIT_SSH_CA" policy check "$T/rev.yaml" > /dev/null 2> "$T/err" && ok "a review section passes check" ||
	bad "review refused: $(cat "$T/err")"
while IFS='|' read -r line want; do
	review_policy "  $line"
	rc=0; "$JIT_SSH_CA" policy check "$T/rev.yaml" > /dev/null 2> "$T/err" || rc=$?
	[ $rc = 1 ] && grep -q "rev.yaml:6:.*$want" "$T/err" || bad "review '$line': rc=$rc $(cat "$T/err")"
done <<'CASES'
timezone: Mars/Olympus|no such zone
timezone: ../../etc/passwd|not a zone name
timezone: [UTC]|review.timezone
business_hours: ["Mon-Fri 9-5"]|window 'Mon-Fri 9-5' is not like
business_hours: []|must not be empty
min_review: 0s|review.min_review
min_review: 2d|review.min_review must be from 1s to 1d
standing_after: 30s|review.standing_after must be from 1m to 1d
refused_spike: 0|review.refused_spike must be a whole number
refused_spike: -3|review.refused_spike must be a whole number
exclude: [everything]|'everything' is not a finding kind
exclude: [{ user: alice }]|an entry needs a kind
exclude: [{ kind: closure, host: web1 }]|unknown key 'host'
weekends: off|review: unknown key 'weekends'
CASES
review_policy '  timezone: Europe/Berlin
  business_hours: ["Mon-Fri 09:00-17:00 UTC"]'
rc=0; "$JIT_SSH_CA" policy check "$T/rev.yaml" > /dev/null 2> "$T/err" || rc=$?
[ $rc = 1 ] && grep -q "are in review.timezone (Europe/Berlin): leave out 'UTC'" "$T/err" ||
	bad "UTC in a zone's hours: rc=$rc $(cat "$T/err")"
ok "each bad review value is refused with its position and what is wrong (15 cases)"
# sso: the section checked, and a token's claims explained.
sso_policy() {	# SSO LINES
	cat > "$T/ssoca/policy.yaml" <<YAML
users:
  keyuser: { keys: ["$(cut -d' ' -f1,2 "$TEST_DATA/key_ed25519.pub")"], groups: [dev] }
roles:
  dev: { groups: [dev], principals: ["{user}"], mfa: optional }
  pager: { groups: [oncall], principals: [root], mfa: required }
sso:
$1
YAML
}
"$JIT_SSH_CA" init --dir "$T/ssoca" > /dev/null
sso_policy '  issuer: https://idp.example.com
  client_id: jit-ssh
  scopes: [openid, profile, groups]
  groups: [dev]
  mfa_amr: [mfa, hwk]
  claims_to_groups: [{ claim: department, value: sre, groups: [oncall] }]'
"$JIT_SSH_CA" policy check --dir "$T/ssoca" > /dev/null 2> "$T/err" && ok "an sso section passes check" ||
	bad "sso refused: $(cat "$T/err")"
printf '{"iss": "https://idp.example.com", "sub": "s-1", "preferred_username": "zoe", "groups": ["dev"], "department": "sre", "amr": ["pwd", "hwk"]}' > "$T/claims.json"
"$JIT_SSH_CA" policy explain --dir "$T/ssoca" --user zoe --claims "$T/claims.json" > "$T/out" 2>&1 &&
	grep -q "maps to user zoe, groups dev (groups), oncall (department=sre); MFA done (amr)" "$T/out" &&
	grep -q "^pager: yes" "$T/out" && ok "policy explain --claims: the mapping (groups and whence, MFA from amr) and what it allows" ||
	bad "explain claims: $(cat "$T/out")"
printf '{"iss": "i", "sub": "s", "preferred_username": "keyuser"}' > "$T/c2.json"
printf '{"iss": "i", "sub": "s", "preferred_username": "zoe", "groups": ["dev\\u0007"]}' > "$T/c3.json"
rc=0; "$JIT_SSH_CA" policy explain --dir "$T/ssoca" --user keyuser --claims "$T/c2.json" > "$T/out" 2>&1 || rc=$?
rc3=0; "$JIT_SSH_CA" policy explain --dir "$T/ssoca" --user zoe --claims "$T/c3.json" > "$T/out3" 2>&1 || rc3=$?
[ $rc = 1 ] && grep -q "keyuser signs in with a key" "$T/out" && [ $rc3 = 1 ] && grep -q "not a group name" "$T/out3" &&
	ok "explain --claims refuses a key user's name and a group with a control character" || bad "claims refusals: $(cat "$T/out" "$T/out3")"
while IFS='|' read -r line want; do
	sso_policy "$(printf '%b' "$line")"
	rc=0; "$JIT_SSH_CA" policy check --dir "$T/ssoca" > /dev/null 2> "$T/err" || rc=$?
	[ $rc = 1 ] && grep -q "$want" "$T/err" || bad "sso '$line': rc=$rc $(cat "$T/err")"
done <<'CASES'
  issuer: http://idp.example.com\n  client_id: c|must be https://
  issuer: https://idp.example.com|sso needs a client_id
  client_id: c|sso needs an issuer
  issuer: https://i.example\n  client_id: c\n  scopes: [profile]|must include openid
  issuer: https://i.example\n  client_id: c\n  client_secret_file: secret|must be an absolute path
  issuer: https://i.example\n  client_id: c\n  allowed_clock_skew: 2h|at most 10m
  issuer: https://i.example\n  client_id: c\n  claims_to_groups: [{ claim: d }]|needs claim, value and groups
  issuer: https://i.example\n  client_id: c\n  tenant: x|sso: unknown key 'tenant'
CASES
printf 's3cret\n' > "$T/secret"; chmod 644 "$T/secret"
sso_policy "  issuer: https://i.example
  client_id: c
  client_secret_file: $T/secret"
rc=0; "$JIT_SSH_CA" policy check --dir "$T/ssoca" > /dev/null 2> "$T/err" || rc=$?
[ $rc = 1 ] && grep -q "readable by others (chmod 600 it)" "$T/err" || bad "secret file mode: $(cat "$T/err")"
ok "each bad sso value is refused, saying why (9 cases, a client secret readable by others among them)"
rec_policy ""
"$JIT_SSH_CA" init --dir "$T/rca" > /dev/null
cp "$T/rec.yaml" "$T/rca/policy.yaml"
"$JIT_SSH_CA" sign --dir "$T/rca" --user alice --role ops -o "$T/rec-cert.pub" "$TEST_DATA/key_ed25519.pub" 2> /dev/null
ssh-keygen -L -f "$T/rec-cert.pub" | grep -A1 "Critical Options" | grep -q "force-command .*jit-ssh-host record" &&
	ok "a recorded role's certificate forces jit-ssh-host record (ssh-keygen -L)" || bad "$(ssh-keygen -L -f "$T/rec-cert.pub")"

finish
