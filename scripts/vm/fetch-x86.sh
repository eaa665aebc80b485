#!/bin/bash
# Fetch the guest's Debian packages (kernel, its modules and headers, kbuild,
# busybox-static, kexec-tools) with apt-get download and extract them into
# $SW_X86_CACHE/pkgs-<hash>/root. Prints the directory on stdout.
# Nothing is installed on the host.
. "$(dirname "$0")/lib.sh"

krel=$(sw_x86_krel)
kver_base=${krel%-amd64}		# 6.12.117+deb12
pkgs=(
	"linux-image-$krel-unsigned"
	"linux-headers-$krel"
	"linux-headers-$kver_base-common"
	"linux-kbuild-$kver_base"
	busybox-static
	kexec-tools
	# kexec links libxenctrl (libxenmisc): its libraries go into the
	# initramfs; the rest of kexec's closure comes from the host (Debian 12)
	libxenmisc4.17 libxencall1 libxendevicemodel1 libxenevtchn1
	libxenforeignmemory1 libxengnttab1 libxenhypfs1 libxenstore4
	libxentoolcore1 libxentoollog1 libyajl2
)
spec=$(sw_pkg_spec "${pkgs[@]}")
for p in "${pkgs[@]}"; do
	case " $spec" in *" $p="*) ;; *) sw_die "apt knows no package $p (run apt-get update)" ;; esac
done
h=$(sw_hash "$spec" "$0" "$SW_VM_DIR/lib.sh")
dir=$SW_X86_CACHE/pkgs-$h
if [ -f "$dir/.done" ]; then
	echo "$dir"
	exit 0
fi

sw_log "fetching guest packages ($krel) into $dir"
rm -rf "$dir"
mkdir -p "$dir/debs" "$dir/root"
(cd "$dir/debs" && apt-get download -q -o APT::Sandbox::User=root $spec >&2) || sw_die "apt-get download failed"
for d in "$dir"/debs/*.deb; do
	sw_log "extracting $(basename "$d")"
	dpkg-deb -x "$d" "$dir/root"
done
# The headers' Makefile includes the common part by absolute path: point it
# at the extracted copy so modules build without installing the headers.
hdr=$dir/root/usr/src/linux-headers-$krel
sed -i "s|^include /usr/src/|include $dir/root/usr/src/|" "$hdr/Makefile"
echo "$krel" > "$dir/krel"
echo "$spec" > "$dir/packages"
rm -rf "$dir/debs"
touch "$dir/.done"
echo "$dir"
