#!/bin/bash
# Fetch the guest's Debian packages (kernel, its modules and headers, kbuild,
# busybox-static, kexec-tools, makedumpfile) with apt-get download and extract them into
# $SW_X86_CACHE/pkgs-<hash>/root. Prints the directory on stdout.
# Nothing is installed on the host.
. "$(dirname "$0")/lib.sh"

# Package versions: the kernel ABI is the newest 6.12 amd64 one apt knows,
# unless STOPWATCH_X86_KREL (e.g. 6.12.117+deb12-amd64) pins it.
sw_x86_krel() {
	if [ -n "${STOPWATCH_X86_KREL:-}" ]; then
		echo "$STOPWATCH_X86_KREL"
		return
	fi
	local p
	p=$(apt-cache pkgnames linux-image-6.12. 2>/dev/null |
		grep -E '^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' | sort -V | tail -1)
	[ -n "$p" ] || sw_die "no linux-image-6.12.*-amd64-unsigned known to apt (run apt-get update)"
	p=${p#linux-image-}
	echo "${p%-unsigned}"
}

krel=$(sw_x86_krel)
kver_base=${krel%-amd64}		# 6.12.117+deb12
pkgs=(
	"linux-image-$krel-unsigned"
	"linux-headers-$krel"
	"linux-headers-$kver_base-common"
	"linux-kbuild-$kver_base"
	busybox-static
	kexec-tools
	# the capture kernel saves its dumps as kdump-tools and RHEL do; its
	# libraries come from the host (Debian 12) like kexec's
	makedumpfile
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
h=$(sw_hash "$spec" "$0")
dir=$SW_X86_CACHE/pkgs-$h
if [ -f "$dir/.done" ]; then
	echo "$dir"
	exit 0
fi

sw_built packages
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
# keep the cache small: only the newest two package sets (about 200 MB each)
ls -dt "$SW_X86_CACHE"/pkgs-* 2>/dev/null | tail -n +3 | while read -r old; do
	sw_log "removing old $old"
	rm -rf "$old"
done
echo "$dir"
