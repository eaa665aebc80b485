# shellcheck shell=bash
# The scenario runner of the VM labs (sourced by test-x86.sh and
# arm64/test.sh after lib.sh, never run). A lab script:
#   1. sets SW_SCEN_DIR (scenarios/<arch>), SW_LAB_OUT, SW_STOPWATCH (the
#      host's stopwatch, for recover) and calls sw_pick_scenarios "$@";
#   2. prepares its guest, or calls sw_fail_all REASON;
#   3. defines lab_boot FILE RUN LOGDIR TIMEOUT MEM APPEND [qemu-run args]
#      (boots the guest of scenario FILE for run RUN with qemu-run.py) and
#      calls sw_run_scenarios.
#
# stdout: one line per scenario, "scenario N NAME: PASS | measurements" or
# "scenario N NAME: FAIL reason", then "boot retries: N (...)" and
# "N passed, N failed, N skipped".
# Scenario files: scenarios/<arch>/NN-NAME.sc, see scenarios/README.md.

SW_FILES=()
npass=0
nfail=0
# boots retried for a named flake: their count and "SCENARIO/RUN FLAKE" each
nretry=0
retried=()

# Known boot flakes of the emulator, each "NAME ERE": a guest that dies
# before /init with ERE on its console is booted again (up to three boots).
# Any other early death fails the scenario: a boot regression (the series'
# code runs before /init too) must not pass as a flake.
#   tcg-int3-text-patch: "Oops: int3" while the kernel patched a static key
#     (text_poke_bp) in sched_clock_cpu, x86 under TCG; once in about 50
#     boots, once twice in a row on a loaded machine.
SW_BOOT_FLAKES=(
	'tcg-int3-text-patch Oops: int3'
)

# sw_boot_flake LOG: the name of the known flake whose signature LOG shows
sw_boot_flake() {
	local f
	for f in "${SW_BOOT_FLAKES[@]}"; do
		if grep -Eq -- "${f#* }" "$1"; then
			echo "${f%% *}"
			return 0
		fi
	done
	return 1
}

# sw_summary: the lab's last two lines
sw_summary() {
	echo "boot retries: $nretry${retried[*]:+ (${retried[*]})}"
	echo "$npass passed, $nfail failed, 0 skipped"
}

