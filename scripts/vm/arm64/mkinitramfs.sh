#!/bin/bash
# Make the lab initramfs (gzip'd newc cpio): Debian's busybox-static:arm64,
# guest/init, guest/scenarios, optional modules, and build/arm64/stopwatch
# when it exists (installed as /bin/stopwatch).
# Usage: mkinitramfs.sh OUT.cpio.gz [module.ko ...]
. "$(dirname "$0")/lib.sh"
outf=${1:?output}; shift

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

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,dev,proc,sys,tmp,etc,lib/modules,scenarios,usr/bin,usr/sbin}
cp "$bb" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
install -m755 "$ARM64_DIR/guest/init" "$stage/init"
cp "$ARM64_DIR"/guest/scenarios/*.sh "$stage/scenarios/"
for m in "$@"; do cp "$m" "$stage/lib/modules/"; done
sw=${STOPWATCH_BIN:-$REPO/build/arm64/stopwatch}
if [[ -f $sw ]]; then
	install -m755 "$sw" "$stage/bin/stopwatch"
	log "initramfs: including $sw as /bin/stopwatch"
fi
mknod "$stage/dev/console" c 5 1 2>/dev/null || true
mknod "$stage/dev/null" c 1 3 2>/dev/null || true
( cd "$stage" && find . -print0 | sort -z | cpio -0 -o -H newc --quiet -R 0:0 ) | gzip -9 > "$outf.tmp"
mv "$outf.tmp" "$outf"
