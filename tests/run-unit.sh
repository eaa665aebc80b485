#!/usr/bin/env bash
# Run the cmocka unit-test binaries given as arguments; print a summary
# line "unit: N passed, N failed, N skipped" and exit non-zero if any failed.
# cmocka's [ SKIPPED ] tests (the root- and BTF-only ones) count as skips,
# and under CI=true on a machine with root and BTF as failures.
set -u
TALLY_STAGE=unit
. "$(dirname "$0")/lib/tally.sh"
for t in "$@"; do
  out=$("$t" 2>&1); rc=$?
  count() { printf '%s\n' "$out" | sed -n "s/^\[  $1 *\] \([0-9]*\) test.*/\1/p" | tail -1; }
  p=$(count PASSED) f=$(count FAILED) s=$(count SKIPPED)
  p=${p:-0} f=${f:-0} s=${s:-0}
  if [ $rc -ne 0 ]; then
    printf '%s\n' "$out" | grep -E 'FAILED|ERROR|LINE' >&2
    [ "$f" = 0 ] && f=1
  fi
  echo "unit $(basename "$t"): $p passed, $f failed, $s skipped"
  tally_add "$p" "$f" 0
  # each skipped test with the reason it printed ("skipped: ...") after its RUN line
  while IFS='|' read -r name why; do
    skipped "$(basename "$t") $name" "${why:-needs root and BTF}" root btf
  done < <(printf '%s\n' "$out" | awk '
    /^\[ RUN      \] / { why = "" }
    /^skipped: / { why = substr($0, 10) }
    /^\[  SKIPPED \] test_/ && !seen[$4]++ { print $4 "|" why }')
done
tally_end
