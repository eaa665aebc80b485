#!/usr/bin/env bash
# State directory, process level: ingest through the CLI, kill -9 at fixed
# and random points, damaged state files, the textfile and the HTTP
# endpoint. Records come from logscan on tests/data/logs and on logs
# bench/logscan-gen.py writes. Needs no root: the state directory is a temp
# directory and the HTTP server listens on a free loopback port.
# usage: run.sh STATIC_BINARY DYNAMIC_BINARY [DUMP_SEEDS]
# DUMP_SEEDS (build/fuzz/seeds) writes the kdump-tools dumps of recover-boot's test.
set -u
SW=$(realpath "$1") SWD=$(realpath "$2") SEEDS=${3:+$(realpath "$3")}
here=$(cd "$(dirname "$0")" && pwd)
LOGS=$here/../data/logs
CHECK_EXPO=$here/../lib/check_expo.py
TALLY_STAGE=state
. "$here/../lib/tally.sh"
tmp=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$tmp"' EXIT

# The statistics without the commit time: equal totals, equal text.
totals() { "$SW" stats --state-dir "$1" --format json | python3 -c '
import json, sys
d = json.load(sys.stdin); d.pop("committed"); print(json.dumps(d, sort_keys=True))'; }

fixtures=("$LOGS"/*.log "$LOGS"/dmesg-ramoops-0)
gen=()
for i in 0 1 2 3; do   # four multi-host logs, a stop every 20 lines: ~2500 records
  python3 "$here/../../bench/logscan-gen.py" "$tmp/gen$i.log" 2 $((50 + i * 7)) 20 2>/dev/null
  gen+=("$tmp/gen$i.log")
done
all=("${fixtures[@]}" "${gen[@]}")

# 1. the reference: one clean ingest of everything; then again: nothing new, nothing written
"$SW" logscan --format json --state-dir "$tmp/ref" "${all[@]}" > "$tmp/ref.jsonl" 2> "$tmp/ref.err"
nrec=$(wc -l < "$tmp/ref.jsonl")
files() { (cd "$1" && stat -c '%n %i %s %Y' * | sort); }
before=$(files "$tmp/ref")
"$SW" logscan --state-dir "$tmp/ref" "${all[@]}" > /dev/null 2> "$tmp/ref2.err"
ref=$(totals "$tmp/ref")
if grep -q "state $tmp/ref: $nrec new, 0 already counted ($nrec records in all)" "$tmp/ref.err" &&
   grep -q "state $tmp/ref: 0 new, $nrec already counted ($nrec records in all)" "$tmp/ref2.err" &&
   [ "$(files "$tmp/ref")" = "$before" ] && [ ! -e "$tmp/ref/state.prev" ] &&
   [ "$(totals "$tmp/ref")" = "$ref" ] && [ "$nrec" -gt 2000 ] &&
   python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["records"]["log"]==int(sys.argv[2])' "$ref" "$nrec"
then ok "ingest twice counts once ($nrec records), the second writes nothing"
else bad "ingest twice" "$(cat "$tmp/ref.err" "$tmp/ref2.err")"; fi

# 1b. permissions: the directory 0750, its files 0640, whatever the umask,
# and an older, looser directory (0777, a 0666 lock) is tightened
d=$tmp/perm
mkdir -m 0777 "$d" && install -m 0666 /dev/null "$d/lock"
for part in 0 1; do   # twice: the second commit also writes state.prev
  (umask 000; "$SW" logscan --state-dir "$d" "${gen[$part]}" > /dev/null 2>&1)
done
(umask 000; "$SW" logscan --state-dir "$tmp/perm-new" "${gen[0]}" > /dev/null 2>&1)
modes=$(cd "$tmp" && stat -c '%a %n' perm perm-new | paste -sd' ')
loose=$(find "$tmp/perm" "$tmp/perm-new" -mindepth 1 ! -perm 0640 -printf '%m %P\n' | paste -sd' ')
files=$(find "$tmp/perm" -mindepth 1 | wc -l)
if [ "$modes" = "750 perm 750 perm-new" ] && [ -z "$loose" ] && [ "$files" -ge 3 ]
then ok "state directory 0750, its files 0640 (umask 000, older looser modes tightened)"
else bad "state permissions" "dirs: $modes; files not 0640: $loose ($files files)"; fi

# 2. kill -9 at each commit step (keys: new keys durable, summary not; write:
# summary half written; prev: state.prev replaced; rename: committed, not
# yet returned); the next ingest of the same input completes it
for at in keys write prev rename; do
  d=$tmp/crash-$at
  "$SW" logscan --state-dir "$d" "${fixtures[@]}" > /dev/null 2>&1      # a first commit
  { STOPWATCH_STATE_CRASH_AT=$at "$SW" logscan --state-dir "$d" "${gen[@]}" > /dev/null; } 2>/dev/null
  rc=$?
  left=$(ls "$d" | grep -c '^state\.tmp\.' || true)
  "$SW" logscan --state-dir "$d" "${all[@]}" > /dev/null 2> "$tmp/after.err"
  if [ $rc -eq 137 ] && [ "$(totals "$d")" = "$ref" ] && ! ls "$d" | grep -q '^state\.tmp\.'; then
    ok "kill -9 at $at: totals equal a clean ingest ($(sed 's/^stopwatch: //' "$tmp/after.err"); temp files left by the kill: $left)"
  else bad "kill -9 at $at" "rc=$rc $(cat "$tmp/after.err")"; fi
done

# a merge of the key set (every first commit merges) killed after its new files
d=$tmp/crash-merge
{ STOPWATCH_STATE_CRASH_AT=merge "$SW" logscan --state-dir "$d" "${all[@]}" > /dev/null; } 2>/dev/null
rc=$?
"$SW" logscan --state-dir "$d" "${all[@]}" > /dev/null 2> "$tmp/after.err"
if [ $rc -eq 137 ] && [ "$(totals "$d")" = "$ref" ] && [ "$(ls "$d" | grep -c '^keys-')" = 1 ]; then
  ok "kill -9 at merge: totals equal a clean ingest, the unnamed key files are gone"
else bad "kill -9 at merge" "rc=$rc $(ls "$d") $(cat "$tmp/after.err")"; fi

# 3. kill -9 at random moments, many times, over parts of the input
d=$tmp/random
killed=0 finished=0
# the kill lands at a random moment within what one such ingest takes here
# (timed first, in a scratch directory), so most kills land mid-run
t0=$(date +%s%N)
"$SW" logscan --state-dir "$tmp/timing" "${fixtures[@]:0:6}" "${gen[0]}" > /dev/null 2>&1
span_us=$(( ($(date +%s%N) - t0) / 1000 ))
for i in $(seq 1 30); do
  part=("${fixtures[@]:$((i % 3 * 6)):6}" "${gen[$((i % 4))]}")
  "$SW" logscan --state-dir "$d" "${part[@]}" > /dev/null 2>&1 & pid=$!
  sleep "$(awk -v us=$(( (RANDOM * 32768 + RANDOM) % (span_us + 1) )) 'BEGIN { printf "%.6f", us / 1e6 }')"
  kill -9 $pid 2>/dev/null
  wait $pid 2>/dev/null; rc=$?
  if [ $rc -eq 137 ]; then killed=$((killed + 1)); else finished=$((finished + 1)); fi
done
"$SW" logscan --state-dir "$d" "${all[@]}" > /dev/null 2> "$tmp/random.err"
if [ "$(totals "$d")" = "$ref" ] && [ $killed -gt 0 ]; then
  ok "random kill -9: $killed killed mid-run, $finished finished; totals equal a clean ingest ($(sed 's/^stopwatch: //' "$tmp/random.err"))"
else bad "random kill -9" "killed=$killed finished=$finished $(cat "$tmp/random.err")"; fi

# 4. two ingests at once: the lock serialises them, nothing counted twice
d=$tmp/race
"$SW" logscan --state-dir "$d" "${all[@]}" > /dev/null 2>&1 & p1=$!
"$SW" logscan --state-dir "$d" "${all[@]}" > /dev/null 2>&1 & p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
if [ $r1 -eq 0 ] && [ $r2 -eq 0 ] && [ "$(totals "$d")" = "$ref" ]; then ok "concurrent ingests"
else bad "concurrent ingests" "rc=$r1,$r2"; fi

# 5. a damaged state file: readers refuse it, an ingest keeps it aside and goes on
d=$tmp/damaged
"$SW" logscan --state-dir "$d" "${fixtures[@]}" > /dev/null 2>&1
"$SW" logscan --state-dir "$d" "${gen[@]}" > /dev/null 2>&1
truncate -s -100 "$d/state"
sum=$(sha256sum < "$d/state")
"$SW" stats --state-dir "$d" > "$tmp/dmg.out" 2> "$tmp/dmg.err"; rc=$?
"$SW" logscan --state-dir "$d" "${all[@]}" > /dev/null 2> "$tmp/dmg2.err"; rc2=$?
aside=$(ls "$d" | grep '^state\.corrupt-')
if [ $rc -eq 6 ] && [ ! -s "$tmp/dmg.out" ] && [ "$(wc -l < "$tmp/dmg.err")" -eq 1 ] &&
   grep -q "^stopwatch: failed to read state $d: $d/state: truncated" "$tmp/dmg.err" &&
   [ $rc2 -eq 6 ] && grep -q "is corrupt (truncated.*kept as $d/state.corrupt-.*continuing from $d/state.prev" "$tmp/dmg2.err" &&
   [ "$(sha256sum < "$d/$aside")" = "$sum" ] && [ "$(totals "$d")" = "$ref" ]; then
  ok "truncated state: $(cat "$tmp/dmg.err") / then kept aside, recovered from state.prev, totals equal a clean ingest"
else bad "truncated state" "rc=$rc,$rc2 $(cat "$tmp/dmg.err" "$tmp/dmg2.err")"; fi

# 5b. a damaged key index: a truncated log is refused by readers (they look
# at sizes only) and kept aside by an ingest, which goes on from state.prev;
# a flipped bit in the sorted keys, which state.prev names too: afresh.
for damage in truncate-log flip-keys; do
  d=$tmp/keys-$damage
  "$SW" logscan --state-dir "$d" "${fixtures[@]}" > /dev/null 2>&1
  "$SW" logscan --state-dir "$d" "${gen[@]}" > /dev/null 2>&1
  if [ $damage = truncate-log ]; then
    f=$(ls "$d" | grep '^log-'); truncate -s -100 "$d/$f"
    want="continuing from $d/state.prev"
  else
    f=$(ls "$d" | grep '^keys-'); printf '\x55' | dd of="$d/$f" bs=1 seek=40 conv=notrunc status=none
    want="starting afresh"
  fi
  sum=$(sha256sum < "$d/$f")
  "$SW" stats --state-dir "$d" > "$tmp/kd.out" 2> "$tmp/kd.err"; rc=$?
  "$SW" logscan --state-dir "$d" "${all[@]}" > /dev/null 2> "$tmp/kd2.err"; rc2=$?
  kept=$(ls "$d" | grep "^$f\.corrupt-" | head -1)
  if { [ $damage = flip-keys ] || { [ $rc -eq 6 ] && [ ! -s "$tmp/kd.out" ] && [ "$(wc -l < "$tmp/kd.err")" -eq 1 ] &&
         grep -q "^stopwatch: failed to read state $d: .*key index $d/$f: truncated" "$tmp/kd.err"; }; } &&
     [ $rc2 -eq 6 ] && grep -q "key index $d/$f: .*kept as $d/state.corrupt-.*$want" "$tmp/kd2.err" &&
     [ -n "$kept" ] && [ "$(sha256sum < "$d/$kept")" = "$sum" ] && [ "$(totals "$d")" = "$ref" ]; then
    ok "damaged key index ($damage): $(head -c 300 "$tmp/kd2.err"); totals equal a clean ingest"
  else bad "damaged key index ($damage)" "rc=$rc,$rc2 $(cat "$tmp/kd.err" "$tmp/kd2.err") $(ls "$d")"; fi
done

# 5c. a version 1 state file (tests/data/state-v1: the fixtures, counted by
# the build before v2) is read as it is, and the first ingest migrates it
# in place: the records it counted are not counted again
d=$tmp/v1
mkdir -p "$d" && cp "$here/../data/state-v1/state" "$d/state"
v1=$(totals "$d")
# the fixtures of that time: arm64-320-cpus.log came later
v1fix=()
for f in "${fixtures[@]}"; do [ "${f##*/}" = arm64-320-cpus.log ] || v1fix+=("$f"); done
"$SW" logscan --state-dir "$d" "${v1fix[@]}" > /dev/null 2> "$tmp/v1.err"
"$SW" logscan --state-dir "$d" "${v1fix[@]}" > /dev/null 2> "$tmp/v1b.err"
n1=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["records"]["total"])' "$v1")
if grep -q "state $d: 0 new, $n1 already counted" "$tmp/v1.err" &&
   grep -q "state $d: 0 new, $n1 already counted" "$tmp/v1b.err" && [ "$n1" -gt 0 ] &&
   [ "$(od -An -tu4 -j8 -N4 "$d/state" | tr -d ' ')" = 2 ] &&
   [ "$(od -An -tu4 -j8 -N4 "$d/state.prev" | tr -d ' ')" = 1 ] &&
   [ "$(totals "$d")" = "$v1" ] && [ "$v1" != "$(totals "$tmp/nothing")" ]; then
  ok "v1 state migrated in place by the first ingest, nothing counted twice"
