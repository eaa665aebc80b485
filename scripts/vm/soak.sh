#!/bin/bash
# make soak: "never slower". Runs lab scenarios SOAK_N times (default 20),
# unattended; each iteration runs a scenario's runs in its own order (plain,
# armed, plain-wedge, armed-wedge, ...), so armed and plain alternate. Then
# per scenario and run pair, the stop and escalation durations the console
# shows (check-lib.sh stop_time, escalation), armed against plain: median,
# p90, max and a one-sided Mann-Whitney U test (soak-report.py). A scenario
# that fails (a failed or hung stop included) is a failure of the soak.
# Not in CI: a full soak takes hours (docs/soak.md).
#
# usage: soak.sh [x86:N|arm64:N ...]    (default: every numbered scenario of both labs)
#   SOAK_N=20  SOAK_OUT=build/soak
. "$(dirname "$0")/lib.sh"
set +e
n=${SOAK_N:-20}
out=${SOAK_OUT:-$SW_TOP/build/soak}
specs=("$@")
if [ ${#specs[@]} = 0 ]; then
	for f in "$SW_VM_DIR"/scenarios/x86/[0-9]*.sc "$SW_VM_DIR"/scenarios/arm64/[0-9]*.sc; do
		a=$(basename "$(dirname "$f")")
		specs+=("$a:$(basename "$f" .sc)")
	done
fi
rm -rf "$out"
mkdir -p "$out"
tsv=$out/durations.tsv
printf 'arch\tscenario\titer\trun\tresult\tstop_s\tescalation_s\n' >"$tsv"
fails=0
sw_log "soak: ${specs[*]}, $n iterations each, into $out"
for i in $(seq 1 "$n"); do
	for spec in "${specs[@]}"; do
		arch=${spec%%:*} scen=${spec#*:}
		lab=$SW_VM_DIR/test-x86.sh
		[ "$arch" = arm64 ] && lab=$SW_VM_DIR/arm64/test.sh
		iter_out=$out/$arch/iter-$i
		SW_LAB_OUT=$iter_out "$lab" "$scen" >"$out/last.txt" 2>>"$out/soak.log"
		# a scenario of several kernels prints a line each: all must pass
		grep '^scenario ' "$out/last.txt" | sed "s|^|soak $i/$n $arch |"
		result=PASS
		if ! grep -q '^scenario ' "$out/last.txt" || grep '^scenario ' "$out/last.txt" | grep -vq ': PASS'; then
			result=FAIL fails=$((fails + 1))
		fi
		# the durations of every run of that scenario, by the console
		for d in "$iter_out"/*/*/; do
			[ -f "$d/console.log" ] || continue
			r=$(basename "$d")
			SW_SCEN_OUT=$(dirname "$d")
			# shellcheck source=check-lib.sh
			(. "$SW_VM_DIR/check-lib.sh"
			 printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$arch" "$(basename "$SW_SCEN_OUT")" "$i" "$r" \
				"$result" "$(stop_time "$r")" "$(escalation "$r")") >>"$tsv"
		done
		# keep the consoles, not the cores
		rm -f "$iter_out"/*/*/vmcore.elf
	done
done
python3 "$SW_VM_DIR/soak-report.py" "$tsv" >"$out/report.txt"
rc=$?
cat "$out/report.txt"
echo "soak: $n iterations, $fails failed scenario runs; $(date -u +%Y-%m-%dT%H:%MZ)"
[ $fails = 0 ] && [ $rc = 0 ]
