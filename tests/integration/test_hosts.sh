#!/usr/bin/env bash
# Host tooling: sign-host certificates that a stock ssh client trusts from
# the @cert-authority line alone (and another CA's it refuses), host-config
# lines that sshd accepts, and bad sign-host input that changes nothing.
. "$(dirname "$0")/lib.sh"
: "${JIT_SSH_CA:?}"
J=$JIT_SSH_CA

$J init --dir "$T/ca" > /dev/null
ssh-keygen -q -t ed25519 -N '' -f "$T/user"
cat > "$T/ca/policy.yaml" <<YAML
users:
  alice: { keys: ["$(cut -d' ' -f1,2 "$T/user.pub")"], groups: [dev] }
roles:
  dev: { groups: [dev], principals: [deploy], mfa: optional, ttl: 5m }
YAML
$J sign --dir "$T/ca" --user alice --role dev -o "$T/user-cert.pub" "$T/user.pub" 2> /dev/null

# ---- sign-host ----
mkdir -p "$T/h1"
ssh-keygen -q -t ed25519 -N '' -f "$T/h1/host_key"
rc=0; $J sign-host --dir "$T/ca" --hostname localhost,127.0.0.1 --ttl 30d -o "$T/h1/host_key-cert.pub" "$T/h1/host_key.pub" 2> "$T/err" || rc=$?
[ $rc = 0 ] && [ -f "$T/h1/host_key-cert.pub" ] && ok "sign-host -o FILE writes the certificate there" || bad "sign-host: rc=$rc $(cat "$T/err")"
ssh-keygen -L -f "$T/h1/host_key-cert.pub" > "$T/L"
grep -q "host certificate" "$T/L" && grep -q 'Key ID: "jit-host:localhost:' "$T/L" &&
	grep -A2 Principals: "$T/L" | grep -q "127.0.0.1" &&
	grep -q "Signing CA: ED25519 $(ssh-keygen -lf "$T/ca/host_ca.pub" | cut -d' ' -f2)" "$T/L" &&
	ok "ssh-keygen -L: a host certificate for both names, signed by the host CA" || bad "$(cat "$T/L")"
python3 - "$T/L" <<'PY' && ok "--ttl 30d gives 30 days (backdated 5 minutes for skew)" || bad "validity: $(grep Valid "$T/L")"
import re, sys, datetime
m = re.search(r"Valid: from (\S+) to (\S+)", open(sys.argv[1]).read())
a, b = (datetime.datetime.fromisoformat(x) for x in m.groups())
assert abs((b - a).total_seconds() - (30 * 86400 + 300)) < 5, (a, b)
PY
$J audit --dir "$T/ca" --event issue-host --json > "$T/a"
python3 - "$T/a" <<'PY' && ok "the host certificate is in the audit log" || bad "audit: $(cat "$T/a")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert len(ev) == 1 and ev[0]["event"] == "issue-host", ev
assert ev[0]["principals"] == ["localhost", "127.0.0.1"] and ev[0]["key_id"].startswith("jit-host:localhost:")
PY
$J audit verify --dir "$T/ca" > /dev/null && ok "the chain still verifies" || bad "verify"

# ---- host-config, used for real ----
$J host-config --dir "$T/ca" > "$T/hc"
CA_LINE=$(grep '^@cert-authority \* ' "$T/hc") && ok "host-config prints the @cert-authority line" || bad "$(cat "$T/hc")"
[ "$(echo "$CA_LINE" | cut -d' ' -f3,4)" = "$(cut -d' ' -f1,2 "$T/ca/host_ca.pub")" ] &&
	ok "... with the host CA key" || bad "CA line: $CA_LINE"
grep -qx "$(cut -d' ' -f1,2 "$T/ca/user_ca.pub") jit-ssh user CA" "$T/hc" && ok "host-config prints the user CA key file" ||
	bad "user CA: $(cat "$T/hc")"
for l in "TrustedUserCAKeys /etc/ssh/jit-ssh-user-ca.pub" "AuthorizedPrincipalsFile /etc/ssh/auth_principals/%u" \
	"RevokedKeys /etc/ssh/jit-ssh-revoked.krl" "LogLevel VERBOSE" "AuthorizedKeysFile none" \
	"PasswordAuthentication no" "KbdInteractiveAuthentication no"; do
	grep -qx "$l" "$T/hc" || bad "host-config lacks: $l"
