# Scenario 10: the self rung inside a crash stop, and v4's NULL-regs fix.
# kdump is loaded (scenario 5), CPU 2 is wedged with DAIF masked, CPU 1
# panics and CPU 3 panics 500 ms later with interrupts off (panic_pair 1 3
# 500): CPU 1's crash stop is running (its IPI cannot reach CPU 3 or 2), so
# CPU 3 stops itself inside it: panic_smp_self_stop -> arm64_nmi_cpu_stop
# with regs NULL while the crash stop is on, where the series must skip
# crash_save_cpu() (v4's fix; a NULL regs there would oops). CPU 3 goes
# offline, the SDEI rung stops CPU 2, the capture kernel boots and reads
# the record from /proc/vmcore: kind crash, CPU 3 by self, CPU 2 by sdei,
# and whose registers the dump holds: CPU 2's (masked), not CPU 3's.
# kernel: v4 park
# needs: stopwatch
# append: crashkernel=256M retain_initrd
# timeout: 300

guest() {
	arm || return 1
	_pfn=$(sed -n 's/^locator: pfn=\([0-9]*\).*/stopwatch.pfn=\1/p' /tmp/emit.out)
	load_crash_kernel $_pfn || return 1
	wedge 2 now daif || return 1
	panic_pair 1 3 500
}

check() {
	stopped default || return
	expect default 'wedge: CPU 1 panics, CPU 3 500 ms later' || return
	expect default 'Kernel panic - not syncing: wedge: parallel panic on CPU 1' || return
	expect_not default 'Unable to handle kernel NULL pointer' || return
	expect default 'SMP: retry stop with SDEI NMI for CPUs 2' || return
	expect default 'SWLAB: init: .*capture=1' 'capture kernel reached init' || return
	expect default 'SWRC recover: 0' 'stopwatch recover exit 0 in the capture kernel' || return
	[ "$(rec default '(r["kind"], r["initiator"], r["source"])')" = "('crash', 1, 'vmcore')" ] ||
		fail "record not CPU 1's crash from the vmcore: $(rec default '(r["kind"], r["initiator"], r["source"])')" || return
	[ "$(rec default '[(c["cpu"], c["rung"]) for c in r["cpus"] if c["cpu"] in (2, 3)]')" = '[[2, "sdei"], [3, "self"]]' ] ||
		fail "CPU 3 not by self and CPU 2 by sdei: $(rec default 'r["cpus"]')" || return
	[ "$(rec default 'r["outcome"]')" = escalated ] || fail "outcome $(rec default 'r["outcome"]'), not escalated" || return
	# no self-stop saves registers: the dump's sets are CPUs 0, 1 and 2's
	[ "$(rec default '[c["dump_regs"] for c in r["cpus"] if c["cpu"] == 3]')" = '[false]' ] ||
		fail "CPU 3 (self) not without registers in the dump: $(rec default 'r["cpus"]')" || return
	[ "$(rec default '[c["dump_regs"]["irqs"] for c in r["cpus"] if c["cpu"] == 2 and c["dump_regs"]]')" = '["masked"]' ] ||
		fail "CPU 2 (SDEI-stopped) registers not in the dump with irqs masked: $(rec default 'r["cpus"]')" || return
	note "the crash record's CPUs: $(rec default '[(c["cpu"], c["rung"], c["at_us"]) for c in r["cpus"]]'); CPU 3's registers in the dump: $(rec default '[c["dump_regs"] for c in r["cpus"] if c["cpu"] == 3][0]')"
}
