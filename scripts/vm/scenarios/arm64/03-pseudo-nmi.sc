# Scenario 3: pseudo-NMI on (irqchip.gicv3_pseudo_nmi=1). Run "daif": CPU 2
# masked at DAIF, which a pseudo-NMI cannot reach either: the ladder goes
# IPI, NMI (10 ms), SDEI, all three in the record. Run "irq": CPU 2 masked
# only by local_irq_disable() (the GIC priority mask): the NMI rung stops it.
# Both stop by sysrq b; records read from QMP dumps on the host. On both
# series shapes: the daif run's record says how CPU 2 ended (scenario 2).
# kernel: v4 park
# runs: daif irq
# needs: stopwatch
# dump: yes
# append: irqchip.gicv3_pseudo_nmi=1
# timeout: 180

guest() {
	arm || return 1
	if [ "$SW_RUN" = daif ]; then
		wedge 2 now daif || return 1
	else
		wedge 2 now || return 1
	fi
	do_sysrq_reboot
}

check() {
	local r
	for r in daif irq; do
		stopped $r || return
		expect $r 'GICv3: Pseudo-NMIs enabled' || return
		expect $r 'SWRC arm: 0' 'stopwatch arm exit 0' || return
		expect $r 'wedge: CPU 2 spinning with interrupts disabled' || return
		expect $r 'SMP: retry stop with NMI for CPUs 2' || return
		expect_not $r 'failed to stop secondary CPUs' || return
		recover $r || return
		[ "$(rec $r '[c["irqs"] for c in r["cpus"] if c["cpu"] == 2]')" = '["masked"]' ] ||
			fail "$r: CPU 2 not seen with interrupts masked: $(rec $r 'r["cpus"]')" || return
	done
	expect daif 'SMP: retry stop with SDEI NMI for CPUs 2' || return
	[ "$(rec daif '[x["rung"] for x in r["rungs"]]')" = '["ipi", "nmi", "sdei"]' ] ||
		fail "daif: rungs fired $(rec daif 'r["rungs"]'), not ipi, nmi, sdei" || return
	[ "$(rec daif '[c["rung"] for c in r["cpus"] if c["cpu"] == 2]')" = '["sdei"]' ] ||
		fail "daif: CPU 2 not stopped by SDEI: $(rec daif 'r["cpus"]')" || return
	sdei_end daif 2 "$(parked_end)" || return
	expect_not irq 'SMP: retry stop with SDEI NMI' || return
	[ "$(rec irq '[x["rung"] for x in r["rungs"]]')" = '["ipi", "nmi"]' ] ||
		fail "irq: rungs fired $(rec irq 'r["rungs"]'), not ipi then nmi" || return
	[ "$(rec irq '[c["rung"] for c in r["cpus"] if c["cpu"] == 2]')" = '["nmi"]' ] ||
		fail "irq: CPU 2 not stopped by the NMI: $(rec irq 'r["cpus"]')" || return
	timing daif nmi 'sysrq: Resetting' 'SMP: retry stop with NMI for CPUs 2' \
		sdei 'sysrq: Resetting' 'SMP: retry stop with SDEI NMI for CPUs 2' || return
	timing irq nmi 'sysrq: Resetting' 'SMP: retry stop with NMI for CPUs 2' || return
	note "daif: rungs at $(rec daif '", ".join("%s %.0f us" % (x["rung"], x["fired_us"]) for x in r["rungs"])'), CPU 2 by SDEI $(rec daif '[c["ack_us"] for c in r["cpus"] if c["cpu"] == 2][0]') us after its signal"
	note "irq: NMI rung at $(rec irq '[x["fired_us"] for x in r["rungs"] if x["rung"] == "nmi"][0]') us, CPU 2 by NMI $(rec irq '[c["ack_us"] for c in r["cpus"] if c["cpu"] == 2][0]') us after it"
}
