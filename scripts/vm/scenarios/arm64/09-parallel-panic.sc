# Scenario 9: the self rung (x86 scenario 7 on arm64). CPU 2 is wedged with
# all of DAIF masked, then CPUs 1 and 3 call panic() at once
# (tests/module/wedge.c, panic_pair). The loser stops itself
# (panic_smp_self_stop -> arm64_nmi_cpu_stop(NULL): the series' self path,
# regs NULL) and goes offline; the winner's stop needs SDEI for CPU 2. The
# memory is dumped by QMP after panic=-1 resets the guest. The store must
# hold the winner's panic record with CPU 2 stopped by SDEI, and the loser's
# self-stop: in a record of its own (kind self, rung self) when it came
# before the winner's stop began, or as rung self inside the winner's
# record when it came after (CI, park shape, 2026-12-02: the loser's vCPU
# reached panic_smp_self_stop once the winner's stop had begun). No
# kdump is loaded: the crash stop's NULL-regs path (v4's fix) is not
# reached, as the self-stop comes before any crash stop.
# kernel: v4 park
# needs: stopwatch
# dump: yes
# timeout: 180

guest() {
	arm || return 1
	wedge 2 now daif || return 1
	panic_pair 1 3
}

check() {
	local winner loser
	parallel_panic default sdei 'SMP: retry stop with SDEI NMI for CPUs 2' || return
	# in the panic's record, not the restart's that follows it
	[ "$(rec default '[c["sdei_end"] for c in [x for x in recs if x["kind"] == "panic"][0]["cpus"] if c["cpu"] == 2]')" = "[\"$(parked_end)\"]" ] ||
		fail "CPU 2 did not end $(parked_end) in the panic: $(rec default '[x["cpus"] for x in recs]')"
}
