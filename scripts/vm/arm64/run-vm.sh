#!/bin/bash
# Boot an arm64 guest on TF-A (SDEI) under QEMU TCG and log its console.
#   run-vm.sh --kernel IMAGE --initrd CPIO --log FILE [--append ARGS]
#             [--timeout SEC] [--until REGEX] [--smp N] [--tfa DIR] [--no-sdei-node]
# Stops when the guest powers off or resets (-no-reboot), when REGEX or the
# init's "stopwatch-lab: END" marker shows up in the log (after 2 s of grace),
# or at the timeout. Exit status: 0 guest ended by itself or marker seen,
# 124 timeout.
. "$(dirname "$0")/lib.sh"

kernel= initrd= logf= append= timeout=120 until_re= smp=4 tfa= sdei_node=1
while [[ $# -gt 0 ]]; do
	case $1 in
	--kernel) kernel=$2; shift 2;;
	--initrd) initrd=$2; shift 2;;
	--log) logf=$2; shift 2;;
	--append) append=$2; shift 2;;
	--timeout) timeout=$2; shift 2;;
	--until) until_re=$2; shift 2;;
	--smp) smp=$2; shift 2;;
	--tfa) tfa=$2; shift 2;;
	--no-sdei-node) sdei_node=0; shift;;
	*) die "unknown argument $1";;
	esac
done
[[ -f $kernel && -f $initrd && -n $logf ]] || die "need --kernel, --initrd, --log"
[[ -n $tfa ]] || tfa=$("$ARM64_DIR/build-tfa.sh")

KERNEL_ADDR=0x60000000	# PRELOADED_BL33_BASE of the TF-A build
INITRD_ADDR=0x48000000
MACHINE=(-M virt,secure=on,gic-version=3,virtualization=off -cpu cortex-a57
	 -smp "$smp" -m 2048 -accel tcg -bios "$tfa/flash.bin")

# QEMU's own DTB, dumped with the same machine, CPU and firmware as the run
# (a dump without -bios lists devices QEMU does not create with secure=on).
qv=$(qemu-system-aarch64 --version | head -1)
dkey=$( { echo "$qv"; echo "${MACHINE[*]}"; } | key_of)
base=$CACHE/dtb/virt-$dkey.dtb
if [[ ! -f $base ]]; then
	mkdir -p "$CACHE/dtb"
	qemu-system-aarch64 "${MACHINE[@]}" -machine dumpdtb="$base.tmp" -nographic >/dev/null 2>&1 || true
	[[ -s $base.tmp ]] || die "dumpdtb failed"
	mv "$base.tmp" "$base"
fi

mkdir -p "$(dirname "$logf")"
dtb=${logf%.*}.dtb
cp "$base" "$dtb"
isz=$(stat -c %s "$initrd")
bootargs="console=ttyAMA0 earlycon nmi_watchdog=0 panic=-1 $append"
fdtput -t s "$dtb" /chosen bootargs "$bootargs"
fdtput -t x "$dtb" /chosen linux,initrd-start "$(printf '%x' $((INITRD_ADDR)))"
fdtput -t x "$dtb" /chosen linux,initrd-end "$(printf '%x' $((INITRD_ADDR + isz)))"
if [[ $sdei_node == 1 ]]; then
	fdtput -p -c "$dtb" /firmware/sdei
	fdtput -t s "$dtb" /firmware/sdei compatible arm,sdei-1.0
	fdtput -t s "$dtb" /firmware/sdei method smc
fi

: > "$logf"
log "boot $(basename "$kernel") smp=$smp: $bootargs (log $logf)"
t0=$(date +%s)
qemu-system-aarch64 "${MACHINE[@]}" -dtb "$dtb" \
	-device loader,file="$kernel",addr=$KERNEL_ADDR,force-raw=on \
	-device loader,file="$initrd",addr=$INITRD_ADDR,force-raw=on \
	-nographic -monitor none -serial stdio -nic none -no-reboot \
	</dev/null >>"$logf" 2>&1 &
qpid=$!

rc=124 seen_at=
while kill -0 $qpid 2>/dev/null; do
	now=$(date +%s)
	if [[ -z $seen_at ]] && { grep -qa 'stopwatch-lab: END' "$logf" ||
		{ [[ -n $until_re ]] && grep -qaE "$until_re" "$logf"; }; }; then
		seen_at=$now
	fi
	if [[ -n $seen_at && $((now - seen_at)) -ge 2 ]]; then rc=0; break; fi
	if [[ $((now - t0)) -ge $timeout ]]; then rc=124; break; fi
	sleep 0.5
done
if kill -0 $qpid 2>/dev/null; then
	kill $qpid 2>/dev/null; wait $qpid 2>/dev/null || true
	[[ $rc == 124 ]] && echo "[run-vm: timeout after ${timeout}s]" >>"$logf"
else
	wait $qpid 2>/dev/null || true
	rc=0
	echo "[run-vm: guest ended (qemu exited) after $(( $(date +%s) - t0 ))s]" >>"$logf"
fi
log "guest done in $(( $(date +%s) - t0 )) s (rc $rc)"
exit $rc
