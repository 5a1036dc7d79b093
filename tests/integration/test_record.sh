#!/usr/bin/env bash
# Session recording, end to end with real parts: a jit-ssh login, a real
# sshd whose ForceCommand is `jit-ssh-host record` (installed set-user-ID
# jit-ssh-rec, as on a host), ssh -tt through a terminal, `jit-ssh-host
# ship` to the real `jit-ssh-ca serve`, and asciinema judging the export.
# Sessions end on time (a 1-minute certificate), on the KRL and on a lock
# at the CA; the CA stopped mid-session and kill -9 of the recorder lose
# nothing; the test user cannot read the spool, signal or ptrace the
# recorder; uploads for another host's session or a made-up serial are
# refused.  Run as root (CI is) for the accounts and the set-user-ID
# recorder; otherwise the recorder runs as the caller and those checks skip.
. "$(dirname "$0")/lib.sh"
: "${JIT_SSH_CA:?}" "${JIT_SSH:?}" "${JIT_SSH_HOST:?}"
J=$JIT_SSH_CA
command -v asciinema > /dev/null || skip "no asciinema (apt-get install asciinema)"
command -v script > /dev/null || skip "no script(1)"

# ---- the accounts: the recorder's, and a person's ----
ROOT=0; [ "$(id -u)" = 0 ] && ROOT=1
if [ $ROOT = 1 ]; then
	id jit-ssh-rec > /dev/null 2>&1 ||
		useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin jit-ssh-rec
	id jit-rec-test > /dev/null 2>&1 || useradd -m -s /bin/bash -p '*' jit-rec-test
	ACCT=jit-rec-test
else
	ACCT=$LOGIN_USER
fi
as_acct() { if [ $ROOT = 1 ]; then runuser -u "$ACCT" -- "$@"; else "$@"; fi; }
as_rec() { if [ $ROOT = 1 ]; then setpriv --reuid=jit-ssh-rec --regid=jit-ssh-rec --clear-groups "$@"; else "$@"; fi; }

# ---- the CA ----
$J init --dir "$T/ca" > /dev/null
ssh-keygen -q -t ed25519 -N '' -f "$T/alice"
ssh-keygen -q -t ed25519 -N '' -f "$T/audra"
ssh-keygen -q -t ed25519 -N '' -f "$T/bob"
cat > "$T/ca/policy.yaml" <<YAML
users:
  alice: { keys: ["$(cut -d' ' -f1,2 "$T/alice.pub")"], groups: [dev] }
  audra: { keys: ["$(cut -d' ' -f1,2 "$T/audra.pub")"], groups: [audit] }
  bob: { keys: ["$(cut -d' ' -f1,2 "$T/bob.pub")"], groups: [dev] }
roles:
  dev: { groups: [dev], principals: ["$ACCT"], mfa: optional, ttl: 5m, extensions: [permit-pty] }
auditors: [audit]
YAML
start_serve "$T/ca"
HOSTKEY=$(cut -d' ' -f1,2 "$T/ca/ssh_host_ed25519_key.pub")
for u in alice audra bob; do
	printf 'ca: 127.0.0.1:%s\nuser: %s\nidentity: %s\nca_host_key: "%s"\n' "$PORT" $u "$T/$u" "$HOSTKEY" > "$T/$u.yaml"
done
js() { local who=$1; shift; JIT_SSH_CONFIG=$T/$who.yaml "$JIT_SSH" "$@" < /dev/null; }
login() {	# NAME [ARGS]: a fresh key and certificate in $T/NAME, its serial in SERIAL
	local name=$1 who=${WHO:-alice}; shift
	(unset SSH_AUTH_SOCK; js $who login --role dev --out "$T/$name" "$@" > "$T/login.out" 2>&1) ||
		{ bad "login: $(cat "$T/login.out")"; return 1; }
	SERIAL=$(ssh-keygen -L -f "$T/$name-cert.pub" | sed -n 's/.*Serial: //p')
}

# ---- the host: jit-ssh-host installed as on a host, its files root's ----
H=$(mktemp -d /tmp/jit-rec-host.XXXXXX)
CLEANUP_HOOKS+=("rm -rf $H")
chmod 755 "$H"
cp "$JIT_SSH_HOST" "$H/jit-ssh-host"
SETUID=0
if [ $ROOT = 1 ]; then
	chown jit-ssh-rec "$H/jit-ssh-host"
	chmod 4755 "$H/jit-ssh-host"
	findmnt -no OPTIONS -T "$H" | grep -qw nosuid || SETUID=1
