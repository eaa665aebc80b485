#!/bin/sh
# cross-env.sh [x86_64|arm64] -- print shell assignments for a STATIC build of
# the user-space tool against libbpf + libelf + zlib, for `eval`:
#   eval "$(scripts/cross-env.sh arm64)"
#   $CC $CFLAGS -o prog prog.c $LDFLAGS $LDLIBS
#   $RUN ./prog                      # qemu-aarch64-static for arm64, empty on x86_64
# Make: CC=... LDFLAGS=... LDLIBS=... can be taken verbatim from the output.
#
# Packages: scripts/deps.d/build.list (host) and scripts/deps.d/cross-arm64.list.
# arm64 needs multiarch first:  dpkg --add-architecture arm64 && apt-get update
# (apt may then upgrade some amd64 libs so both arches share one version).
#
# Facts (Debian 12, libbpf 1.1.2, elfutils 0.188):
#  - `pkg-config --static --libs libbpf` = "-lbpf -lelf -lz": order matters,
#    libbpf.a needs libelf.a which needs libz.a. libelf 0.188 here is built
#    without zstd, so no -lzstd is needed.
#  - the cross gcc links its own libc.a from /usr/aarch64-linux-gnu; the :arm64
#    -dev packages supply libbpf.a/libelf.a/libz.a in /usr/lib/aarch64-linux-gnu.
#    Headers (bpf/*.h, libelf.h, zlib.h) are arch-independent in /usr/include.
set -eu
arch=${1:-$(uname -m)}
case $arch in
  x86_64|amd64)  arch=x86_64 cc=gcc triplet=x86_64-linux-gnu run= bpfarch=x86 ;;
  arm64|aarch64) arch=arm64 cc=aarch64-linux-gnu-gcc triplet=aarch64-linux-gnu
                 run=qemu-aarch64-static bpfarch=arm64 ;;
  *) echo "cross-env.sh: unknown arch '$arch' (want x86_64 or arm64)" >&2; exit 1 ;;
esac
pc_libdir=/usr/lib/$triplet/pkgconfig:/usr/share/pkgconfig
for f in /usr/lib/$triplet/libbpf.a /usr/lib/$triplet/libelf.a /usr/lib/$triplet/libz.a; do
  [ -e "$f" ] || echo "cross-env.sh: warning: $f missing (install scripts/deps.d lists)" >&2
done
command -v $cc >/dev/null || echo "cross-env.sh: warning: $cc not found" >&2
libs=$(PKG_CONFIG_LIBDIR=$pc_libdir PKG_CONFIG_PATH= pkg-config --static --libs libbpf 2>/dev/null \
       || echo "-lbpf -lelf -lz")
libs=$(printf '%s\n' $libs | awk '!seen[$0]++' | tr '\n' ' ')   # drop repeated -L
top=$(cd "$(dirname "$0")/.." && pwd)
cat <<EOT
ARCH=$arch
CC=$cc
PKG_CONFIG_PATH=
PKG_CONFIG_LIBDIR=$pc_libdir
CFLAGS='-O2 -g -Wall'
LDFLAGS='-static'
LDLIBS='$(echo $libs)'
BPF_CFLAGS='-O2 -g -target bpf -D__TARGET_ARCH_$bpfarch -I$top/vmlinux.h-gen/$arch'
RUN=$run
export ARCH CC PKG_CONFIG_PATH PKG_CONFIG_LIBDIR CFLAGS LDFLAGS LDLIBS BPF_CFLAGS RUN
EOT
