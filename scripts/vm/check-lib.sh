# shellcheck shell=bash
# Host-side helpers for the check() part of scenario files (both labs):
# assertions and measurements on a run's console log (build/lab/<arch>/<scenario>/<run>/).
#
# Console log lines are "HOST_SECONDS|TEXT", HOST_SECONDS since QEMU start;
# printk lines carry the guest's "[ SECONDS]" too. QMP events appear as
# "HOST_SECONDS|@qmp EVENT {...}".
#
# A check() returns non-zero at the first failed assertion; the reason is
# in $SW_FAIL. note TEXT adds to the scenario's measurement summary.

SW_FAIL=
SW_NOTES=()

fail() {
	SW_FAIL=$*
	return 1
}

note() {
	SW_NOTES+=("$*")
}

runlog() {
	echo "$SW_SCEN_OUT/$1/console.log"
}

# payload R: the console text of run R without the host timestamps
payload() {
	cut -d'|' -f2- "$(runlog "$1")"
}

# has R ERE: the console of run R has a line matching ERE
has() {
	# no grep -q: it would close the pipe early and fail it (pipefail)
	payload "$1" | grep -E -- "$2" >/dev/null
}

# expect R ERE [WHAT] / expect_not R ERE [WHAT]: assertions
expect() {
	has "$1" "$2" || fail "${1}: no '${3:-$2}' on the console"
}

expect_not() {
	! has "$1" "$2" || fail "${1}: unexpected '${3:-$2}' on the console"
}

# ktime R ERE: printk time (guest seconds) of the first line matching ERE
ktime() {
	payload "$1" | grep -E -m1 -- "$2" | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p'
}

# htime R ERE: host time of the first console line matching ERE
htime() {
	grep -E -m1 -- "^[ 0-9.]*\|.*$2" "$(runlog "$1")" | cut -d'|' -f1 | tr -d ' '
}

# stopped R: the guest of run R stopped by itself (reset or power-off)
stopped() {
	grep -Eq '\|@qmp SHUTDOWN \{"guest": true' "$(runlog "$1")" ||
		fail "$1: guest did not reset or power off"
}

# qtime R: host time of the guest's own SHUTDOWN (reset) event
qtime() {
	grep -E -m1 '\|@qmp SHUTDOWN \{"guest": true' "$(runlog "$1")" | cut -d'|' -f1 | tr -d ' '
}

# secs A B: B - A in seconds, 3 decimals ("?" if either is missing)
secs() {
	if [ -z "${1:-}" ] || [ -z "${2:-}" ]; then
		echo "?"
		return
	fi
	echo "$1 $2" | awk '{printf "%.3f", $2 - $1}'
}

# ms A B: B - A in milliseconds
ms() {
	if [ -z "${1:-}" ] || [ -z "${2:-}" ]; then
		echo "?"
		return
	fi
	echo "$1 $2" | awk '{printf "%.0f", ($2 - $1) * 1000}'
}

# stop_time R: how long the stop took by the console alone, in seconds:
# from the last line printed before the other CPUs are stopped ("reboot:
# Restarting system", arm64's "SMP: stopping secondary CPUs", "Kernel panic
# - not syncing") to the first line the kernel prints after it ("Kernel
# Offset:" on panic; on reboot nothing is printed, so the guest's reset as
# QEMU saw it, in host time).
stop_time() {
	local r=$1 a b
	if has "$r" 'Kernel panic - not syncing'; then
		a=$(ktime "$r" 'Kernel panic - not syncing')
		b=$(ktime "$r" 'Kernel Offset:')
		secs "$a" "$b"
	else
		a=$(htime "$r" 'SMP: stopping secondary CPUs')
		[ -n "$a" ] || a=$(htime "$r" 'sysrq: Resetting')
		[ -n "$a" ] || a=$(htime "$r" 'reboot: Restarting system')
		b=$(qtime "$r")
		secs "$a" "$b"
	fi
}

