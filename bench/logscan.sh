#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Throughput of `stopwatch logscan` against grep and ripgrep looking for the
# same keywords (the ten logscan's filter looks for, as fixed strings), in
# the same run, page cache warm: from a file (against rg) and from standard
# input through a pipe (against grep), on a bulk syslog with a few stops and
# on one dense with stops; with logscan's peak RSS (bounded: a 4 MiB window).
# usage: bench/logscan.sh [STOPWATCH] [SIZE_MB]
set -eu
here=$(dirname "$0")
SW=${1:-build/$(uname -m | sed -e 's/aarch64/arm64/')/stopwatch}
SIZE_MB=${2:-1024}
DIR=${LOGSCAN_BENCH_DIR:-/tmp}
KW=(-e 'SMP: ' -e 'smp: Brought up' -e 'CPU: ' -e 'cpus with NMI' -e 'Kernel ' -e 'stopwatch:'
    -e 'reboot: ' -e 'Linux version ' -e 'crashdump kernel' -e 'Bye!')
gen() { # FILE MB [HOSTS LINES_PER_STOP]
  if [ ! -s "$1" ] || [ $(( $(stat -c %s "$1") >> 20 )) -lt $(($2 - 1)) ]; then
    echo "generating $1 ($2 MB)..."; python3 "$here/logscan-gen.py" "$@" > /dev/null
  fi
}
gen "$DIR/stopwatch-logscan-bench.log" "$SIZE_MB"
gen "$DIR/stopwatch-logscan-dense.log" $((SIZE_MB / 4)) 64 20
out=$(mktemp); trap 'rm -f "$out" "$out.t"' EXIT
# wall seconds of "$@" (output to a file: GNU grep stops at the first match into /dev/null)
run() { local s e; s=$(date +%s%N); "$@" > "$out"; e=$(date +%s%N); echo "scale=3; ($e - $s) / 1000000000" | bc; }
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
mbs() { awk -v b="$1" -v t="$2" 'BEGIN { printf "%.0f", b / 1048576 / t }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
rg_file() { rg -c -F "${KW[@]}" "$1"; }
grep_stdin() { cat "$1" | grep -c -F "${KW[@]}"; }
sw_file() { "$SW" logscan --format json "$1"; }
sw_stdin() { cat "$1" | "$SW" logscan --format json -; }

for LOG in "$DIR/stopwatch-logscan-bench.log" "$DIR/stopwatch-logscan-dense.log"; do
  bytes=$(stat -c %s "$LOG")
  cat "$LOG" > /dev/null		# warm the page cache for every contender
  echo "$(basename "$LOG"): $((bytes >> 20)) MB, $(sw_file "$LOG" | wc -l) stops, $(rg_file "$LOG") lines with a keyword"
  a=(); b=(); c=(); d=()
  for i in 1 2 3; do
    a+=("$(run sw_file "$LOG")"); b+=("$(run rg_file "$LOG")")
    c+=("$(run sw_stdin "$LOG")"); d+=("$(run grep_stdin "$LOG")")
  done
  sa=$(median "${a[@]}") sb=$(median "${b[@]}") sc=$(median "${c[@]}") sd=$(median "${d[@]}")
  rss=$( { cat "$LOG" | /usr/bin/time -f %M "$SW" logscan --format json - > /dev/null; } 2>&1 | tail -1)
  echo "  from a file: $(ratio "$sb" "$sa")x ripgrep's throughput (logscan $(mbs "$bytes" "$sa") MB/s, rg $(mbs "$bytes" "$sb") MB/s; median of 3)"
  echo "  from stdin:  $(ratio "$sd" "$sc")x grep's throughput (logscan $(mbs "$bytes" "$sc") MB/s, grep -F $(mbs "$bytes" "$sd") MB/s; median of 3); logscan peak RSS $rss kB"
done
