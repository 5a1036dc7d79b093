#!/usr/bin/env bash
# Certificates/s with the CA key in a SoftHSM2 token vs in the process, 1
# and 32 threads, in one run (bench_token alternates them).  A throwaway
# token in a temporary directory; nothing else is touched.
#   tests/bench/run_token_bench.sh [ROUNDS] [SECONDS_PER_ROUND]
set -euo pipefail
B=${BUILD:-$(dirname "$0")/../../build}
SO=${PKCS11_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
mkdir "$D/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$D" > "$D/softhsm2.conf"
export SOFTHSM2_CONF=$D/softhsm2.conf
softhsm2-util --init-token --free --label bench --pin 1234 --so-pin 5678 > /dev/null
printf '1234\n' > "$D/pin"; chmod 600 "$D/pin"
echo "# $(nproc) cores; $(softhsm2-util --version 2>/dev/null | head -1 | sed 's/^/SoftHSM /')"
"$B/tests/bench/bench_token" "$SO" "pkcs11:token=bench" "$D/pin" "${1:-5}" "${2:-1}"
