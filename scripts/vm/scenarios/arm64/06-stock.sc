# Scenario 6: the stock 6.12 kernel (no series). `stopwatch probes` must say
# the SDEI rung is unavailable and why; with CPU 2 wedged (DAIF masked) an
# emergency restart cannot stop it: the kernel prints "failed to stop", the
# record (QMP dump, host) shows CPU 2 never stopped, outcome failed, and
# the guest still resets.
# kernel: stock
# needs: stopwatch
# dump: yes
# timeout: 180

guest() {
	emit probes stopwatch probes
	arm || return 1
	wedge 2 now daif || return 1
	do_sysrq_reboot
}

check() {
	stopped default || return
	expect default 'SWRC probes: 0' 'stopwatch probes exit 0' || return
	expect default 'SWOUT probes: +sdei +unavailable: kernel lacks the SDEI NMI series \(no sdei_nmi_stop_cpus\)$' \
		'probes: sdei unavailable: kernel lacks the SDEI NMI series (no sdei_nmi_stop_cpus)' || return
	expect default 'SWRC arm: 0' 'stopwatch arm exit 0' || return
	expect default 'SMP: failed to stop secondary CPUs 2' || return
	expect_not default 'Unable to handle kernel|Oops|BUG:' 'a kernel crash' || return
	recover default || return
	[ "$(rec default 'r["never_stopped"]')" = 2 ] || fail "never_stopped '$(rec default 'r["never_stopped"]')', not 2" || return
	[ "$(rec default 'r["outcome"]')" = failed ] || fail "outcome $(rec default 'r["outcome"]'), not failed" || return
	[ "$(rec default '"sdei" in [x["rung"] for x in r["rungs"]]')" = False ] || fail "an SDEI rung on the stock kernel?" || return
	timing default || return
	note "probes: $(payload default | sed -n 's/.*SWOUT probes:  *sdei  *//p' | head -1)"
	note "record: outcome $(rec default 'r["outcome"]'), never stopped CPU $(rec default 'r["never_stopped"]')"
}
