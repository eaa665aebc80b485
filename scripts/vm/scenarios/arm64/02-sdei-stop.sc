# Scenario 2: CPU 2 wedged with all of DAIF masked, pseudo-NMI off, then an
# emergency restart (sysrq b: machine_restart() runs the stop ladder at
# once). The stop IPI cannot reach CPU 2; after the 1 s wait the series
# signals SDEI event 0, which firmware delivers whatever DAIF says. The
# record (QMP dump, read on the host) has CPU 2 stopped by the SDEI rung,
# the rung's escalation delay and CPU 2's SDEI signal-to-handler latency.
# Run "plain" is the same stop unarmed, for the console's times without the
# tool (make soak compares them). On both series shapes: `stopwatch probes`
# names the shape, and the record says how CPU 2 ended: parked inside the
# event it never completed (v4), or in the park pad with its event completed
# (park; docs/shapes.md).
# kernel: v4 park
# runs: plain armed
# needs: stopwatch
# dump: yes
# timeout: 180

guest() {
	if [ "$SW_RUN" = armed ]; then
		emit probes stopwatch probes
		arm || return 1
	fi
	wedge 2 now daif || return 1
	do_sysrq_reboot
}

check() {
	local r
	for r in plain armed; do
		stopped $r || return
		expect $r 'wedge: CPU 2 spinning with interrupts disabled' || return
		expect $r 'SMP: retry stop with SDEI NMI for CPUs 2' || return
		expect_not $r 'failed to stop secondary CPUs' || return
	done
	expect armed 'SWRC arm: 0' 'stopwatch arm exit 0' || return
	recover armed || return
	[ "$(rec armed 'r["kind"]')" = stop ] || fail "record kind '$(rec armed 'r["kind"]')', not stop" || return
	[ "$(rec armed '[c["rung"] for c in r["cpus"] if c["cpu"] == 2]')" = '["sdei"]' ] ||
		fail "CPU 2 not stopped by SDEI: $(rec armed 'r["cpus"]')" || return
	[ "$(rec armed '[c["irqs"] for c in r["cpus"] if c["cpu"] == 2]')" = '["masked"]' ] ||
		fail "CPU 2 not seen with interrupts masked: $(rec armed 'r["cpus"]')" || return
	[ "$(rec armed '[x["rung"] for x in r["rungs"]]')" = '["ipi", "sdei"]' ] ||
		fail "rungs fired $(rec armed 'r["rungs"]'), not ipi then sdei" || return
	[ "$(rec armed '[x["targets"] for x in r["rungs"] if x["rung"] == "sdei"]')" = '["2"]' ] ||
		fail "SDEI rung not sent to CPU 2 alone: $(rec armed 'r["rungs"]')" || return
	[ "$(rec armed 'sorted([c["cpu"] for c in r["cpus"] if c["rung"] == "ipi"] + [r["initiator"], 2]) == [0, 1, 2, 3]')" = True ] ||
		fail "CPUs other than 2 not stopped by the IPI: $(rec armed 'r["cpus"]')" || return
	[ "$(rec armed 'r["outcome"]')" = escalated ] || fail "outcome $(rec armed 'r["outcome"]'), not escalated" || return
	shape_probed armed || return
	sdei_end armed 2 "$(parked_end)" || return
	timing armed sdei 'sysrq: Resetting' 'SMP: retry stop with SDEI NMI for CPUs 2' || return
	note "SDEI after (console): $(escalation plain) s plain, $(escalation armed) s armed; stop to reset $(stop_time plain) s plain, $(stop_time armed) s armed"
	note "record: CPU 2 ended $(rec armed '[c["sdei_end"] for c in r["cpus"] if c["cpu"] == 2][0]'); SDEI rung fired at $(rec armed '[x["fired_us"] for x in r["rungs"] if x["rung"] == "sdei"][0]') us after the stop began; CPU 2 SDEI signal to handler $(rec armed '[c["ack_us"] for c in r["cpus"] if c["cpu"] == 2][0]') us"
}