fi
mkdir -m 700 "$H/spool"
ssh-keygen -q -t ed25519 -N '' -C web1 -f "$H/host_key"
[ $ROOT = 1 ] && chown jit-ssh-rec "$H/spool" "$H/host_key"
cp "$T/ca/user_ca.pub" "$H/user_ca.pub"
$J krl --dir "$T/ca" -o "$H/revoked.krl" 2> /dev/null
cat > "$H/host.yaml" <<YAML
ca: 127.0.0.1:$PORT
ca_host_key: "$HOSTKEY"
host_key: $H/host_key
name: web1
user_ca_keys: $H/user_ca.pub
krl: $H/revoked.krl
spool: $H/spool
warn_before: 30s
YAML
chmod 644 "$H/host.yaml" "$H/user_ca.pub" "$H/revoked.krl"
$J host enroll --dir "$T/ca" --name web1 "$H/host_key.pub" > "$T/enroll.out" 2>&1 &&
	grep -q "host web1 enrolled" "$T/enroll.out" && ok "host enroll records web1's key" || bad "enroll: $(cat "$T/enroll.out")"
rc=0; $J host enroll --dir "$T/ca" --name web1 "$H/host_key.pub" 2> "$T/err" || rc=$?
[ $rc = 1 ] && grep -q "enrolled already" "$T/err" && ok "a second enroll of a name is refused" || bad "re-enroll: rc=$rc $(cat "$T/err")"
SHIP=("$H/jit-ssh-host" ship --config "$H/host.yaml")

start_sshd "$T/sshd" "TrustedUserCAKeys $H/user_ca.pub" "RevokedKeys $H/revoked.krl" \
	"ExposeAuthInfo yes" "ForceCommand $H/jit-ssh-host record --config $H/host.yaml" \
	"Subsystem sftp internal-sftp"
