#!/bin/bash
# Fetch Debian's makedumpfile:arm64 and the packages of its library closure
# (apt-get download, never installed), unpack them into one root in the
# cache, and list the files the capture initramfs needs (root/closure:
# the binary's NEEDED objects, transitively, and the dynamic loader, each
# with the symlink the loader looks it up by). Prints the root.
# The host's QEMU user mode runs the same binary in dumps_agree
# (check-lib.sh): qemu-aarch64-static -L ROOT ROOT/usr/bin/makedumpfile.
. "$(dirname "$0")/lib.sh"
. "$ARM64_DIR/../lib.sh"	# sw_pkg_spec, as fetch-x86.sh

# makedumpfile's Depends, and libdw1's (bzip2, xz)
pkgs=(makedumpfile libc6 libdw1 libelf1 liblzo2-2 zlib1g libbz2-1.0 liblzma5)
# the versions apt would fetch; only when it knows none, add arm64 to apt
# (ensure_arm64_apt costs another apt-cache call)
spec=$(sw_pkg_spec :arm64 "${pkgs[@]}")
[[ -n $spec ]] || { ensure_arm64_apt; spec=$(sw_pkg_spec :arm64 "${pkgs[@]}"); }
for p in "${pkgs[@]}"; do
	case " $spec" in *" $p:arm64="*) ;; *) die "apt knows no package $p:arm64 (run apt-get update)" ;; esac
done
key=$( { cat "$0"; echo "$spec"; } | key_of)
root=$CACHE/makedumpfile/$key
if [[ -f $root/closure ]]; then echo "$root"; exit 0; fi

log "fetching makedumpfile:arm64 and its libraries"
rm -rf "$root.tmp"; mkdir -p "$root.tmp/debs"
# shellcheck disable=SC2086 # split: one PKG:arm64=VERSION a word
(cd "$root.tmp/debs" && apt-get download -q -o APT::Sandbox::User=root $spec >&2) ||
	die "apt-get download $spec failed"
for d in "$root.tmp"/debs/*.deb; do
	dpkg-deb -x "$d" "$root.tmp"
done
rm -rf "$root.tmp/debs"
echo "$spec" > "$root.tmp/packages"

# the closure: a soname is found where Debian's loader looks without a cache
find_so() {
	local d
	for d in lib/aarch64-linux-gnu usr/lib/aarch64-linux-gnu; do
		[[ -e $root.tmp/$d/$1 ]] && { echo "$d/$1"; return; }
	done
	die "makedumpfile:arm64 needs $1, which none of ${pkgs[*]} holds"
}
# a path and, if it is a symlink, what it points at (relative to the root)
with_target() {
	echo "$1"
	[[ -L $root.tmp/$1 ]] && realpath --relative-to="$root.tmp" "$root.tmp/$1"
	return 0
}
interp=$("${CROSS}readelf" -l "$root.tmp/usr/bin/makedumpfile" |
	sed -n 's/.*program interpreter: \/\(.*\)]/\1/p')
[[ -n $interp ]] || die "makedumpfile:arm64 names no program interpreter"
todo=(usr/bin/makedumpfile) seen=" "
out=$(with_target "$interp")
while ((${#todo[@]})); do
	f=${todo[0]}; todo=("${todo[@]:1}")
	for so in $("${CROSS}readelf" -d "$root.tmp/$f" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
		[[ $seen == *" $so "* ]] && continue
		seen+="$so "
		p=$(find_so "$so")
		out+=$'\n'$(with_target "$p")
		todo+=("$(realpath --relative-to="$root.tmp" "$root.tmp/$p")")
	done
done
sort -u <<< "$out" > "$root.tmp/closure"
rm -rf "$root"; mv "$root.tmp" "$root"
# keep the cache small: the newest two roots (about 26 MB each)
ls -dt "$CACHE"/makedumpfile/*/ | tail -n +3 | xargs -r rm -rf
echo "$root"
