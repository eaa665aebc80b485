# Scenario 3: panic (echo c > /proc/sysrq-trigger), no kdump loaded, with
# and without CPU 2 wedged (interrupts disabled, wedged before the panic).
# The memory is dumped by QMP after panic=-1 resets the guest and the
# record read back on the host. Runs "plain*" are unarmed.
# runs: plain armed plain-wedge armed-wedge
# needs: stopwatch
# dump: yes
# timeout: 150

guest() {
	case $SW_RUN in
	armed*) arm || return 1 ;;
	esac
	case $SW_RUN in
	*-wedge) wedge 2 now || return 1 ;;
	esac
	do_panic
}

check() {
	local r
	for r in plain armed plain-wedge armed-wedge; do
		stopped $r || return
		expect $r 'Kernel panic - not syncing: sysrq triggered crash' || return
	done
	expect_not plain 'Shutting down cpus with NMI' || return
	expect_not armed 'Shutting down cpus with NMI' || return
	expect plain-wedge 'Shutting down cpus with NMI' || return
	expect armed-wedge 'Shutting down cpus with NMI' || return
	for r in armed armed-wedge; do
		expect $r 'SWRC arm: 0' 'stopwatch arm exit 0' || return
		recover $r || return
		[ "$(rec $r 'r["kind"]')" = panic ] || fail "$r: record kind '$(rec $r 'r["kind"]')', not panic" || return
	done
	[ "$(rec armed 'sorted([c["cpu"] for c in r["cpus"] if c["rung"] == "ipi"] + [r["initiator"]]) == [0, 1, 2, 3]')" = True ] ||
		fail "armed: not every other CPU stopped by the IPI: $(rec armed 'r["cpus"]')" || return
	[ "$(rec armed-wedge '[c["rung"] for c in r["cpus"] if c["cpu"] == 2]')" = '["nmi"]' ] ||
		fail "armed-wedge: CPU 2 not stopped by NMI: $(rec armed-wedge 'r["cpus"]')" || return
	[ "$(rec armed-wedge '[c["irqs"] for c in r["cpus"] if c["cpu"] == 2]')" = '["masked"]' ] ||
		fail "armed-wedge: CPU 2 not seen with interrupts masked" || return
	timing armed || return
	timing armed-wedge nmi 'Kernel panic - not syncing' 'Shutting down cpus with NMI' || return
	note "stop by console: $(stop_time plain) s plain, $(stop_time armed) s armed; wedged $(stop_time plain-wedge) s plain, $(stop_time armed-wedge) s armed"
	note "record: $(rec armed 'r["duration_us"]') us; wedged $(rec armed-wedge 'r["duration_us"]') us, CPU 2 by NMI at $(rec armed-wedge '[c["at_us"] for c in r["cpus"] if c["cpu"] == 2][0]') us"
}
