#!/usr/bin/env bash
# examples/: the policy passes policy check, the systemd units pass
# systemd-analyze verify, the sshd snippet passes sshd -t, the man pages
# render without warnings, the notify script posts valid JSON to a webhook,
# the KRL refresh script installs a KRL fetched from a real CA, and the
# client config loads.
. "$(dirname "$0")/lib.sh"
: "${JIT_SSH_CA:?}" "${JIT_SSH:?}" "${EXAMPLES:?}" "${MANPAGES:?}"
J=$JIT_SSH_CA
E=$EXAMPLES

$J policy check "$E/policy.yaml" > "$T/out" 2>&1 && ok "examples/policy.yaml passes policy check ($(tr '\n' ' ' < "$T/out"))" ||
	bad "policy check: $(cat "$T/out")"
for r in dev prod-root db-maint break-glass ci-deploy; do
	grep -q "^  $r:" "$E/policy.yaml" || bad "the example policy lacks role $r"
done

# Man pages: rendered with warnings on.
mkdir -p "$T/man/man1" "$T/man/man8"
for m in $MANPAGES; do
	sec=${m##*.}
	cp "$m" "$T/man/man$sec/"
	if command -v man > /dev/null; then
		w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$m" 2>&1 > "$T/rendered") || true
		[ -z "$w" ] && grep -q "NAME" "$T/rendered" && ok "$(basename "$m") renders without warnings" ||
			bad "$(basename "$m"): $w"
	else
		echo "# man missing: $(basename "$m") not rendered"
	fi
done

# systemd units: verified with the binaries they name pointed at this build
# and man: links at our pages.
if command -v systemd-analyze > /dev/null; then
	mkdir -p "$T/units"
	cp "$E"/systemd/* "$T/units/"
	sed -i -e "s|/usr/local/sbin/jit-ssh-ca|$J|g" \
		-e "s|/usr/local/bin/jit-ssh-host|$JIT_SSH_HOST|g" "$T"/units/*.service
	MANPATH=$T/man SYSTEMD_LOG_COLOR=0 systemd-analyze verify "$T"/units/* > "$T/out" 2>&1 &&
		ok "the systemd units pass systemd-analyze verify" || bad "systemd-analyze: $(cat "$T/out")"
	for k in "ProtectSystem=strict" "NoNewPrivileges=yes" "User=jit-ssh-ca"; do
		grep -qx "$k" "$E/systemd/jit-ssh-ca.service" || bad "jit-ssh-ca.service lacks $k"
	done
	ok "the CA unit is hardened and runs as its own user"
else
	echo "# systemd-analyze missing (apt-get install systemd): units not verified"
fi

# The sshd snippet, with this test's paths, passes sshd -t.
$J init --dir "$T/ca" > /dev/null
mkdir -p "$T/h"
ssh-keygen -q -t ed25519 -N '' -f "$T/h/ssh_host_ed25519_key"
$J sign-host --dir "$T/ca" --hostname localhost -o "$T/h/ssh_host_ed25519_key-cert.pub" "$T/h/ssh_host_ed25519_key.pub" 2> /dev/null
$J krl --dir "$T/ca" -o "$T/h/revoked.krl" 2> /dev/null
cp "$T/ca/user_ca.pub" "$T/h/user-ca.pub"
sed -e "s|/etc/ssh/jit-ssh-user-ca.pub|$T/h/user-ca.pub|" -e "s|/etc/ssh/auth_principals/|$T/h/principals/|" \
	-e "s|/etc/ssh/jit-ssh-revoked.krl|$T/h/revoked.krl|" -e "s|/etc/ssh/ssh_host_ed25519_key|$T/h/ssh_host_ed25519_key|" \
	"$E/sshd_config.d/jit-ssh.conf" > "$T/h/jit-ssh.conf"
{ echo "HostKey $T/h/ssh_host_ed25519_key"; echo "Include $T/h/jit-ssh.conf"; echo "UsePAM no"; } > "$T/h/sshd_config"
[ "$(id -u)" -ne 0 ] || mkdir -p /run/sshd
"$SSHD" -t -f "$T/h/sshd_config" > "$T/out" 2>&1 && ok "the sshd_config.d snippet passes sshd -t" ||
	bad "sshd -t: $(cat "$T/out")"
# ... and with the recording snippet, and Debian's own sftp Subsystem line.
sed "s|/usr/local/bin/jit-ssh-host|$JIT_SSH_HOST|" "$E/sshd_config.d/jit-ssh-record.conf" > "$T/h/rec.conf"
{ echo "Include $T/h/rec.conf"; cat "$T/h/sshd_config"; echo "Subsystem sftp /usr/lib/openssh/sftp-server"; } > "$T/h/sshd_config2"
"$SSHD" -T -f "$T/h/sshd_config2" > "$T/out" 2>&1 && grep -qx "exposeauthinfo yes" "$T/out" &&
	grep -qx "forcecommand $JIT_SSH_HOST record" "$T/out" && grep -qx "allowtcpforwarding no" "$T/out" &&
	ok "the recording snippet passes sshd -T: ExposeAuthInfo, ForceCommand, no forwarding" || bad "sshd -T: $(cat "$T/out")"

# The notify script posts {"text": ...} to a webhook (a local HTTP server).
if command -v curl > /dev/null; then
	# webhook: a local HTTP server that keeps the first POST's body in
	# $T/posted and ends (the port probe is a request too).
	webhook() {
		rm -f "$T/posted"
		python3 - "$WPORT" "$T/posted" <<'PY' &
import http.server, sys, os
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        open(sys.argv[2], "wb").write(body)
        self.send_response(200); self.end_headers()
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H)
s.timeout = 20
while not os.path.exists(sys.argv[2]):
    s.handle_request()
PY
		PIDS+=($!)
		wait_port "$WPORT"
	}
	WPORT=$(free_port)
	webhook
	echo '{"seq":7,"event":"break-glass","user":"bob","role":"break-glass","reason":"db \"down\"\\now"}' |
		JIT_SSH_WEBHOOK_URL=http://127.0.0.1:$WPORT/hook "$E/notify-webhook" && rc=0 || rc=$?
	python3 - "$T/posted" <<'PY' && [ $rc = 0 ] && ok "notify-webhook posts valid JSON naming the event" || bad "webhook: rc=$rc $(cat "$T/posted" 2>&1)"
import json, sys
t = json.load(open(sys.argv[1]))["text"]
assert "BREAK-GLASS, bob took role break-glass" in t, t
assert '"reason":"db \\"down\\"\\\\now"' in t, t
PY
	# A reason that tries to leave the code block and call everyone.
	webhook
	echo '{"seq":8,"event":"request","user":"bob","role":"prod","reason":"``` <!channel> @channel <https://evil|click> & `x`","may_approve":["carol","erin"]}' |
		JIT_SSH_WEBHOOK_URL=http://127.0.0.1:$WPORT/hook "$E/notify-webhook" && rc=0 || rc=$?
	python3 - "$T/posted" <<'PY' && [ $rc = 0 ] && ok "notify-webhook escapes a hostile reason for the chat, names who may approve" || bad "webhook escape: rc=$rc $(cat "$T/posted" 2>&1)"
import json, sys
t = json.load(open(sys.argv[1]))["text"]
assert t.count("`") == 6 and t.endswith("```"), t          # one code block, nothing inside it
assert "<" not in t and ">" not in t, t                    # no <!channel>, no <link|text>
assert "&lt;!channel&gt;" in t and "&amp;" in t, t
assert "@channel" not in t, t                              # not a live mention
assert "may approve: carol, erin" in t, t
PY
	echo '{"event":"request"}' | env -u JIT_SSH_WEBHOOK_URL "$E/notify-webhook" 2> "$T/err" && bad "no URL accepted" ||
		{ grep -q JIT_SSH_WEBHOOK_URL "$T/err" && ok "notify-webhook without a URL fails and says why"; }
else
	echo "# curl missing: notify-webhook not run"
fi

# jit-ssh-host krl-refresh, with examples/host.yaml's keys, against a real
# CA service: as an enrolled host.
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey"
ssh-keygen -q -t ed25519 -N '' -f "$T/u"
cat > "$T/ca/policy.yaml" <<YAML
users:
  alice: { keys: ["$(cut -d' ' -f1,2 "$T/u.pub")"], groups: [dev] }
roles:
  dev: { groups: [dev], principals: [deploy], mfa: optional }
YAML
$J host enroll --dir "$T/ca" --name web1 "$T/hostkey.pub" > /dev/null
$J sign --dir "$T/ca" --user alice --role dev -o "$T/u-cert.pub" "$T/u.pub" 2> /dev/null
serial=$(ssh-keygen -Lf "$T/u-cert.pub" | awk '/Serial:/{print $2}')
$J revoke --dir "$T/ca" --serial "$serial" > /dev/null 2>&1
start_serve "$T/ca"
sed -e "s|^ca: .*|ca: 127.0.0.1:$PORT|" \
	-e "s|^ca_host_key: .*|ca_host_key: \"$(cut -d' ' -f1,2 "$T/ca/ssh_host_ed25519_key.pub")\"|" \
	-e "s|^host_key: .*|host_key: $T/hostkey|" -e "s|^krl: .*|krl: $T/h/revoked.krl|" \
	-e "s|^user_ca_keys: .*|user_ca_keys: $T/ca/user_ca.pub|" -e "s|^spool: .*|spool: $T/spool|" \
	"$E/host.yaml" > "$T/host.yaml"
chmod 644 "$T/host.yaml"
"$JIT_SSH_HOST" krl-refresh --config "$T/host.yaml" 2> "$T/err" && rc=0 || rc=$?
rc2=0; ssh-keygen -Q -f "$T/h/revoked.krl" "$T/u-cert.pub" > /dev/null 2>&1 || rc2=$?
[ $rc = 0 ] && [ $rc2 = 1 ] && ok "jit-ssh-host krl-refresh (examples/host.yaml) installs the CA's KRL (the revoked certificate is in it)" ||
	bad "krl refresh: rc=$rc Q=$rc2 $(cat "$T/err")"
ls "$T/h/" | grep -q 'revoked.krl\.' && bad "a temporary file was left behind" || ok "no temporary file left"
kill -STOP "$CA_PID"
timeout 3 "$JIT_SSH_HOST" krl-refresh --config "$T/host.yaml" 2> /dev/null && rc=0 || rc=$?
kill -CONT "$CA_PID"
rc2=0; ssh-keygen -Q -f "$T/h/revoked.krl" "$T/u-cert.pub" > /dev/null 2>&1 || rc2=$?
[ $rc != 0 ] && [ $rc2 = 1 ] && ok "a failed refresh keeps the installed KRL" || bad "failed refresh: rc=$rc Q=$rc2"
sed -i "s|^name: .*|name: web2|" "$T/host.yaml"
rc=0; "$JIT_SSH_HOST" krl-refresh --config "$T/host.yaml" 2> "$T/err" || rc=$?
[ $rc = 1 ] && grep -q "refused host web2" "$T/err" && ok "a host that is not enrolled is refused, saying how to enroll" ||
	bad "unenrolled: rc=$rc $(cat "$T/err")"

# The client configuration example loads (and the CA it names is not there).
rc=0; "$JIT_SSH" --config "$E/config.yaml" --ca 127.0.0.1:1 roles > /dev/null 2> "$T/err" || rc=$?
[ $rc = 3 ] && grep -q "cannot reach" "$T/err" && ok "examples/config.yaml loads" || bad "config: rc=$rc $(cat "$T/err")"

finish
