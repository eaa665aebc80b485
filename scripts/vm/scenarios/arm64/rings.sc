# Not a test: how many live events SDEI backtraces lose. `stopwatch live`
# streams, CPU 2 is wedged with DAIF masked (its vCPU spins, as in
# scenario 4), and `echo l > /proc/sysrq-trigger` asks every CPU for a
# backtrace 30 times (SDEI event 0 reaches the other CPUs nearly at once,
# each emitting an event from NMI-like context); check() notes the
# deliveries counted, the events that arrived and the drops counted, per
# CPU when live has -C. STOPWATCH_BIN=... compares another build.
# kernel: v4
# needs: stopwatch
# timeout: 400

guest() {
	live_started stopwatch.live live --format json --cumulative -C || return 1
	wedge 2 now daif || return 1
	mark "action: 30 x sysrq l"
	_i=0
	while [ $_i -lt 30 ]; do
		echo l > /proc/sysrq-trigger
		sleep 0.5
		_i=$((_i + 1))
	done
	sleep 4
	# three intervals: a line too long for printk can be cut on the console
	emit live sh -c 'grep stopwatch.event /tmp/live.out; grep stopwatch.live /tmp/live.out | tail -3'
	do_sysrq_reboot
}

check() {
	[ "$(live 'last is not None')" = True ] || fail "no live output" || return
	note "$(live '"delivered %d, events %d, drops %d (%s)" % (last["counters"]["sdei_delivered"], len(events), last["counters"]["ringbuf_drops"], " ".join("cpu%d %d/%s/%s" % (c, n(c), cpu(c).get("sdei_delivered", "?"), cpu(c).get("ringbuf_drops", "?")) for c in cpus))') [per CPU: events/delivered/drops]"
}
