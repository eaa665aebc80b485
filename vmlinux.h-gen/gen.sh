#!/bin/bash
# gen.sh ARCH SOURCE OUT -- write a vmlinux.h for ARCH (x86_64|arm64) to OUT.
# SOURCE: "running" (/sys/kernel/btf/vmlinux), a vmlinux ELF with .BTF,
# a raw BTF file, or a kernel Image/vmlinuz/bzImage holding a .BTF blob
# (gzip, or zstd/xz/gzip payload inside a bzImage, is unpacked first).
set -euo pipefail
die() { echo "gen.sh: $*" >&2; exit 1; }
[ $# -eq 3 ] || die "usage: gen.sh x86_64|arm64 running|FILE OUT.h"
arch=$1 src=$2 out=$3 here=$(cd "$(dirname "$0")" && pwd)
case $arch in
  x86_64|amd64) arch=x86_64 ;;
  arm64|aarch64) arch=arm64 ;;
  *) die "unknown arch '$arch' (want x86_64 or arm64)" ;;
esac
[ "$src" = running ] && src=/sys/kernel/btf/vmlinux
[ -r "$src" ] || die "cannot read '$src'"
command -v bpftool >/dev/null || die "bpftool not found (apt-get install bpftool)"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

dump() { bpftool btf dump file "$1" format c >"$tmp/h" 2>"$tmp/err"; }
magic() { od -An -tx1 -N4 "$1" | tr -d ' \n'; }

if [ "$(magic "$src")" = 9feb0100 ] || [ "$(magic "$src")" = 7f454c46 ]; then
  dump "$src" || die "bpftool cannot read BTF from '$src': $(head -1 "$tmp/err")"
else
  img=$src
  if [ "$(magic "$src" | cut -c1-4)" = 1f8b ]; then
    gzip -dc "$src" >"$tmp/img" 2>/dev/null || [ -s "$tmp/img" ] || die "gunzip of '$src' failed"
    img=$tmp/img
  fi
  if ! python3 "$here/btf-carve.py" "$img" "$tmp/btf" 2>"$tmp/err"; then
    # compressed payload inside e.g. a bzImage: try each embedded stream
    for m in '28b52ffd:zstd -dcq' 'fd377a585a00:xz -dcq' '1f8b0800:gzip -dcq'; do
      hex=${m%%:*} cmd=${m#*:}
      for off in $(od -An -v -tx1 -w1 "$img" | tr -d ' \n' | grep -bo "$hex" | head -5 | cut -d: -f1); do
        tail -c +$((off / 2 + 1)) "$img" | $cmd >"$tmp/payload" 2>/dev/null || true
        python3 "$here/btf-carve.py" "$tmp/payload" "$tmp/btf" 2>"$tmp/err" && break 2
      done
    done
  fi
  [ -s "$tmp/btf" ] || die "no BTF found in '$src'"
  cat "$tmp/err" >&2
  dump "$tmp/btf" || die "carved BTF from '$src' is unreadable: $(head -1 "$tmp/err")"
fi

# sanity: the header must match ARCH
if [ $arch = arm64 ]; then pat='^\s+u64 pstate;'; else pat='^\s+long unsigned int (ip|flags);'; fi
awk '/^struct pt_regs \{/,/^\};/' "$tmp/h" | grep -Eq "$pat" ||
  die "BTF in '$src' does not look like an $arch kernel (struct pt_regs mismatch)"
mkdir -p "$(dirname "$out")"
mv "$tmp/h" "$out"
echo "gen.sh: wrote $out ($(wc -l <"$out") lines)" >&2