# nmi_after R: seconds from the stop's start to "Shutting down cpus with NMI"
nmi_after() {
	local r=$1 a
	if has "$r" 'Kernel panic - not syncing'; then
		a=$(ktime "$r" 'Kernel panic - not syncing')
	else
		a=$(ktime "$r" 'reboot: Restarting system')
	fi
	secs "$a" "$(ktime "$r" 'Shutting down cpus with NMI')"
}

# escalation R: seconds from the stop's start to the console line of its
# last rung (x86: nmi_after; arm64: from "SMP: stopping secondary CPUs", or
# "sysrq: Resetting" (an emergency restart prints no stopping line), to
# "SMP: retry stop with [SDEI ]NMI"); "?" when the stop never escalated
escalation() {
	local r=$1 a b
	if has "$r" 'Shutting down cpus with NMI'; then
		nmi_after "$r"
		return
	fi
	a=$(ktime "$r" 'SMP: stopping secondary CPUs')
	[ -n "$a" ] || a=$(ktime "$r" 'sysrq: Resetting')
	b=$(ktime "$r" 'SMP: retry stop with SDEI NMI')
	[ -n "$b" ] || b=$(ktime "$r" 'SMP: retry stop with NMI')
	secs "$a" "$b"
}

# locator R: the pfn stopwatch arm printed in run R
locator() {
	payload "$1" | sed -n 's/.*SWOUT arm: locator: pfn=\([0-9]*\).*/\1/p' | tail -1
}

# recover R: stopwatch recover on the host from run R's vmcore, JSON into
# R/recover.json; fails if the command fails
recover() {
	local r=$1 d pfn
	d=$SW_SCEN_OUT/$r
	pfn=$(locator "$r")
	[ -n "$pfn" ] || { fail "$r: no locator line from stopwatch arm"; return 1; }
	[ -f "$d/vmcore.elf" ] || { fail "$r: no vmcore"; return 1; }
	if ! "$SW_STOPWATCH" recover --vmcore "$d/vmcore.elf" --pfn "$pfn" --format json \
		>"$d/recover.json" 2>"$d/recover.err"; then
		fail "$r: stopwatch recover failed: $(head -c 200 "$d/recover.err")"
		return 1
	fi
}

# trace_vs_core R: the warm-reboot check of the persistent trace instance
# (docs/trace.md; the guest calls trace_previous_boot). Boot 1 of run R armed
# with the instance; boot 2 ran stopwatch recover --trace. Its record must
# equal the one recovered from the core taken at the reset, but for the
# source, and the events it decoded the kernel's text of the buffer. Notes
# where reserve_mem put the buffer in each boot (KASLR may move it).
trace_vs_core() {
	local r=$1 d=$SW_SCEN_OUT/$1 maps nmaps boots extra
	expect "$r" 'SWOUT arm: .*trace instance stopwatch: record lines on \(persistent\)' || return
	expect "$r" 'SWLAB: warm boot: the trace instance holds' 'a second boot that found the lines' || return
	expect "$r" 'SWRC trec: 0' 'stopwatch recover --trace exit 0' || return
	maps=$(payload "$r" | sed -n 's/.*Tracing: mapped boot instance stopwatch at physical memory \(0x[0-9a-f]*\).*/\1/p' | paste -sd' ')
	# Every kernel boot maps the instance once. A reset request the old
	# kernel's reboot loop left pending in QEMU can reset the warm boot once
	# more (QMP RESET guest-reset after the host's warm reboot), so count the
	# boots rather than assume two; the records compared below tell whether
	# the buffer survived that too.
	boots=$(payload "$r" | grep -o 'Linux version' | wc -l)
	extra=$(payload "$r" | sed -n '/^@host warm reboot:/,$p' | grep -c '^@qmp RESET .*"guest": true')
	[ "$boots" -ge 2 ] || fail "$r: $boots kernel boot(s), not the two of a warm reboot" || return
	nmaps=$(echo "$maps" | wc -w)
	[ "$nmaps" = "$boots" ] || fail "$r: $nmaps mapped-instance lines for $boots kernel boots: '$maps'" || return
	note "instance at $maps (boot 1, boot 2$([ "$boots" -gt 2 ] && echo "; $((boots - 2)) more boot(s), $extra guest reset(s) left pending after the warm reboot"));" \
		"$(payload "$r" | grep -c 'is from previous boot') CPU buffers from the previous boot"
	recover "$r" || return
	python3 - "$d/recover.json" "$(runlog "$r")" <<'PY' > "$d/trace-compare.txt" 2>&1 || { fail "$r: $(tail -1 "$d/trace-compare.txt")"; return 1; }
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
# The park shape ends an SDEI-stopped CPU after its ack, once it is offline
# (completing its event into the park pad), and the kernel's tracepoints do
# nothing on an offline CPU (DECLARE_TRACE's cpu_online() condition): the
# "cpuend" line never reaches the trace, only the store. The trace record
# says unknown (null), never another end.
late = []
for tc in t["cpus"]:
    cc = [x for x in c["cpus"] if x["cpu"] == tc["cpu"]]
    if cc and cc[0]["sdei_end"] == "completed_parked" and tc["sdei_end"] is None:
        tc["sdei_end"] = cc[0]["sdei_end"]
        late.append(tc["cpu"])
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
print("agree: %d events, record seq %d, CPU 2 %s%s" % (len(ev), t["seq"],
      [x["rung"] for x in t["cpus"] if x["cpu"] == 2],
      "; CPU %s's completed_parked end is in the core only (written offline: no tracepoint fires there)" % late
      if late else ""))
PY
	note "$(tail -1 "$d/trace-compare.txt")"
}

