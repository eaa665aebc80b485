#!/bin/bash
# x86_64 VM lab (make vm-test-x86): boots Debian's 6.12 amd64 kernel under
# QEMU TCG once per run of each scenario and checks its console.
#
# Usage: test-x86.sh [N|NAME ...]     (default: every scenario)
#
# stdout: one line per scenario, "scenario N NAME: PASS | measurements" or
# "scenario N NAME: FAIL reason", then "boot retries: N (...)" and
# "N passed, N failed, N skipped". Progress and
# timings go to stderr. Outputs: build/lab/x86/NN-NAME/RUN/console.log
# (host timestamps), vmcore.elf (kept on failure or with SW_LAB_KEEP=1),
# recover.json.
#
# Scenario files: scripts/vm/scenarios/x86/NN-NAME.sc, see README there.
. "$(dirname "$0")/lib.sh"
. "$SW_VM_DIR/run-scenarios.sh"
set +e

SW_STOPWATCH=${STOPWATCH_BIN:-$SW_TOP/build/x86_64/stopwatch}
SW_SCEN_DIR=$SW_VM_DIR/scenarios/x86
SW_LAB_DEPS_TARGET=x86-lab-deps
BASE_APPEND="console=ttyS0 printk.time=1 printk.devkmsg=on nmi_watchdog=0 panic=-1 mitigations=off"

sw_pick_scenarios "$@"
sw_need_tools qemu-system-x86_64 python3 cpio gzip bc apt-get dpkg-deb make gcc-12

# ---- guest artifacts (cached) ----
sw_artifacts_begin "$SW_STOPWATCH"
art_ok=1
pkgs=$("$SW_VM_DIR/fetch-x86.sh") || art_ok=0
[ $art_ok = 1 ] && { wedge=$("$SW_VM_DIR/build-wedge.sh" "$pkgs") || art_ok=0; }
if [ $art_ok = 1 ]; then
	if [ $SW_HAVE_GUEST_SW = 1 ]; then
		initrd=$("$SW_VM_DIR/mkinitramfs-x86.sh" "$pkgs" "$wedge" "$SW_STOPWATCH") || art_ok=0
	else
		initrd=$("$SW_VM_DIR/mkinitramfs-x86.sh" "$pkgs" "$wedge") || art_ok=0
	fi
fi
sw_artifacts_ready
[ $art_ok = 1 ] || sw_fail_all "could not build the guest (see stderr)"
kernel=$pkgs/root/boot/vmlinuz-$(cat "$pkgs/krel")

# The guest's delay loop. Under TCG each secondary CPU calibrates its own
# loops_per_jiffy against jiffies ("Probably due to long platform
# interrupts. Consider using lpj=") and gets anything from a tenth to ten
# times the right value: 4 CPUs of 3,992 BogoMIPS each added up to 8,515
# to 34,757. A crash initiator whose mdelay(1) took microseconds gave up
# nmi_shootdown_cpus' one-second wait after 2.2 ms, before any NMI landed,
# and its record rightly said the CPUs never stopped (x86 scenario 4, cold
# make check, 2026-12-02); the "kernel waits 1 s" of every escalation
# depends on it too. TCG's guest TSC is the host's, so lpj comes from the
# host's own TSC-based calibration: on x86 BogoMIPS = 2 x TSC MHz, and
# lpj = TSC Hz / HZ.
guest_hz=$(sed -n 's/^CONFIG_HZ=//p' "$pkgs/root/boot/config-$(cat "$pkgs/krel")" 2>/dev/null)
host_bogomips=$(awk -F': *' '/^bogomips/ { print $2; exit }' /proc/cpuinfo)
guest_lpj=$(awk -v b="$host_bogomips" -v hz="$guest_hz" 'BEGIN { if (b > 0 && hz > 0) printf "%d", b / 2 * 1e6 / hz }')
[ -n "$guest_lpj" ] ||
	sw_fail_all "no lpj= for the guest: host bogomips '$host_bogomips', guest CONFIG_HZ '$guest_hz'"
BASE_APPEND+=" lpj=$guest_lpj"

lab_boot() { # FILE RUN LOGDIR TIMEOUT MEM APPEND [qemu-run args]
	local d=$3 timeout=$4 mem=$5 append=$6
	shift 6
	"$SW_VM_DIR/qemu-run.py" --kernel "$kernel" --initrd "$initrd" \
		--append "$BASE_APPEND $append" \
		--log "$d/console.log" --qmp "$d/qmp.sock" \
		--timeout "$timeout" --mem "${mem:-1G}" "$@"
}

sw_run_scenarios
