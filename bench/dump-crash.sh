#!/usr/bin/env bash
# A real kdump's record by stopwatch, beside crash and drgn opening the same
# dumps (make bench-crash). Input: an x86 lab kdump run kept with
# SW_LAB_KEEP=1 (build/lab/x86/04-kdump/RUN/: the capture kernel's
# /proc/vmcore as vmcore.elf, dump.lzo as RHEL saves it with makedumpfile -l,
# dump.flat as kdump-tools saves it with -F -c) and the lab kernel's vmlinux
# with its debug info, which crash needs and a dump does not carry (Debian's
# linux-image-<krel>-dbg: 1 GB, so not a make deps package; give its path).
# Each figure is the median wall time, ms, of N runs, each a new process:
#   - stopwatch-dynamic recover --pfn, the locator from the run's console;
#   - crash (Debian 12: 8.0.2) opening the dump with the vmlinux and running
#     "sys": what every crash session pays before its first answer (its
#     own symbols and debug info, then the dump); --kaslr auto, as without
#     it 8.0.2 fails on these 6.12 dumps ("read error ... page_offset_base");
#   - drgn (python3-drgn 0.0.22) opening the dump and reading the store's
#     pages by physical address, no debug info: the same reading job.
# A tool that fails on a dump gets "failed (exit N)", not a time; crash's
# column counts the runs that answered (gdb inside 8.0.2 sometimes dies in
# its start-up backtrace on these dumps; those runs are timed to the death).
# Usage: bench/dump-crash.sh RUN_DIR VMLINUX [STOPWATCH_DYNAMIC] [N]
set -u
run=${1:?usage: dump-crash.sh RUN_DIR VMLINUX [STOPWATCH_DYNAMIC] [N]}
vmlinux=${2:?usage: dump-crash.sh RUN_DIR VMLINUX [STOPWATCH_DYNAMIC] [N]}
SW=$(realpath "${3:-build/x86_64/stopwatch-dynamic}")
n=${4:-5}
command -v crash >/dev/null || { echo "dump-crash: no crash (apt-get install crash)"; exit 1; }
# shellcheck source=dump-lib.sh
. "$(dirname "$0")/dump-lib.sh"
drgn_needed dump-crash
[ -f "$vmlinux" ] || { echo "dump-crash: no vmlinux $vmlinux"; exit 1; }
loc=$(grep -o 'locator: pfn=[0-9]* boot_id=[^ ]* pages=[0-9]*' "$run/console.log" | head -1)
pfn=$(sed 's/.*pfn=\([0-9]*\).*/\1/' <<<"$loc") pages=$(sed 's/.*pages=//' <<<"$loc")
[ -n "$pfn" ] || { echo "dump-crash: no locator line in $run/console.log"; exit 1; }

ms() { # CMD...: median wall ms of n runs, or "failed (exit N)"
	local i s e rc times=()
	for i in $(seq "$n"); do
		s=$(date +%s%N); "$@" >/dev/null 2>&1; rc=$?; e=$(date +%s%N)
		[ $rc = 0 ] || { echo "failed (exit $rc)"; return; }
		times+=("$(echo "scale=1; ($e - $s) / 1000000" | bc)")
	done
	printf '%s\n' "${times[@]}" | median
}
crash_open() { # DUMP: median wall ms of n crash sessions, and how many answered
	local i s e ok=0 times=()
	for i in $(seq "$n"); do
		s=$(date +%s%N)
		# crash exits 0 either way: its answer to "sys" names the panic
		if printf 'sys\nquit\n' | crash -s --kaslr auto "$vmlinux" "$1" 2>&1 | grep -q 'PANIC:'; then
			ok=$((ok + 1))
		fi
		e=$(date +%s%N)
		times+=("$(echo "scale=1; ($e - $s) / 1000000" | bc)")
	done
	echo "$(printf '%s\n' "${times[@]}" | median), $ok of $n answered"
}

echo "machine: $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%F)"
echo "dumps: $run (locator pfn $pfn, $pages store pages); $(crash --version 2>&1 | grep -m1 '^crash')"
echo "baseline: a new process that does nothing: $(ms true) ms; $SW --version: $(ms "$SW" --version) ms"
printf '%-11s %9s %12s %30s %20s\n' dump "file MB" "recover ms" "crash ms" "drgn ms"
for f in vmcore.elf dump.lzo dump.flat; do
	[ -f "$run/$f" ] || { echo "dump-crash: no $run/$f"; exit 1; }
	"$SW" recover --vmcore "$run/$f" --pfn "$pfn" >/dev/null 2>&1 ||
		{ echo "dump-crash: recover failed on $f"; exit 1; }
	cr="reads no flattened" dr="reads no flattened"
	if [ "$f" != dump.flat ]; then
		cr=$(crash_open "$run/$f")
		dr=$(ms drgn_read "$run/$f" "$pfn" "$pages")
	fi
	printf '%-11s %9s %12s %30s %20s\n' "$f" "$(du -m --apparent-size "$run/$f" | cut -f1)" \
		"$(ms "$SW" recover --vmcore "$run/$f" --pfn "$pfn")" "$cr" "$dr"
done
