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
# line "# kernel: KERNEL..." names the kernels it runs on, each a run of its
# own: stock, v4 (patches/linux) and park (patches/linux-park); big is v4
# built for 512 CPUs (big.sc). "# smp: N" boots N CPUs (default 4), and
# "# firmware: none" boots without TF-A, on QEMU's own PSCI (no SDEI), as
# TF-A's qemu platform has a fixed core count. "# tcg: single" runs every
# vCPU on one host thread (QEMU's round-robin TCG). Outputs under
# build/lab/arm64/NN-NAME/RUN/ (NN-NAME-KERNEL/RUN/ with several kernels).
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

# lab_kernels FILE: the kernels of FILE's "# kernel:" line, one a line
lab_kernels() {
	local k
	k=$(sed -n 's/^# kernel: *//p' "$1" | head -1)
	# shellcheck disable=SC2086 # split: one word a kernel
	printf '%s\n' ${k:-v4}
}

# kernel_flavor KERNEL: build-kernel.sh's arguments for a scenario's kernel
kernel_flavor() {
	case $1 in
	v4) echo series ;;
	big) echo series big ;;
	stock | park) echo "$1" ;;
	*) return 1 ;;
	esac
}

sw_pick_scenarios "$@"
for f in "${SW_FILES[@]}"; do
	for k in $(lab_kernels "$f"); do
		kernel_flavor "$k" >/dev/null || sw_die "$f: unknown kernel '$k' (stock, v4, park or big)"
	done
done
sw_need_tools qemu-system-aarch64 qemu-aarch64-static python3 fdtput cpio gzip bc aarch64-linux-gnu-gcc

sw_artifacts_begin "$GUEST_SW"
[ -x "$SW_STOPWATCH" ] || sw_fail_all "no host stopwatch $SW_STOPWATCH (make) to read the records"
tfa=$("$ARM64_DIR/build-tfa.sh") || sw_fail_all "TF-A build failed (see stderr)"
# the capture kernel's makedumpfile, which the host also runs (dumps_agree)
mdroot=$("$ARM64_DIR/fetch-makedumpfile.sh") || sw_fail_all "makedumpfile:arm64 fetch failed (see stderr)"
SW_PEER_MAKEDUMPFILE="qemu-aarch64-static -L $mdroot $mdroot/usr/bin/makedumpfile"
declare -A KIMAGE INITRD
for f in "${SW_FILES[@]}"; do
	for k in $(lab_kernels "$f"); do
		[ -n "${KIMAGE[$k]:-}" ] && continue
		# shellcheck disable=SC2046 # split: flavor [variant]
		kout=$("$ARM64_DIR/build-kernel.sh" $(kernel_flavor "$k")) ||
			sw_fail_all "$k kernel build failed (see stderr)"
		ko=$("$ARM64_DIR/build-module.sh" "$kout") || sw_fail_all "wedge.ko build for $k failed"
		sw=()
		[ $SW_HAVE_GUEST_SW = 1 ] && sw=("$GUEST_SW")
		INITRD[$k]=$("$ARM64_DIR/mkinitramfs.sh" "$kout" "$ko" "$mdroot" "${sw[@]}") ||
			sw_fail_all "initramfs for $k failed"
		KIMAGE[$k]=$kout/Image
	done
done
sw_artifacts_ready

lab_boot() { # FILE RUN LOGDIR TIMEOUT MEM APPEND [qemu-run args] (kernel: SW_KERNEL)
	local k=$SW_KERNEL d=$3 timeout=$4 mem=$5 append=$6 smp fw=(--bios "$tfa/flash.bin") tcg
	smp=$(meta "$1" smp)
	tcg=$(meta "$1" tcg)
	[ "$(meta "$1" firmware)" = none ] && fw=()
	shift 6
	"$SW_VM_DIR/qemu-run.py" --arch arm64 "${fw[@]}" --smp "${smp:-4}" ${tcg:+--tcg-thread "$tcg"} \
		--kernel "${KIMAGE[$k]}" --initrd "${INITRD[$k]}" \
		--append "$BASE_APPEND $append" \
		--log "$d/console.log" --qmp "$d/qmp.sock" \
		--timeout "$timeout" --mem "${mem:-2G}" "$@"
}

sw_run_scenarios
