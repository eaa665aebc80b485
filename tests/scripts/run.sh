#!/usr/bin/env bash
# Tests of the lab's own scripts that need no VM: the soak's slices
# (scripts/vm/soak.sh, SOAK_SLICE and SOAK_RESUME), run against a stand-in
# lab in a scratch git tree, with the real soak.sh, lib.sh and soak-report.py.
set -u
cd "$(dirname "$0")/../.."
TALLY_STAGE=scripts
. tests/lib/tally.sh
top=$PWD
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

# the stand-in: one x86 and one arm64 scenario, each a plain and an armed run;
# FAIL_ITER=i makes iteration i of x86 fail
mkdir -p "$t/scripts/vm/scenarios/x86" "$t/scripts/vm/scenarios/arm64" "$t/scripts/vm/arm64"
cp scripts/vm/lib.sh scripts/vm/soak.sh scripts/vm/soak-report.py "$t/scripts/vm/"
touch "$t/scripts/vm/scenarios/x86/01-a.sc" "$t/scripts/vm/scenarios/arm64/01-b.sc"
lab='#!/bin/bash
s=$1; i=$(basename "$SW_LAB_OUT")
for r in plain armed; do mkdir -p "$SW_LAB_OUT/$s/$r"; echo "$r" >"$SW_LAB_OUT/$s/$r/console.log"; done
if [ "iter-${FAIL_ITER:-0}" = "$i" ] && [ "${0##*/}" = test-x86.sh ]; then echo "scenario $s: FAIL"; else echo "scenario $s: PASS"; fi'
echo "$lab" >"$t/scripts/vm/test-x86.sh"
echo "$lab" >"$t/scripts/vm/arm64/test.sh"
chmod +x "$t/scripts/vm/test-x86.sh" "$t/scripts/vm/arm64/test.sh"
# durations: armed and plain alike, so no comparison may come out "slower"
echo 'stop_time() { echo 1.5; }; escalation() { echo 1.2; }' >"$t/scripts/vm/check-lib.sh"
echo build/ >"$t/.gitignore"
git -C "$t" init -q && git -C "$t" add -A &&
	git -C "$t" -c user.email=t@t -c user.name=t commit -qm t || { bad setup "git"; tally_end; exit; }
soak() { (cd "$t" && env "$@" scripts/vm/soak.sh) >"$t/out" 2>&1; }
rows() { awk -F'\t' -v i="$1" '$3 == i' "$t/build/soak/durations.tsv" | wc -l; }

soak SOAK_N=3 SOAK_SLICE=1
if [ $? = 0 ] && [ "$(cat "$t/build/soak/done")" = 1 ] && [ "$(rows 1)" = 4 ] && [ "$(rows 2)" = 0 ] &&
	grep -q '^soak: 1 of 3 iterations done' "$t/out"; then ok "a slice of 1 runs iteration 1 and stops"
else bad "a slice of 1 runs iteration 1 and stops" "$(tail -n 3 "$t/out")"; fi

soak SOAK_N=3 SOAK_SLICE=1 SOAK_RESUME=1
if [ $? = 0 ] && [ "$(tr '\n' ' ' <"$t/build/soak/done")" = "1 2 " ] && [ "$(rows 2)" = 4 ]; then
	ok "a resume runs the next iteration"
else bad "a resume runs the next iteration" "$(tail -n 3 "$t/out")"; fi

# an iteration cut short left a row: it is dropped and iteration 3 runs whole
printf 'x86\t01-a\t3\tplain\tPASS\t9.9\t9.9\n' >>"$t/build/soak/durations.tsv"
soak SOAK_N=3 SOAK_RESUME=1 FAIL_ITER=3
rc=$?
if [ $rc != 0 ] && [ "$(rows 3)" = 4 ] && ! grep -q '9\.9' "$t/build/soak/durations.tsv" &&
	grep -q '^soak: 3 iterations, 1 failed scenario runs' "$t/out" &&
	grep -q 'no plain run\|armed slower beyond noise' "$t/out"; then
	ok "the last slice reports the whole soak, drops a cut iteration's rows and fails on a failed run"
else bad "the last slice reports the whole soak, drops a cut iteration's rows and fails on a failed run" "rc $rc: $(tail -n 3 "$t/out")"; fi

soak SOAK_N=4 SOAK_RESUME=1
if [ $? != 0 ] && grep -q 'holds another soak' "$t/out"; then ok "a resume with another SOAK_N is refused"
else bad "a resume with another SOAK_N is refused" "$(tail -n 2 "$t/out")"; fi

echo '# changed' >>"$t/scripts/vm/check-lib.sh"
soak SOAK_N=3 SOAK_RESUME=1
if [ $? != 0 ] && grep -q 'dirty tree' "$t/out"; then ok "a resume of a dirty tree is refused"
else bad "a resume of a dirty tree is refused" "$(tail -n 2 "$t/out")"; fi
git -C "$t" -c user.email=t@t -c user.name=t commit -qam t2
soak SOAK_N=3 SOAK_RESUME=1
if [ $? != 0 ] && grep -q 'holds another soak' "$t/out"; then ok "a resume of another commit is refused"
else bad "a resume of another commit is refused" "$(tail -n 2 "$t/out")"; fi

soak SOAK_N=3 SOAK_SLICE=two
if [ $? != 0 ] && grep -q 'not a positive number' "$t/out" && [ -f "$t/build/soak/soak.id" ]; then
	ok "a bad SOAK_SLICE is one line, and the soak so far is kept"
else bad "a bad SOAK_SLICE is one line, and the soak so far is kept" "$(tail -n 2 "$t/out")"; fi
tally_end
