# Scenario 2: CPU 2 wedged with all of DAIF masked, pseudo-NMI off, then an
# emergency restart (sysrq b: machine_restart() runs the stop ladder at
# once). The stop IPI cannot reach CPU 2; after the 1 s wait the series
# signals SDEI event 0, which firmware delivers whatever DAIF says. The
# record (QMP dump, read on the host) has CPU 2 stopped by the SDEI rung,
# the rung's escalation delay and CPU 2's SDEI signal-to-handler latency.
# kernel: series
# needs: stopwatch
# dump: yes
# timeout: 180

guest() {
	arm || return 1
	wedge 2 now daif || return 1
	do_sysrq_reboot
}

check() {
	stopped default || return
	expect default 'SWRC arm: 0' 'stopwatch arm exit 0' || return
	expect default 'wedge: CPU 2 spinning with interrupts disabled' || return
	expect default 'SMP: retry stop with SDEI NMI for CPUs 2' || return
	expect_not default 'failed to stop secondary CPUs' || return
	recover default || return
	[ "$(rec default 'r["kind"]')" = stop ] || fail "record kind '$(rec default 'r["kind"]')', not stop" || return
	[ "$(rec default '[c["rung"] for c in r["cpus"] if c["cpu"] == 2]')" = '["sdei"]' ] ||
		fail "CPU 2 not stopped by SDEI: $(rec default 'r["cpus"]')" || return
	[ "$(rec default '[c["irqs"] for c in r["cpus"] if c["cpu"] == 2]')" = '["masked"]' ] ||
		fail "CPU 2 not seen with interrupts masked: $(rec default 'r["cpus"]')" || return
	[ "$(rec default '[x["rung"] for x in r["rungs"]]')" = '["ipi", "sdei"]' ] ||
		fail "rungs fired $(rec default 'r["rungs"]'), not ipi then sdei" || return
	[ "$(rec default '[x["targets"] for x in r["rungs"] if x["rung"] == "sdei"]')" = '["2"]' ] ||
		fail "SDEI rung not sent to CPU 2 alone: $(rec default 'r["rungs"]')" || return
	[ "$(rec default 'sorted([c["cpu"] for c in r["cpus"] if c["rung"] == "ipi"] + [r["initiator"], 2]) == [0, 1, 2, 3]')" = True ] ||
		fail "CPUs other than 2 not stopped by the IPI: $(rec default 'r["cpus"]')" || return
	[ "$(rec default 'r["outcome"]')" = escalated ] || fail "outcome $(rec default 'r["outcome"]'), not escalated" || return
	timing default sdei 'SMP: stopping secondary CPUs' 'SMP: retry stop with SDEI NMI for CPUs 2' || return
	note "record: SDEI rung fired at $(rec default '[x["fired_us"] for x in r["rungs"] if x["rung"] == "sdei"][0]') us after the stop began; CPU 2 SDEI signal to handler $(rec default '[c["ack_us"] for c in r["cpus"] if c["cpu"] == 2][0]') us"
}