# dumps_agree R: run R's kdump capture kernel saved its crash three ways
# (save_dumps in guest.sh: vmcore.elf, kdump-tools' dump.flat, RHEL's
# dump.lzo); the host's makedumpfile makes three more from vmcore.elf
# (-c -d 31, -F -c -d 31, -l -d 31; SW_PEER_MAKEDUMPFILE, when set, is the
# command to run instead of the host's: the arm64 lab runs Debian's arm64
# makedumpfile under qemu-aarch64-static, as an x86_64 makedumpfile reads
# x86_64 dumps only). stopwatch-dynamic recover on each of the
# six, and on dump.flat as a stream on stdin, must give the records the
# capture kernel read from /proc/vmcore, whole: so -d 31 kept every store
# page that is not zero. Writes R/recover-<file>.json and R/dumps-agree.txt.
dumps_agree() {
	local r=$1 d=$SW_SCEN_OUT/$1 pfn f bin=${SW_STOPWATCH}-dynamic mdf
	read -r -a mdf <<< "${SW_PEER_MAKEDUMPFILE:-makedumpfile}"
	pfn=$(locator "$r")
	[ -n "$pfn" ] || { fail "$r: no locator line from stopwatch arm"; return 1; }
	for f in elf flat lzo; do
		expect "$r" "SWRC save-$f: 0" "capture kernel saved the $f dump" || return
	done
	[ -x "$bin" ] || { fail "$r: no $bin (make all)"; return 1; }
	command -v "${mdf[0]}" >/dev/null || { fail "$r: no ${mdf[0]} on the host (make deps)"; return 1; }
	"${mdf[@]}" -c -d 31 "$d/vmcore.elf" "$d/dump.peer-zlib" >"$d/dump.peer.log" 2>&1 &&
		"${mdf[@]}" -F -c -d 31 "$d/vmcore.elf" >"$d/dump.peer-flat" 2>>"$d/dump.peer.log" &&
		"${mdf[@]}" -l -d 31 "$d/vmcore.elf" "$d/dump.peer-lzo" >>"$d/dump.peer.log" 2>&1 ||
		{ fail "$r: host makedumpfile failed: $(tail -1 "$d/dump.peer.log")"; return 1; }
	for f in vmcore.elf dump.flat dump.lzo dump.peer-zlib dump.peer-flat dump.peer-lzo stdin; do
		if [ $f = stdin ]; then
			"$bin" recover --vmcore - --pfn "$pfn" --format json <"$d/dump.flat" \
				>"$d/recover-$f.json" 2>"$d/recover-$f.err"
		else
			"$bin" recover --vmcore "$d/$f" --pfn "$pfn" --format json \
				>"$d/recover-$f.json" 2>"$d/recover-$f.err"
		fi || { fail "$r: recover $f: $(tail -1 "$d/recover-$f.err")"; return 1; }
	done
	python3 - "$d" "$(runlog "$r")" <<'PY' >"$d/dumps-agree.txt" 2>&1 || { fail "$r: $(tail -1 "$d/dumps-agree.txt")"; return 1; }
import json, os, sys
d, log = sys.argv[1], sys.argv[2]
def recs(lines):
    return [json.loads(l) for l in lines if l.startswith("{")]
guest = []
for l in open(log, errors="replace"):
    l = l.split("|", 1)[-1].rstrip("\n")
    i = l.find("SWOUT recover: {")
    if i >= 0:
        guest.append(l[i + len("SWOUT recover: "):])
guest = recs(guest)
assert guest, "no record from the capture kernel"
sizes = []
for f in ("vmcore.elf", "dump.flat", "dump.lzo", "dump.peer-zlib", "dump.peer-flat", "dump.peer-lzo", "stdin"):
    host = recs(open(os.path.join(d, "recover-%s.json" % f)).read().splitlines())
    assert host == guest, "%s: records differ from /proc/vmcore's:\n%s\n%s" % (f, host, guest)
    if f != "stdin":
        sizes.append("%s %.1f MB" % (f, os.path.getsize(os.path.join(d, f)) / 1e6))
print("%d records agree from 7 readings; %s" % (len(guest), ", ".join(sizes)))
PY
	note "$r: $(tail -1 "$d/dumps-agree.txt")"
}

