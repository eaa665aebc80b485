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
# A soak may run in slices: SOAK_SLICE=K stops after K iterations, at an
# iteration's end, and SOAK_RESUME=1 goes on from the last finished one. A
# soak belongs to one commit of a clean tree and one list of scenarios
# (SOAK_OUT/soak.id): resuming another is refused, since mixing builds
# would compare one build's armed runs with another's plain ones.
#
# usage: soak.sh [x86:N|arm64:N ...]    (default: every numbered scenario of both labs)
#   SOAK_N=20  SOAK_OUT=build/soak  SOAK_SLICE=  SOAK_RESUME=
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
case ${SOAK_SLICE:-1} in ''|*[!0-9]*|0) sw_die "soak: SOAK_SLICE=$SOAK_SLICE is not a positive number of iterations" ;; esac
tsv=$out/durations.tsv
commit=$(git -C "$SW_TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$SW_TOP" diff --quiet HEAD 2>/dev/null || commit="$commit-dirty"
id="commit $commit; N $n; ${specs[*]}"
first=1 fails=0
if [ "${SOAK_RESUME:-}" = 1 ]; then
	case $commit in *-dirty|unknown) sw_die "soak: a soak of a dirty tree cannot be resumed (commit first)" ;; esac
	[ -f "$out/soak.id" ] || sw_die "soak: nothing to resume in $out"
	[ "$(cat "$out/soak.id")" = "$id" ] ||
		sw_die "soak: $out holds another soak ($(cat "$out/soak.id")), not $id: remove it or unset SOAK_RESUME"
	first=$(( $(tail -n 1 "$out/done" 2>/dev/null || echo 0) + 1 ))
	fails=$(cat "$out/fails" 2>/dev/null || echo 0)
	# the rows of an iteration cut short are dropped: it runs again whole
	awk -F'\t' -v f="$first" 'NR == 1 || $3 < f' "$tsv" >"$tsv.new" && mv "$tsv.new" "$tsv"
	sw_log "soak: resuming at iteration $first of $n ($fails failed so far)"
else
	rm -rf "$out"
	mkdir -p "$out"
	echo "$id" >"$out/soak.id"
	printf 'arch\tscenario\titer\trun\tresult\tstop_s\tescalation_s\n' >"$tsv"
	echo 0 >"$out/fails"
fi
last=$n
[ -n "${SOAK_SLICE:-}" ] && [ $((first + SOAK_SLICE - 1)) -lt "$n" ] && last=$((first + SOAK_SLICE - 1))
sw_log "soak: ${specs[*]}, iterations $first-$last of $n, into $out"
for i in $(seq "$first" "$last"); do
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
	echo "$fails" >"$out/fails"
	echo "$i" >>"$out/done"
done
python3 "$SW_VM_DIR/soak-report.py" "$tsv" >"$out/report.txt"
rc=$?
cat "$out/report.txt"
if [ "$last" -lt "$n" ]; then
	echo "soak: $last of $n iterations done (a slice: SOAK_RESUME=1 goes on), $fails failed scenario runs; $(date -u +%Y-%m-%dT%H:%MZ)"
else
	echo "soak: $n iterations, $fails failed scenario runs; $(date -u +%Y-%m-%dT%H:%MZ)"
fi
[ $fails = 0 ] && [ $rc = 0 ]
