#!/usr/bin/env bash
# The metrics against the real stack (Debian's packages, not our code):
# promtool checks every exposition and the alert rules and runs their unit
# tests; node_exporter's textfile collector reads the live and cumulative
# textfiles; Prometheus scrapes node_exporter and `stats --listen` (which
# it asks for OpenMetrics), evaluates the rules, and answers queries over
# its HTTP API after two boots' records are ingested, one after the other.
# Every server listens on 127.0.0.1, on free ports, and is stopped here.
# live needs root (BPF): without it that part is skipped, loudly. The series
# budget is counted twice: this host's two textfiles, and the worst case of
# each arch (every kind, outcome and rung a host can export: mkcore worst,
# mklive), each served by a node_exporter of its own.
# usage: run.sh STATIC_BINARY DYNAMIC_BINARY MKCORE MKLIVE
set -u
SW=$(realpath "$1") SWD=$(realpath "$2") MKCORE=$(realpath "$3") MKLIVE=$(realpath "$4")
here=$(cd "$(dirname "$0")" && pwd)
RULES=$here/../../packaging/prometheus
CHECK_EXPO=$here/../lib/check_expo.py
PY=/usr/bin/python3	# Debian's, with python3-prometheus-client
TALLY_STAGE=metrics
. "$here/../lib/tally.sh"
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do timeout 10 tail --pid="$p" -f /dev/null 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
t0=$SECONDS
for tool in promtool prometheus prometheus-node-exporter curl; do
  command -v $tool >/dev/null || { bad "tools" "$tool missing: make deps (scripts/deps.d/metrics.list)"; tally_end; exit 1; }
done

# 1. the alert rules: promtool's syntax check and its unit tests, beside the rules
if (cd "$RULES" && promtool check rules stopwatch.rules.yml > "$tmp/rules.out" 2>&1); then
  ok "promtool check rules ($(grep -o '[0-9]* rules found' "$tmp/rules.out"))"
else bad "promtool check rules" "$(cat "$tmp/rules.out")"; fi
if (cd "$RULES" && promtool test rules stopwatch.rules.test.yml > "$tmp/rtest.out" 2>&1) &&
   grep -q SUCCESS "$tmp/rtest.out"; then
  ok "promtool test rules"
else bad "promtool test rules" "$(cat "$tmp/rtest.out")"; fi

# promtool check metrics prints nothing for a clean exposition
promcheck() { promtool check metrics < "$1" > "$tmp/pc.out" 2>&1 && [ ! -s "$tmp/pc.out" ]; }

# 2. boot 1's records, the cumulative textfile; the live textfile (-C off)
tf=$tmp/textfiles state=$tmp/state
mkdir -p "$tf"
"$MKCORE" "$tmp/boot1.core" 1 && "$MKCORE" "$tmp/boot2.core" 2 || { bad mkcore ""; exit 1; }
ingest() {  # boot number: recover its core into the state, rewrite the textfile
  "$SW" recover --vmcore "$tmp/boot$1.core" --pfn 16 --state-dir "$state" > /dev/null 2> "$tmp/ingest$1.err" &&
    "$SW" stats --state-dir "$state" --textfile "$tf/stopwatch_cumulative.prom"
}
if ingest 1 && grep -q "2 new, 0 already counted" "$tmp/ingest1.err" &&
   promcheck "$tf/stopwatch_cumulative.prom" && "$CHECK_EXPO" prometheus "$tf/stopwatch_cumulative.prom" > /dev/null
then ok "boot 1 ingested; cumulative textfile: promtool check metrics clean"
else bad "boot 1" "$(cat "$tmp/ingest1.err" "$tmp/pc.out")"; fi
live=0
if [ "$(id -u)" = 0 ]; then
  # an IPI workload so the live histograms have data
  ( end=$((SECONDS + 3)); while [ $SECONDS -lt $end ]; do taskset -c 0 true & taskset -c 1 true & wait; done ) &
  load=$!
  "$SW" live -L --textfile "$tf/stopwatch_live.prom" 1 2 > /dev/null 2> "$tmp/live.err"; rc=$?
  wait $load
  if [ $rc -eq 0 ] && promcheck "$tf/stopwatch_live.prom" &&
     "$CHECK_EXPO" prometheus "$tf/stopwatch_live.prom" > /dev/null &&
     grep -q '^stopwatch_ipi_latency_seconds_bucket' "$tf/stopwatch_live.prom"; then
    ok "live textfile (-L, -C off): promtool check metrics clean"; live=1
  else bad "live textfile" "rc=$rc $(tail -3 "$tmp/live.err") $(cat "$tmp/pc.out")"; fi
