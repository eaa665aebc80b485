#!/usr/bin/env bash
# Host tests: real BPF on this machine's kernel. Needs root and BPF; says
# why and fails (not skips silently) when they are missing, since CI has them.
set -u
SW=$(realpath "$1")
PIN=/sys/fs/bpf/stopwatch-test-$$   # bpffs refuses "." in names
pass=0 fail=0
ok()   { pass=$((pass + 1)); echo "host $1: PASS"; }
bad()  { fail=$((fail + 1)); echo "host $1: FAIL $2"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"; "$SW" disarm --pin-dir "$PIN" >/dev/null 2>&1' EXIT

if [ "$(id -u)" != 0 ]; then
  echo "host tests need root (BPF, bpffs, tracefs): run 'sudo make host-test'"
  echo "host: 0 passed, 1 failed"; exit 1
fi
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null

# A workload with IPIs: two processes ping-ponging on two CPUs wake each
# other (reschedule IPIs); membarrier-style work comes from fork/exit too.
ipi_load() {
  local end=$((SECONDS + $1))
  while [ $SECONDS -lt $end ]; do
    taskset -c 0 true & taskset -c 1 true & wait
  done
}

# 1. every program form this kernel accepts passes the verifier
if "$SW" probes --verify > "$tmp/verify" 2>&1; then
  v=$(sed -n 's/^\([0-9]*\) verified, 0 failed.*/\1/p' "$tmp/verify")
  if [ "${v:-0}" -ge 20 ]; then ok "verifier ($v programs)"; else bad verifier "only ${v:-0} verified"; fi
else
  bad verifier "$(grep -m3 FAILED "$tmp/verify" | tr '\n' ' ')"
fi

# 2. probes attaches the live points and says why the rest is unavailable
"$SW" probes > "$tmp/probes" 2>&1
if grep -q 'reschedule_entry .* attached' "$tmp/probes" && grep -q '^  sdei  unavailable: ' "$tmp/probes"; then
  ok probes
else
  bad probes "$(tail -5 "$tmp/probes" | tr '\n' ' ')"
fi

# 3. live reports non-zero IPI latency histograms under an IPI workload
ipi_load 4 & load=$!
"$SW" live --format json 1 3 > "$tmp/live.json" 2> "$tmp/live.err"; rc=$?
wait $load
if [ $rc -eq 0 ] && python3 - "$tmp/live.json" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 3, len(lines)
total = sum(h["count"] for l in lines for h in l["ipi"].values())
assert total > 0, "no IPI latency samples"
for l in lines:
    assert l["schema"] == "stopwatch.live/1"
    for kind, h in l["ipi"].items():
        assert sum(c for _, c in h["buckets"]) == h["count"], kind
        assert h["p50_us"] > 0 and h["p50_us"] <= h["p99_us"] + 1e-9, kind
print("ipi samples", total)
PY
then ok "live json"; else bad "live json" "rc=$rc $(head -c 300 "$tmp/live.err")"; fi

# 3b. a stream: into a file each interval is there at once, whole (killed
# with SIGKILL, so no exit-time flush helps)
"$SW" live --format json -i 0.5 > "$tmp/live-stream.json" 2> "$tmp/live-stream.err" & lpid=$!
for _ in $(seq 100); do
  [ "$(wc -l < "$tmp/live-stream.json")" -ge 2 ] && break
  sleep 0.1
done
kill -KILL $lpid 2>/dev/null; wait $lpid 2>/dev/null
if [ "$(wc -l < "$tmp/live-stream.json")" -ge 2 ] &&
   python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$tmp/live-stream.json" 2>/dev/null; then
  ok "live streams line by line"
else bad "live streams line by line" "$(wc -c < "$tmp/live-stream.json") bytes before SIGKILL $(head -c 200 "$tmp/live-stream.err")"; fi

# 4. text output in the libbpf-tools style, and -C per CPU
ipi_load 3 & load=$!
"$SW" live -C -T 1 2 > "$tmp/live.txt" 2>&1
wait $load
if grep -q 'usecs *: count *distribution' "$tmp/live.txt" && grep -q 'delivery latency, CPU [0-9]' "$tmp/live.txt"; then
  ok "live text -C"; else bad "live text -C" "$(head -5 "$tmp/live.txt" | tr '\n' ' ')"; fi

# 5. OpenMetrics textfile, written atomically, valid exposition
ipi_load 3 & load=$!
"$SW" live --format openmetrics --textfile "$tmp/sw.prom" -L 1 2 > "$tmp/om.txt" 2>&1; rc=$?
wait $load
if [ $rc -eq 0 ] && [ "$(tail -1 "$tmp/sw.prom")" = "# EOF" ] && ! ls "$tmp"/sw.prom.tmp.* >/dev/null 2>&1 &&
   python3 - "$tmp/sw.prom" <<'PY'
import re, sys
text = open(sys.argv[1]).read().splitlines()
fams = {}
for l in text:
    if l.startswith("# TYPE "):
        _, _, name, typ = l.split(); fams[name] = typ
samples = [l for l in text if l and not l.startswith("#")]
for s in samples:
    m = re.match(r'^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$', s)
    assert m, s
    name = m.group(1)
    base = re.sub(r'_(bucket|count|sum|total)$', '', name)
    assert base in fams, s
    if fams[base] == "counter": assert name.endswith("_total"), s
# buckets cumulative and ending in +Inf == _count
buckets = {}
for s in samples:
    m = re.match(r'^(\w+)_bucket\{(.*),le="([^"]+)"\} (\d+)$', s)
    if m: buckets.setdefault((m.group(1), m.group(2)), []).append((m.group(3), int(m.group(4))))
assert buckets, "no histogram samples"
for key, bs in buckets.items():
    counts = [c for _, c in bs]
    assert counts == sorted(counts), key
    assert bs[-1][0] == "+Inf", key
PY
then ok openmetrics; else bad openmetrics "rc=$rc"; fi

# 6. arm / dump / disarm round trip through bpffs, bpftool reads the pins
if "$SW" arm --pin-dir "$PIN" > "$tmp/arm" 2>&1 && grep -q '^locator: pfn=' "$tmp/arm" &&
   ls "$PIN/links" | grep -q tpbtf_reschedule_entry; then
  ipi_load 2
  "$SW" dump --pin-dir "$PIN" --format json > "$tmp/dump.json" 2>&1
  bpftool map dump pinned "$PIN/sw_store" > "$tmp/bpftool.json" 2>&1
  bpftool map dump pinned "$PIN/counters" > "$tmp/counters.json" 2>&1
  if grep -q '"magic": 3551162335702830932' "$tmp/bpftool.json" && grep -q '"nr_pages": 9' "$tmp/bpftool.json" &&
     grep -q '"ipi":{"' "$tmp/dump.json" && grep -q '"cpu": 0' "$tmp/counters.json"; then
    ok "arm/dump/bpftool"; else bad "arm/dump/bpftool" "$(head -c 300 "$tmp/dump.json")"; fi
  "$SW" arm --pin-dir "$PIN" | grep -q 'already armed' && ok "arm twice" || bad "arm twice" "not idempotent"
  "$SW" disarm --pin-dir "$PIN" >/dev/null && [ ! -e "$PIN" ] && ok disarm || bad disarm "pins left"
else
  bad arm "$(cat "$tmp/arm")"
fi

# 7. stale pins from another build are refused, --force replaces them
mkdir -p "$PIN"
bpftool map create "$PIN/sw_store" type array key 4 value 8 entries 1 name sw_store 2>/dev/null
"$SW" arm --pin-dir "$PIN" > "$tmp/stale" 2>&1; rc=$?
if [ $rc -eq 5 ] && grep -q "stale pins" "$tmp/stale" && [ "$(wc -l < "$tmp/stale")" -eq 1 ]; then
  ok "stale pins refused"; else bad "stale pins refused" "rc=$rc $(cat "$tmp/stale")"; fi
if "$SW" arm --pin-dir "$PIN" --force > /dev/null 2>&1 && "$SW" dump --pin-dir "$PIN" >/dev/null 2>&1; then
  ok "arm --force"; else bad "arm --force" "did not replace"; fi
"$SW" disarm --pin-dir "$PIN" >/dev/null 2>&1

# 8. bad input: usage errors exit 2 with one line; dump when not armed
check_rc() { # name want-rc cmd...
  local name=$1 want=$2; shift 2
  "$@" > "$tmp/o" 2> "$tmp/e"; local rc=$?
  if [ $rc -eq "$want" ] && [ "$(wc -l < "$tmp/e")" -le 2 ] && ! grep -qi 'segmentation\|core dumped' "$tmp/e"; then
    ok "$name"; else bad "$name" "rc=$rc want $want: $(head -c 200 "$tmp/e")"; fi
}
check_rc "usage: bad interval" 2 "$SW" live -i abc
check_rc "usage: bad count" 2 "$SW" live 1 0
check_rc "usage: bad format" 2 "$SW" live --format xml
check_rc "usage: unknown command" 2 "$SW" frobnicate
check_rc "usage: no command" 2 "$SW"
check_rc "usage: recover needs --vmcore" 2 "$SW" recover
check_rc "dump when not armed" 1 "$SW" dump --pin-dir "$PIN"
check_rc "disarm when not armed" 1 "$SW" disarm --pin-dir "$PIN"
echo garbage > "$tmp/notcore"
check_rc "recover: not a core" 6 "$SW" recover --vmcore "$tmp/notcore"
check_rc "recover: missing file" 1 "$SW" recover --vmcore "$tmp/does-not-exist"
if id nobody >/dev/null 2>&1; then
  check_rc "not root" 3 setpriv --reuid=nobody --regid=nogroup --clear-groups "$SW" live 1 1
fi
STOPWATCH_BTF=/nonexistent check_rc "no BTF: live falls back or says so" 4 "$SW" live 1 1

echo "host: $pass passed, $fail failed"
[ $fail -eq 0 ]
