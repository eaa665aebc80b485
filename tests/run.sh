#!/usr/bin/env bash
# The whole suite (make check): build, unit tests, host BPF tests, the metrics
# stack, the Debian package in a fresh root, fuzz regression
# (corpus replay + a short run per harness), VM labs.
# Each stage ends with "<stage>: N passed, N failed, N skipped"; a lab stage
# also prints "boot retries: N ..." (named TCG flakes booted again,
# docs/lab.md) and may add ", N known failures" (a kernel/firmware pair's
# known failure: neither a pass nor a failure, counted apart). The second-to-last line gives the time, the failed stages and
# the retries; the last line, alone, sums the stages: "N passed, N failed, N skipped"
# (", N known failures" when there were any).
set -u
cd "$(dirname "$0")/.."
start=$SECONDS
total_pass=0 total_fail=0 total_skip=0 total_known=0 total_retry=0 failed_stages=() retried=() known=()
# count WORD LINE: the number before WORD in a summary line (0 if absent)
count() {
  sed -n "s/.*\b\([0-9][0-9]*\) $1\b.*/\1/p" <<<"$2" | head -1 | grep . || echo 0
}
stage() { # name, command...
  local name=$1; shift
  local t0=$SECONDS log
  log=$(mktemp)
  echo "== $name"
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local line p f s k r
  line=$(grep -E '^([A-Za-z0-9_ -]*: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
  p=$(count passed "$line") f=$(count failed "$line") s=$(count skipped "$line")
  k=$(count known "$line")
  r=$(sed -n 's/^boot retries: \([0-9]*\).*/\1/p' "$log" | tail -1)
  r=${r:-0}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  # a stage that ran nothing (no summary line, or nothing counted) passed nothing
  if [ -z "$line" ] || [ $((p + f + s + k)) -eq 0 ]; then
    echo "== $name: FAIL no test counted (no 'N passed, N failed, N skipped' line)"
    [ "$f" -eq 0 ] && f=1
  fi
  total_pass=$((total_pass + p)); total_fail=$((total_fail + f)); total_skip=$((total_skip + s))
  total_retry=$((total_retry + r)) total_known=$((total_known + k))
  [ "$k" -ne 0 ] && known+=("$name $k")
  [ "$f" -ne 0 ] && failed_stages+=("$name")
  [ "$r" -ne 0 ] && retried+=("$name $r")
  echo "== $name: ${p} passed, ${f} failed, ${s} skipped$([ "$k" -ne 0 ] && echo ", $k known failures")$([ "$r" -ne 0 ] && echo ", $r boot retries") in $((SECONDS - t0)) s"
  rm -f "$log"
}
# the lab's mutants (make mutants) must still apply to the code they break
build() {
  make -s all bench-tools && make -s ARCH=arm64 all && scripts/vm/mutants.sh --apply-only &&
    echo "build: 3 passed, 0 failed, 0 skipped"
}
stage build build
# A cold arm64 lab builds TF-A and three kernels first: about 16 minutes on
# two cores. That build runs here at nice 19, beside the host stages and the
# x86 lab, on the CPU time they leave idle; the arm64 stage waits for it and
# prints its log. Warm, everything is cached and it ends at once. If it
# fails, the arm64 stage builds again and fails with the build's own error.
labs=$(make -s print-ci-labs)
prebuild_pid= prebuild_log=
if [[ " $labs " == *" vm-test-arm64 "* ]]; then
  prebuild_log=$(mktemp)
  # its own process group, so that a suite that stops early stops it all
  NICE="nice -n 19" setsid make -s arm64-lab-firmware arm64-lab-kernels >"$prebuild_log" 2>&1 &
  prebuild_pid=$!
  trap '[ -n "$prebuild_pid" ] && kill -- -"$prebuild_pid" 2>/dev/null; rm -f "$prebuild_log"' EXIT
fi
prebuild_wait() {
  [ -n "$prebuild_pid" ] || return 0
  local t0=$SECONDS rc
  wait "$prebuild_pid"; rc=$?
  prebuild_pid=
  echo "arm64 lab artifacts built beside the earlier stages (rc $rc; waited $((SECONDS - t0)) s here):"
  sed 's/^/  /' "$prebuild_log"
}
stage unit make -s unit
stage state make -s state-test
stage http make -s http-test
stage host make -s host-test
stage metrics make -s metrics-test
stage deb make -s deb-test
stage fuzz make -s fuzz-check
stage scripts make -s script-test
for lab in $labs; do
  [ "$lab" = vm-test-arm64 ] && prebuild_wait
  stage "$lab" make -s "$lab"
done
retries="boot retries: $total_retry${retried[*]:+ (${retried[*]})}"
echo "suite took $((SECONDS - start)) s; $retries${known[*]:+; known failures: ${known[*]}}${failed_stages[*]:+; failed: ${failed_stages[*]}}"
echo "$total_pass passed, $total_fail failed, $total_skip skipped$([ "$total_known" -ne 0 ] && echo ", $total_known known failures")"
[ "$total_fail" -eq 0 ]
