#!/usr/bin/env bash
# The shell completions come from each program's command table (`PROG
# completion SHELL`, installed by meson install), and each shell, running
# the file meson made, completes every command and every option the
# command's --help names: bash (compgen, as bash-completion calls it),
# zsh (its completion function with _describe/_files/compadd recorded),
# fish (its own `complete -C`).
. "$(dirname "$0")/lib.sh"
: "${JIT_SSH_CA:?}" "${JIT_SSH:?}" "${COMPLETIONS:?}"
export HOME=$T/home JIT_SSH_CONFIG=$T/nowhere/config.yaml JIT_SSH_CA_DIR=$T/no-ca
mkdir -p "$HOME"

# The commands, as each program's --help lists them (from its table).
ca_cmds() {
	"$JIT_SSH_CA" --help | sed -n 's/^  jit-ssh-ca //p' |
		awk '{ w = $1; if ($2 ~ /^[a-z][a-z-]*$/) w = w " " $2; print w }' | sort -u
}
js_cmds() { "$JIT_SSH" --help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p' | sort -u; }
# The options a command's usage names.
opts_of() {	# PROG WORDS...
	"$@" --help | sed -n '1,/^$/p' | grep -oE -- '--[a-z0-9-]+' | grep -vx -- '--help' | sort -u || true
}

ca_n=$(ca_cmds | wc -l); js_n=$(js_cmds | wc -l)
[ "$ca_n" -ge 17 ] && [ "$js_n" -ge 10 ] && ok "the tables list $ca_n jit-ssh-ca and $js_n jit-ssh commands" ||
	bad "commands listed: $ca_n, $js_n"

# The files meson made are what the programs print, and they install.
cmp -s <("$JIT_SSH_CA" completion bash) "$COMPLETIONS/jit-ssh-ca" &&
	cmp -s <("$JIT_SSH" completion zsh) "$COMPLETIONS/_jit-ssh" &&
	cmp -s <("$JIT_SSH_CA" completion fish) "$COMPLETIONS/jit-ssh-ca.fish" &&
	ok "the completion files are the programs' own (completion SHELL)" || bad "completion files differ"
inst="$BUILD_ROOT/meson-info/intro-installed.json"
grep -q 'bash-completion/completions/jit-ssh-ca"' "$inst" && grep -q 'zsh/vendor-completions/_jit-ssh"' "$inst" &&
	grep -q 'fish/vendor_completions.d/jit-ssh-ca.fish"' "$inst" &&
	ok "meson install puts them where bash, zsh and fish look" || bad "install paths"
rc=0; "$JIT_SSH_CA" completion tcsh > /dev/null 2> "$T/err" || rc=$?
[ $rc = 2 ] && grep -q "bash|zsh|fish" "$T/err" && ok "another shell is refused (exit 2)" || bad "tcsh: rc=$rc"

# --- bash ---
bash_comp() {	# FILE FUNCTION WORDS...
	bash -c 'source "$1"; f=$2; shift 2; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); $f
		printf "%s\n" "${COMPREPLY[@]}"' _ "$@"
}
# --- zsh: the function as compinit would call it; what it offers recorded ---
zsh_comp() {	# FILE WORDS...
	zsh -f -c '
		_describe() { shift 3; local x; for x in "${(@P)1}"; do print -r -- "${x%%:*}"; done }
		_files() { print -r -- "@files$*" }
		compadd() { [[ $1 == -- ]] && shift; print -l -- "$@" }
		f=$1; shift; words=("$@"); CURRENT=$#
		source "$f"' _ "$@"
}
# --- fish: its own completion engine ---
fish_comp() {	# FILE LINE
	fish --no-config -c 'source $argv[1]; complete -C$argv[2]' "$1" "$2" | cut -f1
}

check_shell() {	# SHELL
	local sh=$1 errs="" p c want have missing words file
	for p in jit-ssh-ca jit-ssh; do
		case $sh in
		bash) file=$COMPLETIONS/$p ;;
		zsh) file=$COMPLETIONS/_$p ;;
		fish) file=$COMPLETIONS/$p.fish ;;
		esac
		[ -s "$file" ] || { errs="$errs no-$file"; continue; }
		while read -r c; do
			[ -n "$c" ] || continue
			# The command completes from its first letters.
			set -- $c
			case $sh in
			bash) have=$(bash_comp "$file" "_${p//-/_}" "$p" "${1:0:3}") ;;
			zsh) have=$(zsh_comp "$file" "$p" "${1:0:3}") ;;
			fish) have=$(fish_comp "$file" "$p ${1:0:3}") ;;
			esac
			grep -qx -- "$1" <<< "$have" || errs="$errs $p:$1"
			if [ $# = 2 ]; then
				case $sh in
				bash) have=$(bash_comp "$file" "_${p//-/_}" "$p" "$1" "") ;;
				zsh) have=$(zsh_comp "$file" "$p" "$1" "") ;;
				fish) have=$(fish_comp "$file" "$p $1 ") ;;
				esac
				grep -qx -- "$2" <<< "$have" || errs="$errs $p:$c"
			fi
			# Every option its usage names.
			if [ "$p" = jit-ssh-ca ]; then want=$(opts_of "$JIT_SSH_CA" $c); else want=$(opts_of "$JIT_SSH" $c); fi
			case $sh in
			bash) have=$(bash_comp "$file" "_${p//-/_}" "$p" $c -) ;;
			zsh) have=$(zsh_comp "$file" "$p" $c -) ;;
			fish) have=$(fish_comp "$file" "$p $c --") ;;
			esac
			missing=$(comm -23 <(echo "$want") <(echo "$have" | sort -u) | grep . || true)
			[ -z "$missing" ] || errs="$errs $p:$c:$(echo $missing)"
		done < <(if [ "$p" = jit-ssh-ca ]; then ca_cmds; else js_cmds; fi)
	done
	# Values: an option's words, and files where a file goes.
	case $sh in
	bash) have=$(bash_comp "$COMPLETIONS/jit-ssh-ca" _jit_ssh_ca jit-ssh-ca rotate --ca "") ;;
	zsh) have=$(zsh_comp "$COMPLETIONS/_jit-ssh-ca" jit-ssh-ca rotate --ca "") ;;
	fish) have=$(fish_comp "$COMPLETIONS/jit-ssh-ca.fish" "jit-ssh-ca rotate --ca ") ;;
	esac
	[ "$(echo "$have" | sort | tr '\n' ' ')" = "host user " ] || errs="$errs rotate--ca:[$(echo $have)]"
	case $sh in
	bash) have=$(cd "$T" && touch k.pub && bash_comp "$COMPLETIONS/jit-ssh-ca" _jit_ssh_ca jit-ssh-ca sign k) ;;
	zsh) have=$(zsh_comp "$COMPLETIONS/_jit-ssh-ca" jit-ssh-ca sign k) ;;
	fish) have=$(cd "$T" && touch k.pub && fish_comp "$COMPLETIONS/jit-ssh-ca.fish" "jit-ssh-ca sign k") ;;
	esac
	grep -qx 'k.pub\|@files' <<< "$have" || errs="$errs sign-file:[$(echo $have)]"
	[ -z "$errs" ] && ok "$sh completes every command and every option of both programs, and values" ||
		bad "$sh completion:$errs"
}
check_shell bash
if command -v zsh > /dev/null; then check_shell zsh; else bad "zsh missing (./setup installs it)"; fi
if command -v fish > /dev/null; then check_shell fish; else bad "fish missing (./setup installs it)"; fi
finish