else bad "v1 migration" "$(cat "$tmp/v1.err" "$tmp/v1b.err")"; fi

# 6. the textfile: Prometheus text 0.0.4 (node_exporter's parser), atomic;
#    promtool and the Python client's parser (not our code) read every type
if "$SW" stats --state-dir "$tmp/ref" --textfile "$tmp/sw.prom" &&
   promtool check metrics < "$tmp/sw.prom" > "$tmp/promtool.out" 2>&1 && [ ! -s "$tmp/promtool.out" ] &&
   "$CHECK_EXPO" prometheus "$tmp/sw.prom" > /dev/null &&
   ! ls "$tmp" | grep -q 'sw.prom.tmp' &&
   grep -q "^# TYPE stopwatch_cumulative_stops_total counter$" "$tmp/sw.prom" &&
   grep -q "^stopwatch_cumulative_records_total{source=\"log\"} $nrec$" "$tmp/sw.prom" &&
   "$SW" stats --state-dir "$tmp/ref" | grep -q "^state $tmp/ref: $nrec records"
then ok "textfile: Prometheus text 0.0.4, promtool check metrics clean, every family typed"
else bad "textfile" "$(cat "$tmp/promtool.out")"; fi
# 6b. --format openmetrics passes the strict OpenMetrics parser
if "$SW" stats --state-dir "$tmp/ref" --format openmetrics > "$tmp/sw.om" &&
   "$CHECK_EXPO" openmetrics "$tmp/sw.om" > /dev/null && [ "$(tail -1 "$tmp/sw.om")" = "# EOF" ]
