#!/usr/bin/env bash
# The whole suite (make check): build, unit tests, host BPF tests, the metrics
# stack, the Debian package in a fresh root, fuzz regression
# (corpus replay + a short run per harness), VM labs.
# Each stage prints "<stage>: N passed, N failed"; the last line sums them.
set -u
cd "$(dirname "$0")/.."
start=$SECONDS
total_pass=0 total_fail=0 failed_stages=()
stage() { # name, command...
  local name=$1; shift
  local t0=$SECONDS log
  log=$(mktemp)
  echo "== $name"
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local line p f
  line=$(grep -E '^([A-Za-z0-9_ -]*: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
  p=$(sed -n 's/^\(.*: \)\{0,1\}\([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' <<<"$line")
  f=$(sed -n 's/^\(.*: \)\{0,1\}\([0-9]*\) passed, \([0-9]*\) failed.*/\3/p' <<<"$line")
  p=${p:-0}; f=${f:-0}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
  [ "$f" -ne 0 ] && failed_stages+=("$name")
  echo "== $name: ${p} passed, ${f} failed in $((SECONDS - t0)) s"
  rm -f "$log"
}
build() {
  make -s all && make -s ARCH=arm64 all && echo "build: 2 passed, 0 failed"
}
stage build build
stage unit make -s unit
stage state make -s state-test
stage host make -s host-test
stage metrics make -s metrics-test
stage deb make -s deb-test
stage fuzz make -s fuzz-check
for lab in $(make -s print-ci-labs); do
  stage "$lab" make -s "$lab"
done
echo "suite took $((SECONDS - start)) s${failed_stages[*]:+; failed: ${failed_stages[*]}}"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
