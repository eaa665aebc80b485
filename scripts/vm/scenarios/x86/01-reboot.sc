# Scenario 1: clean reboot (reboot -f) with stopwatch armed. The guest's
# memory is dumped by QMP after the reset and the record is read back on the
# host with stopwatch recover. Run "plain" is the same reboot unarmed, for
# the stop time without the tool.
# runs: plain armed
# needs: stopwatch
# dump: yes
# timeout: 150

guest() {
	if [ "$SW_RUN" = armed ]; then
		arm || return 1
		emit dump stopwatch dump --format json
	fi
	do_reboot
}

check() {
	stopped plain || return
	stopped armed || return
	expect armed 'SWRC arm: 0' 'stopwatch arm exit 0' || return
	expect_not armed 'Shutting down cpus with NMI' || return
	expect_not plain 'Shutting down cpus with NMI' || return
	recover armed || return
	[ "$(rec armed 'r["kind"]')" = stop ] || fail "armed: record kind is '$(rec armed 'r["kind"]')', not stop" || return
	[ "$(rec armed 'sorted([c["cpu"] for c in r["cpus"] if c["rung"] == "ipi"] + [r["initiator"]]) == [0, 1, 2, 3]')" = True ] ||
		fail "armed: not every other CPU stopped by the IPI: $(rec armed 'r["cpus"]')" || return
	[ "$(rec armed 'r["never_stopped"]')" = "" ] || fail "armed: never_stopped $(rec armed 'r["never_stopped"]')" || return
	# the same store found without the locator (page scan)
	"$SW_STOPWATCH" recover --vmcore "$SW_SCEN_OUT/armed/vmcore.elf" --format json \
		>"$SW_SCEN_OUT/armed/recover-scan.json" 2>"$SW_SCEN_OUT/armed/recover-scan.err" ||
		fail "armed: recover without --pfn failed: $(head -c 200 "$SW_SCEN_OUT/armed/recover-scan.err")" || return
	cmp -s "$SW_SCEN_OUT/armed/recover.json" "$SW_SCEN_OUT/armed/recover-scan.json" ||
		fail "armed: recover without --pfn found another record" || return
	timing armed || return
	note "stop by console: $(stop_time plain) s plain, $(stop_time armed) s armed"
	note "record: stop $(rec armed 'r["duration_us"]') us, IPI acks within $(rec armed 'max(c["at_us"] for c in r["cpus"])') us"
}