then ok "--format openmetrics: strict OpenMetrics 1.0 parse"; else bad "--format openmetrics" ""; fi
# 6c. --textfile into a missing or unwritable directory: one line, exit 2, no file
"$SW" stats --state-dir "$tmp/ref" --textfile "$tmp/nodir/sw.prom" > "$tmp/tf.out" 2> "$tmp/tf.err"; rc=$?
mkdir -m 755 "$tmp/ro"
chmod 755 "$tmp"
setpriv --reuid=nobody --regid=nogroup --clear-groups \
  "$SW" stats --state-dir "$tmp/ref" --textfile "$tmp/ro/sw.prom" > /dev/null 2> "$tmp/tf2.err"; rc2=$?
if [ $rc -eq 2 ] && [ ! -s "$tmp/tf.out" ] && [ "$(wc -l < "$tmp/tf.err")" -eq 1 ] && [ ! -e "$tmp/nodir" ] &&
   grep -q "cannot write textfile $tmp/nodir/sw.prom: directory $tmp/nodir: No such file" "$tmp/tf.err" &&
   [ $rc2 -eq 2 ] && [ "$(wc -l < "$tmp/tf2.err")" -eq 1 ] && grep -q "is not writable" "$tmp/tf2.err" &&
   [ -z "$(ls -A "$tmp/ro")" ]
