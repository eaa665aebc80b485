#!/bin/bash
# Build the lab initramfs: busybox-static, /init, scenario scripts, wedge.ko,
# kexec and makedumpfile (Debian's, with their library closure), the 9p
# modules, the guest kernel
# (for kexec -p) and, when it exists, the static stopwatch binary.
# Output: $SW_X86_CACHE/initramfs-<hash>.cpio.gz (path printed on stdout).
# Usage: mkinitramfs-x86.sh PKGS_DIR WEDGE_KO [STOPWATCH_BIN]
. "$(dirname "$0")/lib.sh"

pkgs=${1:?usage: mkinitramfs-x86.sh PKGS_DIR WEDGE_KO [STOPWATCH_BIN]}
wedge=${2:?wedge.ko path}
swbin=${3:-}
krel=$(cat "$pkgs/krel")
root=$pkgs/root
scen=$SW_VM_DIR/scenarios/x86

inputs=("$(cat "$pkgs/packages")" "$0" "$wedge" "$SW_VM_DIR/guest/init" "$SW_VM_DIR/guest/guest.sh")
for f in "$scen"/*.sc; do inputs+=("$f"); done
if [ -n "$swbin" ]; then
	[ -x "$swbin" ] || sw_die "$swbin: not executable"
	if ldd "$swbin" >/dev/null 2>&1; then
		sw_die "$swbin is dynamically linked; the initramfs needs a static binary"
	fi
	inputs+=("$swbin")
else
	inputs+=("no-stopwatch")
fi
h=$(sw_hash "${inputs[@]}")
out=$SW_X86_CACHE/initramfs-$h.cpio.gz
if [ -f "$out" ]; then
	echo "$out"
	exit 0
fi

sw_built initramfs
sw_log "building initramfs $out"
st=$(mktemp -d)
trap 'rm -rf "$st"' EXIT
mkdir -p "$st"/{bin,sbin,dev,proc,sys,tmp,run,boot,lab/scenarios,lib/modules,lib64,usr/lib/x86_64-linux-gnu,lib/x86_64-linux-gnu}
cp "$root/bin/busybox" "$st/bin/busybox"
for a in $("$st/bin/busybox" --list); do
	[ -e "$st/bin/$a" ] || ln -s busybox "$st/bin/$a"
done
mknod -m 600 "$st/dev/console" c 5 1
mknod -m 666 "$st/dev/null" c 1 3
cp "$SW_VM_DIR/guest/init" "$st/init"
cp "$SW_VM_DIR/guest/guest.sh" "$st/lab/guest.sh"
cp "$scen"/*.sc "$st/lab/scenarios/"
cp "$wedge" "$st/lib/modules/wedge.ko"
cp "$root/boot/vmlinuz-$krel" "$st/boot/vmlinuz"
[ -n "$swbin" ] && cp "$swbin" "$st/bin/stopwatch"

# kexec, makedumpfile and the shared libraries they need: the fetched ones
# first, the host's (same Debian release) for the rest.
cp "$root/sbin/kexec" "$st/sbin/kexec"
cp "$root/usr/bin/makedumpfile" "$st/sbin/makedumpfile"
libpath=$root/usr/lib/x86_64-linux-gnu:$root/lib/x86_64-linux-gnu
for bin in "$root/sbin/kexec" "$root/usr/bin/makedumpfile"; do
	LD_LIBRARY_PATH=$libpath ldd "$bin" | while read -r l; do
		case $l in
		*"not found"*) sw_die "$(basename "$bin"): $l" ;;
		*"=> /"*) lib=$(echo "$l" | awk '{print $3}') ;;
		/*) lib=$(echo "$l" | awk '{print $1}') ;;
		*) continue ;;
		esac
		case $lib in
		*/ld-linux-x86-64.so.2) cp -L "$lib" "$st/lib64/" ;;
		*) cp -L "$lib" "$st/lib/x86_64-linux-gnu/" ;;
		esac
	done
done
# 9p over virtio (the kdump scenario's capture kernel writes its dumps to the
# host): Debian's kernel has them as xz modules, which busybox insmod cannot
# unpack; in load order
mkdir -p "$st/lib/modules/9p"
for m in fs/netfs/netfs net/9p/9pnet net/9p/9pnet_virtio fs/9p/9p; do
	xz -dc "$root/lib/modules/$krel/kernel/$m.ko.xz" > "$st/lib/modules/9p/$(basename "$m").ko" ||
		sw_die "no module $m in the kernel package"
done

(cd "$st" && find . -print0 | sort -z | cpio --quiet -o -0 -H newc -R 0:0) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
# keep the cache small: the newest four initramfs and wedge.ko builds
ls -t "$SW_X86_CACHE"/initramfs-*.cpio.gz | tail -n +5 | xargs -r rm -f
ls -dt "$SW_X86_CACHE"/wedge-* | tail -n +5 | xargs -r rm -rf
sw_log "initramfs: $(du -h "$out" | cut -f1)"
echo "$out"