# rec R EXPR: evaluate a python expression on the last stop record of run R
# (variable r: the JSON record from R/recover.json, or from the console
# lines "SWOUT recover: {...}" for kdump runs); prints the value
rec() {
	python3 - "$SW_SCEN_OUT/$1" "$2" <<'PY'
import json, os, sys
d, expr = sys.argv[1], sys.argv[2]
lines = []
p = os.path.join(d, "recover.json")
if os.path.exists(p):
    lines = open(p, errors="replace").read().splitlines()
else:
    for l in open(os.path.join(d, "console.log"), errors="replace"):
        l = l.split("|", 1)[-1].rstrip("\n")
        i = l.find("SWOUT recover: {")	# after a printk time stamp, or not
        if i >= 0:
            lines.append(l[i + len("SWOUT recover: "):])
recs = []
for l in lines:
    try:
        o = json.loads(l)
    except ValueError:
        continue
    if isinstance(o, dict) and o.get("schema") == "stopwatch.stop/2":
        recs.append(o)
if not recs:
    print("")
    sys.exit(1)
r = recs[-1]
try:
    v = eval(expr, {"r": r, "recs": recs})
except Exception as e:
    print("error: %s" % e)
    sys.exit(1)
print(v if not isinstance(v, (dict, list)) else json.dumps(v))
PY
}

# live VALUE [R]: a python expression on the `stopwatch live --format json`
# output on the console of run R (default: default) (events:
# the sdei_delivery events, last: the last interval object, cpu(N): CPU N's
# counters in it, n(N): CPU N's events, cpus: the CPUs that counted or emitted)
live() {
	payload "${2:-default}" | python3 -c '
import json, sys
events, last = [], None
def cpu(c):
    per = {p["cpu"]: p for p in (last or {}).get("per_cpu_counters", [])}
    return per.get(c, {k: 0 for k in (last or {}).get("counters", {})})
def n(c):
    return len([e for e in events if e["cpu"] == c])
for l in sys.stdin:
    i = l.find("SWOUT live: {")
    if i < 0:
        continue
    try:
        o = json.loads(l[i + len("SWOUT live: "):])
    except ValueError:
        continue
    if o.get("schema") == "stopwatch.event/1":
        events.append(o)
    elif o.get("schema") == "stopwatch.live/1":
        last = o
cpus = sorted({p["cpu"] for p in (last or {}).get("per_cpu_counters", [])} | {e["cpu"] for e in events})
print(eval(sys.argv[1]))' "$1"
}