# ssh -tt through a terminal (script): stdin feeds the remote shell.
tty_ssh() {	# KEYNAME [COMMAND]
	local k=$1 cmd=""; shift
	[ $# = 0 ] || cmd=$(printf '%q' "$*")
	script -qfec "ssh -tt -F /dev/null -p $SSHD_PORT -o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes -o IdentityAgent=none \
		-o LogLevel=ERROR -i $T/$k -o CertificateFile=$T/$k-cert.pub $ACCT@127.0.0.1 $cmd" /dev/null
}
# A terminal's input that stays open (a while) and holds none of the test's output.
held() { exec sleep 120 2> /dev/null; }
ship_all() {	# ships until a round sends everything (at most 30 s)
	local i
	for i in $(seq 1 30); do
		as_rec "${SHIP[@]}" --once 2>> "$T/ship.log" && return 0
		sleep 1
	done
	return 1
}
spooled() { ls "$H/spool/" | grep -c '\.cast$' || true; }
recorder_pid() {	# [SERIAL]: the pid of a running recorder (of SERIAL's session)
	local p f
	for p in /proc/[0-9]*; do
		{ tr '\0' ' ' < "$p/cmdline"; } 2> /dev/null | grep -q "^$H/jit-ssh-host record " || continue
		[ $# = 0 ] && { echo "${p#/proc/}"; return 0; }
		for f in "$p"/fd/*; do
			case $(readlink "$f" 2> /dev/null) in
			"$H/spool/"*.cast) head -1 "$(readlink "$f")" | grep -q "\"serial\":$1," &&
				{ echo "${p#/proc/}"; return 0; } ;;
			esac
		done
	done
	return 1
}
no_recorder() { local i; for i in $(seq 1 100); do recorder_pid "$@" > /dev/null || return 0; sleep 0.1; done; return 1; }
wait_recorder() { local i; for i in $(seq 1 100); do recorder_pid "$@" > /dev/null && return 0; sleep 0.1; done; return 1; }
sessions_json() { $J sessions --dir "$T/ca" --json "$@"; }

# ---- a login, a recorded terminal session, shipped, listed, exported ----
login k1 || exit 1
S1=$SERIAL
(sleep 1.5; echo 'echo MARK-$((6*7))'; sleep 1; echo 'exit 3') | tty_ssh k1 > "$T/tty1.out" 2>&1 || rc=$?
grep -q "MARK-42" "$T/tty1.out" && ok "ssh -tt through the recorder: the shell runs and answers" || bad "session: $(cat "$T/tty1.out")"
ls "$H/spool"/*.cast > /dev/null 2>&1 && ok "the recording is in the spool" || bad "spool: $(ls -la "$H/spool")"
ship_all && [ "$(spooled)" = 0 ] && ok "ship delivers it and empties the spool" || bad "ship: $(cat "$T/ship.log") $(ls "$H/spool")"
sessions_json > "$T/s1"
python3 - "$T/s1" "$S1" "$ACCT" <<'PY' && ok "sessions --json: serial, key id, user, role, host, account, ended" || bad "sessions: $(cat "$T/s1")"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 1, rows
r = rows[0]
assert r["serial"] == int(sys.argv[2]) and r["key_id"] == "jit:alice:dev:" + sys.argv[2], r
assert r["user"] == "alice" and r["role"] == "dev" and r["host"] == "web1", r
assert r["account"] == sys.argv[3] and r["status"] == "ended" and r["command"] == "shell", r
assert r["end"].startswith("%d bytes; exit, exit status 3" % r["size"]), r
assert r["sha256"].startswith("SHA256:") and r["source"] == "127.0.0.1", r
PY
SID1=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["session"])' "$T/s1")
$J session export --dir "$T/ca" "$SID1" -o "$T/s1.cast" && ok "session export writes the recording" || bad "export"
script -qec "asciinema cat $T/s1.cast" /dev/null > "$T/cat1" 2>&1
grep -q "MARK-42" "$T/cat1" && ok "asciinema cat prints the command's output" || bad "asciinema cat: $(cat "$T/cat1")"
python3 - "$T/s1.cast" "$S1" <<'PY' && ok "asciicast v2: header tags, events in order" || bad "cast format"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
h = json.loads(lines[0])
assert h["version"] == 2 and h["width"] > 0 and h["jit"]["serial"] == int(sys.argv[2]), h
assert h["jit"]["host"] == "web1" and h["jit"]["mode"] == "pty", h
t = 0
for l in lines[1:]:
    e = json.loads(l)
    assert e[1] in ("o", "r") and e[0] >= t, e
    t = e[0]
PY
js audra sessions --json > "$T/s1r" 2> "$T/err" && cmp -s "$T/s1" "$T/s1r" &&
	ok "jit-ssh sessions (an auditor, over SSH) lists the same" || bad "remote sessions: $(cat "$T/err")"
js audra session export "$SID1" > "$T/s1r.cast" 2> "$T/err" && cmp -s "$T/s1.cast" "$T/s1r.cast" &&
	ok "jit-ssh session export gives the same bytes" || bad "remote export: $(cat "$T/err")"
js audra session play "$SID1" --speed 100 > "$T/play" 2> "$T/err" && grep -q "MARK-42" "$T/play" &&
	ok "jit-ssh session play plays it here" || bad "play: $(cat "$T/err")"
rc=0; js audra session play s-0000000000000000 > /dev/null 2> "$T/err" || rc=$?
[ $rc = 1 ] && grep -q "no session s-0000000000000000" "$T/err" && ok "... and names a session that is not there" ||
	bad "play missing: rc=$rc $(cat "$T/err")"
rc=0; js alice sessions > /dev/null 2> "$T/err" || rc=$?
[ $rc = 1 ] && grep -q "not in an auditors group" "$T/err" && ok "sessions: auditors only" || bad "alice sessions: rc=$rc $(cat "$T/err")"
$J audit --dir "$T/ca" --serial "$S1" --json | grep -c '"session-' | grep -qx 2 &&
	ok "the audit log has session-start and session-end for the serial" || bad "audit events"
$J audit --dir "$T/ca" --serial "$S1" --event issue --json | grep -q '"sessions":1,"hosts":\["web1"\]' &&
	$J audit --dir "$T/ca" --serial "$S1" --event issue | grep -q "\[used: 1 session on web1\]" &&
	ok "audit shows where the issued certificate was used" || bad "audit use: $($J audit --dir "$T/ca" --serial "$S1" --event issue --json)"
$J audit verify --dir "$T/ca" > "$T/v" 2>&1 && ok "audit verify passes with the recording" || bad "verify: $(cat "$T/v")"
# One byte of the stored recording changed: verify says which.
rm -rf "$T/tam"; mkdir -p "$T/tam/ca/store"
cp "$T/ca/"*.pub "$T/ca/config.yaml" "$T/ca/policy.yaml" "$T/ca/totp.key" "$T/ca/user_ca" "$T/ca/host_ca" "$T/ca/ssh_host_ed25519_key" "$T/tam/ca/"
mdb_dump -a "$T/ca/store" | python3 "$(dirname "$0")/tamper_state.py" flipchunk 200 > "$T/dump"
mdb_load -f "$T/dump" "$T/tam/ca/store"
rc=0; $J audit verify --dir "$T/tam/ca" > "$T/v" 2>&1 || rc=$?
[ $rc = 1 ] && grep -q "recording $SID1 .*not what was recorded" "$T/v" &&
	ok "audit verify fails after one byte of a stored recording changed" || bad "tampered verify: rc=$rc $(cat "$T/v")"

# ---- exec, pipes and sftp ----
login k2 || exit 1
out=$(ssh -F /dev/null -p "$SSHD_PORT" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	-o IdentitiesOnly=yes -o IdentityAgent=none -o LogLevel=ERROR -i "$T/k2" -o CertificateFile="$T/k2-cert.pub" \
	"$ACCT@127.0.0.1" 'cat; echo err >&2' <<< "piped-input" 2> "$T/err")
[ "$out" = "piped-input" ] && grep -qx err "$T/err" && ok "exec without a PTY: stdin, stdout and stderr pass" || bad "exec: '$out' $(cat "$T/err")"
echo "put $T/alice.pub up.pub" > "$T/batch"
sftp -q -F /dev/null -P "$SSHD_PORT" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	-o IdentitiesOnly=yes -o IdentityAgent=none -i "$T/k2" -o CertificateFile="$T/k2-cert.pub" -b "$T/batch" \
	"$ACCT@127.0.0.1" > "$T/sftp.out" 2>&1 && ok "sftp works through the recorder" || bad "sftp: $(cat "$T/sftp.out")"
ship_all || bad "ship: $(cat "$T/ship.log")"
sessions_json --serial "$SERIAL" > "$T/s2"
python3 - "$T/s2" <<'PY' && ok "exec and sftp sessions are recorded: command, subsystem and byte counts" || bad "exec/sftp rows: $(cat "$T/s2")"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
cmds = sorted(r["command"] for r in rows)
assert cmds == ["exec: cat; echo err >&2", "transfer: internal-sftp"], cmds
sftp = [r for r in rows if r["command"] == "transfer: internal-sftp"][0]
assert " bytes in, " in sftp["end"] and not sftp["end"].endswith(" 0 bytes in, 0 bytes out"), sftp
PY

# ---- bad input to the recorder ----
rc=0; env -u SSH_USER_AUTH "$JIT_SSH_HOST" record --config "$H/host.yaml" < /dev/null > /dev/null 2> "$T/err" || rc=$?
[ $rc = 1 ] && grep -q "SSH_USER_AUTH is not set" "$T/err" && ok "no SSH_USER_AUTH: refused, saying ExposeAuthInfo" || bad "no var: rc=$rc $(cat "$T/err")"
ssh-keygen -q -t ed25519 -N '' -f "$T/otherca"
ssh-keygen -q -t ed25519 -N '' -f "$T/fk"
ssh-keygen -q -s "$T/otherca" -I jit:alice:dev:1 -n "$ACCT" -z 1 -V -5m:+5m "$T/fk.pub"
printf 'publickey %s\n' "$(cat "$T/fk-cert.pub")" > "$T/auth.foreign"
printf 'publickey ssh-ed25519-cert-v01@openssh.com AAAAnotbase64\nkeyboard-interactive\n' > "$T/auth.junk"
n=$(ls "$H/spool" | wc -l)
for f in foreign junk; do
	rc=0; SSH_USER_AUTH=$T/auth.$f "$JIT_SSH_HOST" record --config "$H/host.yaml" < /dev/null > /dev/null 2> "$T/err" || rc=$?
	[ $rc = 1 ] && grep -q "certificate" "$T/err" && ok "a $f certificate in SSH_USER_AUTH is refused: $(head -c 90 "$T/err")" ||
		bad "$f: rc=$rc $(cat "$T/err")"
done
[ "$(ls "$H/spool" | wc -l)" = "$n" ] && ok "... and nothing is spooled" || bad "spooled: $(ls "$H/spool")"
# asciinema judges the recorder's output: 20 generated outputs (text,
# escapes, control characters, 2- to 4-byte UTF-8), written in random cuts
# that split characters, come back byte for byte from `asciinema cat`.
cat > "$T/writer.py" <<'PY'
import os, random, sys, time
random.seed(int(sys.argv[1]))
parts = []
for _ in range(random.randint(200, 3000)):
    k = random.random()
    if k < 0.5:
        parts.append("".join(chr(random.randint(0x20, 0x7e)) for _ in range(random.randint(1, 20))))
    elif k < 0.6:
        parts.append(random.choice(["\n", "\t", "\x1b[31m", "\x1b[0m", "\r", "\x07", '"', "\\"]))
    else:
        parts.append(chr(random.choice([random.randint(0xa0, 0x7ff), random.randint(0x800, 0xd7ff),
                                        random.randint(0x10000, 0x10ffff)])))
data = "".join(parts).encode()
open(sys.argv[2], "wb").write(data)
i = 0
while i < len(data):
    n = random.randint(1, 4000)
    os.write(1, data[i:i + n])
    i += n
    if random.random() < 0.2:
        time.sleep(0.001)
PY
mkdir -m 700 "$T/gspool"
printf 'user_ca_keys: %s\nkrl: %s\nspool: %s\n' "$H/user_ca.pub" "$H/revoked.krl" "$T/gspool" > "$T/g.yaml"
printf 'publickey %s\n' "$(cat "$T/k2-cert.pub")" > "$T/auth.k2"
same=0
for seed in $(seq 1 20); do
	rm -f "$T/gspool"/*
	SSH_USER_AUTH=$T/auth.k2 SSH_ORIGINAL_COMMAND="python3 $T/writer.py $seed $T/gen.$seed" \
		"$JIT_SSH_HOST" record --config "$T/g.yaml" < /dev/null > /dev/null 2>&1 || true
	script -qec "asciinema cat $(ls "$T/gspool"/*.cast) > $T/cat.$seed" /dev/null > /dev/null 2>&1 || true
	cmp -s "$T/gen.$seed" "$T/cat.$seed" && same=$((same + 1))
done
[ $same = 20 ] && ok "asciinema cat gives back 20 generated outputs, cut at random, byte for byte" ||
	bad "asciinema cat: $same of 20 the same"

# A full spool refuses the session, unless fail_open lets it run unrecorded.
mkdir -m 700 "$T/fullspool"
head -c 2048 /dev/zero > "$T/fullspool/filler"
printf 'user_ca_keys: %s\nkrl: %s\nspool: %s\nspool_max: 1K\n' "$H/user_ca.pub" "$H/revoked.krl" "$T/fullspool" > "$T/full.yaml"
rc=0; SSH_USER_AUTH=$T/auth.k2 SSH_ORIGINAL_COMMAND='echo ran' "$JIT_SSH_HOST" record --config "$T/full.yaml" \
	< /dev/null > "$T/out" 2> "$T/err" || rc=$?
[ $rc = 1 ] && grep -q "spool .* is full" "$T/err" && ! grep -q ran "$T/out" && [ "$(ls "$T/fullspool")" = filler ] &&
	ok "a full spool refuses the session, saying why" || bad "full spool: rc=$rc $(cat "$T/out" "$T/err")"
echo "fail_open: true" >> "$T/full.yaml"
rc=0; SSH_USER_AUTH=$T/auth.k2 SSH_ORIGINAL_COMMAND='echo first; sleep 1.5; echo ran' "$JIT_SSH_HOST" record --config "$T/full.yaml" \
	< /dev/null > "$T/out" 2> "$T/err" || rc=$?
[ $rc = 0 ] && grep -qx ran "$T/out" && grep -q "recording off for this session" "$T/err" &&
	[ "$(ls "$T/fullspool")" = filler ] &&
	ok "fail_open: the session runs to its end unrecorded" || bad "fail_open: rc=$rc $(cat "$T/out" "$T/err")"

# ---- a 1-minute certificate: the session ends by itself, warned ----
# (bob's: the lock below is alice's)
WHO=bob login k3 --ttl 1m || exit 1
VB=$(ssh-keygen -L -f "$T/k3-cert.pub" | sed -n 's/.*Valid: from \S* to //p')
issued=$(( $(date -d "$VB" +%s) - 60 ))
( tty_ssh k3 'sleep 600' < <(held) > "$T/tty3.out" 2>&1 || true; date +%s > "$T/tty3.end" ) &
TTL_BG=$!

# ---- meanwhile: revoked at the CA, then on the host's KRL ----
login k4 || exit 1
S4=$SERIAL
( tty_ssh k4 'sleep 600' < <(held) > "$T/tty4.out" 2>&1 || true; date +%s > "$T/tty4.end" ) &
wait_recorder "$S4" || bad "no recorder for the revocation session"
sleep 1
$J revoke --dir "$T/ca" --serial "$S4" --reason test > "$T/revoke.out" 2>&1 || bad "revoke: $(cat "$T/revoke.out")"
"$H/jit-ssh-host" krl-refresh --config "$H/host.yaml" 2> "$T/err" && ok "krl-refresh (as the host) installs the CA's KRL" ||
	bad "krl-refresh: $(cat "$T/err")"
refreshed=$(date +%s)
ssh-keygen -Q -f "$H/revoked.krl" "$T/k4-cert.pub" > "$T/q" 2>&1 || true
grep -q REVOKED "$T/q" && ok "... which revokes the certificate (ssh-keygen -Q)" || bad "KRL content: serial $S4: $(cat "$T/q" "$T/revoke.out")"
printf 'publickey %s\n' "$(cat "$T/k4-cert.pub")" > "$T/auth.k4"
rc=0; SSH_USER_AUTH=$T/auth.k4 "$JIT_SSH_HOST" record --config "$H/host.yaml" < /dev/null > /dev/null 2> "$T/err" || rc=$?
[ $rc = 1 ] && grep -q "the certificate (serial $S4) is revoked" "$T/err" &&
	ok "a certificate the KRL revokes is refused at the start" || bad "revoked at start: rc=$rc $(cat "$T/err")"
for i in $(seq 1 150); do [ -f "$T/tty4.end" ] && break; sleep 0.1; done
if [ -f "$T/tty4.end" ]; then
	took=$(( $(cat "$T/tty4.end") - refreshed ))
	[ $took -le 10 ] && grep -q "was revoked" "$T/tty4.out" && ok "the revoked certificate's session ended ${took}s after the KRL refresh, saying why" ||
		bad "revoked session: ${took}s $(cat "$T/tty4.out")"
else
	bad "the revoked certificate's session still runs 15 s after the KRL refresh: $(cat "$T/tty4.out"; ps -ef --forest | grep -A3 "[j]it-ssh-host record")"
fi

# ---- a lock at the CA ends a session through the shipper ----
login k5 || exit 1
# The shipper in the background as a simple command: $! is the shipper itself.
bg_ship() {
	if [ $ROOT = 1 ]; then
		setpriv --reuid=jit-ssh-rec --regid=jit-ssh-rec --clear-groups "${SHIP[@]}" > /dev/null 2>> "$T/ship.log" &
	else
		"${SHIP[@]}" > /dev/null 2>> "$T/ship.log" &
	fi
	SHIP_PID=$!
	PIDS+=($SHIP_PID)
}
bg_ship
( tty_ssh k5 'sleep 600' < <(held) > "$T/tty5.out" 2>&1 || true; date +%s > "$T/tty5.end" ) &
sleep 3
$J lock --dir "$T/ca" --user alice --reason "test lock" > /dev/null 2>&1
locked=$(date +%s)
for i in $(seq 1 200); do [ -f "$T/tty5.end" ] && break; sleep 0.1; done
if [ -f "$T/tty5.end" ]; then
	took=$(( $(cat "$T/tty5.end") - locked ))
	[ $took -le 10 ] && grep -q "user alice is locked" "$T/tty5.out" &&
		ok "a lock at the CA ended the user's open session in ${took}s (via the shipper)" || bad "locked: ${took}s $(cat "$T/tty5.out")"
else
	bad "the locked user's session still runs 20 s after the lock"
fi
$J unlock --dir "$T/ca" --user alice > /dev/null 2>&1

# ---- the CA stopped during a session, then started again ----
login k6 || exit 1
S6=$SERIAL
( tty_ssh k6 'for i in 1 2 3 4 5 6 7 8; do echo tick-$i; sleep 0.5; done' < <(held) > "$T/tty6.out" 2>&1 || true ) &
T6=$!
sleep 1.5
kill "$CA_PID"; wait "$CA_PID" 2> /dev/null || true
wait $T6
grep -q tick-8 "$T/tty6.out" && ok "the session runs on while the CA is down" || bad "tty6: $(cat "$T/tty6.out")"
sleep 1
C6=$(grep -l "\"serial\":$S6," "$H/spool"/*.cast 2> /dev/null | head -1)
cp "$C6" "$T/c6.cast" 2> /dev/null
SID6=$(basename "$C6" .cast)
start_serve "$T/ca"
for i in $(seq 1 100); do [ -e "$C6" ] || break; sleep 0.2; done
[ ! -e "$C6" ] && ok "the CA back: the shipper delivered and let go of the spooled copy" ||
	bad "still spooled: $(ls "$H/spool"); $(cat "$T/ship.log"; tail -5 "$T/serve.log"; ps -eo pid,ppid,stat,wchan:30,etime,cmd | grep "[j]it-ssh-host"; ls -la "$H/spool"; for p in $(recorder_pid); do ls -l /proc/$p/fd; done)"
$J session export --dir "$T/ca" "$SID6" -o "$T/e6.cast" 2> /dev/null
[ -s "$T/c6.cast" ] && cmp -s "$T/c6.cast" "$T/e6.cast" && grep -q tick-8 "$T/e6.cast" &&
	ok "the recording arrived whole (byte for byte the spooled one)" || bad "c6/e6 differ"

# ---- kill -9 of the recorder: the session ends, what was spooled arrives ----
login k7 || exit 1
S7=$SERIAL
( tty_ssh k7 < <(echo 'echo before-kill'; held) > "$T/tty7.out" 2>&1 || true; date +%s > "$T/tty7.end" ) &
wait_recorder "$S7" || bad "no recorder"
REC=$(recorder_pid "$S7")
sleep 2
if [ $SETUID = 1 ]; then
	# The person cannot touch it, nor read or change the spool.
	rc=0; runuser -u "$ACCT" -- kill -9 "$REC" 2> /dev/null || rc=$?
	[ $rc != 0 ] && [ -d "/proc/$REC" ] && ok "the user cannot kill the recorder" || bad "user killed the recorder"
	CHILD=$(cat "/proc/$REC/task/$REC/children" 2> /dev/null | cut -d' ' -f1)
	cat > "$H/ptrace.py" <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
pid = int(sys.argv[1])
r = libc.ptrace(16, pid, 0, 0)  # PTRACE_ATTACH
e = ctypes.get_errno()
if r == 0:
    os.waitpid(pid, 0)
    libc.ptrace(17, pid, 0, 0)  # PTRACE_DETACH
print(r, e)
PY
	[ "$(runuser -u "$ACCT" -- python3 "$H/ptrace.py" "$REC")" = "-1 1" ] &&
		ok "the user cannot ptrace the recorder (EPERM)" || bad "ptrace of the recorder allowed"
	[ "$(runuser -u "$ACCT" -- python3 "$H/ptrace.py" "$CHILD" | cut -d' ' -f1)" = 0 ] &&
		ok "... while ptrace of the user's own shell works (the check can fail)" || bad "control: ptrace of own shell failed"
	rc=0; runuser -u "$ACCT" -- ls "$H/spool" > /dev/null 2>&1 || rc=$?
	rc2=0; runuser -u "$ACCT" -- cat "$H/spool/"*.cast > /dev/null 2>&1 || rc2=$?
	rc3=0; runuser -u "$ACCT" -- rm -f "$H/spool/"*.cast 2> /dev/null || rc3=$?
	[ $rc != 0 ] && [ $rc2 != 0 ] && ls "$H/spool/"*.cast > /dev/null 2>&1 &&
		ok "the user cannot list, read or delete the spool" || bad "spool reachable: $rc $rc2 $rc3"
	[ "$(stat -c '%U %a' "$H/spool")" = "jit-ssh-rec 700" ] && ok "the spool is jit-ssh-rec's, 0700" || bad "spool mode"
	[ "$(stat -c %u "/proc/$REC")" = "$(id -u jit-ssh-rec)" ] && ok "the recorder runs as jit-ssh-rec" || bad "recorder uid"
else
	skip_note="not root, or /tmp is nosuid: the set-user-ID checks did not run"
	echo "# $skip_note"
fi
kill -9 "$REC"
for i in $(seq 1 100); do [ -f "$T/tty7.end" ] && break; sleep 0.1; done
[ -f "$T/tty7.end" ] && ok "kill -9 of the recorder ends the session" || bad "session outlived the recorder"
sleep 2.5	# the shipper's next round
ship_all || bad "ship: $(cat "$T/ship.log")"
sessions_json --serial "$SERIAL" > "$T/s7"
grep -q '"end":"[0-9]* bytes; killed' "$T/s7" && ok "the killed recording arrives, ended as killed" || bad "s7: $(cat "$T/s7")"
SID7=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["session"])' "$T/s7")
$J session export --dir "$T/ca" "$SID7" | grep -q before-kill && ok "... with what was spooled" || bad "export 7"

# ---- the 1-minute certificate's session ----
wait $TTL_BG
ended=$(cat "$T/tty3.end")
[ $(( ended - issued )) -le 70 ] && ok "a 1-minute certificate's session ended by itself $(( ended - issued ))s after issuance" ||
	bad "1m session ended $(( ended - issued ))s after issuance"
grep -q "certificate expires at" "$T/tty3.out" && grep -q "certificate expired at" "$T/tty3.out" &&
	ok "... with the warning shown first" || bad "no warning: $(cat "$T/tty3.out")"

# ---- uploads the CA refuses ----
kill $SHIP_PID 2> /dev/null; wait $SHIP_PID 2> /dev/null || true
ssh-keygen -q -t ed25519 -N '' -f "$T/web2"
$J host enroll --dir "$T/ca" --name web2 "$T/web2.pub" > /dev/null
up() {	# KEY USER COMMAND < DATA: exit status; reply in $T/up.out, message in $T/up.err
	local rc=0
	ssh -F /dev/null -p "$PORT" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o IdentitiesOnly=yes -o LogLevel=ERROR -i "$1" "$2@127.0.0.1" "$3" > "$T/up.out" 2> "$T/up.err" || rc=$?
	return $rc
}
size1=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["size"])' "$T/s1")
rc=0; echo more | up "$T/web2" host:web2 "upload $SID1 $size1" || rc=$?
[ $rc = 1 ] && grep -q "another host's" "$T/up.err" && ok "an upload to another host's session is refused" || bad "web2 upload: rc=$rc $(cat "$T/up.err")"
FAKE=s-00000000000000aa
printf '{"version":2,"width":80,"height":24,"timestamp":1,"jit":{"session":"%s","serial":99999,"key_id":"jit:alice:dev:99999","account":"x","host":"web2","source":"1.2.3.4","command":"","mode":"pty"}}\n' "$FAKE" > "$T/fake.cast"
rc=0; up "$T/web2" host:web2 "upload $FAKE 0" < "$T/fake.cast" || rc=$?
[ $rc = 1 ] && grep -q "never issued serial 99999" "$T/up.err" && ok "an upload for a made-up serial is refused" || bad "fake serial: rc=$rc $(cat "$T/up.err")"
sed "s/\"serial\":99999,\"key_id\":\"jit:alice:dev:99999\"/\"serial\":$S1,\"key_id\":\"jit:alice:dev:$S1\"/; s/\"host\":\"web2\"/\"host\":\"web1\"/" "$T/fake.cast" > "$T/fake2.cast"
rc=0; up "$T/web2" host:web2 "upload $FAKE 0" < "$T/fake2.cast" || rc=$?
[ $rc = 1 ] && grep -q "host web1's; you are web2" "$T/up.err" && ok "a recording naming another host is refused" || bad "host claim: rc=$rc $(cat "$T/up.err")"
rc=0; up "$T/otherca" host:web1 "upload $FAKE 0" < "$T/fake2.cast" || rc=$?
[ $rc = 255 ] && ok "a key that is not enrolled cannot connect as a host" || bad "unenrolled: rc=$rc"
rc=0; up "$T/alice" alice "upload $FAKE 0" < "$T/fake2.cast" || rc=$?
[ $rc = 1 ] && grep -q "not for users" "$T/up.err" && ok "users cannot upload" || bad "user upload: rc=$rc $(cat "$T/up.err")"
rc=0; head -c 1100000 /dev/zero | up "$H/host_key" host:web1 "upload $SID1 $size1" || rc=$?
[ $rc = 1 ] && grep -q "at most 1048576 bytes" "$T/up.err" && ok "an upload over 1 MiB is refused" || bad "big: rc=$rc $(cat "$T/up.err")"
n=$($J audit --dir "$T/ca" --json | wc -l)
rc=0; echo replay | up "$H/host_key" host:web1 "upload $SID1 0" || rc=$?
grep -q "\"ended\":true" "$T/up.out" && ok "a replayed upload of an ended recording changes nothing" || bad "replay: rc=$rc $(cat "$T/up.out" "$T/up.err")"
[ "$($J audit --dir "$T/ca" --json | wc -l)" = "$n" ] && $J audit verify --dir "$T/ca" > /dev/null &&
	ok "... nothing was written, and the log still verifies" || bad "replay wrote"
# ---- kill -9 of the shipper, then of the CA, mid-upload: nothing lost ----
login k8 || exit 1
S8=$SERIAL
ssh -F /dev/null -p "$SSHD_PORT" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	-o IdentitiesOnly=yes -o IdentityAgent=none -o LogLevel=ERROR -i "$T/k8" -o CertificateFile="$T/k8-cert.pub" \
	"$ACCT@127.0.0.1" 'head -c 40000000 /dev/urandom | base64 -w 1000' > /dev/null 2>&1 < /dev/null
C8=$(grep -l "\"serial\":$S8," "$H/spool"/*.cast | head -1)
cp "$C8" "$T/c8.cast"
full=$(stat -c %s "$T/c8.cast")
size_at_ca() {	# what the CA holds of the recording now
	local v
	v=$($J sessions --dir "$T/ca" --serial "$S8" --json 2> /dev/null | grep -o '"size":[0-9]*' | cut -d: -f2)
	echo "${v:-0}"
}
kill_midway() {	# PID ABOVE: kill -9 PID once the CA holds more than ABOVE bytes, not all
	local i v
	for i in $(seq 1 1000); do
		v=$(size_at_ca)
		if [ "$v" -gt "$2" ] && [ "$v" -lt "$full" ]; then kill -9 "$1"; echo "$v"; return 0; fi
		[ "$v" -ge "$full" ] && break
	done
	echo "$v"
}
bg_ship
at1=$(kill_midway $SHIP_PID 0)
wait $SHIP_PID 2> /dev/null || true
bg_ship
at2=$(kill_midway "$CA_PID" "$at1")
wait "$CA_PID" 2> /dev/null || true
held_size=$(size_at_ca)
echo "# the shipper was killed at $at1 bytes stored, the CA at $at2 (it held $held_size) of $full"
[ "$at1" -lt "$full" ] && [ "$at2" -lt "$full" ] && [ "$held_size" -lt "$full" ] &&
	ok "the shipper, then the CA, were killed -9 mid-upload" || bad "not mid-upload: $at1 $at2 $held_size of $full"
start_serve "$T/ca"
for i in $(seq 1 150); do [ -e "$C8" ] || break; sleep 0.2; done
$J session export --dir "$T/ca" "$(basename "$C8" .cast)" -o "$T/e8.cast" 2> /dev/null || true
[ ! -e "$C8" ] && cmp -s "$T/c8.cast" "$T/e8.cast" && [ "$held_size" -le "$full" ] &&
	ok "kill -9 of the shipper and of the CA mid-upload: the $full-byte recording arrives whole" ||
	bad "after kill -9: spooled=$([ -e "$C8" ] && echo yes || echo no) $(stat -c %s "$T/e8.cast" 2> /dev/null) of $full; $(tail -3 "$T/ship.log")"
kill $SHIP_PID 2> /dev/null; wait $SHIP_PID 2> /dev/null || true
$J audit verify --dir "$T/ca" > "$T/v" 2>&1 && ok "... and audit verify passes" || bad "verify: $(cat "$T/v")"
finish
