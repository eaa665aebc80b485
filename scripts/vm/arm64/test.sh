#!/bin/bash
# arm64 SDEI lab (make vm-test-arm64): boots 6.12 with and without the SDEI
# NMI series (patches/linux) on TF-A with SDEI under QEMU TCG, once per run
# of each scenario, and reads stopwatch's records back from the guest's
# memory (QMP dump-guest-memory) or from the kdump capture kernel.
#
# Usage: test.sh [N|NAME ...]     (default: every scenario)
#
# Same runner, guest and scenario format as the x86 lab (run-scenarios.sh,
# qemu-run.py --arch arm64, guest/, scenarios/README.md); the scenario header
# line "# kernel: series|stock" picks the kernel. Outputs under
# build/lab/arm64/NN-NAME/RUN/.
SW_LAB_OUT=${SW_LAB_OUT:-$(cd "$(dirname "$0")/../../.." && pwd)/build/lab/arm64}
. "$(dirname "$0")/../lib.sh"
. "$SW_VM_DIR/run-scenarios.sh"
set +e

ARM64_DIR=$SW_VM_DIR/arm64
SW_STOPWATCH=${STOPWATCH_HOST_BIN:-$SW_TOP/build/x86_64/stopwatch}	# recover on the host
GUEST_SW=${STOPWATCH_BIN:-$SW_TOP/build/arm64/stopwatch}
SW_SCEN_DIR=$SW_VM_DIR/scenarios/arm64
SW_LAB_DEPS_TARGET=arm64-lab-deps
BASE_APPEND="console=ttyAMA0 earlycon printk.time=1 printk.devkmsg=on nmi_watchdog=0 panic=-1"

sw_pick_scenarios "$@"
sw_need_tools qemu-system-aarch64 python3 fdtput cpio gzip bc aarch64-linux-gnu-gcc

sw_artifacts_begin "$GUEST_SW"
[ -x "$SW_STOPWATCH" ] || sw_fail_all "no host stopwatch $SW_STOPWATCH (make) to read the records"
tfa=$("$ARM64_DIR/build-tfa.sh") || sw_fail_all "TF-A build failed (see stderr)"
declare -A KIMAGE INITRD
for f in "${SW_FILES[@]}"; do
	k=$(meta "$f" kernel)
	k=${k:-series}
	[ -n "${KIMAGE[$k]:-}" ] && continue
	kout=$("$ARM64_DIR/build-kernel.sh" "$k") || sw_fail_all "$k kernel build failed (see stderr)"
	ko=$("$ARM64_DIR/build-module.sh" "$kout") || sw_fail_all "wedge.ko build for $k failed"
	sw=()
	[ $SW_HAVE_GUEST_SW = 1 ] && sw=("$GUEST_SW")
	INITRD[$k]=$("$ARM64_DIR/mkinitramfs.sh" "$kout" "$ko" "${sw[@]}") ||
		sw_fail_all "initramfs for $k failed"
	KIMAGE[$k]=$kout/Image
done
sw_artifacts_ready

lab_boot() { # FILE RUN LOGDIR TIMEOUT MEM APPEND [qemu-run args]
	local k d=$3 timeout=$4 mem=$5 append=$6
	k=$(meta "$1" kernel)
	k=${k:-series}
	shift 6
	"$SW_VM_DIR/qemu-run.py" --arch arm64 --bios "$tfa/flash.bin" \
		--kernel "${KIMAGE[$k]}" --initrd "${INITRD[$k]}" \
		--append "$BASE_APPEND $append" \
		--log "$d/console.log" --qmp "$d/qmp.sock" \
		--timeout "$timeout" --mem "${mem:-2G}" "$@"
}

sw_run_scenarios
