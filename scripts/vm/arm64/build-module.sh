#!/bin/bash
# Build tests/module (wedge.ko, the lab's CPU wedge shared with the x86 lab)
# against a kernel built by build-kernel.sh.
# Usage: build-module.sh <kernel-out-dir>; prints the .ko path.
. "$(dirname "$0")/lib.sh"
kout=${1:?kernel output dir}
tree=$(readlink -f "$kout/build")
src=$REPO/tests/module
key=$( { cat "$src"/wedge.c "$src"/Kbuild "$src"/Makefile; basename "$kout"; } | key_of)
out=$CACHE/module/wedge-$key
if [[ -f $out/wedge.ko ]]; then echo "$out/wedge.ko"; exit 0; fi
rm -rf "$out"; mkdir -p "$out"
cp "$src"/wedge.c "$src"/Kbuild "$src"/Makefile "$out/"
log "building wedge.ko against $(basename "$kout")"
$NICE make -s -C "$tree" ARCH=arm64 CROSS_COMPILE="$CROSS" M="$out" modules >&2 \
	|| die "module build failed"
echo "$out/wedge.ko"
