#!/usr/bin/env bash
# The operator's path: a CA directory belongs to the service's user, and a
# command run as another user (root) that would write into it is refused,
# saying how to run it, and writes nothing (rotate as root once left
# root-owned key files and the service's SIGHUP failed).  Run as the owner,
# the same commands work and what they write is the owner's.
. "$(dirname "$0")/lib.sh"
: "${JIT_SSH_CA:?}"
[ "$(id -u)" = 0 ] || skip "needs root (to act as another user with setpriv)"
command -v setpriv > /dev/null || skip "setpriv missing (util-linux)"
J=$JIT_SSH_CA
U=54321		# no such user: the directory's owner, as a system user would be
as_owner() { setpriv --reuid=$U --regid=$U --clear-groups "$@"; }

chmod 755 "$T"	# the owner must reach its directory
install -d -m 0700 -o $U -g $U "$T/ca"
rc=0; as_owner "$J" init --dir "$T/ca" > "$T/out" 2>&1 || rc=$?
[ $rc = 0 ] && [ "$(stat -c %u "$T/ca/user_ca")" = $U ] &&
	ok "init as the owner of a directory made for it (install -d)" || bad "init: rc=$rc $(cat "$T/out")"
ssh-keygen -q -t ed25519 -N '' -f "$T/alice"
cat > "$T/policy" <<YAML
users:
  alice: { keys: ["$(cut -d' ' -f1,2 "$T/alice.pub")"], groups: [ops] }
roles:
  login: { groups: [ops], principals: [alice], mfa: optional }
YAML
install -m 0600 -o $U -g $U "$T/policy" "$T/ca/policy.yaml"
cp "$T/alice.pub" "$T/key.pub"; chmod 644 "$T/key.pub"

snapshot() { (cd "$T/ca" && find . -printf '%p %u %s\n' | sort; $J audit --dir "$T/ca" --json | wc -l); }
before=$(snapshot)
for cmd in "rotate --ca user" "rotate --ca user --activate" "enroll --user alice" \
	"lock --user alice --reason x" "revoke --user alice --reason x" \
	"sign --user alice --role login $T/key.pub"; do
	rc=0; $J $cmd --dir "$T/ca" > "$T/out" 2>&1 < /dev/null || rc=$?
	[ $rc = 1 ] && grep -q "belongs to #$U: run this as that user (sudo -u #$U jit-ssh-ca" "$T/out" &&
		ok "as root: $cmd refused, saying how to run it" || bad "as root: $cmd: rc=$rc $(cat "$T/out")"
done
[ "$(snapshot)" = "$before" ] && ok "...and nothing was written" || bad "root wrote: $(diff <(echo "$before") <(snapshot))"
rc=0; $J init --dir "$T/ca2" > /dev/null 2>&1 || rc=$?
install -d -m 0700 -o $U -g $U "$T/ca3"
rc=0; $J init --dir "$T/ca3" > "$T/out" 2>&1 || rc=$?
[ $rc = 1 ] && grep -q "belongs to #$U" "$T/out" && [ -z "$(ls -A "$T/ca3")" ] &&
	ok "init as root into another user's directory is refused" || bad "init ca3: rc=$rc $(cat "$T/out")"
$J audit --dir "$T/ca" > /dev/null && ok "reading (audit) as root still works" || bad "audit as root"
$J audit verify --dir "$T/ca" > /dev/null && ok "audit verify as root" || bad "verify as root"

# As the owner: rotate, and the files are the owner's; the service (as the
# owner) reloads them on SIGHUP.
rc=0; as_owner "$J" rotate --dir "$T/ca" --ca user > "$T/out" 2>&1 || rc=$?
[ $rc = 0 ] && [ "$(stat -c %u "$T/ca/user_ca.next")" = $U ] &&
	ok "rotate as the owner: the next key is the owner's" || bad "rotate as owner: rc=$rc $(cat "$T/out")"
PORT=$(free_port)
setpriv --reuid=$U --regid=$U --clear-groups "$J" serve --dir "$T/ca" --listen "127.0.0.1:$PORT" 2>> "$T/serve.log" &
CA_PID=$!; PIDS+=($CA_PID)
wait_port "$PORT" || bad "serve as the owner did not start: $(cat "$T/serve.log")"
rc=0; as_owner "$J" rotate --dir "$T/ca" --ca user --activate > "$T/out" 2>&1 || rc=$?
[ $rc = 0 ] && ok "activate as the owner" || bad "activate: rc=$rc $(cat "$T/out")"
kill -HUP "$CA_PID"; sleep 1
grep -q "refused\|Permission denied" "$T/serve.log" && bad "SIGHUP: $(tail -3 "$T/serve.log")" ||
	ok "the service reloads the rotated keys on SIGHUP"
ssh -F /dev/null -p "$PORT" -i "$T/alice" -o IdentitiesOnly=yes -o IdentityAgent=none \
	-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
	-o BatchMode=yes alice@127.0.0.1 ca-keys > "$T/keys" 2>&1 &&
	grep -q "$(cut -d' ' -f2 "$T/ca/user_ca.pub")" "$T/keys" && ok "it publishes the new key" ||
	bad "ca-keys after SIGHUP: $(cat "$T/keys")"

# Secrets stay out of core dumps and away from ptrace (as ssh-agent): a
# process that is not dumpable has its /proc files owned by root, not by
# the user it runs as; its core size limit is 0.
nodump() {	# PID NAME
	if [ "$(stat -c %u "/proc/$1/status")" = 0 ] &&
		grep -q '^Max core file size  *0  *0 ' "/proc/$1/limits"; then
		ok "$2 is not dumpable and writes no core"
	else
		bad "$2: /proc/$1 owned by $(stat -c %u "/proc/$1/status"), $(grep core "/proc/$1/limits")"
	fi
}
nodump "$CA_PID" "jit-ssh-ca serve"
# The client, while it waits on a CA that never answers its key exchange.
SILENT=$(free_port)
python3 -c 'import socket,sys,time
s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(1)
c,_=s.accept(); time.sleep(30)' "$SILENT" & PIDS+=($!)
wait_port "$SILENT"
mkdir -p "$T/home"; chown $U "$T/home"
HOME="$T/home" setpriv --reuid=$U --regid=$U --clear-groups "$JIT_SSH" --user alice setup \
	--ca "127.0.0.1:$SILENT" --user alice --fingerprint SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU > "$T/cl.out" 2>&1 & CL_PID=$!; PIDS+=($CL_PID)
for _ in $(seq 50); do
	[ "$(stat -c %u "/proc/$CL_PID/status" 2>/dev/null)" = "" ] && break
	grep -q 'jit-ssh' "/proc/$CL_PID/cmdline" 2>/dev/null && sleep 0.2 && break
	sleep 0.1
done
nodump "$CL_PID" "jit-ssh (waiting on the CA)"
finish
