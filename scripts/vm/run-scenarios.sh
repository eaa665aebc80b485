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
# A lab with several kernels (arm64) also defines lab_kernels FILE (the
# kernels the scenario runs on, from its "# kernel:" header) before
# sw_pick_scenarios: each scenario then runs once per kernel, its line names
# the kernel ("scenario 2 sdei-stop [park]: ..."), SW_KERNEL names it to
# meta, check() and the guest (sw.kernel=), and its outputs go to
# NN-NAME-KERNEL/ when it runs on more than one.
#
# stdout: one line per scenario (and kernel), "scenario N NAME: PASS |
# measurements", "scenario N NAME: FAIL reason" or "scenario N NAME: KNOWN
# FAILURE WHAT (runs) | measurements", then "boot retries: N (...)" and
# "N passed, N failed, 0 skipped, N known failures".
# Scenario files: scenarios/<arch>/NN-NAME.sc, see scenarios/README.md.

SW_FILES=()
SW_KERNEL=
npass=0
nfail=0
nknown=0
# boots retried for a named flake: their count and "SCENARIO/RUN FLAKE" each
nretry=0
retried=()

# Known boot flakes of the emulator, each "NAME ERE": a guest that dies
# before /init, or after it but before its action (no "SWLAB: action:"
# line), with ERE on its console is booted again (up to three boots).
# Any other early death fails the scenario: a boot regression (the series'
# code runs before /init too) must not pass as a flake.
#   tcg-int3-text-patch: "Oops: int3" while the kernel patched a static key
#     (text_poke_bp) in sched_clock_cpu, x86 under TCG; once in about 50
#     boots, once twice in a row on a loaded machine; also after /init, while
#     stopwatch arm attached (ttwu_do_activate, loaded machine, 2026-12-02).
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

# sw_summary: the lab's last two lines; a known failure is neither a pass
# nor a failure (tests/run.sh counts it apart)
sw_summary() {
	echo "boot retries: $nretry${retried[*]:+ (${retried[*]})}"
	echo "$npass passed, $nfail failed, 0 skipped, $nknown known failures"
}

# sw_kernels FILE: the kernels FILE runs on, one a line (one empty line for a
# lab of one kernel)
sw_kernels() {
	if declare -F lab_kernels >/dev/null; then
		lab_kernels "$1"
	else
		echo ""
	fi
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

# meta FILE KEY: value of "# KEY: value" in the scenario header; on kernel
# SW_KERNEL, "# KEY[SW_KERNEL]: value" comes first
meta() {
	local v=
	[ -n "$SW_KERNEL" ] && v=$(sed -n "s/^# $2\[$SW_KERNEL\]: *//p" "$1" | head -1)
	[ -n "$v" ] || v=$(sed -n "s/^# $2: *//p" "$1" | head -1)
	printf '%s\n' "$v"
}

result() { # N NAME PASS|FAIL|KNOWN TEXT
	case $3 in
	PASS)
		npass=$((npass + 1))
		echo "scenario $1 $2: PASS${4:+ | $4}" ;;
	KNOWN)
		nknown=$((nknown + 1))
		echo "scenario $1 $2: KNOWN FAILURE $4" ;;
	*)
		nfail=$((nfail + 1))
		echo "scenario $1 $2: FAIL $4" ;;
	esac
}

# sw_label NN-NAME: the scenario's name on its line, with [SW_KERNEL]
sw_label() {
	echo "${1#*-}${SW_KERNEL:+ [$SW_KERNEL]}"
}

# sw_fail_all REASON: every picked scenario fails with REASON; exits 1
sw_fail_all() {
	local f b ks
	for f in "${SW_FILES[@]}"; do
		b=$(basename "$f" .sc)
		mapfile -t ks < <(sw_kernels "$f")
		for SW_KERNEL in "${ks[@]}"; do
			result "$(sw_scen_num "$b")" "$(sw_label "$b")" FAIL "$1"
		done
	done
	SW_KERNEL=
	sw_summary
	exit 1
}

