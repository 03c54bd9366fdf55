#!/bin/sh
# Support-layer check on real tables: generates a kernel module (skeleton handlers) for every
# genetlink* spec in the kernel's own Documentation/netlink/specs (read from Debian's
# linux-source-V tarball, nothing committed), builds each against kernel V with the current
# kmod-template/support files, then boots V once and loads/unloads each. A family that the
# kernel already has built in (nlctrl, netdev, ...) must fail to load cleanly with EEXIST
# (7.x's module loader reports it as EBUSY). Any kernel WARNING fails the run.
# Usage: kmod-template/proof/upstream-load.sh 6.12
set -eu
V=${1:?usage: upstream-load.sh KERNEL_VERSION}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=${TMPDIR:-/tmp}/nlspec-upstream-$V
rm -rf "$WORK" && mkdir -p "$WORK/specs"
tar -xJf "/usr/src/linux-source-$V.tar.xz" -C "$WORK/specs" --strip-components=4 \
	"linux-source-$V/Documentation/netlink/specs"
cd "$ROOT"
cargo build --quiet -p nlspec-codegen --bin nlspec
KOS=""
n=0; built=0
for spec in "$WORK"/specs/*.yaml; do
	grep -q '^protocol: netlink-raw' "$spec" && continue
	n=$((n + 1))
	name=$(basename "$spec" .yaml)
	out="$WORK/mod/$name"
	if ! target/debug/nlspec gen --spec "$spec" --out "$out" --kernel > "$WORK/$name.gen.log" 2>&1; then
		echo "GEN-FAIL $name (see $WORK/$name.gen.log)"; continue
	fi
	cp kmod-template/support/nlspec_support.rs kmod-template/support/nlspec_helper.h \
		kmod-template/support/nlspec_bindgen.py kmod-template/support/nlspec.mk "$out/"
	if ko=$(cargo xtask kmod-build --kernel "$V" --dir "$out" 2> "$WORK/$name.build.log" | tail -n 1); then
		built=$((built + 1)); KOS="$KOS --ko $ko"
	else
		echo "BUILD-FAIL $name (see $WORK/$name.build.log)"
	fi
done
echo "built $built of $n genetlink* specs against $V"
# shellcheck disable=SC2086
cargo xtask vm-run --kernel "$V" $KOS -- '
fail=0
for k in /lib/modules/*.ko; do
	n=$(basename $k .ko)
	if insmod $k 2>/tmp/e; then
		rmmod $n && echo "NLSPEC-CASE PASS load-unload-$n" || { echo "NLSPEC-CASE FAIL unload-$n"; fail=1; }
	elif grep -qE "File exists|busy" /tmp/e; then
		echo "NLSPEC-CASE PASS load-$n-refused-cleanly: family name taken (built in)"
	else
		echo "NLSPEC-CASE FAIL load-$n: $(cat /tmp/e)"; fail=1
	fi
done
if dmesg | grep -E "WARNING|BUG|Oops"; then echo "NLSPEC-CASE FAIL kernel-warnings"; fail=1; fi
exit $fail
'
