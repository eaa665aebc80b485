#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Throughput of `stopwatch logscan` on a ~1 GB bulk syslog (page cache warm),
# against `grep -c 'SMP: '` on the same file in the same run.
# usage: bench/logscan.sh [STOPWATCH] [SIZE_MB]
set -eu
here=$(dirname "$0")
SW=${1:-build/$(uname -m | sed -e 's/aarch64/arm64/')/stopwatch}
SIZE_MB=${2:-1024}
LOG=${LOGSCAN_BENCH_FILE:-/tmp/stopwatch-logscan-bench.log}

if [ ! -s "$LOG" ] || [ $(( $(stat -c %s "$LOG") >> 20 )) -lt $((SIZE_MB - 1)) ]; then
	echo "generating $LOG ($SIZE_MB MB)..."
	python3 "$here/logscan-gen.py" "$LOG" "$SIZE_MB"
fi
bytes=$(stat -c %s "$LOG")
cat "$LOG" > /dev/null		# warm the page cache for every contender

# seconds of wall time for one run of "$@"; output to a file, not /dev/null
# (GNU grep stops at the first match when its output is /dev/null)
out=$(mktemp); trap 'rm -f "$out"' EXIT
run() {
	s=$(date +%s.%N)
	"$@" > "$out"
	e=$(date +%s.%N)
	echo "$s $e" | awk '{ printf "%.4f", $2 - $1 }'
}
mbs() { echo "$1" | awk -v b="$bytes" '{ printf "%.0f", b / 1048576 / $1 }'; }
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }

echo "file: $LOG, $((bytes >> 20)) MB, $(nproc) CPUs"
echo "records: $("$SW" logscan --format json "$LOG" | wc -l) stops, $(grep -c 'SMP: ' "$LOG") lines with 'SMP: '"
ls_runs= ; gr_runs=
for i in 1 2 3; do
	t=$(run "$SW" logscan --format json "$LOG"); r=$(mbs "$t"); ls_runs="$ls_runs $r"
	echo "run $i: stopwatch logscan  ${t}s  $r MB/s"
	t=$(run grep -c 'SMP: ' "$LOG"); g=$(mbs "$t"); gr_runs="$gr_runs $g"
	echo "run $i: grep -c 'SMP: '    ${t}s  $g MB/s"
done
echo "median: stopwatch logscan $(median $ls_runs) MB/s, grep -c 'SMP: ' $(median $gr_runs) MB/s"
