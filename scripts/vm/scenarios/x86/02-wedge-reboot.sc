# Scenario 2: reboot with CPU 2 spinning with interrupts disabled (wedged at
# the end of the reboot path, see tests/module/wedge.c). The stop IPI
# cannot reach it: after about 1 s (longer under TCG) x86 prints "Shutting
# down cpus with NMI" and the NMI stops it. Run "plain" is unarmed.
# runs: plain armed
# needs: stopwatch
# dump: yes
# timeout: 150

guest() {
	if [ "$SW_RUN" = armed ]; then
		arm || return 1
	fi
	wedge 2 shutdown || return 1
	do_reboot
}

check() {
	local r
	for r in plain armed; do
		stopped $r || return
		expect $r 'wedge: CPU 2 spinning with interrupts disabled' || return
		expect $r 'Shutting down cpus with NMI' || return
	done
	expect armed 'SWRC arm: 0' 'stopwatch arm exit 0' || return
	recover armed || return
	[ "$(rec armed 'r["kind"]')" = stop ] || fail "armed: record kind '$(rec armed 'r["kind"]')', not stop" || return
	[ "$(rec armed '[c["rung"] for c in r["cpus"] if c["cpu"] == 2]')" = '["nmi"]' ] ||
		fail "armed: CPU 2 not stopped by NMI: $(rec armed 'r["cpus"]')" || return
	[ "$(rec armed '[c["irqs"] for c in r["cpus"] if c["cpu"] == 2]')" = '["masked"]' ] ||
		fail "armed: CPU 2 not seen with interrupts masked: $(rec armed 'r["cpus"]')" || return
	[ "$(rec armed 'sorted([c["cpu"] for c in r["cpus"] if c["rung"] == "ipi"] + [r["initiator"], 2]) == [0, 1, 2, 3]')" = True ] ||
		fail "armed: CPUs other than 2 not stopped by the IPI: $(rec armed 'r["cpus"]')" || return
	[ "$(rec armed '[x["rung"] for x in r["rungs"]]')" = '["ipi", "nmi"]' ] ||
		fail "armed: rungs fired $(rec armed 'r["rungs"]'), not ipi then nmi" || return
	timing armed nmi 'reboot: Restarting system' 'Shutting down cpus with NMI' || return
	note "NMI after (console): $(nmi_after plain) s plain, $(nmi_after armed) s armed"
	note "record: NMI rung fired at $(rec armed '[x["fired_us"] for x in r["rungs"] if x["rung"] == "nmi"][0]') us, CPU 2 stopped at $(rec armed '[c["at_us"] for c in r["cpus"] if c["cpu"] == 2][0]') us"
}