then ok "--textfile into a missing / unwritable directory: one line, exit 2, no file"
else bad "--textfile bad directory" "rc=$rc,$rc2 $(cat "$tmp/tf.err" "$tmp/tf2.err")"; fi

# 7. HTTP: /metrics negotiated by Accept, /stats.json, SIGTERM stops it
PROM_ACCEPT='application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'
"$SWD" stats --state-dir "$tmp/ref" --listen 127.0.0.1:0 2> "$tmp/http.err" & server=$!
port=
for _ in $(seq 50); do
  port=$(sed -n 's/.* port \([0-9][0-9]*\)$/\1/p' "$tmp/http.err")
  [ -n "$port" ] && break
  sleep 0.1
done
# get ACCEPT OUT: body to OUT, Content-Type on stdout
get() { curl -sf --max-time 10 ${1:+-H "Accept: $1"} -o "$2" -w '%{content_type}' "http://127.0.0.1:$port/metrics"; }
if [ -n "$port" ] &&
   [ "$(get "" "$tmp/http.prom")" = "text/plain; version=0.0.4; charset=utf-8" ] &&
   cmp -s "$tmp/http.prom" "$tmp/sw.prom" &&
   [ "$(get "application/json" "$tmp/http2.prom")" = "text/plain; version=0.0.4; charset=utf-8" ] &&
   cmp -s "$tmp/http2.prom" "$tmp/sw.prom" &&
   [ "$(get "$PROM_ACCEPT" "$tmp/http.om")" = "application/openmetrics-text; version=1.0.0; charset=utf-8" ] &&
   cmp -s "$tmp/http.om" "$tmp/sw.om" && "$CHECK_EXPO" openmetrics "$tmp/http.om" > /dev/null &&
   [ "$(get "text/plain;version=0.0.4" "$tmp/http3.prom")" = "text/plain; version=0.0.4; charset=utf-8" ] &&
   curl -sf --max-time 10 -D "$tmp/hdr" -o /dev/null "http://127.0.0.1:$port/metrics" && grep -qi '^Vary: Accept' "$tmp/hdr" &&
   curl -sf --max-time 10 "http://127.0.0.1:$port/stats.json" | python3 -c '
import json, sys
d = json.load(sys.stdin); d.pop("committed"); assert json.dumps(d, sort_keys=True) == sys.argv[1]' "$ref" &&
   [ "$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/nothing")" = 404 ] &&
   [ "$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/metrics")" = 405 ]
