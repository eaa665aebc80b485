#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# The state directory at N records (default 1M): this build against the
# build before state v2 (commit cda5d18, built in BASE), in the same run,
# the same records, interleaved. Each figure: the ratio first, then both.
#   stats --format json: elapsed and CPU time (perf stat, 21 runs) and peak RSS
#   re-ingest of N known records (state work through the state API: open, adds, commit)
#   a new record: time in sw_state_add per record, 10000 new on top of N (median of 3)
#   /metrics: wrk, 16 and 100 connections, 10 s each: requests/s, p99, server peak RSS
# usage: bench/state.sh BUILD_DIR [N]      BASE (default /tmp/scale/base) holds the old build
set -u
here=$(cd "$(dirname "$0")" && pwd)
OUT=$(realpath "$1"); N=${2:-1000000}
BASE=${BASE:-/tmp/scale/base}
BASE_COMMIT=cda5d18
tmp=$(mktemp -d); server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$tmp"' EXIT
if [ ! -x "$BASE/build/x86_64/stopwatch-dynamic" ] && [ ! -x "$BASE/build/arm64/stopwatch-dynamic" ]; then
  echo "building the baseline ($BASE_COMMIT) in $BASE..."
  git clone -q "$here/.." "$BASE" && git -C "$BASE" checkout -q "$BASE_COMMIT" &&
    make -C "$BASE" -s all > "$tmp/base-build.log" 2>&1 || { cat "$tmp/base-build.log"; exit 1; }