# timing R [RUNG START_ERE FIRE_ERE]...: assert the timing facts of run R's
# last stop record against the kernel's ladder (scripts/vm/timing.py: rung
# order, the kernel's wait between rungs in guest time, each CPU's handler at
# or after its rung's fire with ack_us > 0, and per RUNG the escalation delay
# against the console's printk times of START_ERE and FIRE_ERE). What was
# asserted goes to R/timing.txt and, shortened, into the scenario's notes.
timing() {
	local r=$1 t=$SW_SCEN_OUT/$1/timing.txt
	shift
	rec "$r" r | python3 "$SW_VM_DIR/timing.py" "$(runlog "$r")" "$@" >"$t" 2>&1 ||
		{ fail "$r: timing: $(tail -1 "$t" | sed 's/^FAIL: //')"; return 1; }
	note "$r timing asserted: $(sed 's/^asserted: //' "$t" | paste -sd'|' | sed 's/|/; /g')"
}

# ---- the SDEI NMI series' shapes (arm64, SW_KERNEL: v4 or park; docs/shapes.md) ----
# parallel_panic R RUNG ESCALATION: run R's CPUs 1 and 3 panicked at once
# (panic_pair) with CPU 2 wedged. The loser stopped itself: before the
# winner's stop began, in a record of its own (kind self, only itself, rung
# self), or once it had begun, inside the winner's record (rung self there,
# no record of its own), as a vCPU's turn falls; the check says which. The
# other records are the winner's panic, the first with CPU 2 stopped by
# RUNG and outcome escalated, and the console shows ESCALATION. Sets
# $winner and $loser for the caller's further checks.
parallel_panic() {
	local r=$1
	stopped "$r" || return
	expect "$r" 'wedge: CPUs 1 and 3 panic at once' || return
	winner=$(payload "$r" | sed -n 's/.*Kernel panic - not syncing: wedge: parallel panic on CPU \([0-9]*\).*/\1/p' | head -1)
	[ "$winner" = 1 ] || [ "$winner" = 3 ] || fail "$r: no panic message from CPU 1 or 3" || return
	loser=$((4 - winner))
	expect "$r" "$3" || return
	recover "$r" || return
	local own inside when
	own=$(rec "$r" '[(x["kind"], x["initiator"], [(c["cpu"], c["rung"]) for c in x["cpus"]]) for x in recs if x["kind"] == "self"]')
	inside=$(rec "$r" "[c[\"rung\"] for c in [x for x in recs if x[\"kind\"] == \"panic\"][0][\"cpus\"] if c[\"cpu\"] == $loser]")
	if [ "$own" = "[[\"self\", $loser, [[$loser, \"self\"]]]]" ]; then
		when="before the winner's stop, in a record of its own"
		# also in the winner's record when that stop still counted it online
		# or sent it a rung (bpf/stopwatch.bpf.c, self_join and fire_end)
		[ "$inside" = '["self"]' ] && when+=", and rung self in the winner's record (at_us $(rec "$r" "[c[\"at_us\"] for c in [x for x in recs if x[\"kind\"] == \"panic\"][0][\"cpus\"] if c[\"cpu\"] == $loser]"): the kernel still had it online)"
	elif [ "$own" = "[]" ] && [ "$inside" = '["self"]' ]; then
		when="inside the winner's stop (rung self in its record)"
	else
		fail "$r: CPU $loser's self-stop neither in one self record of its own nor in the winner's record: self records $own; in the panic $inside" || return
	fi
	# the panic: every other record is the winner's (the first its panic's
	# stop; arm64's restart after panic=-1 stops again, with no CPU left).
	# Their sequence numbers may come before or after the self record's.
	[ "$(rec "$r" 'sorted(set((x["kind"], x["initiator"]) for x in recs if x["kind"] != "self"))')" = "[[\"panic\", $winner]]" ] ||
		fail "$r: other records not all CPU $winner's panic: $(rec "$r" '[(x["kind"], x["initiator"]) for x in recs]')" || return
	[ "$(rec "$r" '[c["rung"] for c in [x for x in recs if x["kind"] == "panic"][0]["cpus"] if c["cpu"] == 2]')" = "[\"$2\"]" ] ||
		fail "$r: CPU 2 not stopped by $2 in the panic: $(rec "$r" '[x["cpus"] for x in recs]')" || return
	# no CPU is missing: the loser is stopped again (x86) or was not expected (arm64: offline)
	[ "$(rec "$r" '[x["outcome"] for x in recs if x["kind"] == "panic"][0]')" = escalated ] ||
		fail "$r: the panic's outcome is not escalated: $(rec "$r" '[x for x in recs if x["kind"] == "panic"][0]')" || return
	note "CPU $winner won, CPU $loser stopped itself $when; records in sequence order $(rec "$r" '[x["kind"] for x in recs]'); the panic record's CPUs: $(rec "$r" '[(c["cpu"], c["rung"]) for c in [x for x in recs if x["kind"] == "panic"][0]["cpus"]]')"
}


