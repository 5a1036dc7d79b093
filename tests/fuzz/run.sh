#!/usr/bin/env bash
# Builds the libFuzzer targets with ASan+UBSan and runs each for SECONDS
# (default 300) on a seed corpus made from real certificates and keys.
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-300}; shift || true
targets=("${@:-cert pubkey policy client_config cmdline store_records yaml krl agent jsonl}")
bdir=$top/build-fuzz
if ! command -v clang >/dev/null || ! dpkg-query -W libclang-rt-14-dev >/dev/null 2>&1; then
	sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get install -y -q --no-install-recommends clang libclang-rt-14-dev
fi
if [ ! -d "$bdir" ]; then
	CC=clang meson setup "$bdir" "$top" -Dfuzz=true -Dtests=disabled \
		-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
meson compile -C "$bdir" >/dev/null
corpus=$top/tests/fuzz/corpus-seed
rm -rf "$corpus"; mkdir -p "$corpus/cert" "$corpus/pubkey" "$corpus/policy" "$corpus/client_config" \
	"$corpus/cmdline" "$corpus/store_records"
printf '%s' "login --role prod --reason 'incident 42' --ttl 5m" > "$corpus/cmdline/login"
printf '%s' 'approve r-0123456789abcdef --comment "ok, \"go\""' > "$corpus/cmdline/approve"
printf '%s' "audit --since 24h --json --user 'a b'" > "$corpus/cmdline/audit"
cp "$top"/examples/config.yaml "$corpus/client_config/"
cp "$top"/tests/data/policy-*.yaml "$corpus/policy/"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for k in "$top"/tests/data/key_*.pub; do
	cut -d' ' -f2 "$k" | base64 -d > "$corpus/pubkey/$(basename "$k").bin"
	cp "$k" "$corpus/pubkey/"
done
cp "$top"/tests/data/key_ed25519 "$top"/tests/data/key_ecdsa256 "$corpus/pubkey/"
tc=$bdir/tests/tools/jit-testcert
[ -x "$tc" ] || { meson compile -C "$bdir" tests/tools/jit-testcert >/dev/null; }
for ca in ed25519 ecdsa256 rsa3072; do
	cp "$top/tests/data/key_$ca" "$tmp/ca"; chmod 600 "$tmp/ca"
	for k in ed25519 ecdsa384 rsa3072; do
		"$tc" sign --ca "$tmp/ca" --key "$top/tests/data/key_$k.pub" --serial 7 \
			--id jit:a:b:7 --principals a,b --critical force-command=/bin/true \
			--ext permit-pty > "$corpus/cert/$ca-$k.line"
		cut -d' ' -f2 "$corpus/cert/$ca-$k.line" | base64 -d > "$corpus/cert/$ca-$k.bin"
	done
done
# Store records as a store writes them: dumped from a throwaway store.
"$bdir/tests/fuzz/seed_store_records" "$corpus/store_records" 2>/dev/null || true
for t in ${targets[*]}; do
	work=$top/tests/fuzz/corpus-$t
	mkdir -p "$work"
	echo "== fuzz_$t for ${secs}s"
	"$bdir/tests/fuzz/fuzz_$t" -max_total_time="$secs" -print_final_stats=1 \
		-max_len=8192 -close_fd_mask=2 -artifact_prefix="$top/tests/fuzz/crash-$t-" \
		"$work" "$corpus/$t" 2>&1 | grep -E "^stat::|ERROR|SUMMARY|Done" || true
done
