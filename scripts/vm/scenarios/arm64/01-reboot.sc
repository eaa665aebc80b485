# Scenario 1: clean reboot (reboot -f, nothing wedged) on the series kernel,
# stopwatch armed. The guest's memory is dumped by QMP after the reset and
# the record read back on the host: every other CPU stopped by the IPI.
# kernel: v4
# needs: stopwatch
# dump: yes
# timeout: 180

guest() {
	arm || return 1
	do_reboot
}

check() {
	stopped default || return
	expect default 'SWRC arm: 0' 'stopwatch arm exit 0' || return
	expect_not default 'SMP: retry stop' || return
	recover default || return
	[ "$(rec default 'r["kind"]')" = stop ] || fail "record kind '$(rec default 'r["kind"]')', not stop" || return
	[ "$(rec default 'sorted([c["cpu"] for c in r["cpus"] if c["rung"] == "ipi"] + [r["initiator"]]) == [0, 1, 2, 3]')" = True ] ||
		fail "not every other CPU stopped by the IPI: $(rec default 'r["cpus"]')" || return
	[ "$(rec default '[x["rung"] for x in r["rungs"]]')" = '["ipi"]' ] ||
		fail "rungs fired $(rec default 'r["rungs"]'), not the IPI alone" || return
	[ "$(rec default 'r["never_stopped"]')" = "" ] || fail "never_stopped $(rec default 'r["never_stopped"]')" || return
	timing default || return
	note "record: outcome $(rec default 'r["outcome"]'), IPI acks $(rec default '", ".join("cpu%d %.0f us" % (c["cpu"], c["ack_us"]) for c in r["cpus"])')"
}