else
  skipped "live textfile" "live needs root for BPF; run make metrics-test as root" root
fi

# 2a. the worst case of each arch: live's textfile with every kind and
#     counter (mklive), the cumulative one after every (kind, outcome) pair
#     and every rung the arch has, from three cores through recover and stats
ARCHES="x86_64 arm64"
for a in $ARCHES; do
  w=$tmp/worst-$a
  mkdir -p "$w/tf"
  n=0
  for part in 0 1 2; do
    "$MKCORE" "$w/core$part" worst "$a" "$part" &&
      "$SW" recover --vmcore "$w/core$part" --pfn 16 --state-dir "$w/state" > /dev/null 2>> "$w/ingest.err" &&
      n=$((n + 1))
  done
  if [ $n = 3 ] && grep -q "5 new, 0 already counted (21 records in all)" "$w/ingest.err" &&
     "$SW" stats --state-dir "$w/state" --textfile "$w/tf/stopwatch_cumulative.prom" &&
     "$MKLIVE" "$w/tf/stopwatch_live.prom" "$a" &&
     promcheck "$w/tf/stopwatch_cumulative.prom" && promcheck "$w/tf/stopwatch_live.prom"; then
    ok "worst case $a: 21 stop records ingested; live and cumulative textfiles promtool clean"
  else bad "worst case $a" "$(cat "$w/ingest.err" "$tmp/pc.out" 2>/dev/null | tail -5)"; fi
done

