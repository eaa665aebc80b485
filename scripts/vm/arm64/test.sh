#!/bin/bash
# arm64 SDEI lab scenarios (make vm-test-arm64). One line per scenario:
#   scenario N <name>: PASS|FAIL <reason>
# then "N passed, N failed". Console logs: build/lab/arm64/<scenario>/console.log
# Usage: test.sh [scenario-name ...]   (default: all)
. "$(dirname "$0")/lib.sh"

LAB=${LAB_DIR:-$REPO/build/lab/arm64}
mkdir -p "$LAB"
only=("$@")

tfa=$("$ARM64_DIR/build-tfa.sh")

declare -A KOUT INITRD
kernel_for() {	# debian|stock|series -> sets KOUT[$1], INITRD[$1]
	local f=$1
	[[ -n ${KOUT[$f]:-} ]] && return 0
	if [[ $f == debian ]]; then
		local d=$CACHE/debian-kernel
		if ! ls "$d"/boot/vmlinuz-6.12.* >/dev/null 2>&1; then
			mkdir -p "$CACHE/debs" "$d"
			ensure_arm64_apt
			local v; v=$(linux_src_version)	# same 6.12 as linux-source
			( cd "$CACHE/debs" && apt-get download -q \
				"linux-image-$(echo "$v" | sed 's/-.*//')+deb12-arm64-unsigned:arm64" >/dev/null 2>&1 ||
			  apt-get download -q "$(apt-cache search --names-only '^linux-image-6\.12\..*\+deb12-arm64-unsigned$' |
				awk '{print $1}' | sort -V | tail -1):arm64" >/dev/null 2>&1 ) ||
				die "cannot download a Debian linux-image-6.12.*-arm64-unsigned"
			dpkg-deb -x "$(ls "$CACHE"/debs/linux-image-6.12.*arm64-unsigned*.deb | sort -V | tail -1)" "$d"
		fi
		KOUT[$f]=$(ls "$d"/boot/vmlinuz-6.12.* | sort -V | tail -1)
		INITRD[$f]=$LAB/initrd-debian.cpio.gz
		"$ARM64_DIR/mkinitramfs.sh" "${INITRD[$f]}"
	else
		local out ko
		out=$("$ARM64_DIR/build-kernel.sh" "$f")
		ko=$("$ARM64_DIR/build-module.sh" "$out")
		KOUT[$f]=$out/Image
		INITRD[$f]=$LAB/initrd-$f.cpio.gz
		"$ARM64_DIR/mkinitramfs.sh" "${INITRD[$f]}" "$ko"
	fi
}

pass=0 fail=0 n=0
result() {	# name PASS|FAIL reason
	n=$((n + 1))
	echo "scenario $n $1: $2${3:+ $3}"
	if [[ $2 == PASS ]]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
}

# boot KERNELFLAVOR SCENARIO-SCRIPT NAME [run-vm args...]; sets LOG
boot() {
	local flavor=$1 script=$2 name=$3; shift 3
	LOG=$LAB/$name/console.log
	kernel_for "$flavor"
	"$ARM64_DIR/run-vm.sh" --tfa "$tfa" --kernel "${KOUT[$flavor]}" \
		--initrd "${INITRD[$flavor]}" --log "$LOG" \
		--append "sw_scenario=$script" "$@" || true
}
has() { grep -qaE "$1" "$LOG"; }
# a line matching $2 appears after the first line matching $1
after() { awk -v a="$1" -v b="$2" 'f && $0 ~ b {found=1} $0 ~ a {f=1} END {exit !found}' "$LOG"; }
ended() { has 'run-vm: guest ended|reboot: Restarting system'; }

