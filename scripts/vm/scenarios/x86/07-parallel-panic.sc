# Scenario 7: the self rung. CPU 2 is wedged (interrupts disabled), then
# CPUs 1 and 3 call panic() at once (tests/module/wedge.c, panic_pair). The
# kernel lets one through; the loser stops itself in panic_smp_self_stop()
# with interrupts disabled, usually before the winner's stop begins, so the
# winner's stop needs the NMI for CPU 2 and for the loser. The memory is
# dumped by QMP after panic=-1 resets the guest. The store must hold the
# loser's own record (kind self, rung self), or its rung self inside the
# winner's record when its vCPU got there after the winner's stop began,
# and the winner's panic record (a self record left open made the winner's
# record nothing). Their
# sequence numbers come in either order: a vCPU may be descheduled
# between its clock reading and taking its number.
# needs: stopwatch
# dump: yes
# timeout: 150

guest() {
	arm || return 1
	wedge 2 now || return 1
	panic_pair 1 3
}

check() {
	local winner loser
	parallel_panic default nmi 'Shutting down cpus with NMI' || return
	# the loser spun with interrupts disabled: the NMI stops it, unless it
	# stopped itself inside the winner's stop (rung self there too)
	case $(rec default "[c[\"rung\"] for x in recs if x[\"kind\"] == \"panic\" for c in x[\"cpus\"] if c[\"cpu\"] == $loser]") in
	'["nmi"]'|'["self"]') ;;
	*) fail "the loser, CPU $loser, not recorded in the panic: $(rec default '[x["cpus"] for x in recs]')" ;;
	esac
}