then
  kill -TERM $server
  timeout 10 tail --pid=$server -f /dev/null; wait $server; rc=$?; server=
  if [ $rc -eq 0 ] && grep -q 'stopping the HTTP server' "$tmp/http.err"; then
    ok "HTTP /metrics: Prometheus text without Accept or for an unknown one, OpenMetrics for Prometheus' Accept, each equal to its file; /stats.json, 404/405, SIGTERM exits 0"
  else bad "HTTP stop" "rc=$rc $(cat "$tmp/http.err")"; fi
else bad "HTTP" "port=$port $(cat "$tmp/http.err")"; fi
# 7b. more clients than connection slots (16), each keeping its connection
# alive: the ones past the limit wait in the listen backlog and are served
# (at the limit a reply closes its connection), none is refused or starved,
# and the server logs nothing per connection
"$SWD" stats --state-dir "$tmp/ref" --listen 127.0.0.1:0 2> "$tmp/load.err" & server=$!
port=
for _ in $(seq 50); do
  port=$(sed -n 's/.* port \([0-9][0-9]*\)$/\1/p' "$tmp/load.err"); [ -n "$port" ] && break; sleep 0.1
done
if python3 - "$port" > "$tmp/load.out" 2>&1 <<'PY'
import http.client, sys, threading, time
port, clients = int(sys.argv[1]), 40
served, failed, stop = [0] * clients, [], time.time() + 4
def client(i):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        while time.time() < stop:
            conn.request("GET", "/metrics")
            r = conn.getresponse(); r.read()
            if r.status != 200:
                raise RuntimeError(f"status {r.status}")
            served[i] += 1
            if (r.getheader("Connection") or "").lower() == "close":
                conn.close(); conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    except Exception as e:
        failed.append(f"client {i}: {e}")
threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
for t in threads: t.start()
for t in threads: t.join()
print(f"{sum(served)} requests by {clients} keep-alive clients in 4 s, each served {min(served)} to {max(served)} times")
# starved clients would be served once, at the end, when the others stop
sys.exit(1 if failed or min(served) * 10 < max(served) else 0)
PY
then
  kill -TERM $server; wait $server; server=
  if [ "$(wc -l < "$tmp/load.err")" -le 2 ]; then ok "HTTP past the connection limit: $(cat "$tmp/load.out"); nothing logged"
  else bad "HTTP past the connection limit" "log: $(head -5 "$tmp/load.err")"; fi
else kill -TERM $server; wait $server; server=; bad "HTTP past the connection limit" "$(cat "$tmp/load.out")"; fi

"$SW" stats --state-dir "$tmp/ref" --listen 0 2> "$tmp/static.err"; rc=$?
if [ $rc -eq 1 ] && grep -q 'this static build has no HTTP server' "$tmp/static.err"; then
  ok "static build says why it cannot listen"; else bad "static --listen" "rc=$rc"; fi

# 8. the systemd unit (its commands pointed at this build) and its boot-recovery script
if command -v systemd-analyze >/dev/null; then
  sed -e "s|/usr/sbin/stopwatch|$SW|g" -e "s|/usr/libexec/stopwatch/recover-boot|$here/../../packaging/systemd/recover-boot|" \
    "$here/../../packaging/systemd/stopwatch.service" > "$tmp/stopwatch.service"
  # its Documentation= man pages, made from --help as the package makes them
  "$here/../../scripts/mkman.sh" "$SW" "$tmp/man/man8" test > /dev/null
  if MANPATH=$tmp/man systemd-analyze verify "$tmp/stopwatch.service" > "$tmp/verify.out" 2>&1 &&
     [ ! -s "$tmp/verify.out" ]; then
    ok "systemd-analyze verify stopwatch.service (and its man pages)"
  else bad "systemd-analyze verify" "$(cat "$tmp/verify.out")"; fi
else
  skipped "systemd-analyze verify" "no systemd-analyze on this machine" systemd-analyze
fi
mkdir -p "$tmp/pstore" "$tmp/textfiles"
cp "$LOGS/dmesg-ramoops-0" "$tmp/pstore/"
for run in 1 2; do
  STOPWATCH=$SW STOPWATCH_STATE_DIR=$tmp/boot STOPWATCH_PSTORE_DIR=$tmp/pstore STOPWATCH_TEXTFILE_DIR=$tmp/textfiles \
    STOPWATCH_JOURNALCTL=false \
    "$here/../../packaging/systemd/recover-boot" > "$tmp/boot$run.out" 2>&1; eval "rc$run=$?"
done
want2="state $tmp/boot: 0 new, 1 already counted (1 records in all)"
if [ "$rc1" -eq 0 ] && [ "$rc2" -eq 0 ] && grep -q "state $tmp/boot: 1 new, 0 already counted" "$tmp/boot1.out" &&
   grep -q "$want2" "$tmp/boot2.out" && "$CHECK_EXPO" prometheus "$tmp/textfiles/stopwatch_cumulative.prom" > /dev/null &&
   grep -q 'stopwatch_cumulative_records_total{source="log"} 1$' "$tmp/textfiles/stopwatch_cumulative.prom"
