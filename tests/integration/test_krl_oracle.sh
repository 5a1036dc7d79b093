#!/usr/bin/env bash
# Our KRL encoder against OpenSSH as the oracle: 100 random revocation sets
# (singles, runs, dense and sparse stretches, key ids, up to 5,000 serials,
# serials near 2^63 and near 2^64), each checked serial by serial with
# `ssh-keygen -Q` and sized against `ssh-keygen -k`, and our KRL reader
# (jkrl_check) on both KRLs, ours and ssh-keygen -k's (jit-krloracle does
# that), then a sample of the sets behind a real sshd's RevokedKeys.
# KRL_SEED=N repeats a run; KRL_SETS=N changes the count.
. "$(dirname "$0")/lib.sh"
: "${JIT_KRLORACLE:?}"

# Thousands of small files a set: a memory file system when there is one.
S=$(mktemp -d -p /dev/shm 2> /dev/null || mktemp -d -p "$T")
CLEANUP_HOOKS+=("rm -rf $S")
sets=${KRL_SETS:-100}	# a new seed each run: over runs, many more
# Seven sets behind sshd, spread over the run, whatever its size.
sample=$(for p in 7 21 38 50 66 83 99; do echo $(( p * sets / 100 )); done | paste -sd,)
rc=0
LOGIN_USER=$LOGIN_USER "$JIT_KRLORACLE" "$S" "$sets" "${KRL_SEED:-$(date +%s)}" "$sample" > "$T/oracle.out" || rc=$?
sed 's/^/# /' "$T/oracle.out"	# (its figures, as TAP comments)
[ $rc = 0 ] && ok "ssh-keygen -Q agrees with every KRL, sizes within 1.25x of ssh-keygen -k" ||
	bad "jit-krloracle: exit $rc"

start_sshd "$T/sshd" "TrustedUserCAKeys $S/ca.pub" "RevokedKeys $T/current.krl"
n=0
for d in "$S"/keep-*; do
	[ -d "$d" ] || continue
	cp "$d/krl" "$T/current.krl"	# sshd reads RevokedKeys at each login
	set=${d##*-}
	for c in "$d"/ok*-cert.pub; do
		rc=0; try_ssh "$S/user" "$c" 2> /dev/null || rc=$?
		[ $rc = 0 ] && ok "set $set: sshd accepts $(basename "$c")" ||
			bad "set $set: sshd refused $(basename "$c") (rc $rc)"
		n=$((n + 1))
	done
	for c in "$d"/revoked*-cert.pub; do
		rc=0; try_ssh "$S/user" "$c" 2> /dev/null || rc=$?
		[ $rc = 255 ] && ok "set $set: sshd refuses $(basename "$c")" ||
			bad "set $set: sshd let $(basename "$c") in (rc $rc)"
		n=$((n + 1))
	done
done
[ $n -ge 20 ] && ok "$n logins through sshd's RevokedKeys" || bad "only $n sshd checks"
grep -q "revoked" "$SSHD_LOG" && ok "sshd logged the revocations" || bad "no revocation in sshd log"
finish
