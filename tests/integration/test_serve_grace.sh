#!/usr/bin/env bash
# defaults.mfa_grace (a verified code covers the next connections of the
# same user, key and address) dies with re-enrollment, a lockout, a
# revocation and a policy reload (regressions of the review in issue 12).
. "$(dirname "$0")/lib.sh"
: "${JIT_SSH_CA:?}"
command -v oathtool > /dev/null || skip "oathtool missing (apt-get install oathtool)"
J=$JIT_SSH_CA

$J init --dir "$T/ca" > /dev/null
ssh-keygen -q -t ed25519 -N '' -C alice -f "$T/alice"
ssh-keygen -q -t ed25519 -N '' -C bob -f "$T/bob"
ssh-keygen -q -t ed25519 -N '' -f "$T/new"
cat > "$T/ca/policy.yaml" <<YAML
defaults: { mfa_grace: 10m }
users:
  alice: { keys: ["$(cut -d' ' -f1,2 "$T/alice.pub")"], groups: [dev] }
  bob:   { keys: ["$(cut -d' ' -f1,2 "$T/bob.pub")"], groups: [dev] }
roles:
  dev: { groups: [dev], principals: [alice] }
YAML
enroll() { $J enroll --dir "$T/ca" --user alice | sed 's/.*secret=\([A-Z2-7]*\).*/\1/' > "$T/secret"; echo 0 > "$T/step"; }
enroll
enroll_secret "$T/ca" bob
start_serve "$T/ca"
askpass_from_code
# A code not used before: the next time step the CA accepts (it accepts
# the previous, the current and the next step, each once).
fresh_code() {
	local now last s
	while :; do
		now=$(( $(date +%s) / 30 )); last=$(cat "$T/step")
		s=$(( last + 1 > now ? last + 1 : now ))
		[ "$s" -le $(( now + 1 )) ] && break
		sleep $(( 30 - $(date +%s) % 30 ))
	done
	echo "$s" > "$T/step"
	oathtool --totp -b "$(cat "$T/secret")" -N "@$(( s * 30 ))" > "$T/code"
}
with_code() { fresh_code; ca_ssh alice -o NumberOfPasswordPrompts=1 whoami < /dev/null > /dev/null 2>&1; }
in_grace() { ca_ssh alice -o BatchMode=yes whoami < /dev/null > /dev/null 2>&1; }

with_code && ok "a code lets alice in" || bad "code refused"
in_grace && ok "grace: the next connection needs no code" || bad "no grace"

# Re-enrollment: a new secret, the grace of the old one is gone.
enroll
! in_grace && ok "re-enrollment ends the grace" || bad "grace survived re-enrollment"
with_code && in_grace || bad "grace after the new code"

# A lockout (wrong codes from elsewhere with alice's key) ends it.
echo 000000 > "$T/code"
for i in 1 2 3 4 5; do
	ssh -F /dev/null -p "$PORT" -b 127.0.0.2 -i "$T/alice" -o IdentitiesOnly=yes -o IdentityAgent=none \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
		-o NumberOfPasswordPrompts=1 alice@127.0.0.1 whoami < /dev/null > /dev/null 2>&1 || true
done
[ "$($J audit --dir "$T/ca" --event lockout --json | wc -l)" = 1 ] || bad "no lockout"
! in_grace && ok "a lockout ends the grace (checked before it)" || bad "grace survived a lockout"

# A revocation of alice's certificate ends it.
enroll	# a fresh secret clears the lockout
with_code && in_grace || bad "grace before the revocation"
fresh_code
ca_ssh alice -o NumberOfPasswordPrompts=1 login --role dev < "$T/new.pub" > "$T/cert" 2> /dev/null ||
	bad "login"
sleep 1
$J revoke --dir "$T/ca" --user alice --reason "laptop lost" > /dev/null
! in_grace && ok "a revocation ends the grace" || bad "grace survived a revocation"

# A policy reload ends it.  (bob's: alice's codes of this step are used, and
# her next would wait for the next 30 s step.)
oathtool --totp -b "$(cat "$T/bob.secret")" > "$T/code"
ca_ssh bob -o NumberOfPasswordPrompts=1 whoami < /dev/null > /dev/null 2>&1 &&
	ca_ssh bob -o BatchMode=yes whoami < /dev/null > /dev/null 2>&1 || bad "grace before the reload"
kill -HUP "$CA_PID"; sleep 1
! ca_ssh bob -o BatchMode=yes whoami < /dev/null > /dev/null 2>&1 &&
	ok "a policy reload ends the grace" || bad "grace survived a reload"
finish
