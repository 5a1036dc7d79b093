# pg.sh: a throwaway PostgreSQL cluster for a test (sourced after lib.sh).
# initdb in $T/pg as an unprivileged user (root runs it as nobody), on a
# unix socket in that directory and no TCP; stopped and removed with $T.
# Sets PG_CONNINFO (libpq conninfo of the "postgres" database).
pg_bin() {
	local d
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && { echo "$d"; return 0; }
	done
	return 1
}

PG_AS=()
pg_ctl() {	# ARGS...: pg_ctl on the test's cluster, as its owner
	"${PG_AS[@]}" "$(pg_bin)/pg_ctl" -D "$PGD/data" "$@"
}

pg_start() {
	local bin port
	bin=$(pg_bin) || skip "PostgreSQL is not installed (./setup installs it)"
	PGD="$T/pg"
	mkdir -p "$PGD"
	if [ "$(id -u)" = 0 ]; then
		chmod 711 "$T"	# nobody walks through to its own directory
		chown nobody "$PGD"
		PG_AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
	fi
	chmod 700 "$PGD"
	port=$(free_port)
	"${PG_AS[@]}" "$bin/initdb" -D "$PGD/data" -U jit --auth=trust -E UTF8 \
		--no-instructions > "$PGD/initdb.log" 2>&1 || { cat "$PGD/initdb.log"; return 1; }
	PG_OPTS="-k $PGD -p $port -c listen_addresses='' ${PG_EXTRA_OPTS:-}"
	pg_ctl -l "$PGD/server.log" -w -t 60 -o "$PG_OPTS" start > /dev/null ||
		{ cat "$PGD/server.log"; return 1; }
	CLEANUP_HOOKS+=(pg_stop_now)
	PG_CONNINFO="host=$PGD port=$port user=jit dbname=postgres"
	export PG_CONNINFO
}

pg_down() { pg_ctl -m fast -w stop > /dev/null; }
pg_up() { pg_ctl -l "$PGD/server.log" -w -t 60 -o "$PG_OPTS" start > /dev/null; }
# At exit: every cluster under $PGD stopped (and waited for) before $T goes.
pg_stop_now() {
	local d
	for d in "$PGD"/*/; do
		[ -f "$d/postmaster.pid" ] &&
			"${PG_AS[@]}" "$(pg_bin)/pg_ctl" -D "$d" -m immediate -w stop > /dev/null 2>&1
	done
	return 0
}
