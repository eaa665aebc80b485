# Scenario 8: the drop path of the event rings. `stopwatch live` runs with
# rings of one page (STOPWATCH_RING_BYTES=4096: 73 events of 56 bytes) and
# is stopped (SIGSTOP) so nothing drains them; CPU 2 is wedged with DAIF
# masked and 100 all-CPU backtraces (sysrq l, from CPU 0) each send SDEI
# event 0 to CPUs 1, 2 and 3. A full ring refuses bpf_ringbuf_reserve() as a lost
# try-lock in NMI context does: the event is dropped and counted on its
# CPU. After SIGCONT, per CPU: events + drops = deliveries, and the CPUs
# that got more deliveries than a ring holds dropped the rest.
# kernel: v4
# needs: stopwatch
# timeout: 400

guest() {
	export STOPWATCH_RING_BYTES=4096
	live_started stopwatch.live live --format json --cumulative -C -v || return 1
	unset STOPWATCH_RING_BYTES
	kill -STOP "$(pidof stopwatch)" || return 1
	wedge 2 now daif || return 1
	mark "action: 100 x sysrq l, live stopped"
	# from CPU 0 alone, so that CPUs 1, 2 and 3 each get all 100
	taskset 1 sh -c 'i=0; while [ $i -lt 100 ]; do echo l > /proc/sysrq-trigger; i=$((i + 1)); done'
	kill -CONT "$(pidof stopwatch)"
	sleep 4
	# the event lines and the last interval (a line too long for printk can be cut)
	emit live sh -c 'grep -E "stopwatch.event|event rings" /tmp/live.out; grep stopwatch.live /tmp/live.out | tail -1'
	do_sysrq_reboot
}

check() {
	stopped default || return
	expect default 'SWOUT live: stopwatch: [0-9]+ event rings of 4 KiB' 'live: event rings of 4 KiB' || return
	expect default 'wedge: CPU 2 spinning with interrupts disabled' || return
	[ "$(live 'last is not None and "per_cpu_counters" in last')" = True ] ||
		fail "no per-CPU counters in live -C: $(live 'last')" || return
	[ "$(live '[c for c in cpus if n(c) + cpu(c)["ringbuf_drops"] != cpu(c)["sdei_delivered"]]')" = "[]" ] ||
		fail "deliveries not accounted per CPU (CPU, events, drops, delivered): $(live '[(c, n(c), cpu(c)["ringbuf_drops"], cpu(c)["sdei_delivered"]) for c in cpus]')" || return
	# a page of 56-byte records holds 73: every CPU that got 100 deliveries dropped
	[ "$(live 'sorted(c for c in cpus if cpu(c)["sdei_delivered"] >= 100)')" = "[1, 2, 3]" ] ||
		fail "not CPUs 1, 2 and 3 with 100 deliveries: $(live '[(c, cpu(c)["sdei_delivered"]) for c in cpus]')" || return
	[ "$(live '[c for c in cpus if cpu(c)["sdei_delivered"] >= 100 and not (cpu(c)["ringbuf_drops"] > 0 and n(c) <= 73)]')" = "[]" ] ||
		fail "a CPU with 100 deliveries and no drops, or more events than a page holds: $(live '[(c, n(c), cpu(c)["ringbuf_drops"]) for c in cpus]')" || return
	[ "$(live 'last["counters"]["ringbuf_drops"] == sum(cpu(c)["ringbuf_drops"] for c in cpus)')" = True ] ||
		fail "total drops differ from the per-CPU sum: $(live 'last["counters"]')" || return
	note "per CPU events/drops/delivered: $(live '" ".join("cpu%d %d/%d/%d" % (c, n(c), cpu(c)["ringbuf_drops"], cpu(c)["sdei_delivered"]) for c in cpus)')"
}
