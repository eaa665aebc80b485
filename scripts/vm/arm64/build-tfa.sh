#!/bin/bash
# Build TF-A 2.8 (Debian's arm-trusted-firmware source package) for QEMU virt
# with the stopwatch SDEI port (patches/tf-a/*.patch) and make the 64 MiB flash
# image QEMU takes with -bios (bl1.bin at 0, fip.bin at 0x40000).
# Prints the output directory on stdout. Cached by (package version, patches,
# flags, toolchain).
. "$(dirname "$0")/lib.sh"

TFA_FLAGS=(PLAT=qemu QEMU_USE_GIC_DRIVER=QEMU_GICV3 SDEI_SUPPORT=1
	   ARM_LINUX_KERNEL_AS_BL33=1 PRELOADED_BL33_BASE=0x60000000)
mapfile -t patches < <(ls "$REPO"/patches/tf-a/*.patch | sort)

ver=$(apt-cache show --no-all-versions arm-trusted-firmware 2>/dev/null \
	| sed -n 's/^Version: //p' | head -1)
[[ -n $ver ]] || die "arm-trusted-firmware unknown to apt (run apt-get update)"
key=$( { echo "$ver"; echo "${TFA_FLAGS[*]}"; cat "${patches[@]}"; toolchain_id; } | key_of)
out=$CACHE/tfa/$key
if [[ -f $out/flash.bin ]]; then
	log "TF-A: cached ($out)"; echo "$out"; exit 0
fi

t0=$(date +%s)
[[ -n ${SW_BUILT_LOG:-} ]] && echo "tfa" >> "$SW_BUILT_LOG"	# test.sh: cold/warm summary
srcroot=$CACHE/src/tfa-$ver
if [[ ! -f $srcroot/.stopwatch-fetched ]]; then
	rm -rf "$srcroot"; mkdir -p "$srcroot"
	log "fetching arm-trusted-firmware $ver source (apt-get source)"
	if ! apt-get source --print-uris -q "arm-trusted-firmware=$ver" >/dev/null 2>&1; then
		log "no deb-src for bookworm: adding /etc/apt/sources.list.d/stopwatch-src.sources"
		cat > /etc/apt/sources.list.d/stopwatch-src.sources <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
		apt-get update -qq
	fi
	( cd "$srcroot" && apt-get source -q "arm-trusted-firmware=$ver" >/dev/null 2>&1 ) \
		|| die "apt-get source arm-trusted-firmware failed: is a deb-src line for bookworm configured?"
	touch "$srcroot/.stopwatch-fetched"
fi
src=$(find "$srcroot" -maxdepth 1 -type d -name 'arm-trusted-firmware-*' | head -1)
[[ -n $src ]] || die "no source dir under $srcroot"

mkdir -p "$CACHE/tfa"
work=$CACHE/tfa/work-$key
rm -rf "$work"; cp -a "$src" "$work"
for p in "${patches[@]}"; do
	log "applying $(basename "$p")"
	patch -d "$work" -p1 -s --no-backup-if-mismatch < "$p"
done

log "building TF-A (${TFA_FLAGS[*]})"
# Debian's own packaging passes these in the environment: binutils 2.40 refuses
# TF-A's RWX LOAD segment otherwise. On the make command line they would
# replace TF-A's own CFLAGS, so keep them in the environment.
if ! env CFLAGS=--param=min-pagesize=0 LDFLAGS= TF_LDFLAGS=--no-warn-rwx-segments \
	$NICE make -C "$work" -j"$JOBS" CROSS_COMPILE="$CROSS" "${TFA_FLAGS[@]}" all fip \
	> "$work/build.log" 2>&1; then
	tail -30 "$work/build.log" >&2; die "TF-A build failed ($work/build.log)"
fi
rel=$work/build/qemu/release
mkdir -p "$out.tmp"
cp "$rel/bl1.bin" "$rel/fip.bin" "$rel/bl31.bin" "$out.tmp/"
dd if=/dev/zero of="$out.tmp/flash.bin" bs=1M count=64 status=none
dd if="$rel/bl1.bin" of="$out.tmp/flash.bin" conv=notrunc status=none
dd if="$rel/fip.bin" of="$out.tmp/flash.bin" bs=4096 seek=64 conv=notrunc status=none
rm -rf "$out"; mv "$out.tmp" "$out"; rm -rf "$work"
log "TF-A built in $(( $(date +%s) - t0 )) s ($out)"
echo "$out"
