# shellcheck shell=bash
# Common settings for the arm64 lab scripts. Sourced, not run.
set -euo pipefail

ARM64_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$ARM64_DIR/../../.." && pwd)
CACHE=${STOPWATCH_CACHE:-$HOME/.cache/stopwatch}/arm64
CROSS=${CROSS_COMPILE:-aarch64-linux-gnu-}
JOBS=${JOBS:-$(nproc)}
NICE=${NICE:-nice -n 10}

log() { printf '[arm64-lab %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# hash of the given strings/files, short
key_of() { sha256sum | cut -c1-16; }

toolchain_id() {
	{ "${CROSS}gcc" --version | head -1; "${CROSS}ld" --version | head -1;
	  pahole --version 2>/dev/null || echo no-pahole; } | tr '\n' ' '
}

linux_src_version() {
	dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || echo unknown
}

# Path of a pristine 6.12 source tree (Debian's linux-source-6.12 package),
# extracting the tarball into the cache when the package left only that.
linux_src_dir() {
	local d=/usr/src/linux-source-6.12
	if [[ -f $d/Makefile ]]; then echo "$d"; return; fi
	local x=$CACHE/src/linux-source-6.12
	if [[ ! -f $x/Makefile ]]; then
		[[ -f /usr/src/linux-source-6.12.tar.xz ]] || die "install linux-source-6.12"
		mkdir -p "$CACHE/src"
		log "extracting /usr/src/linux-source-6.12.tar.xz"
		tar -C "$CACHE/src" -xf /usr/src/linux-source-6.12.tar.xz
	fi
	echo "$x"
}

# Make sure apt knows arm64 packages (busybox-static:arm64, the Debian arm64
# kernel are fetched with apt-get download, never installed on the host).
ensure_arm64_apt() {
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		log "dpkg --add-architecture arm64"
		dpkg --add-architecture arm64
		apt-get update -qq
	elif ! apt-cache show busybox-static:arm64 >/dev/null 2>&1; then
		apt-get update -qq
	fi
}
