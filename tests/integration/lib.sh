# lib.sh: shared helpers for the integration tests (sourced, bash).
# Starts real OpenSSH daemons on loopback ports inside a private temp dir
# and cleans up every process it started, whatever happens.

set -euo pipefail

T=$(mktemp -d "${TMPDIR:-/tmp}/jit-it.XXXXXX")
chmod 700 "$T"
PIDS=()
CLEANUP_HOOKS=()	# commands run first at exit (daemons that are not our children)
FAILS=0
PASSES=0

cleanup() {
	local rc=$? p f
	for p in "${CLEANUP_HOOKS[@]:-}"; do
		[ -n "$p" ] && { $p || true; }
	done
	for p in "${PIDS[@]:-}"; do
		[ -n "$p" ] && kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]:-}"; do
		[ -n "$p" ] && wait "$p" 2>/dev/null || true
	done
	# Daemons built with sanitizers report into their logs, some only as
	# they exit (leaks): any report fails the test.
	f=$(grep -rlE 'AddressSanitizer|LeakSanitizer|runtime error:' "$T" 2> /dev/null | head -3 || true)
	if [ -n "$f" ]; then
		echo "not ok - sanitizer reports in: $f"
		grep -hE -A8 'Sanitizer|runtime error:' $f | head -60
		rc=1
	fi
	if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
	[ "$rc" = 0 ] || exit "$rc"
}
trap cleanup EXIT

# The scripts speak TAP (meson counts and names every check): ok and bad
# print a result, finish the plan; a skipped script says so in its plan.
# Results are tallied in a file, so that a check in a subshell counts.
ok()   { echo ok >> "$T/.results"; echo "ok - $*"; }
bad()  { echo bad >> "$T/.results"; echo "not ok - $*"; }
tally() {	# the results so far: sets PASSES and FAILS
	PASSES=$(grep -c '^ok' "$T/.results" 2> /dev/null || true)
	FAILS=$(grep -c '^bad' "$T/.results" 2> /dev/null || true)
}
skip() {
	tally
	if [ $((PASSES + FAILS)) = 0 ]; then
		echo "1..0 # SKIP $*"
	else
		echo "ok - # SKIP $*"
		echo "1..$((PASSES + FAILS + 1))"
	fi
	exit 0
}

# A TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
	python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

wait_port() {	# PORT [TRIES]
	local i
	for i in $(seq 1 "${2:-100}"); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.05
	done
	return 1
}

SSHD=${SSHD:-/usr/sbin/sshd}
LOGIN_USER=$(id -un)

# start_sshd DIR EXTRA_CONFIG_LINES... ; sets SSHD_PORT and SSHD_LOG
start_sshd() {
	local dir=$1; shift
	[ -x "$SSHD" ] || skip "no sshd at $SSHD (apt-get install openssh-server)"
	mkdir -p "$dir"
	[ "$(id -u)" -ne 0 ] || mkdir -p /run/sshd
	[ -f "$dir/host_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key"
	SSHD_PORT=$(free_port)
	SSHD_LOG=$dir/sshd.log
	{
		echo "Port $SSHD_PORT"
		echo "ListenAddress 127.0.0.1"
		echo "HostKey $dir/host_key"
		echo "PidFile $dir/sshd.pid"
		echo "AuthorizedKeysFile none"
		echo "PasswordAuthentication no"
		echo "KbdInteractiveAuthentication no"
		echo "PubkeyAuthentication yes"
		echo "PermitRootLogin prohibit-password"
		echo "UsePAM no"
		echo "StrictModes no"
		echo "LogLevel VERBOSE"
		echo "MaxStartups 100"
		printf '%s\n' "$@"
	} > "$dir/sshd_config"
	"$SSHD" -t -f "$dir/sshd_config"
	"$SSHD" -D -e -f "$dir/sshd_config" 2> "$SSHD_LOG" &
	PIDS+=($!)
	wait_port "$SSHD_PORT" || { cat "$SSHD_LOG"; echo "sshd did not start"; exit 1; }
}

# try_ssh KEY CERT [COMMAND]: exit status of ssh logging in with KEY+CERT.
try_ssh() {
	local key=$1 cert=$2; shift 2
	ssh -F /dev/null -p "$SSHD_PORT" \
		-o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null \
		-o IdentitiesOnly=yes -o IdentityAgent=none \
		-o PasswordAuthentication=no -o KbdInteractiveAuthentication=no \
		-o ConnectTimeout=10 -o LogLevel=ERROR \
		-i "$key" -o CertificateFile="$cert" \
		"$LOGIN_USER@127.0.0.1" "${@:-true}"
}

finish() {
	tally
	echo "1..$((PASSES + FAILS))"
	echo "# $PASSES passed, $FAILS failed"
	[ "$FAILS" -eq 0 ]
}

# start_serve CADIR: starts `jit-ssh-ca serve` on a free port; sets PORT and
# CA_PID; its log is $T/serve.log (appended, so restarts keep it).
start_serve() {
	local dir=$1
	PORT=${PORT:-$(free_port)}
	"$JIT_SSH_CA" serve --dir "$dir" --listen "127.0.0.1:$PORT" 2>> "$T/serve.log" &
	CA_PID=$!
	PIDS+=($CA_PID)
	wait_port "$PORT" || { cat "$T/serve.log"; echo "serve did not start"; exit 1; }
}

# ca_ssh USER ARGS...: a CA command as USER with the stock ssh client.
ca_ssh() {
	local who=$1; shift
	ssh -F /dev/null -p "$PORT" -i "$T/$who" -o IdentitiesOnly=yes -o IdentityAgent=none \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o LogLevel=ERROR -o ConnectTimeout=10 "$who@127.0.0.1" "$@"
}

# askpass_from_code: stock ssh answers the CA's code prompt with what
# $T/code holds (the tests write a code there before each connection).
askpass_from_code() {
	printf '#!/bin/sh\ncat "%s/code"\n' "$T" > "$T/askpass"
	chmod +x "$T/askpass"
	export SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force DISPLAY=:0
}

# enroll_secret DIR USER: enrolls USER at the CA in DIR; the base32 secret
# goes to $T/USER.secret.
enroll_secret() {
	"$JIT_SSH_CA" enroll --dir "$1" --user "$2" |
		sed 's/.*secret=\([A-Z2-7]*\).*/\1/' > "$T/$2.secret"
}

# ca_ssh_bg OUT USER ARGS...: ca_ssh in the background, stdout to OUT (a
# file or a FIFO), stdin from /dev/null; BG_PID is the ssh process itself
# (killed by PID, never by name).
ca_ssh_bg() {
	local out=$1; shift
	( exec > "$out" < /dev/null; exec ssh -F /dev/null -p "$PORT" -i "$T/$1" \
		-o IdentitiesOnly=yes -o IdentityAgent=none -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=10 \
		"$1@127.0.0.1" "${@:2}" ) &
	BG_PID=$!
	PIDS+=($BG_PID)
}
