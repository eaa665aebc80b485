#!/bin/bash
# x86_64 VM lab (make vm-test-x86): boots Debian's 6.12 amd64 kernel under
# QEMU TCG once per run of each scenario and checks its console.
#
# Usage: test-x86.sh [N|NAME ...]     (default: every scenario)
#
# stdout: one line per scenario, "scenario N NAME: PASS | measurements" or
# "scenario N NAME: FAIL reason", then "N passed, N failed". Progress and
# timings go to stderr. Outputs: build/lab/x86/NN-NAME/RUN/console.log
# (host timestamps), vmcore.elf (kept on failure or with SW_LAB_KEEP=1),
# recover.json.
#
# Scenario files: scripts/vm/scenarios/x86/NN-NAME.sc, see README there.
. "$(dirname "$0")/lib.sh"
set +e

SW_STOPWATCH=${STOPWATCH_BIN:-$SW_TOP/build/x86_64/stopwatch}
SCEN_DIR=$SW_VM_DIR/scenarios/x86
BASE_APPEND="console=ttyS0 printk.time=1 printk.devkmsg=on nmi_watchdog=0 panic=-1 mitigations=off"

# ---- which scenarios ----
files=()
if [ $# -eq 0 ]; then
	for f in "$SCEN_DIR"/[0-9]*.sc; do files+=("$f"); done
else
	for a in "$@"; do
		m=$(ls "$SCEN_DIR"/ 2>/dev/null | grep -E "^(0*$a-.*|[0-9]+-$a)\.sc$" | head -1)
		[ -n "$m" ] || sw_die "no scenario '$a' in $SCEN_DIR"
		files+=("$SCEN_DIR/$m")
	done
fi

meta() { # FILE KEY: value of "# KEY: value" in the scenario header
	sed -n "s/^# $2: *//p" "$1" | head -1
}

npass=0
nfail=0
result() { # N NAME PASS|FAIL TEXT
	if [ "$3" = PASS ]; then
		npass=$((npass + 1))
		echo "scenario $1 $2: PASS${4:+ | $4}"
	else
		nfail=$((nfail + 1))
		echo "scenario $1 $2: FAIL $4"
	fi
}

# ---- host tools ----
missing=
for t in qemu-system-x86_64 python3 cpio gzip bc apt-get dpkg-deb make gcc-12; do
	command -v "$t" >/dev/null || missing+="$t "
done
if [ -n "$missing" ]; then
	for f in "${files[@]}"; do
		b=$(basename "$f" .sc)
		result "$((10#${b%%-*}))" "${b#*-}" FAIL "missing host tools: $missing(make x86-lab-deps)"
	done
	echo "$npass passed, $nfail failed"
	exit 1
fi

# ---- guest artifacts (cached) ----
t0=$(date +%s.%N)
SW_BUILT_LOG=$(mktemp)
export SW_BUILT_LOG
trap 'rm -f "$SW_BUILT_LOG"' EXIT
have_sw=0
if [ -x "$SW_STOPWATCH" ]; then
	if ldd "$SW_STOPWATCH" >/dev/null 2>&1; then
		sw_log "$SW_STOPWATCH is not static: not put in the guest"
	else
		have_sw=1
	fi
fi
art_ok=1
pkgs=$("$SW_VM_DIR/fetch-x86.sh") || art_ok=0
[ $art_ok = 1 ] && { wedge=$("$SW_VM_DIR/build-wedge.sh" "$pkgs") || art_ok=0; }
if [ $art_ok = 1 ]; then
	if [ $have_sw = 1 ]; then
		initrd=$("$SW_VM_DIR/mkinitramfs-x86.sh" "$pkgs" "$wedge" "$SW_STOPWATCH") || art_ok=0
	else
		initrd=$("$SW_VM_DIR/mkinitramfs-x86.sh" "$pkgs" "$wedge") || art_ok=0
	fi
fi
t1=$(date +%s.%N)
built=$(paste -sd' ' "$SW_BUILT_LOG")
sw_log "guest artifacts ready in $(sw_elapsed "$t0" "$t1") s, $([ -n "$built" ] && echo "cold (built: $built)" || echo "warm (all cached)") (stopwatch in guest: $([ $have_sw = 1 ] && echo yes || echo no))"
if [ $art_ok = 0 ]; then
	for f in "${files[@]}"; do
		b=$(basename "$f" .sc)
		result "$((10#${b%%-*}))" "${b#*-}" FAIL "could not build the guest (see stderr)"
	done
	echo "$npass passed, $nfail failed"
	exit 1
fi
kernel=$pkgs/root/boot/vmlinuz-$(cat "$pkgs/krel")

. "$SW_VM_DIR/check-lib.sh"

# ---- scenarios ----
for f in "${files[@]}"; do
	b=$(basename "$f" .sc)
	num=$((10#${b%%-*}))
	name=${b#*-}
	ts=$(date +%s.%N)
	SW_SCEN_OUT=$SW_LAB_OUT/$b
	rm -rf "$SW_SCEN_OUT"
	mkdir -p "$SW_SCEN_OUT"
	SW_FAIL=
	SW_NOTES=()
	runs=$(meta "$f" runs)
	runs=${runs:-default}
	if [ "$(meta "$f" needs)" = stopwatch ] && [ $have_sw = 0 ]; then
		result "$num" "$name" FAIL "stopwatch binary missing (no static $SW_STOPWATCH: make stopwatch-static)"
		continue
	fi
	timeout=$(meta "$f" timeout)
	mem=$(meta "$f" mem)
	dump=$(meta "$f" dump)
	append=$(meta "$f" append)
	warm=$(meta "$f" warm_reboots)
	for r in $runs; do
		mkdir -p "$SW_SCEN_OUT/$r"
		sw_log "scenario $num $name: run $r"
		dumparg=()
		[ "$dump" = yes ] && dumparg=(--dump "$SW_SCEN_OUT/$r/vmcore.elf")
		for try in 1 2; do
			rs=$(date +%s.%N)
			"$SW_VM_DIR/qemu-run.py" --kernel "$kernel" --initrd "$initrd" \
				--append "$BASE_APPEND $append sw.scenario=$b sw.run=$r" \
				--log "$SW_SCEN_OUT/$r/console.log" --qmp "$SW_SCEN_OUT/$r/qmp.sock" \
				--timeout "${timeout:-120}" --mem "${mem:-1G}" "${dumparg[@]}" \
				--warm-reboots "${warm:-0}"
			rc=$?
			re=$(date +%s.%N)
			sw_log "scenario $num $name: run $r took $(sw_elapsed "$rs" "$re") s (rc $rc)"
			# A guest that died before /init is a boot flake of the emulator
			# (seen once in ~50 boots: "Oops: int3" while the kernel patched a
			# static key under TCG), not the scenario's subject: boot it again.
			if [ $try = 1 ] && ! grep -q 'SWLAB: init:' "$SW_SCEN_OUT/$r/console.log"; then
				mv "$SW_SCEN_OUT/$r/console.log" "$SW_SCEN_OUT/$r/console.boot-failed.log"
				sw_log "scenario $num $name: run $r died before /init, booting it again"
				SW_NOTES+=("run $r booted twice (first boot died before /init)")
				continue
			fi
			break
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
		[ "${SW_LAB_KEEP:-0}" = 1 ] || rm -f "$SW_SCEN_OUT"/*/vmcore.elf
	else
		result "$num" "$name" FAIL "$SW_FAIL${notes:+ | $notes}"
	fi
	printf '%s\n' "${SW_NOTES[@]}" > "$SW_SCEN_OUT/notes.txt"
done
echo "$npass passed, $nfail failed"
[ $nfail = 0 ]
