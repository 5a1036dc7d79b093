#!/usr/bin/env bash
# The store's unit tests, and the remote commands' lifecycle tests, run
# against the PostgreSQL backend: a throwaway cluster, a fresh database per
# test (the fixtures create it).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
: "${BUILD_ROOT:?}"
pg_start
export JIT_TEST_PG="$PG_CONNINFO"
if "$BUILD_ROOT/tests/test_store" --jobs 2 --filter "${PG_FILTER:-*}" > "$T/out" 2>&1; then
	ok "the store's unit tests pass on PostgreSQL ($(grep -o 'Tested: [0-9]*' "$T/out" | head -1))"
else
	bad "the store's unit tests on PostgreSQL: $(grep -E 'FAIL|CRASH|Assertion' "$T/out" | head -20)"
fi
for t in ca_lifecycle ca_remote ca_auth ca_report; do
	if "$BUILD_ROOT/tests/test_$t" --jobs 2 > "$T/$t" 2>&1; then
		ok "test_$t passes on PostgreSQL ($(grep -o 'Tested: [0-9]*' "$T/$t" | head -1))"
	else
		bad "test_$t on PostgreSQL: $(grep -E 'FAIL|CRASH|Assertion|\[----\]' "$T/$t" | head -20)"
	fi
done
finish
