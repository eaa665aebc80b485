#!/bin/bash
# Build tests/module/wedge.ko against the fetched Debian headers, without
# installing them: $SW_X86_CACHE/wedge-<hash>/wedge.ko. Prints the path.
# Usage: build-wedge.sh PKGS_DIR
. "$(dirname "$0")/lib.sh"

pkgs=${1:?usage: build-wedge.sh PKGS_DIR}
krel=$(cat "$pkgs/krel")
src=$SW_TOP/tests/module
h=$(sw_hash "$(cat "$pkgs/packages")" "$(sw_hash_tree "$src")" "$0")
dir=$SW_X86_CACHE/wedge-$h
if [ -f "$dir/wedge.ko" ]; then
	echo "$dir/wedge.ko"
	exit 0
fi
sw_built wedge.ko
sw_log "building wedge.ko for $krel"
rm -rf "$dir"
mkdir -p "$dir/build"
cp "$src"/wedge.c "$src"/Kbuild "$src"/Makefile "$dir/build/"
make -s -C "$dir/build" KDIR="$pkgs/root/usr/src/linux-headers-$krel" >&2 ||
	sw_die "wedge.ko build failed"
cp "$dir/build/wedge.ko" "$dir/wedge.ko"
echo "$dir/wedge.ko"