want() { [[ ${#only[@]} == 0 ]] && return 0; local o; for o in "${only[@]}"; do [[ $o == "$1" ]] && return 0; done; return 1; }

sc_firmware_debian_boot() {
	boot debian boot firmware-debian-boot --timeout 180
	if ! has 'sdei: SDEIv1.0 .* detected in firmware'; then result "$1" FAIL "no 'sdei: SDEIv1.0 ... detected in firmware'"
	elif ! has 'stopwatch-lab: init up'; then result "$1" FAIL "init not reached"
	else result "$1" PASS "$(grep -aoE 'sdei: SDEIv1.0.*firmware' "$LOG" | head -1)"; fi
}
sc_series_boot() {
	boot series boot series-boot --timeout 180
	if ! has 'sdei: SDEIv1.0 .* detected in firmware'; then result "$1" FAIL "SDEI not detected"
	elif ! has 'sdei_nmi: event 0 registered and enabled'; then result "$1" FAIL "no 'sdei_nmi: event 0 registered and enabled'"
	elif ! has 'stopwatch-lab: init up'; then result "$1" FAIL "init not reached"
	else result "$1" PASS "event 0 registered and enabled"; fi
}
sc_series_sysrq_backtrace() {
	boot series sysrq-backtrace series-sysrq-backtrace --timeout 180
	if ! has 'stopwatch-lab: CPU 2 wedged'; then result "$1" FAIL "CPU 2 not wedged"
	elif ! has 'NMI backtrace for cpu 2'; then result "$1" FAIL "no 'NMI backtrace for cpu 2'"
	elif ! after 'NMI backtrace for cpu 2' 'sw_wedge_spin'; then result "$1" FAIL "CPU 2 backtrace does not show sw_wedge_spin"
	else result "$1" PASS "CPU 2 backtrace via SDEI shows sw_wedge_spin"; fi
}
sc_series_restart_stop() {
	boot series restart-stop series-restart-stop --timeout 180
	if ! has 'stopwatch-lab: CPU 2 wedged'; then result "$1" FAIL "CPU 2 not wedged"
	elif has 'failed to stop secondary CPUs'; then result "$1" FAIL "$(grep -ao 'SMP: failed to stop secondary CPUs.*' "$LOG" | head -1)"
	elif ! has 'SMP: retry stop with SDEI NMI for CPUs 2'; then result "$1" FAIL "no SDEI stop rung line"
	elif ! ended; then result "$1" FAIL "guest did not reset"
	else result "$1" PASS "SMP: retry stop with SDEI NMI for CPUs 2, then reset"; fi
}
sc_series_panic_stop() {
	boot series panic-stop series-panic-stop --timeout 180
	if ! has 'stopwatch-lab: CPU 2 wedged'; then result "$1" FAIL "CPU 2 not wedged"
	elif has 'failed to stop secondary CPUs'; then result "$1" FAIL "$(grep -ao 'SMP: failed to stop secondary CPUs.*' "$LOG" | head -1)"
	elif ! has 'SMP: retry stop with SDEI NMI for CPUs 2'; then result "$1" FAIL "no SDEI stop rung line"
	else result "$1" PASS "SMP: retry stop with SDEI NMI for CPUs 2"; fi
}
sc_series_reboot_f_hang() {
	# baseline of a known limitation, not of the series: see guest/scenarios/reboot-f.sh
	boot series reboot-f series-reboot-f-hang --timeout 120 --until 'perf_reboot\+'
	if ! has 'stopwatch-lab: CPU 2 wedged'; then result "$1" FAIL "CPU 2 not wedged"
	elif has 'SMP: stopping secondary CPUs'; then result "$1" FAIL "reboot -f reached the stop ladder: the perf_reboot hang is gone, update this scenario"
	elif has 'perf_reboot\+'; then result "$1" PASS "reboot -f hangs in perf_reboot() before the stop ladder (known limitation)"
	else result "$1" FAIL "neither the ladder nor the perf_reboot hang seen"; fi
}
sc_stock_restart_stop() {
	boot stock restart-stop stock-restart-stop --timeout 120
	if ! has 'stopwatch-lab: CPU 2 wedged'; then result "$1" FAIL "CPU 2 not wedged"
	elif has 'SMP: failed to stop secondary CPUs 2'; then result "$1" PASS "SMP: failed to stop secondary CPUs 2 (expected on stock)"
	else result "$1" FAIL "no 'SMP: failed to stop secondary CPUs 2'"; fi
}
sc_stock_sysrq_backtrace() {
	boot stock sysrq-backtrace stock-sysrq-backtrace --timeout 120
	if ! has 'stopwatch-lab: CPU 2 wedged'; then result "$1" FAIL "CPU 2 not wedged"
	elif after 'NMI backtrace for cpu 2' 'sw_wedge_spin'; then result "$1" FAIL "stock kernel printed CPU 2's backtrace?"
	else result "$1" PASS "no backtrace from CPU 2 (expected on stock: the IPI cannot reach it)"; fi
}
sc_stock_panic_stop() {
	boot stock panic-stop stock-panic-stop --timeout 120
	if ! has 'stopwatch-lab: CPU 2 wedged'; then result "$1" FAIL "CPU 2 not wedged"
	elif has 'SMP: failed to stop secondary CPUs 2'; then result "$1" PASS "SMP: failed to stop secondary CPUs 2 (expected on stock)"
	else result "$1" FAIL "no 'SMP: failed to stop secondary CPUs 2'"; fi
}

for s in firmware-debian-boot series-boot series-sysrq-backtrace series-restart-stop \
	 series-panic-stop series-reboot-f-hang stock-sysrq-backtrace stock-restart-stop \
	 stock-panic-stop; do
	want "$s" || continue
	"sc_${s//-/_}" "$s"
done
echo "$pass passed, $fail failed"
[[ $fail == 0 ]]
