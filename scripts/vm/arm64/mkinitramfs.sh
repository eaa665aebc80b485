#!/bin/bash
# Make the arm64 lab initramfs (gzip'd newc cpio), the same layout as the
# x86 lab's: Debian's busybox-static:arm64 (/bin/busybox, /bin/sh; /init
# installs the applet links), scripts/vm/guest/init and guest.sh, the
# scenarios/arm64/*.sc files, wedge.ko, the kernel's Image as /boot/vmlinuz
# (the kdump capture kernel), kexec-file-load, Debian's makedumpfile:arm64
# with its library closure (the capture kernel saves its dumps as kdump-tools
# and RHEL do) and, if given, the static stopwatch. Cached by its inputs;
# prints the path.
# Usage: mkinitramfs.sh KERNEL_OUT_DIR WEDGE_KO MAKEDUMPFILE_ROOT [STOPWATCH_BIN]
# (MAKEDUMPFILE_ROOT: what fetch-makedumpfile.sh printed)
. "$(dirname "$0")/lib.sh"
kout=${1:?kernel output dir}
wedge=${2:?wedge.ko}
mdroot=${3:?makedumpfile root (fetch-makedumpfile.sh)}
swbin=${4:-}
vm=$ARM64_DIR/..

bb=$CACHE/busybox/bin/busybox
if [[ ! -x $bb ]]; then
	mkdir -p "$CACHE/debs" "$CACHE/busybox"
	ensure_arm64_apt
	( cd "$CACHE/debs" && ls busybox-static_*_arm64.deb >/dev/null 2>&1 \
		|| apt-get download -q busybox-static:arm64 >/dev/null 2>&1 ) \
		|| die "apt-get download busybox-static:arm64 failed (dpkg --add-architecture arm64 && apt-get update?)"
	tmp=$(mktemp -d)
	dpkg-deb -x "$(ls "$CACHE"/debs/busybox-static_*_arm64.deb | head -1)" "$tmp"
	install -D -m755 "$tmp/bin/busybox" "$bb"; rm -rf "$tmp"
fi

inputs=("$bb" "$0" "$mdroot/packages" "$kout/Image" "$wedge" "$vm/guest/init" "$vm/guest/guest.sh"
	"$ARM64_DIR/kexec-file-load.c" "$vm"/scenarios/arm64/*.sc "${swbin:-no-stopwatch}")
key=$(for f in "${inputs[@]}"; do echo "$f"; [[ -f $f ]] && sha256sum < "$f"; done | key_of)
out=$CACHE/initramfs/initramfs-$key.cpio.gz
if [[ -f $out ]]; then echo "$out"; exit 0; fi
[[ -n ${SW_BUILT_LOG:-} ]] && echo initramfs >> "$SW_BUILT_LOG"
log "building initramfs $out"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,dev,proc,sys,tmp,run,boot,lab/scenarios,lib/modules}
cp "$bb" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
install -m755 "$vm/guest/init" "$stage/init"
cp "$vm/guest/guest.sh" "$stage/lab/guest.sh"
cp "$vm"/scenarios/arm64/*.sc "$stage/lab/scenarios/"
cp "$wedge" "$stage/lib/modules/wedge.ko"
cp "$kout/Image" "$stage/boot/vmlinuz"
"${CROSS}gcc" -O2 -static -Wall -o "$stage/bin/kexec-file-load" "$ARM64_DIR/kexec-file-load.c" \
	|| die "kexec-file-load build failed"
[[ -n $swbin ]] && install -m755 "$swbin" "$stage/bin/stopwatch"
# makedumpfile and the shared objects it needs, at their Debian paths
cp "$mdroot/usr/bin/makedumpfile" "$stage/sbin/makedumpfile"
# shellcheck disable=SC2046 # split: one path a line, none with spaces
( cd "$mdroot" && cp -a --parents $(cat closure) "$stage/" )
mknod "$stage/dev/console" c 5 1
mknod "$stage/dev/null" c 1 3
mkdir -p "$CACHE/initramfs"
( cd "$stage" && find . -print0 | sort -z | cpio -0 -o -H newc --quiet -R 0:0 ) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
# keep the newest six (two kernels, a few stopwatch builds)
ls -t "$CACHE"/initramfs/initramfs-*.cpio.gz | tail -n +7 | xargs -r rm -f
echo "$out"
