# Scenario 4: live. `stopwatch live --format json` runs in the guest, CPU 2
# is wedged with DAIF masked, and `echo l > /proc/sysrq-trigger` asks every
# CPU for a backtrace: the series sends SDEI event 0, and live streams each
# delivery (CPU, latency, interrupts masked, idle) and counts the ones that
# reached a busy masked CPU apart from idle ones (arm64 idles in WFI with
# interrupts masked, where an IPI wakes it too). The deliveries reach the
# three other CPUs at once, each writing its event into its own ring: every
# delivery a CPU counted (-C) is that CPU's event, with no drop (scenario 8
# forces drops). The guest then resets with sysrq b (a wedged CPU hangs
# reboot -f).
# kernel: v4
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
	# with a ring per CPU nothing is lost here: every delivery a CPU counted is
	# its event, and no drop anywhere (the drop path: scenario 8)
	[ "$(live 'last["counters"]["ringbuf_drops"]')" = 0 ] ||
		fail "events dropped: $(live '[(c, cpu(c)["ringbuf_drops"]) for c in cpus]')" || return
	[ "$(live '[c for c in cpus if n(c) != cpu(c)["sdei_delivered"]]')" = "[]" ] ||
		fail "deliveries that are not events (CPU, events, delivered): $(live '[(c, n(c), cpu(c)["sdei_delivered"]) for c in cpus]')" || return
	# sysrq l: its own CPU prints its backtrace directly, the three others get
	# SDEI event 0, each one event
	[ "$(live 'sorted(e["cpu"] for e in events if e["kind"] == "backtrace")' | python3 -c 'import json, sys; c = json.loads(sys.stdin.read()); print(len(c) == 3 == len(set(c)) and 2 in c)')" = True ] ||
		fail "not one backtrace event from each of three CPUs, CPU 2 among them: $(live 'events')" || return
	[ "$(live 'len([e for e in events if e["cpu"] == 2 and e["kind"] == "backtrace" and e["masked"] and not e["idle"] and e["latency_us"] > 0])')" = 1 ] ||
		fail "no live backtrace delivery to masked, busy CPU 2 with a latency: $(live 'events')" || return
	[ "$(live 'last["counters"]["sdei_masked"] >= 1 and last["counters"]["sdei_delivered"] == 3')" = True ] ||
		fail "live counters: $(live 'last and last["counters"]')" || return
	[ "$(live 'last["sdei"]["backtrace"]["count"] == 3')" = True ] ||
		fail "SDEI backtrace histogram does not hold the 3 deliveries: $(live 'last and last["sdei"]')" || return
	note "live: $(live 'len(events)') SDEI deliveries ($(live '", ".join("cpu%d %.0f us%s" % (e["cpu"], e["latency_us"], " idle" if e["idle"] else " masked" if e["masked"] else "") for e in events)')); counters delivered $(live 'last["counters"]["sdei_delivered"]'), masked $(live 'last["counters"]["sdei_masked"]'), idle $(live 'last["counters"]["sdei_idle"]'), ring drops 0; per CPU events/delivered $(live '" ".join("%d/%d" % (n(c), cpu(c)["sdei_delivered"]) for c in cpus)')"
}
