#!/bin/bash
# Build tests/module-arm64 (sw_wedge.ko) against a kernel built by
# build-kernel.sh. Usage: build-module.sh <kernel-out-dir>; prints the .ko path.
. "$(dirname "$0")/lib.sh"
kout=${1:?kernel output dir}
tree=$(readlink -f "$kout/build")
key=$( { cat "$REPO"/tests/module-arm64/*.c "$REPO"/tests/module-arm64/Makefile; basename "$kout"; } | key_of)
out=$CACHE/module/$key
if [[ -f $out/sw_wedge.ko ]]; then echo "$out/sw_wedge.ko"; exit 0; fi
rm -rf "$out"; mkdir -p "$out"
cp "$REPO"/tests/module-arm64/*.c "$REPO"/tests/module-arm64/Makefile "$out/"
log "building sw_wedge.ko against $(basename "$kout")"
$NICE make -s -C "$tree" ARCH=arm64 CROSS_COMPILE="$CROSS" M="$out" modules >&2 \
	|| die "module build failed"
echo "$out/sw_wedge.ko"
