#!/usr/bin/env bash
# Revocation end to end: sign with jit-ssh-ca, revoke by serial and by key
# id, build the KRL; ssh-keygen -Q and a real sshd with RevokedKeys agree.
. "$(dirname "$0")/lib.sh"
: "${JIT_SSH_CA:?}" "${TEST_DATA:?}"

"$JIT_SSH_CA" init --dir "$T/ca" > /dev/null
key=$(cut -d' ' -f1,2 "$TEST_DATA/key_ed25519.pub")
cat > "$T/ca/policy.yaml" <<YAML
users:
  alice: { keys: ["$key"], groups: [ops] }
roles:
  login:
    groups: [ops]
    principals: ["$LOGIN_USER"]
    mfa: optional
    ttl: 10m
YAML
N=10
for i in $(seq 1 $N); do
	ssh-keygen -q -t ed25519 -N '' -f "$T/k$i"
	"$JIT_SSH_CA" sign --dir "$T/ca" --user alice --role login -o "$T/k$i-cert.pub" "$T/k$i.pub" 2> /dev/null
	[ -s "$T/k$i-cert.pub" ] || { bad "sign -o wrote no k$i-cert.pub"; }
done
ok "signed $N certificates"
# Empty KRL first: nothing revoked.
"$JIT_SSH_CA" krl --dir "$T/ca" -o "$T/empty.krl"
ssh-keygen -Q -f "$T/empty.krl" "$T/k1-cert.pub" > /dev/null && ok "empty KRL revokes nothing" ||
	bad "empty KRL revoked k1"

# Revoke 2-4 and 6-8 (two runs: one subsection each, or OpenSSH finds
# "unparsed data" and refuses the whole KRL) by serial and 10 by key id.
for s in 2 3 4 6 7 8; do "$JIT_SSH_CA" revoke --dir "$T/ca" --serial $s --reason test > /dev/null; done
kid=$(ssh-keygen -L -f "$T/k10-cert.pub" | sed -n 's/.*Key ID: "\(.*\)"/\1/p')
"$JIT_SSH_CA" revoke --dir "$T/ca" --key-id "$kid" > /dev/null && ok "revoke --key-id $kid" ||
	bad "revoke --key-id $kid"
rc=0; "$JIT_SSH_CA" revoke --dir "$T/ca" --serial 2 2> "$T/err" || rc=$?
[ $rc = 1 ] && grep -q "already revoked" "$T/err" && ok "revoking twice is refused" || bad "twice: $rc"
rc=0; "$JIT_SSH_CA" revoke --dir "$T/ca" --key-id "jit:alice:login:999" 2> "$T/err" || rc=$?
[ $rc = 1 ] && grep -q "no certificate" "$T/err" && ok "unknown key id is refused" || bad "unknown id: $rc"
"$JIT_SSH_CA" krl --dir "$T/ca" -o "$T/revoked.krl"
revoked=" 2 3 4 6 7 8 10 "
for i in $(seq 1 $N); do
	rc=0; ssh-keygen -Q -f "$T/revoked.krl" "$T/k$i-cert.pub" > "$T/q" 2>&1 || rc=$?
	if [[ "$revoked" == *" $i "* ]]; then
		[ $rc != 0 ] && grep -q REVOKED "$T/q" && ok "ssh-keygen -Q: k$i revoked" || bad "k$i not revoked: $(cat "$T/q")"
	else
		[ $rc = 0 ] && ok "ssh-keygen -Q: k$i not revoked" || bad "k$i wrongly revoked: $(cat "$T/q")"
	fi
done
# The KRL on stdout is the same thing.
"$JIT_SSH_CA" krl --dir "$T/ca" > "$T/stdout.krl"
ssh-keygen -Q -f "$T/stdout.krl" "$T/k3-cert.pub" > /dev/null 2>&1 && bad "stdout KRL lacks k3" ||
	ok "krl to stdout revokes the same"

start_sshd "$T/sshd" "TrustedUserCAKeys $T/ca/user_ca.pub" "RevokedKeys $T/revoked.krl"
for i in $(seq 1 $N); do
	rc=0; try_ssh "$T/k$i" "$T/k$i-cert.pub" 2> /dev/null || rc=$?
	if [[ "$revoked" == *" $i "* ]]; then
		[ $rc = 255 ] && ok "sshd refuses revoked k$i" || bad "sshd let revoked k$i in (rc $rc)"
	else
		[ $rc = 0 ] && ok "sshd accepts k$i" || bad "sshd refused k$i (rc $rc)"
	fi
done
grep -q "revoked" "$SSHD_LOG" && ok "sshd logged the revocation" || bad "no revocation in sshd log"

# revoke --user with more certificates than any buffer (it stopped at
# 4,096 with "buffer size limit", revoking nothing): all of them, and the
# KRL says so (ssh-keygen -Q is not needed for 5,000: count its serials).
"${JIT_TESTFILL:?}" "$T/ca/store" 5000 mallory
rc=0; "$JIT_SSH_CA" revoke --dir "$T/ca" --user mallory --reason "left" > "$T/rev.out" 2>&1 || rc=$?
[ $rc = 0 ] && grep -q "revoked 5000 certificates of mallory" "$T/rev.out" &&
	ok "revoke --user revokes 5,000 certificates" || bad "revoke --user: rc=$rc $(tail -2 "$T/rev.out")"
n=$("$JIT_SSH_CA" audit --dir "$T/ca" --event revoke --user mallory --json | wc -l)
[ "$n" = 5000 ] && ok "each one is on record" || bad "$n revoke events"
"$JIT_SSH_CA" revoke --dir "$T/ca" --user mallory > "$T/rev.out" 2>&1 &&
	grep -q "revoked 0 certificates of mallory (5000 already were)" "$T/rev.out" &&
	ok "again: nothing new, and it says so" || bad "again: $(cat "$T/rev.out")"
finish