# parked_end: how a CPU the SDEI rung stopped ends outside a crash stop, on
# SW_KERNEL: inside the event it never completes (v4), or in the park pad
# with its event completed (park)
parked_end() {
	case $SW_KERNEL in
	v4) echo parked_uncompleted ;;
	park) echo completed_parked ;;
	*) echo "no SDEI end on kernel '$SW_KERNEL'" ;;
	esac
}

# sdei_end R CPU WANT: the record of run R says CPU ended WANT (sdei_end).
# On park, the initiator's wait ends when the CPU marks itself offline, just
# before its SDEI exit path asks arm64_nmi_cpu_stop_pending(); a reset that
# comes between leaves the end unknown (null), rightly, when the dump shows
# the CPU short of the park pad. Null with the CPU parked is a lost probe.
sdei_end() {
	local got at
	got=$(rec "$1" "[c[\"sdei_end\"] for c in r[\"cpus\"] if c[\"cpu\"] == $2]")
	[ "$got" = "[\"$3\"]" ] && return 0
	if [ "$got" = '[null]' ] && [ "$3" = completed_parked ]; then
		at=$(cpu_at "$1" "$2") || { fail "$1: CPU $2's end is null; where it was: $at"; return 1; }
		case $at in
		cpu_park_loop+*|sdei_nmi_cpu_parked+*|__sdei_nmi_cpu_park+*) ;;
		*) note "$1: CPU $2's end unknown: at the reset it was at $at, short of the park pad"
		   return 0 ;;
		esac
	fi
	fail "$1: CPU $2 ended $got, not $3 ($SW_KERNEL shape)$([ -n "$at" ] && echo ", and the dump has it at $at"): $(rec "$1" 'r["cpus"]')"
}

# cpu_at R CPU: where arm64 run R's CPU was at its QMP dump (scripts/vm/dump-pc.py:
# "SYMBOL+0xOFF ELn"), by the System.map of the run's kernel (arm64/test.sh KIMAGE)
cpu_at() {
	local map
	map=$(dirname "${KIMAGE[$SW_KERNEL]:-/nonexistent/Image}")/System.map
	[ -f "$map" ] || { echo "no System.map for kernel $SW_KERNEL"; return 1; }
	"$SW_VM_DIR/dump-pc.py" "$SW_SCEN_OUT/$1/vmcore.elf" "$map" "$2" 2>&1
}

# shape_probed R: run R's `stopwatch probes` (emit tag probes) names SW_KERNEL's shape
shape_probed() {
	expect "$1" "SWOUT probes: +series shape: $SW_KERNEL " "probes: series shape: $SW_KERNEL"
}
