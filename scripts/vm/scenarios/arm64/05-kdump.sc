# Scenario 5: panic and kdump on the series kernel. crashkernel= reserves
# memory, kexec_file_load loads this same Image and initramfs (kept by
# retain_initrd) as the capture kernel, with stopwatch.pfn= from the
# locator; CPU 2 is wedged with DAIF masked; the panic runs the crash stop
# (crash_smp_send_stop()), whose SDEI rung stops CPU 2 and saves its
# registers. The capture kernel runs stopwatch recover --vmcore /proc/vmcore
# and prints the record on the console, with CPU 2's registers from the
# dump (its PRSTATUS note) showing interrupts masked. In one run per kernel
# it then saves the crash to the host over 9p as fleets keep it (vmcore.elf,
# kdump-tools' makedumpfile -F -c -d 31, RHEL's -l -d 31, with Debian's
# arm64 makedumpfile: save_dumps in guest.sh), and the host's stopwatch must
# read each, and makedumpfile's own dumps of vmcore.elf, to the same record
# (dumps_agree). 1 GiB of guest memory: the dumps are of all of it.
# On the park shape (docs/shapes.md) a crash stop powers the SDEI-stopped
# CPU off from the park pad (run "off"), unless sdei_nmi_crash_cpu_off=0
# (run "parked": it stays completed-and-parked); whether the capture kernel
# (one CPU, as kdump-tools boots it) comes up after each is the finding.
# kernel: v4 park
# runs[park]: off parked
# needs: stopwatch
# append: crashkernel=256M retain_initrd
# share: default parked
# mem: 1G
# timeout: 480

guest() {
	if [ "$SW_RUN" = parked ]; then
		echo 0 > /sys/module/kernel/parameters/sdei_nmi_crash_cpu_off ||
			{ mark "kdump: cannot set sdei_nmi_crash_cpu_off"; return 1; }
	fi
	arm || return 1
	_pfn=$(sed -n 's/^locator: pfn=\([0-9]*\).*/stopwatch.pfn=\1/p' /tmp/emit.out)
	load_crash_kernel $_pfn || return 1
	wedge 2 now daif || return 1
	do_panic
}

check() {
	local r runs=default
	[ "$SW_KERNEL" = park ] && runs="off parked"
	for r in $runs; do
		check_run "$r" || return
	done
	case $SW_KERNEL in
	park) dumps_agree parked ;;
	*) dumps_agree default ;;
	esac
}

# check_run R: one run's crash, capture and record
check_run() {
	local r=$1
	stopped "$r" || return
	expect "$r" 'SWLAB: kdump: capture kernel loaded' 'capture kernel loaded' || return
	expect "$r" 'Kernel panic - not syncing: sysrq triggered crash' || return
	expect "$r" 'SMP: retry stop with SDEI NMI for CPUs 2' || return
	expect "$r" 'SWLAB: init: .*capture=1' 'capture kernel reached init' || return
	expect "$r" 'SWRC recover: 0' 'stopwatch recover exit 0 in the capture kernel' || return
	[ "$(rec "$r" 'r["kind"]')" = crash ] || fail "record kind '$(rec "$r" 'r["kind"]')', not crash" || return
	[ "$(rec "$r" 'r["source"]')" = vmcore ] || fail "record source '$(rec "$r" 'r["source"]')'" || return
	[ "$(rec "$r" '[c["rung"] for c in r["cpus"] if c["cpu"] == 2]')" = '["sdei"]' ] ||
		fail "CPU 2 not stopped by SDEI: $(rec "$r" 'r["cpus"]')" || return
	[ "$(rec "$r" 'sorted([c["cpu"] for c in r["cpus"] if c["rung"] != "none"] + [r["initiator"]]) == [0, 1, 2, 3]')" = True ] ||
		fail "not every other CPU stopped: $(rec "$r" 'r["cpus"]')" || return
	timing "$r" sdei 'SMP: stopping secondary CPUs' 'SMP: retry stop with SDEI NMI for CPUs 2' || return
	# the SDEI-stopped CPU saved its registers into the dump, interrupts masked at the wedge
	[ "$(rec "$r" '[c["dump_regs"]["irqs"] for c in r["cpus"] if c["cpu"] == 2 and c["dump_regs"]]')" = '["masked"]' ] ||
		fail "CPU 2 (SDEI-stopped) registers not in /proc/vmcore with irqs masked: $(rec "$r" 'r["cpus"]')" || return
	# how CPU 2 ended, and so whether the capture kernel could bring it back:
	# v4 parks it inside its event; park completes the event into the pad and,
	# on a crash stop, powers it off there ("off": the power-off races the
	# jump to the capture kernel, so completed_parked may be what the dump saw)
	case $SW_KERNEL/$r/$(rec "$r" '[(c["sdei_end"], c["capture_can_reonline"]) for c in r["cpus"] if c["cpu"] == 2]') in
	'v4/default/[["parked_uncompleted", false]]' | 'park/parked/[["completed_parked", false]]' | \
	'park/off/[["powered_off", true]]' | 'park/off/[["completed_parked", false]]') ;;
	*) fail "$r: CPU 2's end and re-online verdict $(rec "$r" '[(c["sdei_end"], c["capture_can_reonline"]) for c in r["cpus"] if c["cpu"] == 2]') on $SW_KERNEL"; return ;;
	esac
	note "run $r: CPU 2 ended $(rec "$r" '[c["sdei_end"] for c in r["cpus"] if c["cpu"] == 2][0]'), capture kernel can re-online it: $(rec "$r" '[c["capture_can_reonline"] for c in r["cpus"] if c["cpu"] == 2][0]')"
	note "CPU 2 registers in the dump: $(rec "$r" '[c["dump_regs"] for c in r["cpus"] if c["cpu"] == 2][0]')"
	note "panic to capture kernel $(secs "$(htime "$r" 'Kernel panic - not syncing')" "$(htime "$r" 'SWLAB: init: .*capture=1')") s; record: crash stop $(rec "$r" 'r["duration_us"]') us, SDEI rung at $(rec "$r" '[x["fired_us"] for x in r["rungs"] if x["rung"] == "sdei"][0]') us, CPU 2 $(rec "$r" '[c["ack_us"] for c in r["cpus"] if c["cpu"] == 2][0]') us after its signal"
}
