#!/bin/sh
# Builds the proof module against a cached kernel (6.12 or 7.3), builds the static test client,
# boots the kernel in qemu and runs: load, test suite, unload, load again, unload.
# Usage: kmod-template/proof/run.sh 6.12
set -eu
V=${1:?usage: run.sh KERNEL_VERSION}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"
KO=$(cargo xtask kmod-build --kernel "$V" --dir "$HERE/module" | tail -n 1)
(cd "$HERE/client" && RUSTFLAGS="-C target-feature=+crt-static" \
	cargo build --quiet --release --target x86_64-unknown-linux-gnu)
BIN="$HERE/client/target/x86_64-unknown-linux-gnu/release/nlspecproof-client"
cargo xtask vm-run --kernel "$V" --ko "$KO" --bin "$BIN" -- '
set -e
insmod /lib/modules/nlspecproof.ko
nlspecproof-client
nlspecproof-client hold 2 & holder=$!
sleep 1
rmmod nlspecproof
echo "NLSPEC-CASE PASS unload-while-socket-held"
wait $holder
insmod /lib/modules/nlspecproof.ko
nlspecproof-client > /tmp/second-run.txt || { cat /tmp/second-run.txt; exit 1; }
rmmod nlspecproof
echo "NLSPEC-CASE PASS reload-and-rerun"
if dmesg | grep -E "WARNING|BUG|Oops"; then echo "NLSPEC-CASE FAIL kernel-warnings"; exit 1; fi
echo "NLSPEC-CASE PASS no-kernel-warnings"
'