# sw_pick_scenarios [N|NAME ...]: the scenario files to run (default all)
sw_pick_scenarios() {
	local a m f
	SW_FILES=()
	if [ $# -eq 0 ]; then
		for f in "$SW_SCEN_DIR"/[0-9]*.sc; do SW_FILES+=("$f"); done
		return
	fi
	for a in "$@"; do
		m=$(ls "$SW_SCEN_DIR"/ 2>/dev/null | grep -E "^(0*$a-.*|[0-9]+-$a|$a)\.sc$" | head -1)
		[ -n "$m" ] || sw_die "no scenario '$a' in $SW_SCEN_DIR"
		SW_FILES+=("$SW_SCEN_DIR/$m")
	done
}

# sw_scen_num NN-NAME: N (0 for an unnumbered file such as demo.sc)
sw_scen_num() {
	case ${1%%-*} in
	'' | *[!0-9]*) echo 0 ;;
	*) echo $((10#${1%%-*})) ;;
	esac
}

# meta FILE KEY: value of "# KEY: value" in the scenario header
meta() {
	sed -n "s/^# $2: *//p" "$1" | head -1
}

result() { # N NAME PASS|FAIL TEXT
	if [ "$3" = PASS ]; then
		npass=$((npass + 1))
		echo "scenario $1 $2: PASS${4:+ | $4}"
	else
		nfail=$((nfail + 1))
		echo "scenario $1 $2: FAIL $4"
	fi
}

# sw_fail_all REASON: every picked scenario fails with REASON; exits 1
sw_fail_all() {
	local f b
	for f in "${SW_FILES[@]}"; do
		b=$(basename "$f" .sc)
		result "$(sw_scen_num "$b")" "${b#*-}" FAIL "$1"
	done
	sw_summary
	exit 1
}

# sw_need_tools TOOL...: sw_fail_all when one is missing
sw_need_tools() {
	local t missing=
	for t in "$@"; do
		command -v "$t" >/dev/null || missing+="$t "
	done
	[ -z "$missing" ] || sw_fail_all "missing host tools: $missing(make $SW_LAB_DEPS_TARGET)"
}

# sw_static_ok BIN: BIN exists and is static (it goes into the guest)
sw_static_ok() {
	[ -x "$1" ] || return 1
	if ldd "$1" >/dev/null 2>&1; then
		sw_log "$1 is not static: not put in the guest"
		return 1
	fi
}

# sw_artifacts_begin GUEST_BIN / sw_artifacts_ready: around a lab's
# cached builds; the second logs how long they took, which were rebuilt
# (scripts report to SW_BUILT_LOG through sw_built) and whether GUEST_BIN
# (SW_HAVE_GUEST_SW) went into the guest.
sw_artifacts_begin() {
	SW_ARTIFACTS_T0=$(date +%s.%N)
	SW_BUILT_LOG=$(mktemp)
	export SW_BUILT_LOG
	trap 'rm -f "$SW_BUILT_LOG"' EXIT
	SW_HAVE_GUEST_SW=0
	sw_static_ok "$1" && SW_HAVE_GUEST_SW=1
}

sw_artifacts_ready() {
	local built
	built=$(paste -sd' ' "$SW_BUILT_LOG")
	sw_log "guest artifacts ready in $(sw_elapsed "$SW_ARTIFACTS_T0" "$(date +%s.%N)") s, $([ -n "$built" ] && echo "cold (built: $built)" || echo "warm (all cached)") (stopwatch in guest: $([ $SW_HAVE_GUEST_SW = 1 ] && echo yes || echo no))"
}

sw_run_scenarios() {
	local f b num name ts te took runs timeout mem dump append warm share r dumparg try rs re rc notes n flake
	. "$SW_VM_DIR/check-lib.sh"
	for f in "${SW_FILES[@]}"; do
		b=$(basename "$f" .sc)
		num=$(sw_scen_num "$b")
		name=${b#*-}
		ts=$(date +%s.%N)
		SW_SCEN_OUT=$SW_LAB_OUT/$b
		rm -rf "$SW_SCEN_OUT"
		mkdir -p "$SW_SCEN_OUT"
		SW_FAIL=
		SW_NOTES=()
		runs=$(meta "$f" runs)
		runs=${runs:-default}
		if [ "$(meta "$f" needs)" = stopwatch ] && [ "${SW_HAVE_GUEST_SW:-0}" = 0 ]; then
			result "$num" "$name" FAIL "stopwatch binary missing (no static guest stopwatch: make stopwatch-static)"
			continue
		fi
		timeout=$(meta "$f" timeout)
		mem=$(meta "$f" mem)
		dump=$(meta "$f" dump)
		append=$(meta "$f" append)
		warm=$(meta "$f" warm_reboots)
		share=$(meta "$f" share)
		for r in $runs; do
			mkdir -p "$SW_SCEN_OUT/$r"
			sw_log "scenario $num $name: run $r"
			dumparg=()
			[ "$dump" = yes ] && dumparg=(--dump "$SW_SCEN_OUT/$r/vmcore.elf")
			[ -n "$warm" ] && dumparg+=(--warm-reboots "$warm")
			# the guest writes into the run's directory (the kdump capture's dumps)
			[ "$share" = yes ] && dumparg+=(--share "$SW_SCEN_OUT/$r")
			for try in 1 2 3; do
				rs=$(date +%s.%N)
				lab_boot "$f" "$r" "$SW_SCEN_OUT/$r" "${timeout:-120}" "$mem" \
					"$append sw.scenario=$b sw.run=$r" "${dumparg[@]}"
				rc=$?
				re=$(date +%s.%N)
				sw_log "scenario $num $name: run $r took $(sw_elapsed "$rs" "$re") s (rc $rc)"
				[ -f "$SW_SCEN_OUT/$r/console.log" ] || break
				grep -q 'SWLAB: init:' "$SW_SCEN_OUT/$r/console.log" && break
				# died before /init: booted again only for a known flake
				mv "$SW_SCEN_OUT/$r/console.log" "$SW_SCEN_OUT/$r/console.boot-failed-$try.log"
				if ! flake=$(sw_boot_flake "$SW_SCEN_OUT/$r/console.boot-failed-$try.log"); then
					[ -n "$SW_FAIL" ] || SW_FAIL="$r: guest died before /init with no known flake's signature (rc $rc), see $SW_SCEN_OUT/$r/console.boot-failed-$try.log"
					rc=0
					break
				fi
				if [ $try = 3 ]; then
					[ -n "$SW_FAIL" ] || SW_FAIL="$r: boot flake $flake three times in a row, see $SW_SCEN_OUT/$r/console.boot-failed-*.log"
					rc=0
					break
				fi
				nretry=$((nretry + 1))
				retried+=("$num/$r:$flake")
				sw_log "scenario $num $name: run $r died before /init: known flake $flake, booting it again"
				SW_NOTES+=("run $r: boot $try died before /init ($flake), booted again")
			done
			if [ $rc = 124 ] && [ -z "$SW_FAIL" ]; then
				SW_FAIL="$r: guest hung, killed after ${timeout:-120} s"
			elif [ $rc != 0 ] && [ -z "$SW_FAIL" ]; then
				SW_FAIL="$r: QEMU run failed (rc $rc), see $SW_SCEN_OUT/$r/console.log"
			fi
		done
		if [ -z "$SW_FAIL" ]; then
			# check() comes from the scenario file; guest() is only defined there
			unset -f check guest capture
			. "$f"
			if declare -F check >/dev/null; then
				check || [ -n "$SW_FAIL" ] || SW_FAIL="check failed"
			fi
		fi
		te=$(date +%s.%N)
		took=$(echo "$ts $te" | awk '{printf "%.0f", $2 - $1}')
		notes=
		for n in "${SW_NOTES[@]}"; do notes+="${notes:+; }$n"; done
		if [ -z "$SW_FAIL" ]; then
			result "$num" "$name" PASS "${notes:+$notes; }${took} s"
			[ "${SW_LAB_KEEP:-0}" = 1 ] || rm -f "$SW_SCEN_OUT"/*/vmcore.elf "$SW_SCEN_OUT"/*/dump.*
		else
			result "$num" "$name" FAIL "$SW_FAIL${notes:+ | $notes}"
		fi
		printf '%s\n' "${SW_NOTES[@]}" > "$SW_SCEN_OUT/notes.txt"
	done
	sw_summary
	[ $nfail = 0 ]
}
