#!/usr/bin/env bash
# Runs one Criterion test binary with its results as TAP on stdout (meson
# counts and names every test), its log on stderr; fails on any sanitizer
# report, even one printed by a test worker after its test passed
# (Criterion does not turn a worker's LeakSanitizer exit status into a
# failure).
set -uo pipefail
err=$(mktemp)
trap 'rm -f "$err"' EXIT
"$@" --tap=/dev/stdout 2> "$err"
rc=$?
cat "$err" >&2
if grep -qE "ERROR: (LeakSanitizer|AddressSanitizer)|runtime error:" "$err"; then
	echo "run-unit: sanitizer report above: failing" >&2
	exit 1
fi
exit "$rc"
