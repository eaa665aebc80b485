# A big guest (issue 10): 260 CPUs, past the 256 that the record model used
# to end at, on the v4 kernel built for 512 CPUs (kernel "big"). Without
# TF-A, whose qemu platform has 8 cores: QEMU's own PSCI brings the CPUs up,
# so there is no SDEI rung. CPU 259, the highest, is wedged with interrupts
# masked at the GIC's priority (as scenario 3's irq run): the stop IPI cannot
# stop it, the pseudo-NMI does. The record read from the QMP dump must name
# CPU 259 as stopped by the NMI, every other CPU but the initiator by the
# IPI, and the text output must say so in one range line and one CPU line.
# Runs only when named (make vm-test-arm64-big): it takes minutes, not
# seconds (docs/arm64-lab.md). 260 vCPUs on a 2-CPU host stall one another:
# without nosoftlockup and the RCU stall warnings off, a first run spent
# minutes printing hundreds of soft-lockup backtraces of idle CPUs.
# kernel: big
# smp: 260
# firmware: none
# tcg: single
# needs: stopwatch
# dump: yes
# append: irqchip.gicv3_pseudo_nmi=1 nosoftlockup rcupdate.rcu_cpu_stall_suppress=1
# timeout: 2400
# silence: 600

guest() {
	arm || return 1
	wedge 259 now || return 1
	do_sysrq_reboot
}

check() {
	local init want
	stopped default || return
	expect default 'smp: Brought up 1 node, 260 CPUs' || return
	expect default 'GICv3: Pseudo-NMIs enabled' || return
	expect default 'SWRC arm: 0' 'stopwatch arm exit 0' || return
	expect default 'wedge: CPU 259 spinning with interrupts disabled' || return
	expect default 'SMP: retry stop with NMI for CPUs 259' || return
	expect_not default 'failed to stop secondary CPUs' || return
	recover default || return
	[ "$(rec default '[r["nr_cpus"], r["online"], r["never_stopped"], r["outcome"]]')" = '[260, "0-259", "", "escalated"]' ] ||
		fail "not 260 CPUs online, all stopped, escalated: $(rec default '[r["nr_cpus"], r["online"], r["never_stopped"], r["outcome"]]')" || return
	[ "$(rec default '[(x["rung"], x["targets"]) for x in r["rungs"]][1:]')" = '[["nmi", "259"]]' ] ||
		fail "the NMI rung not fired at CPU 259 alone: $(rec default 'r["rungs"]')" || return
	[ "$(rec default '[c["rung"] for c in r["cpus"] if c["cpu"] == 259]')" = '["nmi"]' ] ||
		fail "CPU 259 not stopped by the NMI: $(rec default '[c for c in r["cpus"] if c["cpu"] >= 255]')" || return
	init=$(rec default 'r["initiator"]')
	want=$(python3 -c "print(sorted(set(range(259)) - {$init}))")
	[ "$(rec default 'sorted(c["cpu"] for c in r["cpus"] if c["rung"] == "ipi")')" = "$want" ] ||
		fail "not every CPU but $init and 259 stopped by the IPI: $(rec default '[(c["cpu"], c["rung"]) for c in r["cpus"] if c["rung"] != "ipi"]')" || return
	# the text a person reads: the CPU stopped by the NMI named on its own line
	"$SW_STOPWATCH" recover --vmcore "$SW_SCEN_OUT/default/vmcore.elf" --pfn "$(locator default)" \
		>"$SW_SCEN_OUT/default/recover.txt" 2>&1 || fail "text recover failed: $(head -c 200 "$SW_SCEN_OUT/default/recover.txt")" || return
	grep -Eq '^ +rung nmi +fired at \+[0-9.]+ [mu]s to CPUs 259$' "$SW_SCEN_OUT/default/recover.txt" ||
		fail "no 'rung nmi ... to CPUs 259' line in the text: $(head -c 600 "$SW_SCEN_OUT/default/recover.txt")" || return
	note "260 CPUs; /init reached $(htime default 'SWLAB: init:') s after QEMU started; NMI rung at $(rec default '[x["fired_us"] for x in r["rungs"] if x["rung"] == "nmi"][0]') us; CPU 259 by NMI $(rec default '[c["ack_us"] for c in r["cpus"] if c["cpu"] == 259][0]') us after it; text: $(wc -l < "$SW_SCEN_OUT/default/recover.txt") lines"
}
