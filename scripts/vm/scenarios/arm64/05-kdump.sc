# Scenario 5: panic and kdump on the series kernel. crashkernel= reserves
# memory, kexec_file_load loads this same Image and initramfs (kept by
# retain_initrd) as the capture kernel, with stopwatch.pfn= from the
# locator; CPU 2 is wedged with DAIF masked; the panic runs the crash stop
# (crash_smp_send_stop()), whose SDEI rung stops CPU 2 and saves its
# registers. The capture kernel runs stopwatch recover --vmcore /proc/vmcore
# and prints the record on the console, with CPU 2's registers from the
# dump (its PRSTATUS note) showing interrupts masked.
# kernel: v4
# needs: stopwatch
# append: crashkernel=256M retain_initrd
# timeout: 300

guest() {
	arm || return 1
	_pfn=$(sed -n 's/^locator: pfn=\([0-9]*\).*/stopwatch.pfn=\1/p' /tmp/emit.out)
	load_crash_kernel $_pfn || return 1
	wedge 2 now daif || return 1
	do_panic
}

check() {
	stopped default || return
	expect default 'SWLAB: kdump: capture kernel loaded' 'capture kernel loaded' || return
	expect default 'Kernel panic - not syncing: sysrq triggered crash' || return
	expect default 'SMP: retry stop with SDEI NMI for CPUs 2' || return
	expect default 'SWLAB: init: .*capture=1' 'capture kernel reached init' || return
	expect default 'SWRC recover: 0' 'stopwatch recover exit 0 in the capture kernel' || return
	[ "$(rec default 'r["kind"]')" = crash ] || fail "record kind '$(rec default 'r["kind"]')', not crash" || return
	[ "$(rec default 'r["source"]')" = vmcore ] || fail "record source '$(rec default 'r["source"]')'" || return
	[ "$(rec default '[c["rung"] for c in r["cpus"] if c["cpu"] == 2]')" = '["sdei"]' ] ||
		fail "CPU 2 not stopped by SDEI: $(rec default 'r["cpus"]')" || return
	[ "$(rec default 'sorted([c["cpu"] for c in r["cpus"] if c["rung"] != "none"] + [r["initiator"]]) == [0, 1, 2, 3]')" = True ] ||
		fail "not every other CPU stopped: $(rec default 'r["cpus"]')" || return
	timing default sdei 'SMP: stopping secondary CPUs' 'SMP: retry stop with SDEI NMI for CPUs 2' || return
	# the SDEI-stopped CPU saved its registers into the dump, interrupts masked at the wedge
	[ "$(rec default '[c["dump_regs"]["irqs"] for c in r["cpus"] if c["cpu"] == 2 and c["dump_regs"]]')" = '["masked"]' ] ||
		fail "CPU 2 (SDEI-stopped) registers not in /proc/vmcore with irqs masked: $(rec default 'r["cpus"]')" || return
	note "CPU 2 registers in the dump: $(rec default '[c["dump_regs"] for c in r["cpus"] if c["cpu"] == 2][0]')"
	note "panic to capture kernel $(secs "$(htime default 'Kernel panic - not syncing')" "$(htime default 'SWLAB: init: .*capture=1')") s; record: crash stop $(rec default 'r["duration_us"]') us, SDEI rung at $(rec default '[x["fired_us"] for x in r["rungs"] if x["rung"] == "sdei"][0]') us, CPU 2 $(rec default '[c["ack_us"] for c in r["cpus"] if c["cpu"] == 2][0]') us after its signal"
}
