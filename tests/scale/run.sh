#!/usr/bin/env bash
# The state directory and logscan at fleet scale (`make scale-test`, not in
# `make check`: minutes of work). Records go in through the state API
# (bench/state-bench.c: log records, content-hash keys, as logscan makes
# them). Asserts behaviour and memory bounds; speed is bench/'s business,
# the times printed here are for information.
# usage: run.sh BUILD_DIR        (build/x86_64: stopwatch, stopwatch-dynamic, bench/state-bench)
set -u
OUT=$(realpath "$1")
SW=$OUT/stopwatch SWD=$OUT/stopwatch-dynamic SB=$OUT/bench/state-bench
N=${SCALE_RECORDS:-1000000}
here=$(cd "$(dirname "$0")" && pwd)
TALLY_STAGE=scale
. "$here/../lib/tally.sh"
tmp=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$tmp"' EXIT
total() { "$SW" stats --state-dir "$1" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"]["total"])'; }
files() { (cd "$1" && stat -c '%n %i %s %Y' * | sort); }
rss_kb() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
d=$tmp/s

# 1. N records; stats reads the summary only: small and bounded
"$SB" "$d" build "$N" > "$tmp/build.out"
t=$(total "$d"); rss=$(rss_kb "$SW" stats --state-dir "$d" --format json)
if [ "$t" = "$N" ] && [ "$rss" -le 10240 ]; then
  ok "$N records ingested ($(cut -d' ' -f9 "$tmp/build.out")); stats peak RSS $rss kB"
else bad "build" "total=$t rss=$rss $(cat "$tmp/build.out")"; fi

# 2. all of them again: nothing new, nothing written
before=$(files "$d")
"$SB" "$d" reingest "$N" > "$tmp/re.out"
if grep -q "new=0 known=$N " "$tmp/re.out" && [ "$(files "$d")" = "$before" ]; then
  ok "re-ingest of $N known records: nothing new, no file written ($(cut -d' ' -f9 "$tmp/re.out"))"
else bad "re-ingest" "$(cat "$tmp/re.out")"; fi

# 3. kill -9 in a merge of the key set (the log outgrows N/16) and in a log
# append; the next ingest of the same records counts each once
m=$((N / 16 + 1000))
{ STOPWATCH_STATE_CRASH_AT=merge "$SB" "$d" new "$N" "$m" > /dev/null; } 2>/dev/null; rc1=$?
"$SB" "$d" new "$N" "$m" > "$tmp/m.out"
{ STOPWATCH_STATE_CRASH_AT=keys "$SB" "$d" new $((N + m)) 1000 > /dev/null; } 2>/dev/null; rc2=$?
"$SB" "$d" new $((N + m)) 1000 > "$tmp/k.out"
"$SB" "$d" new $((N + m)) 1000 > "$tmp/k2.out"
t=$(total "$d")
if [ $rc1 = 137 ] && [ $rc2 = 137 ] && grep -q "new=$m known=0" "$tmp/m.out" &&
   grep -q "new=1000 known=0" "$tmp/k.out" && grep -q "new=0 known=1000" "$tmp/k2.out" &&
   [ "$t" = $((N + m + 1000)) ] && [ "$(ls "$d" | grep -c '^keys-')" -le 2 ]; then
  ok "kill -9 in a merge and in an append at $N records: each record counted once ($t)"
else bad "kill -9 at scale" "rc=$rc1,$rc2 total=$t $(cat "$tmp/m.out" "$tmp/k.out" "$tmp/k2.out"; ls -la "$d")"; fi

# 4. /metrics at this size: what stats prints, from a server that stays small
"$SWD" stats --state-dir "$d" --listen 127.0.0.1:0 2> "$tmp/http.err" & server=$!
port=
for _ in $(seq 50); do
  port=$(sed -n 's/.* port \([0-9][0-9]*\)$/\1/p' "$tmp/http.err"); [ -n "$port" ] && break; sleep 0.1
done
"$SW" stats --state-dir "$d" --format prometheus > "$tmp/want.prom"	# what a GET without Accept gets
okreq=0
for _ in $(seq 200); do
  curl -sf --max-time 10 "http://127.0.0.1:$port/metrics" -o "$tmp/got.prom" && cmp -s "$tmp/got.prom" "$tmp/want.prom" &&
    okreq=$((okreq + 1))
done
hwm=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$server/status")
kill -TERM $server; wait $server; server=
if [ $okreq = 200 ] && [ "$hwm" -le 10240 ]; then
  ok "200 GET /metrics at $t records equal stats' output; server peak RSS $hwm kB"
else bad "/metrics at scale" "ok=$okreq/200 hwm=$hwm kB"; fi

# 5. logscan: 1 GiB of logs on standard input (the sample logs, again and
# again, through a pipe) in bounded memory; every copy's stops found
logs=$here/../data/logs
per=$("$SW" logscan --format json - < <(cat "$logs"/*.log) | wc -l)
for _ in $(seq 128); do cat "$logs"/*.log; done > "$tmp/chunk.log"	# 128 copies, ~4 MiB
size=$(stat -c %s "$tmp/chunk.log")
chunks=$(( (1 << 30) / size )) copies=$(( (1 << 30) / size * 128 ))
{ /usr/bin/time -f %M "$SW" logscan --format json - < <(for _ in $(seq "$chunks"); do cat "$tmp/chunk.log"; done) \
    > "$tmp/big.jsonl"; } 2> "$tmp/big.err"; rc=$?
size=$(( size / 128 ))
rss=$(tail -1 "$tmp/big.err"); got=$(wc -l < "$tmp/big.jsonl")
if [ $rc -eq 0 ] && [ "$rss" -le 16384 ] && [ "$got" -ge $(( per * copies * 9 / 10 )) ]; then
  ok "logscan of $(( size * copies >> 20 )) MiB on stdin: peak RSS $rss kB, $got records ($per per copy of the sample logs, $copies copies)"
else bad "logscan 1 GiB stdin" "rc=$rc rss=$rss records=$got want about $((per * copies)) $(head -3 "$tmp/big.err")"; fi

tally_end
