#!/usr/bin/env bash
# Certificates made by the core, judged by a real sshd and by ssh-keygen -L.
#   env: JIT_SSH_CA (jit-ssh-ca), JIT_TESTCERT (jit-testcert)
. "$(dirname "$0")/lib.sh"

: "${JIT_SSH_CA:?}" "${JIT_TESTCERT:?}"
export TZ=UTC

# Three trusted CAs made by init (one per CA key type), one untrusted.
for t in ed25519 ecdsa rsa; do
	"$JIT_SSH_CA" init --dir "$T/ca-$t" --key-type "$t" > /dev/null
	for f in user_ca host_ca ssh_host_ed25519_key; do
		m=$(stat -c %a "$T/ca-$t/$f")
		[ "$m" = 600 ] && ok "init $t: $f is 0600" || bad "init $t: $f is $m"
	done
	m=$(stat -c %a "$T/ca-$t")
	[ "$m" = 700 ] && ok "init $t: dir is 0700" || bad "init $t: dir is $m"
	ssh-keygen -y -f "$T/ca-$t/user_ca" > /dev/null &&
		ok "ssh-keygen -y reads the $t user CA key" || bad "ssh-keygen -y $t"
done
"$JIT_SSH_CA" init --dir "$T/other" > /dev/null
if "$JIT_SSH_CA" init --dir "$T/ca-ed25519" 2> "$T/err"; then
	bad "init overwrote an existing CA"
else
	grep -q "refusing to overwrite" "$T/err" && ok "init refuses an existing CA" ||
		bad "init: unclear error: $(cat "$T/err")"
fi
cat "$T"/ca-{ed25519,ecdsa,rsa}/user_ca.pub > "$T/trusted.pub"

start_sshd "$T/sshd" "TrustedUserCAKeys $T/trusted.pub"

# Client keys of every accepted type.
for t in "ed25519" "ecdsa -b 256" "ecdsa -b 384" "ecdsa -b 521" "rsa -b 3072"; do
	n=${t// /}; n=${n//-b/}
	ssh-keygen -q -t $t -N '' -C "client-$n" -f "$T/client-$n"
done

serial=100
# sign NAME CA CLIENT [testcert args...]: writes $T/NAME-cert.pub
sign() {
	local name=$1 ca=$2 client=$3; shift 3
	serial=$((serial + 1))
	"$JIT_TESTCERT" sign --ca "$ca" --key "$T/client-$client.pub" \
		--serial "$serial" --id "jit:$LOGIN_USER:test:$serial" "$@" \
		> "$T/$name-cert.pub"
}

# expect_ssh in|out NAME CLIENT WHAT [SSHD_LOG_PATTERN]
# A refusal counts only when sshd's log gives the expected reason.
expect_ssh() {
	local want=$1 name=$2 client=$3 what=$4 pattern=${5:-} rc=0 before
	before=$(wc -l < "$SSHD_LOG")
	try_ssh "$T/client-$client" "$T/$name-cert.pub" 2> "$T/ssh.err" || rc=$?
	sleep 0.1	# let sshd finish its log lines
	if [ "$want" = in ] && [ "$rc" -eq 0 ]; then ok "sshd accepts $what"
	elif [ "$want" = out ] && [ "$rc" -eq 255 ]; then
		if [ -z "$pattern" ] || tail -n +"$((before + 1))" "$SSHD_LOG" | grep -q "$pattern"; then
			ok "sshd refuses $what"
		else
			bad "sshd refused $what, but not with '$pattern'"
		fi
	else bad "$what: ssh exit $rc, wanted $want ($(tail -1 "$T/ssh.err"))"; fi
}

# ssh-keygen -L shows exactly what we encoded (same layout, line by line).
compare_L() {
	local name=$1
	if diff <(ssh-keygen -L -f "$T/$name-cert.pub" | tail -n +2) \
		<("$JIT_TESTCERT" show "$T/$name-cert.pub") > "$T/diff"; then
		ok "ssh-keygen -L agrees on $name"
	else
		bad "ssh-keygen -L disagrees on $name:"; cat "$T/diff"
	fi
}

for ca in ed25519 ecdsa rsa; do
	for client in ed25519 ecdsa256 ecdsa384 ecdsa521 rsa3072; do
		name=good-$ca-$client
		sign "$name" "$T/ca-$ca/user_ca" "$client" \
			--principals "$LOGIN_USER,deploy" --after -60 --before +300 \
			--ext permit-pty --ext permit-X11-forwarding
		expect_ssh in "$name" "$client" "a valid $client cert from the $ca CA"
		compare_L "$name"
		grep -q "ID jit:$LOGIN_USER:test:$serial (serial $serial)" "$SSHD_LOG" &&
			ok "sshd logged key id and serial $serial" ||
			bad "sshd log lacks key id / serial $serial"
	done
done

CA=$T/ca-ed25519/user_ca
sign expired "$CA" ed25519 --principals "$LOGIN_USER" --after -3600 --before -60
expect_ssh out expired ed25519 "an expired cert" "Certificate invalid: expired"
compare_L expired
sign future "$CA" ed25519 --principals "$LOGIN_USER" --after +3600 --before +7200
expect_ssh out future ed25519 "a not-yet-valid cert" "Certificate invalid: not yet valid"
sign wrongp "$CA" ed25519 --principals "nobody-here,deploy"
expect_ssh out wrongp ed25519 "a cert for the wrong principal" "name is not a listed principal"
sign otherca "$T/other/user_ca" ed25519 --principals "$LOGIN_USER"
expect_ssh out otherca ed25519 "a cert from another CA" \
	"Failed publickey for $LOGIN_USER .*ID jit:$LOGIN_USER:test:$serial (serial $serial)"
sign hostcert "$CA" ed25519 --principals "$LOGIN_USER" --host
# (ssh itself does not offer a host certificate for user auth: only the
# bare key reaches sshd, which has no authorized_keys, and fails.)
expect_ssh out hostcert ed25519 "a host certificate used as a user cert" \
	"Failed publickey for $LOGIN_USER"
compare_L hostcert

# Critical options are honoured, so they must be encoded right.
sign forced "$CA" ed25519 --principals "$LOGIN_USER" \
	--critical force-command="echo forced-by-cert" --critical source-address=127.0.0.1/32
out=$(try_ssh "$T/client-ed25519" "$T/forced-cert.pub" echo not-forced 2>/dev/null || true)
[ "$out" = forced-by-cert ] && ok "force-command runs instead of the request" ||
	bad "force-command ignored: '$out'"
compare_L forced
sign elsewhere "$CA" ed25519 --principals "$LOGIN_USER" --critical source-address=10.9.9.9/32
expect_ssh out elsewhere ed25519 "a cert limited to another source address" \
	"not from a permitted source address"

# Our parser reads what ssh-keygen signs.
ssh-keygen -q -s "$CA" -I kg -n "$LOGIN_USER",x -z 77 -V -5m:+5m -O clear -O permit-pty \
	-O force-command=/bin/true "$T/client-ecdsa384.pub"
cp "$T/client-ecdsa384-cert.pub" "$T/keygen-cert.pub"
compare_L keygen

finish
