# Scenario 6: the persistent trace instance over a warm reboot. Boot 1 arms
# stopwatch (record lines on in instance "stopwatch", in reserve_mem memory),
# wedges CPU 2 and reboots; QEMU dumps the guest's memory at the reset, then
# resets it with RAM kept (a warm reboot). Boot 2 finds the previous boot's
# lines in the instance, prints the kernel's own text of the buffer (what
# trace-cmd show prints) and runs stopwatch recover --trace. On the host the
# record from the trace must equal the one recovered from the core.
# runs: armed
# needs: stopwatch
# dump: yes
# warm_reboots: 1
# append: reserve_mem=12M:4096:trace trace_instance=stopwatch^traceoff@trace
# timeout: 240

guest() {
	_ti=/sys/kernel/tracing/instances/stopwatch
	if [ -d "$_ti" ] && grep -q 'stopwatch: ' "$_ti/trace"; then
		mark "warm boot: the trace instance holds the previous boot's lines"
		emit tlast cat "$_ti/last_boot_info"
		emit tshow cat "$_ti/trace"
		emit trec stopwatch recover --trace --events --format json
		return
	fi
	mark "first boot: trace instance $([ -d "$_ti" ] && echo present || echo absent)"
	arm || return 1
	wedge 2 shutdown || return 1
	do_reboot
}

check() {
	local d=$SW_SCEN_OUT/armed maps
	stopped armed || return
	expect armed 'SWOUT arm: .*trace instance stopwatch: record lines on \(persistent\)' || return
	expect armed 'Shutting down cpus with NMI' || return
	expect armed 'SWLAB: warm boot: the trace instance holds' 'a second boot that found the lines' || return
	expect armed 'SWRC trec: 0' 'stopwatch recover --trace exit 0' || return
	# where reserve_mem put the buffer in each boot (KASLR may move it)
	maps=$(payload armed | sed -n 's/.*Tracing: mapped boot instance stopwatch at physical memory \(0x[0-9a-f]*\).*/\1/p' | paste -sd' ')
	[ "$(echo "$maps" | wc -w)" = 2 ] || fail "armed: not two mapped-instance lines: '$maps'" || return
	note "instance at $maps (boot 1, boot 2); $(payload armed | grep -c 'is from previous boot') CPU buffers from the previous boot"
	recover armed || return
	python3 - "$d/recover.json" "$(runlog armed)" <<'PY' > "$d/trace-compare.txt" 2>&1 || { fail "armed: $(tail -1 "$d/trace-compare.txt")"; return 1; }
import json, re, sys
core = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
lines = [l.rstrip("\n").split("|", 1)[-1] for l in open(sys.argv[2], errors="replace")]
def out(tag):
    r = []
    for l in lines:
        i = l.find("SWOUT %s: " % tag)
        if i >= 0:
            r.append(l[i + len(tag) + 8:])
    return r
trec = out("trec")
trace = [json.loads(l) for l in trec if l.startswith("{")]
assert core and trace, "records: %d from the core, %d from the trace" % (len(core), len(trace))
# the same stop: every field but the source
c, t = core[-1], trace[-1]
for o in (c, t):
    o.pop("source")
assert c == t, "core and trace records differ:\ncore  %s\ntrace %s" % (c, t)
# the events stopwatch decoded = the kernel's text of the buffer (trace-cmd show)
# (a previous boot's events are printed as fields: "bpf_string=...", "buf=...")
show = sorted((int(m[1]), m[2], m[3]) for m in (re.search(
    r"\[(\d+)\]\s+\S+\s+(\d+\.\d{6}): (?:bpf_trace_printk|tracing_mark_write): (?:bpf_string=|buf=)?(.*)$",
    l) for l in out("tshow")) if m)
ev = []
for l in trec:
    if l[:1].isdigit():
        cpu, ns, name, text = l.split(" ", 3)
        us = (int(ns) + 500) // 1000
        ev.append((int(cpu), "%d.%06d" % (us // 10**6, us % 10**6), text))
ev.sort()
assert ev == show, "decoded events differ from the trace text:\n%s\n%s" % (ev, show)
print("agree: %d events, record seq %d, CPU 2 %s" % (len(ev), t["seq"],
      [x["rung"] for x in t["cpus"] if x["cpu"] == 2]))
PY
	note "$(tail -1 "$d/trace-compare.txt")"
}