# Known failures of a kernel/firmware pair, from the scenario header, one a
# line: "# known[KERNEL]: RUN NAME ERE". A run RUN of the scenario on KERNEL
# that fails (hangs, or QEMU fails) with ERE matching the last line its guest
# printed is that known failure: reported as "KNOWN FAILURE NAME", neither a
# pass nor a failure. Its evidence stays in the run's console.log (and
# docs/arm64-lab.md). Any other failure of the run, or a signature that does
# not match, fails the scenario as usual.
#   SW_KNOWN: "RUN NAME" of the runs that failed so; known_failed RUN: RUN is one
SW_KNOWN=()

# sw_last_guest_line LOG: the last line the guest printed (not @host/@qmp)
sw_last_guest_line() {
	sed -n 's/^ *[0-9.]*|//p' "$1" | grep -v '^@' | tail -1
}

# sw_known_match FILE RUN LOG: the NAME of the known failure RUN's LOG shows
sw_known_match() {
	local k line last
	[ -n "$SW_KERNEL" ] || return 1
	last=$(sw_last_guest_line "$3")
	while IFS= read -r line; do
		k=${line#* }
		[ "${line%% *}" = "$2" ] || continue
		if printf '%s\n' "$last" | grep -Eq -- "${k#* }"; then
			echo "${k%% *}"
			return 0
		fi
	done < <(sed -n "s/^# known\[$SW_KERNEL\]: *//p" "$1")
	return 1
}

known_failed() {
	local k
	for k in "${SW_KNOWN[@]}"; do
		[ "${k%% *}" = "$1" ] && return 0
	done
	return 1
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

# sw_run_one FILE: FILE's runs on SW_KERNEL, its check and its line
sw_run_one() {
	local f=$1 b num name ts te took runs timeout mem dump append warm share silence r dumparg try rs re rc notes n flake kf nk=() label
	b=$(basename "$f" .sc)
	num=$(sw_scen_num "$b")
	name=${b#*-}
	label=$(sw_label "$b")
	ts=$(date +%s.%N)
	SW_SCEN_OUT=$SW_LAB_OUT/$b
	[ -n "$SW_KERNEL" ] && [ "$(sw_kernels "$f" | wc -l)" -gt 1 ] && SW_SCEN_OUT+=-$SW_KERNEL
	rm -rf "$SW_SCEN_OUT"
	mkdir -p "$SW_SCEN_OUT"
	SW_FAIL=
	SW_NOTES=()
	SW_KNOWN=()
	runs=$(meta "$f" runs)
	runs=${runs:-default}
	if [ "$(meta "$f" needs)" = stopwatch ] && [ "${SW_HAVE_GUEST_SW:-0}" = 0 ]; then
		result "$num" "$label" FAIL "stopwatch binary missing (no static guest stopwatch: make stopwatch-static)"
		return
	fi
	timeout=$(meta "$f" timeout)
	mem=$(meta "$f" mem)
	dump=$(meta "$f" dump)
	append=$(meta "$f" append)
	warm=$(meta "$f" warm_reboots)
	share=$(meta "$f" share)
	silence=$(meta "$f" silence)
	for r in $runs; do
		mkdir -p "$SW_SCEN_OUT/$r"
		sw_log "scenario $num $label: run $r"
		dumparg=()
		[ "$dump" = yes ] && dumparg=(--dump "$SW_SCEN_OUT/$r/vmcore.elf")
		# only a reset after the guest's action is the warm reboot under test
		[ -n "$warm" ] && dumparg+=(--warm-reboots "$warm" --warm-after 'SWLAB: action:')
		# the guest writes into the run's directory (the kdump capture's dumps):
		# every run's with "share: yes", else only the runs it names
		case " $share " in *" yes "* | *" $r "*) dumparg+=(--share "$SW_SCEN_OUT/$r") ;; esac
		# a guest silent this long has hung (a known hang need not wait for the timeout)
		[ -n "$silence" ] && dumparg+=(--silence "$silence")
		for try in 1 2 3; do
			rs=$(date +%s.%N)
			lab_boot "$f" "$r" "$SW_SCEN_OUT/$r" "${timeout:-120}" "$mem" \
				"$append sw.scenario=$b sw.run=$r${SW_KERNEL:+ sw.kernel=$SW_KERNEL}" "${dumparg[@]}"
			rc=$?
			re=$(date +%s.%N)
			sw_log "scenario $num $label: run $r took $(sw_elapsed "$rs" "$re") s (rc $rc)"
			[ -f "$SW_SCEN_OUT/$r/console.log" ] || break
			# died before /init, or before its action (sysrq, panic, reboot) with a
			# known flake's signature: booted again only for a known flake
			where="before /init"
			if grep -q 'SWLAB: init:' "$SW_SCEN_OUT/$r/console.log"; then
				grep -q 'SWLAB: action:' "$SW_SCEN_OUT/$r/console.log" && break
				sw_boot_flake "$SW_SCEN_OUT/$r/console.log" >/dev/null || break
				where="before its action"
			fi
			mv "$SW_SCEN_OUT/$r/console.log" "$SW_SCEN_OUT/$r/console.boot-failed-$try.log"
			if ! flake=$(sw_boot_flake "$SW_SCEN_OUT/$r/console.boot-failed-$try.log"); then
				[ -n "$SW_FAIL" ] || SW_FAIL="$r: guest died $where with no known flake's signature (rc $rc), see $SW_SCEN_OUT/$r/console.boot-failed-$try.log"
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
			sw_log "scenario $num $label: run $r died $where: known flake $flake, booting it again"
			SW_NOTES+=("run $r: boot $try died $where ($flake), booted again")
		done
		if [ $rc != 0 ] && kf=$(sw_known_match "$f" "$r" "$SW_SCEN_OUT/$r/console.log"); then
			SW_KNOWN+=("$r $kf")
			nk+=("$r: $(sw_last_guest_line "$SW_SCEN_OUT/$r/console.log" | sed 's/^\[ *[0-9.]*\] //'), then $([ $rc = 124 ] && echo "nothing (killed)" || echo "QEMU rc $rc")")
			sw_log "scenario $num $label: run $r is known failure $kf"
		elif [ $rc = 124 ] && [ -z "$SW_FAIL" ]; then
			SW_FAIL="$r: guest hung, killed after ${timeout:-120} s$([ -n "$silence" ] && echo " or $silence s of silence")"
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
	if [ -n "$SW_FAIL" ]; then
		result "$num" "$label" FAIL "$SW_FAIL${notes:+ | $notes}"
	elif [ ${#SW_KNOWN[@]} -gt 0 ]; then
		result "$num" "$label" KNOWN "$(printf '%s\n' "${SW_KNOWN[@]#* }" | sort -u | paste -sd,) ($(printf '%s; ' "${nk[@]}" | sed 's/; $//')) | ${notes:+$notes; }${took} s"
	else
		result "$num" "$label" PASS "${notes:+$notes; }${took} s"
	fi
	[ -n "$SW_FAIL" ] || [ "${SW_LAB_KEEP:-0}" = 1 ] || rm -f "$SW_SCEN_OUT"/*/vmcore.elf "$SW_SCEN_OUT"/*/dump.*
	printf '%s\n' "${SW_NOTES[@]}" > "$SW_SCEN_OUT/notes.txt"
}

sw_run_scenarios() {
	local f ks
	. "$SW_VM_DIR/check-lib.sh"
	for f in "${SW_FILES[@]}"; do
		mapfile -t ks < <(sw_kernels "$f")
		for SW_KERNEL in "${ks[@]}"; do
			export SW_KERNEL
			sw_run_one "$f"
		done
	done
	SW_KERNEL=
	sw_summary
	[ $nfail = 0 ]
}
