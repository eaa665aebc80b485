# Scenario 5: panic and kdump on both series shapes. crashkernel= reserves
# memory, kexec_file_load loads this same Image and initramfs (kept by
# retain_initrd) as the capture kernel, with stopwatch.pfn= from the
# locator; CPU 2 is wedged with DAIF masked; the panic runs the crash stop
# (crash_smp_send_stop()), whose SDEI rung stops CPU 2 and saves its
# registers. The capture kernel runs stopwatch recover --vmcore /proc/vmcore
# and prints the record on the console, with CPU 2's registers from the
# dump (its PRSTATUS note) showing interrupts masked, and how CPU 2 ended.
#   v4, run default: CPU 2 parks inside the SDEI event it never completes;
#     the record says the capture kernel cannot bring it back.
#   park, run off: CPU 2 completes its event into the park pad and is
#     powered off there (sdei_nmi_parked_cpu_die); the record says the
#     capture kernel can bring it back. Run parked: the same with
#     sdei_nmi_crash_cpu_off=0 (set at run time), CPU 2 stays in the pad.
#     Both with a one-CPU capture kernel (nr_cpus=1, as kdump-tools boots
#     it): does it boot, re-initialising SDEI, after each end? Run smp-off:
#     run off with a four-CPU capture kernel, which tries to bring CPU 2
#     back online.
# A run that hangs with a known signature is a known failure of the
# kernel/firmware pair (docs/arm64-lab.md, "Known failures").
# kernel: v4 park
# runs[park]: off parked smp-off
# needs: stopwatch
# append: crashkernel=256M retain_initrd
# timeout: 300
# silence[park]: 60
# known[park]: smp-off capture-smp-hang smp: Bringing up secondary CPUs

guest() {
	arm || return 1
	_pfn=$(sed -n 's/^locator: pfn=\([0-9]*\).*/stopwatch.pfn=\1/p' /tmp/emit.out)
	if [ "$SW_RUN" = parked ]; then
		echo 0 > /sys/module/kernel/parameters/sdei_nmi_crash_cpu_off ||
			{ mark "sdei_nmi_crash_cpu_off: not set"; return 1; }
		mark "sdei_nmi_crash_cpu_off=$(cat /sys/module/kernel/parameters/sdei_nmi_crash_cpu_off)"
	fi
	_cpus=1
	[ "$SW_RUN" = smp-off ] && _cpus=4
	SW_CAPTURE_CPUS=$_cpus load_crash_kernel $_pfn || return 1
	wedge 2 now daif || return 1
	do_panic
}

# kdump_run R END REONLINE CAPTURE_CPUS: run R's checks; CPU 2 ended END and
# the record says the capture kernel can (true) or cannot (false) bring it back
kdump_run() {
	local r=$1
	stopped $r || return
	expect $r 'SWLAB: kdump: capture kernel loaded' 'capture kernel loaded' || return
	expect $r 'Kernel panic - not syncing: sysrq triggered crash' || return
	expect $r 'SMP: retry stop with SDEI NMI for CPUs 2' || return
	expect $r "SWLAB: init: .*capture=1 cpus=$4 " "capture kernel reached init with $4 CPUs online" || return
	expect $r 'SWRC recover: 0' 'stopwatch recover exit 0 in the capture kernel' || return
	[ "$(rec $r 'r["kind"]')" = crash ] || fail "$r: record kind '$(rec $r 'r["kind"]')', not crash" || return
	[ "$(rec $r 'r["source"]')" = vmcore ] || fail "$r: record source '$(rec $r 'r["source"]')'" || return
	[ "$(rec $r '[c["rung"] for c in r["cpus"] if c["cpu"] == 2]')" = '["sdei"]' ] ||
		fail "$r: CPU 2 not stopped by SDEI: $(rec $r 'r["cpus"]')" || return
	[ "$(rec $r 'sorted([c["cpu"] for c in r["cpus"] if c["rung"] != "none"] + [r["initiator"]]) == [0, 1, 2, 3]')" = True ] ||
		fail "$r: not every other CPU stopped: $(rec $r 'r["cpus"]')" || return
	timing $r sdei 'SMP: stopping secondary CPUs' 'SMP: retry stop with SDEI NMI for CPUs 2' || return
	# the SDEI-stopped CPU saved its registers into the dump, interrupts masked at the wedge
	[ "$(rec $r '[c["dump_regs"]["irqs"] for c in r["cpus"] if c["cpu"] == 2 and c["dump_regs"]]')" = '["masked"]' ] ||
		fail "$r: CPU 2 (SDEI-stopped) registers not in /proc/vmcore with irqs masked: $(rec $r 'r["cpus"]')" || return
	sdei_end $r 2 "$2" || return
	[ "$(rec $r '[c["capture_can_reonline"] for c in r["cpus"] if c["cpu"] == 2]')" = "[$3]" ] ||
		fail "$r: record says capture_can_reonline $(rec $r '[c["capture_can_reonline"] for c in r["cpus"] if c["cpu"] == 2]') for CPU 2, not $3" || return
	note "$r: CPU 2 ended $2, capture kernel up with $4 CPU(s) $(secs "$(htime $r 'Kernel panic - not syncing')" "$(htime $r 'SWLAB: init: .*capture=1')") s after the panic; record: crash stop $(rec $r 'r["duration_us"]') us, SDEI rung at $(rec $r '[x["fired_us"] for x in r["rungs"] if x["rung"] == "sdei"][0]') us, CPU 2 $(rec $r '[c["ack_us"] for c in r["cpus"] if c["cpu"] == 2][0]') us after its signal"
}

check() {
	if [ "$SW_KERNEL" = v4 ]; then
		kdump_run default parked_uncompleted false 1 || return
		note "CPU 2 registers in the dump: $(rec default '[c["dump_regs"] for c in r["cpus"] if c["cpu"] == 2][0]')"
		return
	fi
	kdump_run off powered_off true 1 || return
	expect parked 'SWLAB: sdei_nmi_crash_cpu_off=N' || return
	kdump_run parked completed_parked false 1 || return
	if known_failed smp-off; then
		# the crash stop ran and the capture kernel started, then hung
		expect smp-off 'SMP: retry stop with SDEI NMI for CPUs 2' || return
		[ "$(payload smp-off | grep -c 'Booting Linux on physical CPU')" = 2 ] ||
			fail "smp-off: the capture kernel did not start" || return
		return
	fi
	kdump_run smp-off powered_off true 4
}
