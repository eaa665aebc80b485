#!/usr/bin/env bash
# Benchmarks of stopwatch on this machine, each against its baseline in the
# same run. Prints the figures; bench/RESULTS.md records them.
#   start-up:  main() to every live probe attached (target: median <= 30 ms)
#   overhead:  ns per probe event on an IPI-heavy ping-pong, against no tool
#              and an equivalent bpftrace script (target <= 100 ns, and at
#              most half of bpftrace's)
#   memory:    peak RSS of `stopwatch live` (target <= 10 MB)
set -u
SW=$(realpath "${1:-build/x86_64/stopwatch}")
cd "$(dirname "$0")"
[ "$(id -u)" = 0 ] || { echo "bench needs root (BPF)"; exit 1; }
out=$(mktemp -d); trap 'rm -rf "$out"; kill $(jobs -p) 2>/dev/null' EXIT
gcc -O2 -pthread pingpong.c -o "$out/pingpong" || exit 1
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "machine: $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- start-up ----
for i in $(seq 1 15); do
  STOPWATCH_EXIT_AFTER_ATTACH=1 "$SW" live | sed -n 's/.* in \([0-9.]*\) ms/\1/p'
done > "$out/start"
for i in $(seq 1 15); do
  s=$(date +%s%N); STOPWATCH_EXIT_AFTER_ATTACH=1 "$SW" live >/dev/null; e=$(date +%s%N)
  echo "scale=2; ($e - $s) / 1000000" | bc
done > "$out/start_wall"
echo "start-up to attached: median $(median < "$out/start") ms (main() to attached), $(median < "$out/start_wall") ms wall incl. exec and exit; 15 runs"

# ---- per-event overhead ----
ROUNDS=${ROUNDS:-20000}
bt_script='
tracepoint:ipi:ipi_send_cpu { @s[args->cpu] = nsecs; }
tracepoint:ipi:ipi_send_cpumask { @m = count(); }
tracepoint:irq_vectors:reschedule_entry,tracepoint:irq_vectors:call_function_single_entry,tracepoint:irq_vectors:call_function_entry
{ $t = @s[cpu]; if ($t) { @lat = hist((nsecs - $t) / 1000); delete(@s[cpu]); } }
tracepoint:sched:sched_wake_idle_without_ipi { delete(@s[args->cpu]); }'
run_pp() { "$out/pingpong" "$ROUNDS"; }
: > "$out/none"; : > "$out/sw"; : > "$out/bt"
events_sw=0
for rep in 1 2 3 4 5; do
  run_pp >> "$out/none"
  "$SW" live --format json -i 3600 > "$out/sw.json" 2>&1 & swpid=$!
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
none=$(median < "$out/none"); sw=$(median < "$out/sw"); bt=$(median < "$out/bt")
per_rt=$(echo "scale=3; $ev / $ROUNDS" | bc)
echo "ping-pong round trip: no tool $none ns, stopwatch $sw ns, bpftrace $bt ns (median of 5, $ROUNDS round trips)"
echo "probe events per round trip: $per_rt (${ev} events counted by stopwatch)"
python3 - "$none" "$sw" "$bt" "$per_rt" <<'PY'
import sys
none, sw, bt, per = map(float, sys.argv[1:])
if per <= 0:
    print("overhead: no probe events seen: workload raised no IPIs here"); sys.exit()
o_sw, o_bt = (sw - none) / per, (bt - none) / per
print(f"overhead per event: stopwatch {o_sw:.0f} ns, bpftrace {o_bt:.0f} ns"
      + (f" (stopwatch/bpftrace = {o_sw / o_bt:.2f})" if o_bt > 0 else ""))
PY

# ---- per-event cost from the kernel's own accounting ----
# kernel.bpf_stats_enabled makes the kernel time every program run: the
# per-event cost of each tool's programs, independent of how busy the
# machine is (the wall-clock figures above are not, on a shared 2-CPU box).
prog_cost() { # stopwatch|bpftrace -> "ns_per_run runs"
  # Debian's bpftool lists no owning pids: tell the tools apart by program
  # name (ours carry their form as prefix; bpftrace's are tracepoint type)
  bpftool prog show -j | python3 -c '
import json, re, sys
ours = re.compile(r"^(rawtp|tpbtf|tp|fentry|fexit|kprobe|kretprobe)_")
t = n = 0
for p in json.load(sys.stdin):
    mine = bool(ours.match(p.get("name", "")))
    if (sys.argv[1] == "stopwatch") == mine and (mine or p.get("type") == "tracepoint"):
        t += p.get("run_time_ns") or 0; n += p.get("run_cnt") or 0
print(f"{t / n:.1f} {n}" if n else "0 0")' "$1"
}
old_stats=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1
"$SW" live -i 3600 > /dev/null 2>&1 & swpid=$!
bpftrace -e "$bt_script" > /dev/null 2>&1 & btpid=$!
sleep 5
run_pp > /dev/null
sw_cost=$(prog_cost stopwatch); bt_cost=$(prog_cost bpftrace)
kill -INT $swpid $btpid; wait $swpid $btpid 2>/dev/null
sysctl -qw kernel.bpf_stats_enabled="$old_stats"
echo "per-event cost (bpf_stats, same workload, both attached): stopwatch ${sw_cost% *} ns over ${sw_cost#* } runs, bpftrace ${bt_cost% *} ns over ${bt_cost#* } runs"
# The floor of that figure: bpf_stats times each run with two sched_clock()
# reads around the program call. Programs that do nothing, on the same
# tracepoints, show what the accounting and the call cost by themselves.
sysctl -qw kernel.bpf_stats_enabled=1
bpftrace -e 'tracepoint:ipi:ipi_send_cpu,tracepoint:ipi:ipi_send_cpumask,
tracepoint:irq_vectors:reschedule_entry,tracepoint:irq_vectors:call_function_single_entry,
tracepoint:irq_vectors:call_function_entry,tracepoint:sched:sched_wake_idle_without_ipi {}' \
  > /dev/null 2>&1 & btpid=$!
sleep 4
run_pp > /dev/null
floor=$(prog_cost bpftrace)
kill -INT $btpid; wait $btpid 2>/dev/null
sysctl -qw kernel.bpf_stats_enabled="$old_stats"
echo "per-event floor (bpf_stats of empty programs on the same tracepoints): ${floor% *} ns over ${floor#* } runs; stopwatch net of it: $(echo "${sw_cost% *} - ${floor% *}" | bc) ns"

# ---- memory ----
/usr/bin/time -v "$SW" live 1 2 > /dev/null 2> "$out/time"
/usr/bin/time -v "$SW" live -C -L 1 2 > /dev/null 2> "$out/time_c"
echo "peak RSS: live $(sed -n 's/.*Maximum resident set size (kbytes): //p' "$out/time") kB, live -C -L $(sed -n 's/.*Maximum resident set size (kbytes): //p' "$out/time_c") kB"
