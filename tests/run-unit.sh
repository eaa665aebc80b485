#!/usr/bin/env bash
# Run the cmocka unit-test binaries given as arguments; print a summary
# line "unit: N passed, N failed" and exit non-zero if any failed.
set -u
pass=0 fail=0
for t in "$@"; do
  out=$("$t" 2>&1); rc=$?
  p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
  f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
  pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
  if [ $rc -ne 0 ]; then
    printf '%s\n' "$out" | grep -E 'FAILED|ERROR|LINE' >&2
    [ -z "$f" ] && fail=$((fail + 1))
  fi
  echo "unit $(basename "$t"): ${p:-0} passed, ${f:-0} failed"
done
echo "unit: $pass passed, $fail failed"
[ $fail -eq 0 ]
