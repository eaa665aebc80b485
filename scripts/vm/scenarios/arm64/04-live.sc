# Scenario 4: live. `stopwatch live --format json` runs in the guest, CPU 2
# is wedged with DAIF masked, and `echo l > /proc/sysrq-trigger` asks every
# CPU for a backtrace: the series sends SDEI event 0, and live streams each
# delivery (CPU, latency, interrupts masked, idle) and counts the ones that
# reached a busy masked CPU apart from idle ones (arm64 idles in WFI with
# interrupts masked, where an IPI wakes it too). The deliveries reach the
# CPUs at once, each writing its event into its own ring: every delivery a
# CPU counted is that CPU's event, or a drop counted on that CPU (-C). The
# guest then resets with sysrq b (a wedged CPU hangs reboot -f).
# kernel: series
# needs: stopwatch
# timeout: 180

guest() {
	live_started stopwatch.live live --format json --cumulative -C || return 1
	wedge 2 now daif || return 1
	mark "action: sysrq l"
	echo l > /proc/sysrq-trigger
	sleep 4
	emit live cat /tmp/live.out
	do_sysrq_reboot
}

check() {
	stopped default || return
	expect default 'wedge: CPU 2 spinning with interrupts disabled' || return
	expect default 'NMI backtrace for cpu 2' || return
	[ "$(live 'last is not None and "per_cpu_counters" in last')" = True ] ||
		fail "no per-CPU counters in live -C: $(live 'last')" || return
	# each CPU's deliveries are its events, or drops counted on that CPU:
	# with a ring per CPU, no CPU loses its event to another
	[ "$(live '[c for c in cpus if n(c) + cpu(c)["ringbuf_drops"] != cpu(c)["sdei_delivered"]]')" = "[]" ] ||
		fail "deliveries not accounted per CPU (events + drops != delivered): $(live '[(c, n(c), cpu(c)["ringbuf_drops"], cpu(c)["sdei_delivered"]) for c in cpus]')" || return
	[ "$(live 'len({e["cpu"] for e in events}) >= 2')" = True ] ||
		fail "live events from fewer than 2 CPUs: $(live 'events')" || return
	# the event itself, or (a reservation lost in NMI context) its drop counted on CPU 2
	if [ "$(live 'len([e for e in events if e["cpu"] == 2 and e["kind"] == "backtrace" and e["masked"] and not e["idle"] and e["latency_us"] > 0])')" != 1 ]; then
		[ "$(live 'n(2) == 0 and cpu(2)["ringbuf_drops"] >= 1')" = True ] ||
			fail "no live backtrace delivery to masked CPU 2 with a latency, and no drop counted on CPU 2: $(live 'events')" || return
		note "the event of CPU 2 was dropped (CPU 2 counted it in ringbuf_drops)"
	fi
	[ "$(live 'last["counters"]["sdei_masked"] >= 1 and last["counters"]["sdei_delivered"] >= 1')" = True ] ||
		fail "live counters: $(live 'last and last["counters"]')" || return
	[ "$(live 'last["sdei"]["backtrace"]["count"] >= 1')" = True ] ||
		fail "no SDEI backtrace histogram in live: $(live 'last and last["sdei"]')" || return
	note "live: $(live 'len(events)') SDEI deliveries ($(live '", ".join("cpu%d %.0f us%s" % (e["cpu"], e["latency_us"], " idle" if e["idle"] else " masked" if e["masked"] else "") for e in events)')); counters delivered $(live 'last["counters"]["sdei_delivered"]'), masked $(live 'last["counters"]["sdei_masked"]'), idle $(live 'last["counters"]["sdei_idle"]'), ring drops $(live 'last["counters"]["ringbuf_drops"]'); per CPU events/delivered $(live '" ".join("%d/%d" % (n(c), cpu(c)["sdei_delivered"]) for c in cpus)')"
}
