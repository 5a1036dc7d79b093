#!/usr/bin/env bash
# Every subcommand of both programs explains itself: --help and -h print
# its usage and exit 0 with no CA, no configuration and no network; a
# mistyped flag of a CA command is refused by jit-ssh before it connects
# (so it never costs a verification code).
. "$(dirname "$0")/lib.sh"
: "${JIT_SSH_CA:?}" "${JIT_SSH:?}"
export HOME=$T/home JIT_SSH_CONFIG=$T/nowhere/config.yaml JIT_SSH_CA_DIR=$T/no-ca
mkdir -p "$HOME"
unset SSH_AUTH_SOCK
# A port nothing listens on: any attempt to connect would fail loudly.
CA="--ca 127.0.0.1:$(free_port)"

# Every command of each program's table (as its --help lists them).
CA_CMDS=$("$JIT_SSH_CA" --help | sed -n 's/^  jit-ssh-ca //p' |
	awk '{ w = $1; if ($2 ~ /^[a-z][a-z-]*$/) w = w " " $2; print w }' | sort -u)
JS_CMDS=$("$JIT_SSH" --help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p' | sort -u)
for c in rotate "store migrate" "store copy" "audit verify" "policy check" sign-host; do
	grep -qx "$c" <<< "$CA_CMDS" || bad "jit-ssh-ca --help does not list $c"
done
n=0; bad_ones=""
while read -r c; do
	for h in --help -h; do
		rc=0; "$JIT_SSH_CA" $c $h > "$T/out" 2> "$T/err" || rc=$?
		if [ $rc = 0 ] && grep -q "^usage: jit-ssh-ca $c" "$T/out" && [ "$(sed -n 2p "$T/out" | wc -w)" -gt 1 ] &&
			[ ! -s "$T/err" ]; then
			n=$((n + 1))
		else bad_ones="$bad_ones jit-ssh-ca:$c$h($rc)"; fi
	done
done <<< "$CA_CMDS"
# A first word of two-word commands: their usages; alone, a usage error.
for g in policy store; do
	rc=0; "$JIT_SSH_CA" $g --help > "$T/out" 2> "$T/err" || rc=$?
	[ $rc = 0 ] && grep -q "^usage: jit-ssh-ca $g" "$T/out" && [ "$(grep -c "jit-ssh-ca $g " "$T/out")" = 2 ] &&
		n=$((n + 1)) || bad_ones="$bad_ones jit-ssh-ca:$g--help($rc)"
	rc=0; "$JIT_SSH_CA" $g > "$T/out" 2> "$T/err" || rc=$?
	[ $rc = 2 ] && grep -q "jit-ssh-ca $g " "$T/err" && n=$((n + 1)) || bad_ones="$bad_ones jit-ssh-ca:$g($rc)"
done
[ ! -e "$T/no-ca" ] || bad_ones="$bad_ones (something created the CA dir)"
while read -r c; do
	for h in --help -h; do
		rc=0; "$JIT_SSH" $CA $c $h > "$T/out" 2> "$T/err" || rc=$?
		if [ $rc = 0 ] && grep -q "^usage: jit-ssh $c" "$T/out" && [ ! -s "$T/err" ]; then
			n=$((n + 1))
		else bad_ones="$bad_ones jit-ssh:$c$h($rc: $(head -1 "$T/err"))"; fi
	done
done <<< "$JS_CMDS"
# Help wins wherever it stands, also after other flags.
rc=0; "$JIT_SSH" $CA login --role dev --help > "$T/out" 2>&1 || rc=$?
[ $rc = 0 ] && grep -q "^usage: jit-ssh login" "$T/out" && n=$((n + 1)) || bad_ones="$bad_ones login--role--help"
[ -z "$bad_ones" ] && [ "$n" -ge 58 ] && ok "--help and -h on every command of both tables: usage, exit 0, no CA ($n)" ||
	bad "help: $bad_ones"
"$JIT_SSH" --help | grep -q "setup" && "$JIT_SSH_CA" --help | grep -q "host-config" &&
	ok "the top-level --help lists the commands" || bad "top-level help"
v1=$("$JIT_SSH" --version); v2=$("$JIT_SSH" -V); v3=$("$JIT_SSH_CA" --version)
[[ $v1 =~ ^jit-ssh\ [0-9] ]] && [ "$v1" = "$v2" ] && [[ $v3 =~ ^jit-ssh-ca\ [0-9] ]] &&
	ok "--version prints the version ($v1, $v3)" || bad "version: [$v1] [$v2] [$v3]"
rc=0; "$JIT_SSH" --bogus > "$T/out" 2> "$T/err" || rc=$?
[ $rc = 2 ] && grep -q "^jit-ssh: unknown option '--bogus'" "$T/err" &&
	ok "an unknown option of jit-ssh's own is refused (exit 2)" || bad "jit-ssh --bogus: rc=$rc $(head -1 "$T/err")"

# Typos are refused locally (exit 2), before any connection is tried.
typo() {	# WHAT ARGS...
	local what=$1 rc=0; shift
	"$JIT_SSH" $CA "$@" > "$T/out" 2> "$T/err" < /dev/null || rc=$?
	if [ $rc = 2 ] && ! grep -q "cannot reach the CA" "$T/err" && [ -s "$T/err" ]; then return 0; fi
	echo "$what: rc=$rc $(cat "$T/err")"; return 1
}
errs=""
typo "roles --jsn" roles --jsn || errs=x
typo "audit --json --csv" audit --json --csv || errs=x
grep -q "do not go together" "$T/err" || errs=x
typo "audit --since" audit --since || errs=x
grep -q "needs a value" "$T/err" || errs=x
typo "deny without ID" deny || errs=x
typo "approve A B" approve r-1 r-2 || errs=x
typo "whoami extra" whoami extra || errs=x
typo "login --rol" login --rol dev || errs=x
typo "status --jsn" status --jsn || errs=x
typo "setup without --fingerprint" setup --ca 127.0.0.1:1 || errs=x
typo "setup with a bad fingerprint" setup --ca 127.0.0.1:1 --fingerprint MD5:xx || errs=x
typo "unknown command" rolse || errs=x
[ -z "$errs" ] && ok "mistyped commands and flags are refused locally (exit 2) before connecting" ||
	bad "typos"
# A bad configuration does not stop --help.
mkdir -p "$T/nowhere"; printf 'ca: [oops\n' > "$JIT_SSH_CONFIG"; chmod 600 "$JIT_SSH_CONFIG"
"$JIT_SSH" roles --help > /dev/null 2>&1 && ok "--help works with a broken configuration" || bad "help with broken config"
rm -f "$JIT_SSH_CONFIG"
# jit-ssh-ca: --json with --csv refused; errors about a missing CA name --dir and JIT_SSH_CA_DIR.
rc=0; "$JIT_SSH_CA" audit --json --csv > /dev/null 2> "$T/err" || rc=$?
[ $rc = 2 ] && grep -q "csv" "$T/err" && ok "jit-ssh-ca audit --json --csv is refused" || bad "audit json+csv: rc=$rc $(cat "$T/err")"
# Every jit-ssh-ca command parses its flags from one table: an option
# given twice is refused rather than one of them silently winning, and a
# bad value is refused before anything is touched.
errs=""
for args in "sign --user a --user b --role r k.pub" "revoke --user a --user b" \
	"lock --user a --reason x --reason y" "krl -o a -o b" "enroll --dir a --dir b --user u" \
	"sign-host --ttl 1d --ttl 2d --hostname h k.pub" "policy explain --user a --user b"; do
	rc=0; "$JIT_SSH_CA" $args > /dev/null 2> "$T/err" || rc=$?
	[ $rc = 2 ] && grep -q "given twice" "$T/err" || errs="$errs [$args: rc=$rc $(cat "$T/err")]"
done
for args in "init --key-type dsa" "sign-host --ttl 0s --hostname h k.pub" "sign --ttl 5x --user a --role r k.pub" \
	"revoke --serial 0" "host-config --hosts a,,b"; do
	rc=0; "$JIT_SSH_CA" $args > /dev/null 2> "$T/err" || rc=$?
	[ $rc = 2 ] && [ -s "$T/err" ] || errs="$errs [$args: rc=$rc]"
done
[ ! -e "$T/no-ca" ] || errs="$errs (a refused command created the CA dir)"
[ -z "$errs" ] && ok "jit-ssh-ca: repeated options and bad values are refused (exit 2), nothing created" ||
	bad "jit-ssh-ca options:$errs"
rc=0; "$JIT_SSH_CA" audit > /dev/null 2> "$T/err" || rc=$?
[ $rc != 0 ] && grep -q -- "--dir" "$T/err" && grep -q "JIT_SSH_CA_DIR" "$T/err" &&
	ok "a missing CA directory is named with --dir and JIT_SSH_CA_DIR" || bad "no CA: $(cat "$T/err")"

# Bash completion: commands and every flag the usage names, for both.
comp() {	# FILE FUNCTION WORDS...: what completing the last word offers
	bash -c 'source "$1"; f=$2; shift 2; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); $f
		printf "%s\n" "${COMPREPLY[@]}"' _ "$@"
}
cerr=""
[ "$(comp "$COMPLETIONS/jit-ssh" _jit_ssh jit-ssh lo | sort | tr '\n' ' ')" = "login logout " ] || cerr="$cerr lo"
[ "$(comp "$COMPLETIONS/jit-ssh-ca" _jit_ssh_ca jit-ssh-ca sign- | tr -d '\n')" = "sign-host" ] || cerr="$cerr sign-"
for c in login status logout setup roles whoami requests approve deny audit; do
	want=$("$JIT_SSH" $c --help | grep -oE -- '--[a-z0-9-]+' | sort -u || true)
	have=$(comp "$COMPLETIONS/jit-ssh" _jit_ssh jit-ssh $c - | sort -u || true)
	missing=$(comm -23 <(echo "$want") <(echo "$have") || true)
	[ -z "$missing" ] || cerr="$cerr jit-ssh:$c:$(echo $missing)"
done
for c in init serve enroll sign revoke lock unlock krl sign-host host-config audit rotate; do
	want=$("$JIT_SSH_CA" $c --help | sed -n '1,/^$/p' | grep -v "audit verify" | grep -oE -- '--[a-z0-9-]+' | sort -u || true)
	have=$(comp "$COMPLETIONS/jit-ssh-ca" _jit_ssh_ca jit-ssh-ca $c - | sort -u || true)
	missing=$(comm -23 <(echo "$want") <(echo "$have") || true)
	[ -z "$missing" ] || cerr="$cerr jit-ssh-ca:$c:$(echo $missing)"
done
[ -z "$cerr" ] && ok "bash completion offers the commands and every flag their usage names" || bad "completion:$cerr"
grep -q "bash-completion/completions/jit-ssh-ca" "$BUILD_ROOT/meson-info/intro-installed.json" &&
	grep -q "bash-completion/completions/jit-ssh\"" "$BUILD_ROOT/meson-info/intro-installed.json" &&
	ok "meson install puts both completions where bash-completion looks" || bad "completions not installed"

# The man pages name every flag the usages name.
if command -v man > /dev/null; then
	set -- $MANPAGES
	man1=$(MANWIDTH=200 man -l "$1" 2> /dev/null | col -b); man8=$(MANWIDTH=200 man -l "$2" 2> /dev/null | col -b)
	merr=""
	while read -r c; do
		for f in $("$JIT_SSH" $c --help | grep -oE -- '--[a-z0-9-]+' | sort -u || true); do
			grep -q -- "$f" <<< "$man1" || merr="$merr jit-ssh:$c:$f"
		done
	done <<< "$JS_CMDS"
	while read -r c; do
		for f in $("$JIT_SSH_CA" $c --help | grep -oE -- '--[a-z0-9-]+' | sort -u || true); do
			grep -q -- "$f" <<< "$man8" || merr="$merr jit-ssh-ca:$c:$f"
		done
	done <<< "$CA_CMDS"
	[ -z "$merr" ] && ok "the man pages name every flag of every command" || bad "man pages lack:$merr"
fi

# A fresh CA answers krl, audit and audit verify at once.
"$JIT_SSH_CA" init --dir "$T/fresh" > /dev/null
"$JIT_SSH_CA" krl --dir "$T/fresh" -o "$T/fresh.krl" 2> "$T/err" &&
	ssh-keygen -Q -l -f "$T/fresh.krl" > /dev/null 2>&1 && ok "a fresh CA writes a KRL ssh-keygen reads" ||
	bad "fresh krl: $(cat "$T/err")"
"$JIT_SSH_CA" audit --dir "$T/fresh" --json > "$T/out" 2> "$T/err" && [ "$(wc -l < "$T/out")" = 1 ] &&
	grep -q '"event":"ca-init"' "$T/out" &&
	ok "a fresh CA's audit holds its ca-init event, not an error" || bad "fresh audit: $(cat "$T/out" "$T/err")"
"$JIT_SSH_CA" audit verify --dir "$T/fresh" > "$T/out" 2> "$T/err" && grep -q "^ok: 1 events" "$T/out" &&
	ok "a fresh CA's audit verify says ok" || bad "fresh verify: $(cat "$T/out" "$T/err")"
ssh-keygen -q -t ed25519 -N '' -f "$T/k"
for c in "sign --user a --role r" "sign-host --hostname h"; do
	rc=0; "$JIT_SSH_CA" $c --dir "$T/fresh" "$T/k" > /dev/null 2> "$T/err" || rc=$?
	[ $rc != 0 ] && grep -q "$T/k is a private key: give its public key ($T/k.pub)" "$T/err" &&
		ok "${c%% *} given a private key says so" || bad "${c%% *} private: rc=$rc $(cat "$T/err")"
done
# Errors name the next step; outputs say what a newcomer needs next.
rc=0; "$JIT_SSH_CA" serve --dir "$T/no-such-ca" > /dev/null 2> "$T/err" || rc=$?
[ $rc = 1 ] && grep -q "no CA at $T/no-such-ca (from --dir): create one with \`jit-ssh-ca init --dir $T/no-such-ca\`" "$T/err" &&
	ok "serve on a missing CA says to run init" || bad "serve no CA: rc=$rc $(cat "$T/err")"
rc=0; HOME=$T/nohome env -u JIT_SSH_CONFIG "$JIT_SSH" roles < /dev/null > /dev/null 2> "$T/err" || rc=$?
[ $rc = 2 ] && grep -q "no configuration ($T/nohome/.config/jit-ssh/config.yaml) and no --ca: run \`jit-ssh setup" "$T/err" &&
	ok "a client with no configuration says to run setup" || bad "no config: rc=$rc $(cat "$T/err")"
rc=0; "$JIT_SSH_CA" audit --dir "$T/fresh" --event bogus > /dev/null 2> "$T/err" || rc=$?
[ $rc = 2 ] && grep -q "unknown event 'bogus' (one of: issue request approve deny" "$T/err" &&
	ok "audit --event lists the valid events" || bad "audit --event: rc=$rc $(cat "$T/err")"
"$JIT_SSH_CA" audit --dir "$T/fresh" --event issue > "$T/out" 2> "$T/err" && [ ! -s "$T/out" ] &&
	grep -qx "no matching events" "$T/err" && ok "an empty audit result says so" || bad "empty audit: $(cat "$T/err")"
"$JIT_SSH_CA" init --dir "$T/fresh2" > "$T/out" 2>&1
fp=$(ssh-keygen -lf "$T/fresh2/ssh_host_ed25519_key.pub" | cut -d' ' -f2)
grep -q "engineers run: jit-ssh setup --ca THIS-HOST:2222 --fingerprint $fp --user NAME" "$T/out" &&
	ok "init prints the listener's fingerprint in a ready setup line" || bad "init output: $(cat "$T/out")"
"$JIT_SSH_CA" lock --dir "$T/fresh2" --user bob --reason x > /dev/null
"$JIT_SSH_CA" lock --dir "$T/fresh2" --user bob --until 2h --reason y > /dev/null 2> "$T/err" &&
	grep -q "note: this shortens bob's lock, which held until unlocked" "$T/err" &&
	ok "a shorter lock says it shortened the one in force" || bad "lock shorter: $(cat "$T/err")"
ssh-keygen -q -t ed25519 -N '' -f "$T/rk"
printf 'users:\n  bob: { keys: ["%s"], groups: [g] }\nroles:\n  r: { groups: [g], principals: [x], mfa: optional }\n' \
	"$(cut -d' ' -f1,2 "$T/rk.pub")" > "$T/fresh2/policy.yaml"
"$JIT_SSH_CA" unlock --dir "$T/fresh2" --user bob > /dev/null
"$JIT_SSH_CA" sign --dir "$T/fresh2" --user bob --role r "$T/rk.pub" > /dev/null 2>&1
"$JIT_SSH_CA" revoke --dir "$T/fresh2" --serial 1 > /dev/null 2> "$T/err" &&
	grep -q "hosts refuse it after their next KRL refresh" "$T/err" &&
	ok "revoke says hosts see it after their next KRL refresh" || bad "revoke note: $(cat "$T/err")"
finish
