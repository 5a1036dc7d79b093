#!/usr/bin/env bash
# The documentation lives in the repository and agrees with the code: the
# README is the front door (at most 250 lines), every link of README and
# docs/ resolves, nothing points outside the repository, PROTOCOL.md names
# every remote command and option of the table (ca/remote/verbs.c), and the
# policy's man page reads.
. "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)

n=$(wc -l < "$SRC/README.md")
[ "$n" -le 250 ] && ok "README.md is $n lines (at most 250)" || bad "README.md is $n lines"
for d in ARCHITECTURE PROTOCOL OPERATIONS SECURITY HACKING CLIENT; do
	[ -s "$SRC/docs/$d.md" ] || bad "docs/$d.md missing"
done
# Links: [text](target) in README.md and docs/*.md, relative to the file.
broken=""
for f in "$SRC/README.md" "$SRC"/docs/*.md; do
	for l in $(grep -oE '\]\([^)#]+' "$f" | sed 's/^](//'); do
		case $l in http*://*) continue ;; esac
		[ -e "$(dirname "$f")/$l" ] || broken="$broken ${f#"$SRC"/}:$l"
	done
done
[ -z "$broken" ] && ok "every link of README.md and docs/ resolves" || bad "broken links:$broken"
out=$(cd "$SRC" && git grep -nE '\.\./shared|design\.md' -- . ':!tests/integration/test_docs.sh' 2>/dev/null || true)
[ -z "$out" ] && ok "nothing in the repository points outside it" || bad "points outside: $out"
# PROTOCOL.md: every remote command and every option of the table.
missing=""
for c in $(sed -n 's/^[[:space:]]*\.name = "\([a-z-]*\)".*/\1/p' "$SRC/ca/remote/verbs.c"); do
	grep -q "\`$c" "$SRC/docs/PROTOCOL.md" || missing="$missing $c"
done
for o in $(sed -n 's/^[[:space:]]*{ "\([a-z-]*\)", 0, .*/\1/p' "$SRC/ca/remote/verbs.c" "$SRC/common/include/jit-remote.h" | sort -u); do
	grep -q -- "--$o" "$SRC/docs/PROTOCOL.md" || missing="$missing --$o"
done
[ -z "$missing" ] && ok "PROTOCOL.md names every remote command and option of the table" ||
	bad "PROTOCOL.md lacks:$missing"
if command -v man > /dev/null; then
	w=$(MANWIDTH=100 man -l "$SRC/docs/jit-ssh-policy.5" 2> "$T/err" | col -b)
	grep -q "approval" <<< "$w" && grep -q "max_live_certs" <<< "$w" && [ ! -s "$T/err" ] &&
		ok "jit-ssh-policy(5) reads and names the policy's keys" || bad "policy man page: $(cat "$T/err")"
fi
finish
