#!/usr/bin/env bash
# Recovery from a dump against its memory size, beside drgn in the same run
# (make bench-dump). bench/mkdump.py writes mostly-zero x86_64 dumps of 1, 2
# and 4 GiB of memory holding a record store at the top of memory, as an ELF
# core and kdump-compressed (zlib); each is read
#   - by stopwatch-dynamic recover with the locator (--pfn): the target is a
#     time that does not grow with memory size, at most 100 ms at 4 GiB;
#   - by drgn 0.0.22 (python3-drgn): a new process that opens the dump
#     (libkdumpfile for kdump, libelf for ELF) and reads the store's pages by
#     physical address, the same job without the decoding;
#   - by recover without the locator: the page scan, whose cost grows with
#     the pages the dump holds (the store at the top is its worst case).
# crash is not measured here: it opens a dump only with the kernel's vmlinux
# and its debug info, which a synthetic dump has none of; bench/dump-crash.sh
# measures it on a real lab kdump.
# Figures: median wall time of 5 runs, each a new process, ms.
# Usage: bench/dump-open.sh [STOPWATCH_DYNAMIC] [SIZES_GIB...]
set -u
SW=$(realpath "${1:-build/x86_64/stopwatch-dynamic}"); shift $(($# > 0 ? 1 : 0))
sizes=${*:-1 2 4}
here=$(cd "$(dirname "$0")" && pwd)
seed=$here/../tests/fuzz/corpus/vmcore/seed-x86
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
# shellcheck source=dump-lib.sh
. "$here/dump-lib.sh"
ms() { # CMD...: wall ms of 5 runs
	for i in 1 2 3 4 5; do
		s=$(date +%s%N); "$@" >/dev/null 2>&1 || echo "failed: $*" >&2; e=$(date +%s%N)
		echo "scale=1; ($e - $s) / 1000000" | bc
	done | median
}
drgn_needed dump-open
echo "machine: $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%F)"
echo "baseline: a new process that does nothing: $(ms true) ms; $SW --version: $(ms "$SW" --version) ms"
printf '%-6s %-6s %10s %12s %10s %12s\n' GiB format "file MB" "recover ms" "drgn ms" "scan ms"
for g in $sizes; do
	read -r pfn npages < <(python3 "$here/mkdump.py" "$seed" "$out/d" "$g" high) && [ -n "$npages" ] ||
		{ echo "dump-open: mkdump.py failed"; exit 1; }
	for f in kdump elf; do
		file=$out/d.$f
		"$SW" recover --vmcore "$file" --pfn "$pfn" >/dev/null 2>&1 ||
			{ echo "dump-open: recover failed on the $g GiB $f dump"; exit 1; }
		printf '%-6s %-6s %10.1f %12s %10s %12s\n' "$g" "$f" \
			"$(du -m --apparent-size "$file" | cut -f1)" \
			"$(ms "$SW" recover --vmcore "$file" --pfn "$pfn")" \
			"$(ms drgn_read "$file" "$pfn" "$npages")" \
			"$(ms "$SW" recover --vmcore "$file")"
	done
	rm -f "$out"/d.*
done