done
ok "host-config prints the sshd_config lines"
# The printed lines, with this test's paths, drive a real sshd.
grep '^@cert-authority' "$T/hc" > /dev/null
sed -n '/^# --- on each host: \/etc\/ssh\/jit-ssh-user-ca.pub/{n;p}' "$T/hc" > "$T/h1/user-ca.pub"
mkdir -p "$T/h1/principals"; echo deploy > "$T/h1/principals/$LOGIN_USER"
$J krl --dir "$T/ca" -o "$T/h1/revoked.krl" 2> /dev/null
grep -E '^(TrustedUserCAKeys|AuthorizedPrincipalsFile|RevokedKeys|LogLevel|AuthorizedKeysFile|PasswordAuthentication|KbdInteractiveAuthentication) ' "$T/hc" | sed \
	-e "s|/etc/ssh/jit-ssh-user-ca.pub|$T/h1/user-ca.pub|" -e "s|/etc/ssh/auth_principals/|$T/h1/principals/|" \
	-e "s|/etc/ssh/jit-ssh-revoked.krl|$T/h1/revoked.krl|" -e '/^LogLevel/d' > "$T/h1/lines"
mapfile -t LINES < "$T/h1/lines"
start_sshd "$T/h1" "${LINES[@]}" "HostCertificate $T/h1/host_key-cert.pub"
H1=$SSHD_PORT
echo "$CA_LINE" > "$T/known_hosts"
strict_ssh() {	# PORT HOST: ssh trusting only $T/known_hosts, no StrictHostKeyChecking=no
	ssh -F /dev/null -p "$1" -o BatchMode=yes -o UserKnownHostsFile="$T/known_hosts" \
		-o GlobalKnownHostsFile=/dev/null -o IdentitiesOnly=yes -o IdentityAgent=none \
		-i "$T/user" -o CertificateFile="$T/user-cert.pub" -o ConnectTimeout=10 \
		"$LOGIN_USER@$2" "echo in"
}
strict_ssh "$H1" localhost 2> "$T/err" | grep -qx in &&
	ok "ssh with only the @cert-authority line trusts the host certificate (and logs in)" ||
	bad "strict ssh: $(cat "$T/err")"
strict_ssh "$H1" 127.0.0.1 2> "$T/err" | grep -qx in && ok "... by its second name too" || bad "by IP: $(cat "$T/err")"
grep -q "ID jit:alice:dev:" "$SSHD_LOG" && ok "sshd logs the user certificate's key id" || bad "no key id in the log"

# A host name the certificate does not list: refused.
ssh -F /dev/null -p "$H1" -o BatchMode=yes -o UserKnownHostsFile="$T/known_hosts" -o GlobalKnownHostsFile=/dev/null \
	-o HostKeyAlias=other.example -o IdentitiesOnly=yes -o IdentityAgent=none -i "$T/user" \
	-o CertificateFile="$T/user-cert.pub" "$LOGIN_USER@localhost" true 2> "$T/err" &&
	bad "ssh accepted a host certificate for another name" ||
	ok "a name the host certificate does not list is refused"

# Another CA's host certificate: refused.
mkdir -p "$T/h2"
ssh-keygen -q -t ed25519 -N '' -f "$T/other_ca"
ssh-keygen -q -t ed25519 -N '' -f "$T/h2/host_key"
ssh-keygen -q -s "$T/other_ca" -h -I other -n localhost,127.0.0.1 -V -5m:+1d "$T/h2/host_key.pub"
start_sshd "$T/h2" "TrustedUserCAKeys $T/ca/user_ca.pub" "HostCertificate $T/h2/host_key-cert.pub"
strict_ssh "$SSHD_PORT" localhost > /dev/null 2> "$T/err" && bad "ssh trusted another CA's host certificate" ||
	{ grep -q "Host key verification failed" "$T/err" && ok "another CA's host certificate is refused" ||
	bad "other CA: $(cat "$T/err")"; }

