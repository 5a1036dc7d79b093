# oidc.sh: the tests' OpenID Provider (tests/oidc, npm oidc-provider 8.x
# from the committed lock file), sourced after lib.sh.
#   op_install          npm ci into $T/op (skips without node or npm)
#   start_op [ENV=...]  the provider on a free port: OP_PORT, OP_PID
#   sign_in URI CODE USER [abort]   the person at the browser (user.mjs)
#   code_of FILE        waits for a verification URI and a user code
#                       (XXXX-XXXX) in FILE: sets URI and CODE
command -v node > /dev/null || skip "node missing (./setup installs nodejs)"
command -v npm > /dev/null || skip "npm missing (./setup installs npm)"
OP=$T/op
op_install() {
	local src
	src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../oidc" && pwd)
	mkdir -p "$OP"
	cp "$src/package.json" "$src/package-lock.json" "$src"/*.mjs "$src/fake_idp.py" "$OP/"
	(cd "$OP" && npm ci --no-audit --no-fund --loglevel=error > "$T/npm.log" 2>&1) ||
		{ bad "npm ci: $(tail -5 "$T/npm.log")"; finish; exit 1; }
}
start_op() {
	OP_PORT=$(free_port)
	env "$@" node "$OP/provider.mjs" "$OP_PORT" > "$T/op.log" 2>&1 &
	OP_PID=$!
	PIDS+=($OP_PID)
	wait_port "$OP_PORT" || { cat "$T/op.log"; exit 1; }
}
sign_in() {
	node "$OP/user.mjs" "$1" "$2" "$3" pw ${4:+abort} > "$T/user.out" 2>&1
}
code_of() {
	local i
	URI=; CODE=
	for i in $(seq 1 100); do
		URI=$(grep -o 'http://[^ ]*/device' "$1" 2> /dev/null | head -1)
		CODE=$(grep -oE '\b[A-Z]{4}-[A-Z]{4}\b' "$1" 2> /dev/null | head -1)
		[ -n "$URI" ] && [ -n "$CODE" ] && return 0
		grep -q '^error' "$1" 2> /dev/null && return 1
		sleep 0.1
	done
	return 1
}