then ok "recover-boot: absent sources skipped, pstore counted once over two boots' runs"
else bad "recover-boot" "$(cat "$tmp/boot1.out" "$tmp/boot2.out")"; fi

# 8b. recover-boot and kdump-tools' /var/crash: a flattened dump holding two
# stops is counted, a dump with no store sends its dmesg file to logscan, and
# a second boot's run reads neither again
if [ -n "$SEEDS" ] && "$SEEDS" "$tmp/seeds" 2>/dev/null; then
  mkdir -p "$tmp/crash/202612010930" "$tmp/crash/202612011015"
  cp "$tmp/seeds/flat/seed-kdump-lzo" "$tmp/crash/202612010930/dump.202612010930"
  cp "$tmp/seeds/kdump/seed-x86-zlib" "$tmp/crash/202612011015/dump.202612011015"
  printf 'KDUMP   this dump was cut short' | dd of="$tmp/crash/202612011015/dump.202612011015" \
    conv=notrunc 2>/dev/null   # a dump kdump-tools could not finish: no store in it
  cp "$LOGS/dmesg-ramoops-0" "$tmp/crash/202612011015/dmesg.202612011015"
  for run in 1 2; do
    STOPWATCH=$SW STOPWATCH_DYNAMIC=$SWD STOPWATCH_STATE_DIR=$tmp/crashstate STOPWATCH_PSTORE_DIR=$tmp/none \
      STOPWATCH_CRASH_DIR=$tmp/crash STOPWATCH_JOURNALCTL=false \
      "$here/../../packaging/systemd/recover-boot" > "$tmp/crash$run.out" 2>&1; eval "rc$run=$?"
  done
  if [ "$rc1" -eq 0 ] && [ "$rc2" -eq 0 ] &&
     grep -q "state $tmp/crashstate: 2 new, 0 already counted (2 records in all)" "$tmp/crash1.out" &&
     grep -q "state $tmp/crashstate: 1 new, 0 already counted (3 records in all)" "$tmp/crash1.out" &&
     ! grep -q "state $tmp/crashstate" "$tmp/crash2.out" &&
     [ "$(wc -l < "$tmp/crashstate/dumps-read")" = 2 ] &&
     "$SW" stats --state-dir "$tmp/crashstate" --format json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["records"]["total"] == 3 and d["records"]["vmcore"] == 2 and d["records"]["log"] == 1, d["records"]'
  then ok "recover-boot: kdump-tools dumps counted once, a storeless dump's dmesg logscanned, nothing read twice"
  else bad "recover-boot /var/crash" "$(cat "$tmp/crash1.out" "$tmp/crash2.out")"; fi
else
  bad "recover-boot /var/crash" "no dump builder (build/fuzz/seeds) to write the dumps"
fi

# 8c. bad dumps through the CLI (issue 11): a truncated and a corrupt
# kdump-compressed dump, a flattened stream cut short, a dump of another
# architecture: each is one line on stderr and exit 6, and the state
# directory a good dump filled is left byte for byte as it was
if [ -n "$SEEDS" ] && [ -d "$tmp/seeds/kdump" ]; then
  z=$tmp/seeds/kdump/seed-x86-zlib sz=$(stat -c %s "$tmp/seeds/kdump/seed-x86-zlib")
  "$SWD" recover --vmcore "$z" --pfn 16 --state-dir "$tmp/dumpstate" > /dev/null 2>&1
  head -c $((sz / 2)) "$z" > "$tmp/bad-truncated"
  cp "$z" "$tmp/bad-corrupt"
  for o in 3000 2000 1000 500 100; do   # in the compressed pages
    printf '\xa5' | dd of="$tmp/bad-corrupt" bs=1 seek=$((sz - o)) conv=notrunc 2>/dev/null
  done
  cp "$z" "$tmp/bad-other-arch"   # utsname.machine of the kdump header
  printf 's390x\0' | dd of="$tmp/bad-other-arch" bs=1 seek=272 conv=notrunc 2>/dev/null
  cp "$tmp/seeds/flat/seed-kdump-lzo-cut" "$tmp/bad-flat-cut"
  snap() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum; stat -c '%n %s %Y' * | sort); }
  before=$(snap "$tmp/dumpstate")
  for b in truncated corrupt other-arch flat-cut; do
    "$SWD" recover --vmcore "$tmp/bad-$b" --pfn 16 --state-dir "$tmp/dumpstate" > "$tmp/bad.out" 2> "$tmp/bad.err"; rc=$?
    if [ $rc -eq 6 ] && [ "$(wc -l < "$tmp/bad.err")" -eq 1 ] && [ ! -s "$tmp/bad.out" ] &&
       [ "$(snap "$tmp/dumpstate")" = "$before" ]
    then ok "recover: $b dump: exit 6, one line, state unchanged ($(cut -c1-110 "$tmp/bad.err"))"
    else bad "recover: $b dump" "rc $rc: $(cat "$tmp/bad.err" "$tmp/bad.out" | head -c 300)"; fi
  done