fi
arch=$(basename "$OUT")
objs() { ls "$1"/*.o | grep -v -e '/main.o' -e '/httpd.o' -e '\.bpf\.o'; }
gcc -O2 -D_GNU_SOURCE -I"$BASE/user" -I"$BASE/bpf" -I"$BASE/build/$arch" "$here/state-bench.c" \
  $(objs "$BASE/build/$arch") -o "$tmp/sb-base" -static -ltracefs -ltraceevent -lbpf -lelf -lz -lm -ldl 2>/dev/null ||
  { echo "cannot link the state bench against $BASE"; exit 1; }
declare -A SW=([base]=$BASE/build/$arch [new]=$OUT) SB=([base]=$tmp/sb-base [new]=$OUT/bench/state-bench)
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3gx", a / b; else print "n/a" }'; }

echo "state at $N records: this build (new) against $BASE_COMMIT (today), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
for v in base new; do "${SB[$v]}" "$tmp/$v" build "$N" > "$tmp/$v.build"; done
echo "  state files: new $(du -sk "$tmp/new" | cut -f1) kB ($(ls "$tmp/new" | tr '\n' ' ')), today $(du -sk "$tmp/base" | cut -f1) kB"

# perf stat: elapsed and CPU time of the command itself, no shell around it
for v in base new; do
  perf stat -r 21 -x, -e task-clock "${SW[$v]}/stopwatch" stats --state-dir "$tmp/$v" --format json \
    2> "$tmp/$v.perf" > /dev/null
  awk -F, '$3 == "task-clock" { printf "%.3f", $1 }' "$tmp/$v.perf" > "$tmp/$v.statscpu"
  perf stat -r 21 "${SW[$v]}/stopwatch" stats --state-dir "$tmp/$v" --format json 2>&1 > /dev/null |
    awk '/seconds time elapsed/ { printf "%.3f", $1 * 1000 }' > "$tmp/$v.stats"
  /usr/bin/time -f %M "${SW[$v]}/stopwatch" stats --state-dir "$tmp/$v" --format json 2>&1 >/dev/null | tail -1 > "$tmp/$v.statsrss"
done
echo "  stats --format json: $(ratio "$(cat "$tmp/new.stats")" "$(cat "$tmp/base.stats")") of today's time" \
  "(new $(cat "$tmp/new.stats") ms, today $(cat "$tmp/base.stats") ms elapsed, mean of 21 by perf stat;" \
  "CPU new $(cat "$tmp/new.statscpu") ms, today $(cat "$tmp/base.statscpu") ms);" \
  "peak RSS new $(cat "$tmp/new.statsrss") kB, today $(cat "$tmp/base.statsrss") kB"

for rep in 1 2 3; do for v in base new; do
  "${SB[$v]}" "$tmp/$v" reingest "$N" > "$tmp/$v.re.$rep"
  field work_s < "$tmp/$v.re.$rep" >> "$tmp/$v.re"
  field total_s < "$tmp/$v.re.$rep" >> "$tmp/$v.retotal"
  "${SB[$v]}" "$tmp/$v" new $((N + rep * 10000)) 10000 > "$tmp/$v.new.$rep"
  field state_us_per_record < "$tmp/$v.new.$rep" >> "$tmp/$v.add"
  field key_us_per_record < "$tmp/$v.new.$rep" >> "$tmp/$v.key"
  field total_s < "$tmp/$v.new.$rep" >> "$tmp/$v.newtotal"
done; done
for k in re retotal add key newtotal; do for v in base new; do median < "$tmp/$v.$k" > "$tmp/$v.$k.m"; done; done
m() { cat "$tmp/$1.$2.m"; }
echo "  re-ingest of $N known records: $(ratio "$(m base re)" "$(m new re)") faster state work" \
  "(new $(m new re) s, today $(m base re) s: open, the adds' CPU time, commit; median of 3);" \
  "with making the records: new $(m new retotal) s, today $(m base retotal) s"
echo "  a new record: $(ratio "$(m new add)" "$(m base add)") of today's state work" \
  "(new $(m new add) us, today $(m base add) us per record in sw_state_add, of which the key function" \
  "$(m new key) us / $(m base key) us; 10000 new on top of $N, median of 3);" \
  "the whole ingest of 10000: new $(m new newtotal) s, today $(m base newtotal) s"

if command -v wrk > /dev/null; then
  for c in 16 100; do for v in base new; do
    "${SW[$v]}/stopwatch-dynamic" stats --state-dir "$tmp/$v" --listen 127.0.0.1:0 2> "$tmp/$v.http.err" & server=$!
    port=
    for _ in $(seq 50); do
      port=$(sed -n 's/.* port \([0-9][0-9]*\)$/\1/p' "$tmp/$v.http.err" 2>/dev/null); [ -n "$port" ] && break; sleep 0.1
    done
    wrk -t2 -c$c -d10s --timeout 5s --latency "http://127.0.0.1:$port/metrics" > "$tmp/$v.wrk$c" 2>&1
    hwm=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$server/status")
    logl=$(wc -l < "$tmp/$v.http.err")
    kill -TERM $server; wait $server 2>/dev/null; server=
    rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p' "$tmp/$v.wrk$c")
    p99=$(awk '$1 == "99%" { print $2 }' "$tmp/$v.wrk$c")
    errs=$(sed -n 's/.*Socket errors: \(.*\)/\1/p' "$tmp/$v.wrk$c"); non2=$(sed -n 's/.*Non-2xx or 3xx responses: \([0-9]*\)/\1/p' "$tmp/$v.wrk$c")
    echo "$rps $p99 $hwm $logl ${errs:-no socket errors}; ${non2:-0} non-2xx" > "$tmp/$v.w$c"
  done
  read -r nr np nh nl ne < "$tmp/new.w$c"; read -r br bp bh bl be < "$tmp/base.w$c"
  echo "  /metrics, wrk $c connections 10 s: $(ratio "$nr" "$br") today's requests/s" \
    "(new $nr/s p99 $np RSS $nh kB, server log $nl lines, $ne; today $br/s p99 $bp RSS $bh kB, log $bl lines, $be)"
  done
  # the peer: node_exporter serving the same exposition (stats --textfile) from
  # its textfile collector alone, the same wrk runs
  ne=$(command -v prometheus-node-exporter || command -v node_exporter || true)
  if [ -n "$ne" ]; then
    mkdir -p "$tmp/tf" && "${SW[new]}/stopwatch" stats --state-dir "$tmp/new" --textfile "$tmp/tf/sw.prom"
    neport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "$ne" --web.listen-address=127.0.0.1:$neport --collector.disable-defaults --collector.textfile \
      --collector.textfile.directory="$tmp/tf" > "$tmp/ne.log" 2>&1 & server=$!
    for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$neport/metrics" && break; sleep 0.1; done
    for c in 16 100; do
      wrk -t2 -c$c -d10s --timeout 5s --latency "http://127.0.0.1:$neport/metrics" > "$tmp/ne.wrk$c" 2>&1
      rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p' "$tmp/ne.wrk$c")
      p99=$(awk '$1 == "99%" { print $2 }' "$tmp/ne.wrk$c")
      read -r nr np nh _ < "$tmp/new.w$c"
      echo "  /metrics against node_exporter (textfile collector, the same exposition), wrk $c connections 10 s:" \
        "$(ratio "$nr" "$rps") node_exporter's requests/s (stopwatch $nr/s p99 $np; node_exporter $rps/s p99 $p99," \
        "RSS $(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$server/status") kB)"
    done
    kill $server; wait $server 2>/dev/null; server=
  else
    echo "  /metrics against node_exporter: not run (no prometheus-node-exporter)"
  fi
else
  echo "  /metrics: wrk not installed (make deps installs it)"
fi
