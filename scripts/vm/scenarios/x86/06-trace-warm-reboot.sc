# Scenario 6: the persistent trace instance over a warm reboot. Boot 1 arms
# stopwatch (record lines on in instance "stopwatch", in reserve_mem memory),
# wedges CPU 2 and reboots; QEMU dumps the guest's memory at the reset, then
# resets it with RAM kept (a warm reboot). Boot 2 finds the previous boot's
# lines in the instance, prints the kernel's own text of the buffer (what
# trace-cmd show prints) and runs stopwatch recover --trace. On the host the
# record from the trace must equal the one recovered from the core.
# runs: armed
# needs: stopwatch
# dump: yes
# warm_reboots: 1
# append: reserve_mem=12M:4096:trace trace_instance=stopwatch^traceoff@trace
# timeout: 240

guest() {
	trace_previous_boot && return
	arm || return 1
	wedge 2 shutdown || return 1
	do_reboot
}

check() {
	stopped armed || return
	expect armed 'Shutting down cpus with NMI' || return
	trace_vs_core armed || return
	# the record both readings agree on is right, not only equal
	[ "$(rec armed '[c["rung"] for c in r["cpus"] if c["cpu"] == 2]')" = '["nmi"]' ] ||
		fail "armed: CPU 2 not stopped by NMI: $(rec armed 'r["cpus"]')" || return
	[ "$(rec armed '[x["rung"] for x in r["rungs"]]')" = '["ipi", "nmi"]' ] ||
		fail "armed: rungs fired $(rec armed 'r["rungs"]'), not ipi then nmi" || return
	timing armed nmi 'reboot: Restarting system' 'Shutting down cpus with NMI'
}