else
  bad "recover: bad dumps" "no dump builder (build/fuzz/seeds) to write the dumps"
fi

# 9. whatif: records with exact ack latencies (the x86 lab's, tests/data/records),
# known answers at the kernel's 1 s wait; a state of log records alone has none
REC=$here/../data/records/x86-lab.jsonl
if "$SW" whatif --records "$REC" --format json > "$tmp/wi.json" 2> "$tmp/wi.err" &&
   python3 - "$tmp/wi.json" "$REC" <<'PY'
import json, sys
w = json.load(open(sys.argv[1]))
recs = [json.loads(l) for l in open(sys.argv[2])]
assert w["schema"] == "stopwatch.whatif/1" and w["source"] == "records", w
# every CPU a stop IPI was sent to is a sample; those a later rung stopped never took it
cpus = [c for r in recs for c in r["cpus"]]
later = sum(c["rung"] != "ipi" for c in cpus)
assert w["samples"] == len(cpus) and w["stop_samples"] == len(recs), (w["samples"], len(cpus))
waits = w["waits"]
assert [x["wait_us"] for x in waits] == [100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6]
assert {x["wait_us"]: x["kernel"] for x in waits if x["kernel"]} == {1e4: "nmi", 1e5: "sdei", 1e6: "ipi"}
last = waits[-1]
assert abs(last["cpus_escalated_fraction"] - later / len(cpus)) < 1e-6, last
assert abs(last["stops_escalated_fraction"] - sum(r["outcome"] == "escalated" for r in recs) / len(recs)) < 1e-6
assert last["stop_time_delta_us"] == 0, last
# the slowest IPI ack is the tail's max, to the ns the records print
assert w["tails_us"]["ipi"]["max"] == max(c["ack_us"] for c in cpus if c["rung"] == "ipi"), w["tails_us"]
assert w["tails_us"]["sdei"] is None
for a, b in zip(waits, waits[1:]):
    for k in ("cpus_escalated_fraction", "stops_escalated_fraction"):
        assert b[k] <= a[k] + 1e-9, (k, a, b)
for x in waits:
    for k, i in (("cpus_escalated_fraction", "cpus_escalated_interval"), ("stops_escalated_fraction", "stops_escalated_interval")):
        assert x[i][0] - 1e-9 <= x[k] <= x[i][1] + 1e-9, x
# each ack of the IPI below 1 ms is earlier than the 1 ms wait, bucket bounds allowing
fast = sum(c["rung"] == "ipi" and c["ack_us"] < 896 for c in cpus)
at1ms = [x for x in waits if x["wait_us"] == 1000][0]
assert fast == 2 and at1ms["cpus_escalated_interval"][1] <= 1 - fast / len(cpus) + 1e-6, at1ms
PY
then ok "whatif on the x86 lab's records: known answers at 1 s, monotonic, bounds hold"
else bad "whatif records" "$(cat "$tmp/wi.err")"; fi
"$SW" whatif --state-dir "$tmp/ref" > "$tmp/wi2.out" 2> "$tmp/wi2.err"; rc=$?
if [ $rc -eq 1 ] && [ ! -s "$tmp/wi2.out" ] && [ "$(wc -l < "$tmp/wi2.err")" -eq 1 ] &&
   grep -q "no exact stop records ($nrec records, none with BPF times) and no --live-seconds" "$tmp/wi2.err"
then ok "whatif: a state of log records only: $(cat "$tmp/wi2.err")"
else bad "whatif no exact records" "rc=$rc $(cat "$tmp/wi2.err")"; fi
for waits in 1ms,1ms 10ms,1ms 0 -5us 1ms,abc ''; do
  "$SW" whatif --records "$REC" --waits "$waits" > "$tmp/wi3.out" 2> "$tmp/wi3.err"; rc=$?
  if [ $rc -eq 2 ] && [ ! -s "$tmp/wi3.out" ] && [ "$(wc -l < "$tmp/wi3.err")" -eq 1 ]; then ok "whatif --waits '$waits': exit 2"
  else bad "whatif --waits '$waits'" "rc=$rc $(cat "$tmp/wi3.err")"; fi
done

# 9b. stats text: the histograms behind the summaries, print_log2_hist's layout
"$SW" stats --state-dir "$tmp/ref" > "$tmp/stats.txt"
if grep -A1 '^escalation delay to nmi$' "$tmp/stats.txt" | grep -q '^ *usecs  *: count    distribution$' &&
   grep -Eq '^ +[0-9.]+ -> [0-9.]+ +: [0-9]+ +\|\*+ *\|$' "$tmp/stats.txt"; then
  ok "stats text: escalation histograms in the print_log2_hist layout"