# 3. the servers: node_exporter (textfile collector only) for this host and
#    for each arch's worst case, stats --listen, Prometheus
free_port() { $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
nport=$(free_port) pport=$(free_port)
prometheus-node-exporter --web.listen-address="127.0.0.1:$nport" --collector.disable-defaults \
  --collector.textfile --collector.textfile.directory="$tf" > "$tmp/node.log" 2>&1 & pids+=($!)
worst_jobs=
for a in $ARCHES; do
  port=$(free_port)
  prometheus-node-exporter --web.listen-address="127.0.0.1:$port" --collector.disable-defaults \
    --collector.textfile --collector.textfile.directory="$tmp/worst-$a/tf" > "$tmp/node-$a.log" 2>&1 & pids+=($!)
  worst_jobs+="  - job_name: worst_$a
    static_configs: [{ targets: [\"127.0.0.1:$port\"] }]
"
done
"$SWD" stats --state-dir "$state" --listen 127.0.0.1:0 2> "$tmp/stats.err" & pids+=($!)
sport=
for _ in $(seq 50); do
  sport=$(sed -n 's/.* port \([0-9][0-9]*\)$/\1/p' "$tmp/stats.err")
  [ -n "$sport" ] && break
  sleep 0.1
done
cat > "$tmp/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $RULES/stopwatch.rules.yml
scrape_configs:
  - job_name: node
    static_configs: [{ targets: ["127.0.0.1:$nport"] }]
  - job_name: stopwatch
    static_configs: [{ targets: ["127.0.0.1:$sport"] }]
$worst_jobs
EOF
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
  --web.listen-address="127.0.0.1:$pport" > "$tmp/prom.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do
  curl -sf --max-time 2 "http://127.0.0.1:$pport/-/ready" > /dev/null 2>&1 && break
  sleep 0.2
done

# node_exporter's own exposition keeps our types and HELP (the issue's bug)
curl -sf --max-time 5 "http://127.0.0.1:$nport/metrics" > "$tmp/node.prom"
grep -E '^(# (HELP|TYPE) )?stopwatch_' "$tmp/node.prom" > "$tmp/node-sw.prom"
if grep -q '^node_textfile_scrape_error 0$' "$tmp/node.prom" &&
   grep -q '^# TYPE stopwatch_cumulative_stops_total counter$' "$tmp/node-sw.prom" &&
   grep -q '^# HELP stopwatch_cumulative_stops_total CPU stops' "$tmp/node-sw.prom" &&
   ! grep -q 'Metric read from\|untyped' "$tmp/node-sw.prom" && promcheck "$tmp/node-sw.prom" &&
   "$CHECK_EXPO" prometheus "$tmp/node-sw.prom" > /dev/null; then
  ok "node_exporter 1.5 serves every textfile family with its type and HELP"
else bad "node_exporter textfile" "$(grep -i 'error\|untyped' "$tmp/node.prom" | head -5)"; fi

# query EXPR: Prometheus' instant vector as JSON lines of {labels, value}
query() {
  curl -sf --max-time 5 "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1" |
    $PY -c 'import json, sys
for r in json.load(sys.stdin)["data"]["result"]: print(json.dumps([r["metric"], r["value"][1]]))'
}
# wait (bounded) until EXPR returns N results
wait_for() {
  for _ in $(seq 100); do
    [ "$(query "$1" 2>/dev/null | wc -l)" -eq "$2" ] && return 0
    sleep 0.2
  done
  return 1
}
if wait_for 'stopwatch_cumulative_records_total{source="vmcore", job=~"node|stopwatch"} == 2' 2; then
  ok "Prometheus scraped boot 1 from node_exporter and stats --listen"
else bad "scrape boot 1" "$(curl -s "http://127.0.0.1:$pport/api/v1/targets" | head -c 600)"; fi

# 4. boot 2: its records reach Prometheus through both paths
if ingest 2 && grep -q "2 new, 0 already counted (4 records in all)" "$tmp/ingest2.err" &&
   promcheck "$tf/stopwatch_cumulative.prom" &&
   wait_for 'stopwatch_cumulative_records_total{source="vmcore", job=~"node|stopwatch"} == 4' 2; then
  ok "boot 2 ingested and scraped through both paths"
else bad "boot 2" "$(cat "$tmp/ingest2.err")"; fi
# (this host's jobs: the worst-case ones are not it)
HOST='job=~"node|stopwatch"'
query "stopwatch_cumulative_stops_total{$HOST}" > "$tmp/stops.json"
# histogram_quantile over the export buckets, from both jobs
for q in 0.5 0.9; do
  query "histogram_quantile($q, stopwatch_cumulative_ack_latency_seconds_bucket{rung=\"ipi\", $HOST})" > "$tmp/q$q.json"
done
query "histogram_quantile(0.5, stopwatch_cumulative_escalation_delay_seconds_bucket{rung=\"nmi\", $HOST})" > "$tmp/esc.json"
# the expectations: the records mkcore.c wrote (its figures, copied here) and
# the export bounds of docs/metrics.md, with Prometheus' interpolation
if $PY - "$tmp" <<'PY'
import json, sys
d = sys.argv[1]
rows = lambda f: [json.loads(l) for l in open(f"{d}/{f}")]
want = {("stop", "clean"): 1, ("stop", "escalated"): 1, ("panic", "failed"): 1, ("crash", "clean"): 1}
for job in ("node", "stopwatch"):
    got = {(m["kind"], m["outcome"]): int(v) for m, v in rows("stops.json") if m["job"] == job}
    assert got == want, (job, got)
acks_us = [5, 12, 40, 8, 20, 6, 100, 3, 9, 15]   # IPI acks of both boots (mkcore.c)
bounds = [2 ** k / 1e9 for k in range(10, 35, 2)] + [float("inf")]
def prom_quantile(q, values):
    """Prometheus' histogram_quantile over cumulative buckets: linear inside the bucket."""
    cum = [sum(v <= b for v in values) for b in bounds]
    rank = q * cum[-1]
    i = next(i for i, c in enumerate(cum) if c >= rank)
    lo, below = (0.0, 0) if i == 0 else (bounds[i - 1], cum[i - 1])
    return lo + (bounds[i] - lo) * (rank - below) / (cum[i] - below), lo, bounds[i]
for q in ("0.5", "0.9"):
    exp, lo, hi = prom_quantile(float(q), [a * 1e-6 for a in acks_us])
    true = sorted(acks_us)[int(float(q) * len(acks_us)) - 1] * 1e-6
    got = {m["job"]: float(v) for m, v in rows(f"q{q}.json")}
    assert set(got) == {"node", "stopwatch"}, got
    for job, v in got.items():
        assert abs(v - exp) < 1e-12, (q, job, v, exp)
        assert lo < true <= hi and lo <= v <= hi, (q, true, lo, hi, v)
    print(f"ack latency p{int(float(q) * 100)}: Prometheus {got['node'] * 1e6:.3f} us "
          f"(bucket ({lo * 1e6:.3f}, {hi * 1e6:.3f}] us, raw {true * 1e6:.0f} us)")
esc = {m["job"]: float(v) for m, v in rows("esc.json")}
assert len(esc) == 2 and all(2 ** 28 / 1e9 < v <= 2 ** 30 / 1e9 for v in esc.values()), esc
PY
then ok "Prometheus API: stops by kind and outcome, histogram_quantile of ack latency (p50, p90) and escalation delay, both jobs"
else bad "Prometheus queries" "$(cat "$tmp"/stops.json "$tmp"/q*.json | head -c 800)"; fi

# 5. the metadata API: every family typed, through 0.0.4 (node) and OpenMetrics (stats --listen)
curl -sf --max-time 5 "http://127.0.0.1:$pport/api/v1/targets/metadata" > "$tmp/tmeta.json"
curl -sf --max-time 5 "http://127.0.0.1:$pport/api/v1/metadata" > "$tmp/meta.json"
if $PY - "$tmp" "$live" <<'PY'
import json, sys
d, live = sys.argv[1], sys.argv[2] == "1"
by_job = {}
for m in json.load(open(f"{d}/tmeta.json"))["data"]:
    if m["metric"].startswith("stopwatch_"):
        by_job.setdefault(m["target"]["job"], {})[m["metric"]] = m["type"]
node, om = by_job["node"], by_job["stopwatch"]
assert all(t in ("counter", "histogram", "gauge") for j in by_job.values() for t in j.values()), by_job
# 0.0.4 names a counter by its sample, OpenMetrics by its family: proof of the negotiation
assert node["stopwatch_cumulative_stops_total"] == "counter", node
assert om["stopwatch_cumulative_stops"] == "counter", om
for j in (node, om):
    assert j["stopwatch_cumulative_ack_latency_seconds"] == "histogram", j
    assert j["stopwatch_cumulative_escalation_delay_seconds"] == "histogram", j
if live:
    assert node["stopwatch_ipi_latency_seconds"] == "histogram", node
    assert node["stopwatch_ipi_sent_total"] == "counter", node
meta = json.load(open(f"{d}/meta.json"))["data"]
assert meta["stopwatch_cumulative_failed_stops_total"][0]["type"] == "counter", meta
assert meta["stopwatch_cumulative_ack_latency_seconds"][0]["type"] == "histogram", meta
print("typed families: node %d, stats --listen %d" % (len(node), len(om)))
PY
then ok "metadata API: counter and histogram types through node_exporter (0.0.4) and stats --listen (OpenMetrics)"
else bad "metadata API" "$(head -c 600 "$tmp/tmeta.json")"; fi

# 6. the rules loaded in Prometheus fire on boot 2's failed stop and boot 1's NMI rung.
#    Each job's alert fires at the first rule evaluation after its scrape saw
#    boot 2, so poll for the whole condition (both jobs), not the first alert
#    of each name: CI once read the file after node's StopFailed fired and
#    before stopwatch's did.
cat > "$tmp/alerts.py" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["data"]["alerts"]
firing = {(x["labels"]["alertname"], x["labels"]["job"], x["labels"].get("rung", "")) for x in a
          if x["state"] == "firing" and x["labels"]["job"] in ("node", "stopwatch")}
for job in ("node", "stopwatch"):
    assert ("StopwatchStopFailed", job, "") in firing, firing
    assert ("StopwatchStopEscalated", job, "nmi") in firing, firing
assert not any(n in ("StopwatchEscalationDelayHigh", "StopwatchSdeiMaskedCpu") for n, _, _ in firing), firing
PY
for _ in $(seq 150); do
  curl -sf --max-time 5 "http://127.0.0.1:$pport/api/v1/alerts" > "$tmp/alerts.json" &&
    $PY "$tmp/alerts.py" "$tmp/alerts.json" 2>/dev/null && break
  sleep 0.2
done
if $PY "$tmp/alerts.py" "$tmp/alerts.json"
then ok "alert rules in Prometheus: StopFailed and StopEscalated (nmi) fire for both jobs, the others do not"
else bad "alerts" "$(head -c 800 "$tmp/alerts.json")"; fi

# 7. the series budget: one host's exports (live -C off + cumulative) within
#    150, as Prometheus counts them, and equal to what the files hold
count() { query "count($1)" | $PY -c 'import json, sys; print(json.loads(sys.stdin.read() or "[0, 0]")[1])'; }
n=$(count '{__name__=~"stopwatch_.+", job="node"}')
nl=$(count '{__name__=~"stopwatch_.+", __name__!~"stopwatch_cumulative_.+", job="node"}')
fc=$("$CHECK_EXPO" prometheus "$tf/stopwatch_cumulative.prom" | sed 's/series //')
fl=0; [ "$live" = 1 ] && fl=$("$CHECK_EXPO" prometheus "$tf/stopwatch_live.prom" | sed 's/series //')
if [ "$live" = 1 ] && [ "${n:-999}" -le 150 ] && [ "$nl" = "$fl" ] && [ "$((n - nl))" = "$fc" ]; then
  ok "series of one host in Prometheus: $n (live $nl, cumulative $((n - nl))), budget 150"
elif [ "$live" = 0 ] && [ "${n:-999}" -le 150 ] && [ "$n" = "$fc" ]; then
  skipped "series budget" "cumulative alone $n series; live needs root" root
else bad "series budget" "$n series in Prometheus (live $nl), files: live $fl, cumulative $fc"; fi

# 7a. the worst case of each arch, as Prometheus counts it: within 150, equal
#     to what the files hold, and to docs/metrics.md's arithmetic:
#     live 16 (15 counters, the sampling gauge) + 14 per stream (11 bounds,
#     +Inf, _count, _sum; x86 has no SDEI stream); cumulative 13 always
#     (4 sources, failed, 4 rungs stopped, never stopped, 3 SDEI reasons)
#     + 21 (kind, outcome) pairs + 11 per rung escalated to + 16 per rung acked
for a in $ARCHES; do
  case $a in x86_64) streams=1 esc=1 acks=2 ;; arm64) streams=2 esc=2 acks=3 ;; esac
  want=$((16 + 14 * streams + 13 + 21 + 11 * esc + 16 * acks))
  files=$(( $("$CHECK_EXPO" prometheus "$tmp/worst-$a/tf/stopwatch_live.prom" | sed 's/series //') +
            $("$CHECK_EXPO" prometheus "$tmp/worst-$a/tf/stopwatch_cumulative.prom" | sed 's/series //') ))
  got=
  for _ in $(seq 50); do
    got=$(count "{__name__=~\"stopwatch_.+\", job=\"worst_$a\"}")
    [ "$got" = "$files" ] && break
    sleep 0.2
  done
  if [ "$got" = "$files" ] && [ "$got" = "$want" ] && [ "$got" -le 150 ]; then
    ok "worst case of one $a host in Prometheus: $got series (every kind, outcome and rung), budget 150"
  else bad "worst case $a" "$got series in Prometheus, $files in the files, $want by docs/metrics.md, budget 150"; fi
done

# 8. the servers stop on SIGTERM
for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
stopped=1
for p in "${pids[@]}"; do
  timeout 10 tail --pid="$p" -f /dev/null || stopped=0
done
pids=()
if [ $stopped = 1 ] && grep -q 'stopping the HTTP server' "$tmp/stats.err"; then
  ok "node_exporter, Prometheus and stats --listen stopped (stack test took $((SECONDS - t0)) s)"
else bad "stop servers" "$(tail -3 "$tmp/prom.log")"; fi

tally_end
