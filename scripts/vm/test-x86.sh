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

lab_boot() { # FILE RUN LOGDIR TIMEOUT MEM APPEND [qemu-run args]
	local d=$3 timeout=$4 mem=$5 append=$6
	shift 6
	"$SW_VM_DIR/qemu-run.py" --kernel "$kernel" --initrd "$initrd" \
		--append "$BASE_APPEND $append" \
		--log "$d/console.log" --qmp "$d/qmp.sock" \
		--timeout "$timeout" --mem "${mem:-1G}" "$@"
}

sw_run_scenarios