else bad "stats text histograms" "$(head -20 "$tmp/stats.txt")"; fi

# 10. report from the x86 lab's records: valid HTML (html5lib strict, tidy),
# rendered by headless Chromium (tests/lib/check_report.py), nothing fetched
CHECK_REPORT=$here/../lib/check_report.py
if "$SW" report --records "$REC" -o "$tmp/lab.html" 2> "$tmp/rep.err" &&
   tidy -q -e "$tmp/lab.html" > "$tmp/tidy.out" 2>&1 &&
   "$CHECK_REPORT" "$tmp/lab.html" "$tmp/lab.png" 2 > "$tmp/chk.out" 2>&1 &&
   grep -q '<td class="l">1,3</td><td class="l">2</td>' "$tmp/lab.html"; then
  ok "report of the lab's records: tidy clean; $(cat "$tmp/chk.out")"
else bad "report of the lab's records" "$(cat "$tmp/rep.err" "$tmp/tidy.out" "$tmp/chk.out" | tail -5)"; fi
"$SW" report --records "$REC" -o "$tmp/no/such/dir/r.html" > /dev/null 2> "$tmp/rep2.err"; rc=$?
if [ $rc -eq 2 ] && [ ! -e "$tmp/no" ] && [ "$(wc -l < "$tmp/rep2.err")" -eq 1 ]; then
  ok "report -o into a missing directory: exit 2, no file ($(cat "$tmp/rep2.err"))"
else bad "report -o missing dir" "rc=$rc $(cat "$tmp/rep2.err")"; fi
printf '{"schema":"stopwatch.stop/1","source":"vmcore","kind":"stop","cpus":[{"cpu":-1}]}\n' > "$tmp/badrec.json"
"$SW" report --records "$tmp/badrec.json" -o "$tmp/bad.html" > /dev/null 2> "$tmp/rep3.err"; rc=$?
if [ $rc -eq 6 ] && [ ! -e "$tmp/bad.html" ] && [ "$(wc -l < "$tmp/rep3.err")" -eq 1 ] &&
   ! ls "$tmp" | grep -q '^bad.html'; then
  ok "report: a bad record: exit 6, no file ($(cat "$tmp/rep3.err"))"
else bad "report bad record" "rc=$rc $(cat "$tmp/rep3.err")"; fi

# 12. release 1's state: records it counted (keys from the wire struct's bytes)
# are not counted again by this build (keys from the decoded record)
if v1=$("$here/release1.sh" 2> "$tmp/v1.err"); then
  d=$tmp/v1state
  "$v1" logscan --state-dir "$d" "${all[@]}" > /dev/null 2> "$tmp/v1a.err"
  n1=$(sed -n 's/.*: \([0-9]*\) new, 0 already counted.*/\1/p' "$tmp/v1a.err")
  before=$(totals "$d")
  "$SW" logscan --state-dir "$d" "${all[@]}" > /dev/null 2> "$tmp/v1b.err"
  if [ -n "$n1" ] && [ "$n1" -gt 2000 ] &&
     grep -q "state $d: 0 new, $n1 already counted" "$tmp/v1b.err" && [ "$(totals "$d")" = "$before" ]; then
    ok "release 1's state ($n1 records), the same logs again: 0 new, totals unchanged"
  else bad "release 1's state" "$(cat "$tmp/v1a.err" "$tmp/v1b.err")"; fi
elif [ $? -eq 3 ]; then
  skipped "release 1's state" "$(cat "$tmp/v1.err")"
else bad "release 1's state" "building release 1: $(cat "$tmp/v1.err")"; fi

# 13. every JSON output parses (a real parser), the host with a quote, a
# backslash, a control character and a byte that is not UTF-8 included
host=$(printf 'h"q\\b\001\377')
"$SW" logscan --format json --host "$host" "${fixtures[@]}" > "$tmp/h.jsonl" 2>/dev/null
"$SW" stats --state-dir "$tmp/ref" --format json > "$tmp/stats.json"
if python3 - "$tmp/h.jsonl" "$tmp/stats.json" "$(ls "${fixtures[@]}" | wc -l)" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], "rb").read().decode("utf-8").splitlines()]
assert len(recs) >= int(sys.argv[3]), len(recs)
assert all(r["schema"] == "stopwatch.stop/2" for r in recs)
# lines that name no host get --host, escaped; the invalid byte is U+FFFD
assert any(r.get("host") == 'h"q\\b\x01\ufffd' for r in recs), set(r.get("host") for r in recs)
json.load(open(sys.argv[2]))
PY
then ok "JSON of logscan (--host with a quote, a backslash, \\001, \\377) and stats parses"
else bad "JSON parses" ""; fi

tally_end