# ---- bad input: a clear error, exit 2 (usage) or 1, and nothing recorded ----
n=$($J audit --dir "$T/ca" --json | wc -l)
expect() {	# RC NEEDLE WHAT ARGS...
	local want=$1 needle=$2 what=$3 rc=0; shift 3
	$J sign-host --dir "$T/ca" "$@" > "$T/out" 2> "$T/err" || rc=$?
	if [ $rc = "$want" ] && grep -q -- "$needle" "$T/err" && [ ! -s "$T/out" ]; then ok "$what"
	else bad "$what: rc=$rc $(cat "$T/err")"; fi
}
expect 2 "needs --hostname" "no --hostname" "$T/h1/host_key.pub"
expect 2 "not a host name" "a name with a space" --hostname "a b" "$T/h1/host_key.pub"
expect 2 "not a host name" "an empty name in the list" --hostname "a,,b" "$T/h1/host_key.pub"
expect 2 "not a host name" "a trailing comma" --hostname "a," "$T/h1/host_key.pub"
expect 2 "given twice" "a name twice" --hostname "a,a" "$T/h1/host_key.pub"
expect 2 "not a host name" "a name of 254 characters" --hostname "$(printf 'a%.0s' $(seq 254))" "$T/h1/host_key.pub"
expect 2 "more than 64" "65 names" --hostname "$(seq -s, -f 'h%g' 65)" "$T/h1/host_key.pub"
expect 2 "--ttl" "a zero ttl" --hostname a --ttl 0s "$T/h1/host_key.pub"
expect 2 "--ttl" "a ttl over 366 days" --hostname a --ttl 400d "$T/h1/host_key.pub"
expect 2 "--ttl" "a ttl that is not a duration" --hostname a --ttl soon "$T/h1/host_key.pub"
expect 1 "nowhere.pub" "a missing key file" --hostname a "$T/nowhere.pub"
echo "not a key" > "$T/junk.pub"
expect 1 "junk.pub" "a file that is not a key" --hostname a "$T/junk.pub"
expect 1 "is the host CA's key" "the host CA's own key" --hostname a "$T/ca/host_ca.pub"
chmod 644 "$T/ca/host_ca"
expect 1 "host_ca" "a host CA key readable by others is refused" --hostname a "$T/h1/host_key.pub"
chmod 600 "$T/ca/host_ca"
[ "$($J audit --dir "$T/ca" --json | wc -l)" = "$n" ] && ok "refusals recorded nothing" || bad "events were written"
rc=0; $J host-config --dir "$T/nowhere" > /dev/null 2>&1 || rc=$?
[ $rc = 1 ] && ok "host-config on a missing CA: exit 1" || bad "host-config missing dir: rc=$rc"
rc=0; $J host-config --dir "$T/ca" --hosts 'a b' > /dev/null 2>&1 || rc=$?
[ $rc = 2 ] && ok "host-config refuses a bad --hosts pattern" || bad "--hosts: rc=$rc"

# host-config --record: what a recorded host adds, with the recorder the
# certificates of record: required roles force.
$J host-config --dir "$T/ca" --record > "$T/hcr"
grep -qx "ExposeAuthInfo yes" "$T/hcr" && grep -q "^ForceCommand /.*/jit-ssh-host record$" "$T/hcr" &&
	grep -qx "AllowTcpForwarding no" "$T/hcr" && grep -q "useradd --system .*jit-ssh-rec" "$T/hcr" &&
	grep -qx "ca_host_key: \"$(cut -d' ' -f1,2 "$T/ca/ssh_host_ed25519_key.pub")\"" "$T/hcr" &&
	ok "host-config --record prints the sshd lines, the spool user set-up and host.yaml" || bad "$(cat "$T/hcr")"

# host enroll / remove: the newest event about a host decides.
ssh-keygen -q -t ed25519 -N '' -f "$T/rec_key"
$J host enroll --dir "$T/ca" --name web9 "$T/rec_key.pub" > /dev/null &&
	$J host remove --dir "$T/ca" --name web9 > /dev/null && ok "host enroll, then remove" || bad "enroll/remove"
rc=0; $J host remove --dir "$T/ca" --name web9 > /dev/null 2> "$T/err" || rc=$?
[ $rc = 1 ] && grep -q "host web9 is not enrolled" "$T/err" && ok "removing a removed host is refused" ||
	bad "second remove: rc=$rc $(cat "$T/err")"
$J host enroll --dir "$T/ca" --name web9 "$T/rec_key.pub" > /dev/null && ok "... and it can be enrolled again" ||
	bad "re-enroll after remove"
[ "$($J audit --dir "$T/ca" --json | grep -c '"event":"host-')" = 3 ] && ok "three host events, no more" || bad "host events"

finish
