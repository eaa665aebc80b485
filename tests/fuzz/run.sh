#!/usr/bin/env bash
# Fuzz the readers with their libFuzzer harnesses (tests/fuzz/fuzz_*.c; docs/fuzzing.md).
#   run.sh check [NAME...]         replay every corpus input through its harness, then a
#                                  bounded run (FUZZ_CHECK_SECONDS, default 20) of each;
#                                  prints "fuzz: N passed, N failed, N skipped"
#   run.sh grow SECONDS [NAME...]  fuzz each harness SECONDS, then merge (-merge=1) what it
#                                  found into tests/fuzz/corpus/NAME, minimized (FUZZ_KEEP_MAX)
#   run.sh seed                    (re)write the generated seeds (seed-*) of vmcore, store,
#                                  kdump and flat
# Crash inputs land in build/fuzz/artifacts/; replay one with build/fuzz/fuzz_NAME FILE.
set -u
cd "$(dirname "$0")/../.."
mode=${1:-check}; shift || true
seconds=${FUZZ_CHECK_SECONDS:-20}
if [ "$mode" = grow ]; then seconds=${1:?run.sh grow SECONDS}; shift; fi
out=build/fuzz corpus=tests/fuzz/corpus
cc=${FUZZ_CC:-clang-14}

TALLY_STAGE=fuzz
. tests/lib/tally.sh
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
names=("$@")
[ ${#names[@]} -gt 0 ] || read -ra names <<<"$(make -s print-fuzz-names)"

# libFuzzer ships in clang's runtime (Debian: libclang-rt-14-dev): without
# it each harness's replay and run is a skip (a failure under CI=true, whose
# machine has it: tally.sh)
if ! FUZZ_CC=$cc tally_has libfuzzer; then
  for n in "${names[@]}"; do
    for what in replay run; do
      skipped "$what $n" "$cc cannot link -fsanitize=fuzzer (install libclang-rt-14-dev: make deps)" libfuzzer
    done
  done
  tally_end; exit
fi
make -s -j2 fuzz-build >"$probe/build.log" 2>&1 || {
  cat "$probe/build.log"; bad build "make fuzz-build failed"; tally_end; exit; }
mkdir -p "$out/artifacts"

seed() {
  mkdir -p "$corpus/vmcore" "$corpus/store" "$corpus/kdump" "$corpus/flat"
  "$out/seeds" "$corpus"
}
# leaks inside libraries we cannot fix (lsan.supp says which and why)
export LSAN_OPTIONS=suppressions=$PWD/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}
# libkdumpfile allocates what a corrupt dump's descriptor says (petabytes):
# glibc's malloc returns NULL there and the library reports an error; ASan
# would abort instead, so let it return NULL as glibc does
export ASAN_OPTIONS=allocator_may_return_null=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}
# stderr of the readers (the vmcore scan notice) is closed: libFuzzer keeps its own
opts=(-close_fd_mask=2 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)

result() { # ok?, message
  if [ "$1" = 0 ]; then tally_pass=$((tally_pass + 1)); echo "fuzz $2"
  else tally_fail=$((tally_fail + 1)); echo "fuzz FAILED $2"; fi
}
# The suite's short runs start from one seed (FUZZ_SEED, default 1), so a
# given tree explores the same inputs each time instead of failing one CI
# run in twenty on a bug another found; grow runs stay random.
seed_opt=()
[ "$mode" = check ] && seed_opt=(-seed="${FUZZ_SEED:-1}")
# bounded run of harness $1 for $2 s; new inputs go to $3. A long run is cut
# into processes of FUZZ_SEGMENT s (default 300), each starting from what
# the last found: libkdumpfile 0.5.1 leaks 24 KiB per opened dump
# (lsan.supp), and over an hour fuzz_kdump's RSS reached libFuzzer's 2 GB
# limit (2026-12-03), an out-of-memory that was not ours.
fuzz_run() {
  local n=$1 secs=$2 new=$3 log=$probe/$1.log rc=0 left=$2 seg e execs=0 t0=$SECONDS
  while [ "$left" -gt 0 ] && [ $rc = 0 ]; do
    seg=$(( left < ${FUZZ_SEGMENT:-300} ? left : ${FUZZ_SEGMENT:-300} ))
    "$out/fuzz_$n" "${opts[@]}" "${seed_opt[@]}" -max_total_time="$seg" -artifact_prefix="$out/artifacts/$n-" \
      "$new" "$corpus/$n" >"$log" 2>&1
    rc=$?
    e=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    execs=$((execs + ${e:-0}))
    left=$((left - seg))
  done
  [ $rc = 0 ] || tail -40 "$log"
  rate=$(( execs / ((SECONDS - t0) > 0 ? SECONDS - t0 : 1) ))
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
  result $rc "run $n: ${secs} s, $execs execs ($rate/s), ${cov:-cov: ?}, $(ls "$new" | wc -l) new inputs"
}

case $mode in
seed) seed ;;
check)
  for n in "${names[@]}"; do
    files=("$corpus/$n"/*)
    "$out/fuzz_$n" "${opts[@]}" "${files[@]}" >"$probe/$n.replay" 2>&1
    rc=$?
    [ $rc = 0 ] || tail -40 "$probe/$n.replay"
    result $rc "replay $n: $(grep -c '^Executed ' "$probe/$n.replay") of ${#files[@]} corpus inputs"
  done
  for n in "${names[@]}"; do
    mkdir -p "$probe/new-$n"
    fuzz_run "$n" "$seconds" "$probe/new-$n"
  done ;;
grow)
  hashed='.*/[0-9a-f]{40}'
  for n in "${names[@]}"; do
    keep=$probe/keep-$n
    mkdir -p "$probe/new-$n" "$keep"
    fuzz_run "$n" "$seconds" "$probe/new-$n"
    # Minimize: the named inputs (seed-*, lab-*, regress-*, logs) always stay; -merge=1
    # adds the smallest inputs that reach edges they do not (hit counts ignored, which
    # keeps the corpora small), and those over FUZZ_KEEP_MAX bytes are not kept.
    find "$corpus/$n" -type f -regextype egrep ! -regex "$hashed" -exec cp {} "$keep/" \;
    "$out/fuzz_$n" -merge=1 -use_counters=0 "${opts[@]}" "$keep" "$corpus/$n" "$probe/new-$n" \
      >"$probe/$n.merge" 2>&1 || { tail -20 "$probe/$n.merge"; result 1 "merge $n"; continue; }
    find "$corpus/$n" -regextype egrep -regex "$hashed" -delete
    find "$keep" -regextype egrep -regex "$hashed" -size -$((${FUZZ_KEEP_MAX:-16384} + 1))c \
      -exec cp {} "$corpus/$n/" \;
    result 0 "merge $n: $(ls "$corpus/$n" | wc -l) inputs, $(du -sb "$corpus/$n" | cut -f1) bytes"
  done ;;
*) echo "usage: run.sh check|grow SECONDS|seed [NAME...]" >&2; exit 2 ;;
esac
tally_end
