#!/usr/bin/env bash
# Benchmarks of stopwatch on this machine, each against its baseline in the
# same run. Prints the figures; bench/RESULTS.md records them.
#   startup:   main() to every live probe attached (target: median <= 30 ms)
#   wallclock, cost: ns per probe event on an IPI-heavy ping-pong, against no
#              tool and an equivalent bpftrace script (target <= 100 ns, and
#              at most half of bpftrace's), by the wall clock and by the
#              kernel's per-program accounting
#   memory:    peak RSS of `stopwatch live` (target <= 10 MB)
#   state:     the state directory at 1M records against the build before
#              state v2, and /metrics under wrk against node_exporter (bench/state.sh)
#   logscan:   against ripgrep (file) and grep (stdin), same keywords (bench/logscan.sh)
# Every figure beside its baseline from the same run, the ratio first.
# Usage: bench/run.sh [STOPWATCH] [SECTION ...]   (make bench BENCH="cost")
set -u
SW=$(realpath "${1:-build/x86_64/stopwatch}"); shift $(($# > 0 ? 1 : 0))
SECTIONS=" $* "
want() { [ "$SECTIONS" = "  " ] || [[ "$SECTIONS" == *" $1 "* ]]; }
cd "$(dirname "$0")"
[ "$(id -u)" = 0 ] || { echo "bench needs root (BPF)"; exit 1; }
out=$(mktemp -d); trap 'rm -rf "$out"; kill $(jobs -p) 2>/dev/null' EXIT
gcc -O2 -pthread pingpong.c -o "$out/pingpong" || exit 1
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "machine: $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- start-up ----
if want startup; then
for i in $(seq 1 15); do
  STOPWATCH_EXIT_AFTER_ATTACH=1 "$SW" live | sed -n 's/.* in \([0-9.]*\) ms/\1/p'
done > "$out/start"
for i in $(seq 1 15); do
  s=$(date +%s%N); STOPWATCH_EXIT_AFTER_ATTACH=1 "$SW" live >/dev/null; e=$(date +%s%N)
  echo "scale=2; ($e - $s) / 1000000" | bc
done > "$out/start_wall"
echo "start-up to attached: median $(median < "$out/start") ms (main() to attached), $(median < "$out/start_wall") ms wall incl. exec and exit; 15 runs"
# the peer: hardirqs of libbpf-tools (Debian libbpf-tools: CO-RE on libbpf,
# as stopwatch; bcc's hardirqs-bpfcc needs kernel headers this host lacks),
# exec to its "Tracing" line, beside stopwatch live measured the same way,
# alternating, 7 runs each
peer=$(command -v /usr/sbin/hardirqs hardirqs | head -1)
if [ -n "$peer" ]; then
python3 - "$SW" "$peer" <<'PY'
import statistics, subprocess, sys, time
def ready_ms(cmd, word):
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in p.stdout:
        if line.startswith(word):
            ms = (time.monotonic() - t0) * 1000
            break
    else:
        ms = float("nan")
    p.kill(); p.wait()
    return ms
sw, hi = [], []
for _ in range(7):
    # stdbuf: hardirqs' stdout into a pipe is block-buffered (both get the same wrapper)
    sw.append(ready_ms(["stdbuf", "-oL", sys.argv[1], "live"], "Tracing"))
    hi.append(ready_ms(["stdbuf", "-oL", sys.argv[2]], "Tracing"))
m_sw, m_hi = statistics.median(sw), statistics.median(hi)
print(f"start-up against libbpf-tools' hardirqs (exec to its 'Tracing' line, median of 7 each): {m_sw / m_hi:.3f}x"
      f" (stopwatch live {m_sw:.1f} ms, range {min(sw):.1f}-{max(sw):.1f}; hardirqs {m_hi:.1f} ms,"
      f" range {min(hi):.1f}-{max(hi):.1f})")
PY
else
  echo "start-up against hardirqs: not run (no /usr/sbin/hardirqs: make deps installs libbpf-tools)"
fi
fi

# the workload and the equivalent bpftrace script, shared by the next two
ROUNDS=${ROUNDS:-20000}
bt_script='
tracepoint:ipi:ipi_send_cpu { @s[args->cpu] = nsecs; }
tracepoint:ipi:ipi_send_cpumask { @m = count(); }
tracepoint:irq_vectors:reschedule_entry,tracepoint:irq_vectors:call_function_single_entry,tracepoint:irq_vectors:call_function_entry
{ $t = @s[cpu]; if ($t) { @lat = hist((nsecs - $t) / 1000); delete(@s[cpu]); } }
tracepoint:sched:sched_wake_idle_without_ipi { delete(@s[args->cpu]); }'
run_pp() { "$out/pingpong" "$ROUNDS"; }

# ---- per-event overhead, wall clock ----
if want wallclock; then
: > "$out/none"; : > "$out/sw"; : > "$out/bt"
for rep in 1 2 3 4 5; do
  run_pp >> "$out/none"
  "$SW" live --format json -i 3600 > /dev/null 2>&1 & swpid=$!
  sleep 1.5
  run_pp >> "$out/sw"
  kill -INT $swpid; wait $swpid
  bpftrace -e "$bt_script" > /dev/null 2>&1 & btpid=$!
  sleep 4
  run_pp >> "$out/bt"
  kill -INT $btpid; wait $btpid 2>/dev/null
done
# events per round trip, counted by stopwatch itself in a separate run
"$SW" live --format json -i 3600 > "$out/count.json" 2>&1 & swpid=$!
sleep 1.5; run_pp > /dev/null; kill -INT $swpid; wait $swpid
ev=$(python3 -c '
import json,sys
l=[json.loads(x) for x in open(sys.argv[1]) if x.startswith("{")]
c=l[-1]["counters"] if l else {}
print(c.get("ipi_sent",0)+c.get("ipi_matched",0)+c.get("ipi_unmatched",0))' "$out/count.json")
per_rt=$(echo "scale=3; $ev / $ROUNDS" | bc)
python3 - "$out" "$per_rt" "$ROUNDS" <<'PY'
import statistics, sys
out, per, rounds = sys.argv[1], float(sys.argv[2]), sys.argv[3]
runs = {k: [float(x) for x in open(f"{out}/{k}")] for k in ("none", "sw", "bt")}
med = {k: statistics.median(v) for k, v in runs.items()}
print("ping-pong round trip (median of 5, range; %s round trips): " % rounds + ", ".join(
    f"{name} {med[k]:.0f} ns ({min(runs[k]):.0f}-{max(runs[k]):.0f})"
    for k, name in (("none", "no tool"), ("sw", "stopwatch"), ("bt", "bpftrace"))))
print(f"probe events per round trip: {per:.3f}")
if per <= 0:
    print("overhead: no probe events seen: workload raised no IPIs here"); sys.exit()
o_sw, o_bt = (med["sw"] - med["none"]) / per, (med["bt"] - med["none"]) / per
noise = (max(runs["none"]) - min(runs["none"])) / per
print(f"overhead per event by the wall clock: stopwatch {o_sw:.0f} ns, bpftrace {o_bt:.0f} ns;"
      f" the no-tool runs alone spread over {noise:.0f} ns per event"
      + (": both within the noise" if max(abs(o_sw), abs(o_bt)) < noise else
         ": stopwatch within the noise" if abs(o_sw) < noise else ""))
PY
fi

# ---- per-event cost from the kernel's own accounting ----
# kernel.bpf_stats_enabled makes the kernel time every program run: the
# per-event cost of each tool's programs, independent of how busy the
# machine is (the wall-clock figures above are not, on a shared 2-CPU box).
# That timing has a floor of its own (two sched_clock() reads around the
# call): empty raw_tp programs on the same tracepoints (floor.bpf.c),
# attached in the same runs as both tools, measure it, so each tool's cost
# net of the floor is a difference of figures taken on the same events.
if want cost; then
arch=$(uname -m); clang_arch=$(echo "$arch" | sed -e 's/aarch64/arm64/' -e 's/x86_64/x86/')
clang -g -O2 -target bpf -D__TARGET_ARCH_$clang_arch -I../vmlinux.h-gen/"$(echo "$arch" | sed 's/aarch64/arm64/')" \
  -c floor.bpf.c -o "$out/floor.bpf.o" && gcc -O2 floor.c -o "$out/floor" -lbpf || exit 1
old_stats=$(sysctl -n kernel.bpf_stats_enabled)
COST_RUNS=${COST_RUNS:-5}
# Two runs a round: stopwatch on its own (the events as a user's workload
# makes them), then both tools (the same events for both: bpftrace's own
# cost also shifts the workload's mix of IPI kinds). The floor is in both.
cost_run() { # FILE [bpftrace] [SAMPLE]
  sysctl -qw kernel.bpf_stats_enabled=1
  "$out/floor" "$out/floor.bpf.o" > "$out/floor.out" & local flpid=$!
  "$SW" live -i 3600 --sample "${3:-1}" > /dev/null 2>&1 & local swpid=$!
  local btpid=
  if [ -n "${2:-}" ]; then bpftrace -e "$bt_script" > /dev/null 2>&1 & btpid=$!; fi
  sleep $([ -n "$btpid" ] && echo 5 || echo 1.5)
  grep -q attached "$out/floor.out" || { echo "floor programs did not attach"; exit 1; }
  run_pp > /dev/null
  bpftool prog show -j > "$1"
  kill -INT $swpid $btpid $flpid; wait $swpid $btpid $flpid 2>/dev/null
  sysctl -qw kernel.bpf_stats_enabled="$old_stats"
}
for rep in $(seq 1 "$COST_RUNS"); do
  cost_run "$out/alone.$rep.json"
  cost_run "$out/both.$rep.json" bpftrace
  cost_run "$out/sampled.$rep.json" "" "${SAMPLE:-16}"
done
python3 - "$out" "$COST_RUNS" "${SAMPLE:-16}" <<'PY'
import json, re, statistics, sys
out, runs, sample = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ours = re.compile(r"^(rawtp|tpbtf|tp|fentry|fexit|kprobe|kretprobe)_")
def tool(p):
    name = p.get("name", "")
    if name.startswith("floor_"):
        return "floor"
    if ours.match(name):
        return "stopwatch"
    # Debian's bpftool lists no owning pids: bpftrace's are classic tracepoints
    return "bpftrace" if p.get("type") == "tracepoint" else None
def costs(kind):
    """per tool: [(ns per run, runs)] one per round; per stopwatch program the same"""
    per, progs = {"stopwatch": [], "bpftrace": [], "floor": []}, {}
    for rep in range(1, runs + 1):
        acc = {k: [0, 0] for k in per}
        for p in json.load(open(f"{out}/{kind}.{rep}.json")):
            t, n, k = p.get("run_time_ns") or 0, p.get("run_cnt") or 0, tool(p)
            if k and n:
                acc[k][0] += t; acc[k][1] += n
                if k == "stopwatch":
                    progs.setdefault(p["name"], []).append((t / n, n))
        for k, (t, n) in acc.items():
            if n:
                per[k].append((t / n, n))
    return per, progs
med = lambda v: statistics.median(c for c, _ in v)
runs_of = lambda v: int(statistics.median(n for _, n in v))
def net(per, k):
    each = [c - f for (c, _), (f, _) in zip(per[k], per["floor"])]
    return statistics.median(each), ", ".join(f"{x:.0f}" for x in each)
def show(per, k, what):
    n, each = net(per, k)
    print(f"  {what:29s} {med(per[k]):6.1f} ns per run ({runs_of(per[k])} runs), "
          f"net of the floor {n:6.1f} ns (rounds: {each})")
alone, progs = costs("alone")
both, _ = costs("both")
if not (alone["stopwatch"] and both["bpftrace"] and alone["floor"]):
    print("per-event cost: a tool ran no program: the workload raised no IPIs here"); sys.exit()
print(f"per-event cost (bpf_stats, median of {runs} rounds; the floor attached in every run):")
show(alone, "stopwatch", "stopwatch alone")
sampled, _ = costs("sampled")
if sampled["stopwatch"]:
    show(sampled, "stopwatch", f"stopwatch --sample {sample}")
    print(f"  --sample {sample} / every event, net of the floor: "
          f"{net(sampled, 'stopwatch')[0] / net(alone, 'stopwatch')[0]:.2f}")
print(f"  {'floor':29s} {med(alone['floor']):6.1f} ns per run (empty raw_tp programs, same tracepoints)")
print("  stopwatch by program: " + ", ".join(
    f"{name} {med(v):.0f} ns x {runs_of(v)}"
    for name, v in sorted(progs.items(), key=lambda kv: -sum(n for _, n in kv[1]))))
show(both, "stopwatch", "stopwatch, bpftrace attached")
show(both, "bpftrace", "bpftrace, stopwatch attached")
print(f"  stopwatch/bpftrace on the same events: {med(both['stopwatch']) / med(both['bpftrace']):.2f} "
      f"with the floor, {net(both, 'stopwatch')[0] / net(both, 'bpftrace')[0]:.2f} net of it")
PY
fi

# ---- state directory and /metrics at 1M records; logscan ----
if want state; then
  ./state.sh "$(dirname "$SW")" "${STATE_RECORDS:-1000000}"
fi
if want logscan; then
  ./logscan.sh "$SW" "${LOGSCAN_MB:-1024}"
fi

# ---- memory ----
if want memory; then
/usr/bin/time -v "$SW" live 1 2 > /dev/null 2> "$out/time"
/usr/bin/time -v "$SW" live -C -L 1 2 > /dev/null 2> "$out/time_c"
echo "peak RSS: live $(sed -n 's/.*Maximum resident set size (kbytes): //p' "$out/time") kB, live -C -L $(sed -n 's/.*Maximum resident set size (kbytes): //p' "$out/time_c") kB"
fi
