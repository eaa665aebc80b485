# make demo (scripts/vm/arm64/demo.sh), not a test: the series kernel on
# SDEI firmware, stopwatch armed and `stopwatch live` streaming, CPU 2
# wedged with DAIF masked, an all-CPU backtrace (sysrq l, SDEI event 0),
# then an emergency restart (sysrq b) whose SDEI rung stops CPU 2. check()
# keeps live's output (live.txt) and the record recovered on the host from
# the guest's memory (recover.txt).
# kernel: v4
# needs: stopwatch
# dump: yes
# timeout: 180

guest() {
	arm || return 1
	live_started Tracing live --cumulative 4 || return 1
	wedge 2 now daif || return 1
	mark "action: sysrq l"
	echo l > /proc/sysrq-trigger
	sleep 5
	emit live cat /tmp/live.out
	do_sysrq_reboot
}

check() {
	stopped default || return
	expect default 'SMP: retry stop with SDEI NMI for CPUs 2' || return
	recover default || return
	# the event lines, then the last interval (cumulative: since start)
	payload default | sed -n 's/.*SWOUT live: //p' | awk '
		/^sdei: / { print; next }
		/^Tracing/ { next }
		{ block = block $0 "\n" }
		/^counters:/ { last = block; block = "" }
		END { printf "\n%s", last }' > "$SW_SCEN_OUT/default/live.txt"
	grep -q 'reached CPU 2 with interrupts masked' "$SW_SCEN_OUT/default/live.txt" ||
		fail "live did not show the SDEI delivery to CPU 2" || return
	"$SW_STOPWATCH" recover --vmcore "$SW_SCEN_OUT/default/vmcore.elf" \
		--pfn "$(locator default)" > "$SW_SCEN_OUT/default/recover.txt" ||
		fail "stopwatch recover (text) failed" || return
}
