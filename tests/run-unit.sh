#!/usr/bin/env bash
# Runs one Criterion test binary and fails on any sanitizer report, even
# one printed by a test worker after its test passed (Criterion does not
# turn a worker's LeakSanitizer exit status into a failure).
set -uo pipefail
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$@" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
if grep -qE "ERROR: (LeakSanitizer|AddressSanitizer)|runtime error:" "$out"; then
	echo "run-unit: sanitizer report above: failing" >&2
	exit 1
fi
exit "$rc"
