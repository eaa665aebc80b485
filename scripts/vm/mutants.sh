#!/bin/bash
# make mutants: does the lab catch a broken recorder? Each tests/mutants/NAME.patch
# breaks one thing stopwatch records (its text says what, and a line
# `scenarios: ARCH:SCENARIO ...` names the lab scenarios that must notice).
# For each mutant: a copy of the tracked tree, the patch applied, the lab's
# static binaries built from it, then those scenarios run with the mutant in
# the guest. The mutant is caught when every line those scenarios print
# (one per kernel) is a FAIL; a PASS anywhere means it survived, and the
# lab has a blind spot there. Not in CI: each mutant costs minutes of lab
# (docs/lab.md, "Mutants").
#
# usage: mutants.sh [--apply-only] [NAME ...]    (default: every mutant)
#   --apply-only: only check that each patch still applies and names
#                 scenarios that exist (seconds; make check's build stage)
#   MUTANTS_OUT=build/mutants
. "$(dirname "$0")/lib.sh"
set +e
apply_only=
[ "${1:-}" = --apply-only ] && { apply_only=1; shift; }
out=${MUTANTS_OUT:-$SW_TOP/build/mutants}
names=("$@")
if [ ${#names[@]} = 0 ]; then
	for p in "$SW_TOP"/tests/mutants/*.patch; do
		names+=("$(basename "$p" .patch)")
	done
fi
[ ${#names[@]} -gt 0 ] || { echo "mutants: none in tests/mutants" >&2; exit 2; }

# mutant_tree NAME DIR: the tracked tree, as committed or not, with NAME applied
mutant_tree() {
	rm -rf "$2" && mkdir -p "$2" || return 1
	(cd "$SW_TOP" && git ls-files -z | cpio -0pdm --quiet "$2") || return 1
	patch -s -F0 -d "$2" -p1 --no-backup-if-mismatch <"$SW_TOP/tests/mutants/$1.patch"
}

survived=0 broken=0
for name in "${names[@]}"; do
	p=$SW_TOP/tests/mutants/$name.patch
	[ -f "$p" ] || { echo "mutant $name: no $p" ; broken=$((broken + 1)); continue; }
	scens=$(sed -n 's/^scenarios: //p' "$p")
	[ -n "$scens" ] || { echo "mutant $name: no scenarios: line"; broken=$((broken + 1)); continue; }
	missing=
	for s in $scens; do
		[ -f "$SW_VM_DIR/scenarios/${s%%:*}/${s#*:}.sc" ] || missing+=" $s"
	done
	[ -z "$missing" ] || { echo "mutant $name: no such scenario:$missing"; broken=$((broken + 1)); continue; }
	tree=$out/$name/tree
	if ! mutant_tree "$name" "$tree"; then
		echo "mutant $name: does not apply to this tree any more (update tests/mutants/$name.patch)"
		broken=$((broken + 1))
		continue
	fi
	[ -n "$apply_only" ] && { echo "mutant $name: applies"; continue; }
	arches=$(printf '%s\n' $scens | cut -d: -f1 | sort -u)
	built=1
	for a in $arches; do
		arch=$a
		[ "$a" = x86 ] && arch=x86_64
		make -s -C "$tree" ARCH="$arch" stopwatch-static >"$out/$name/build-$arch.log" 2>&1 ||
			{ echo "mutant $name: does not build for $arch ($out/$name/build-$arch.log)"; built=; }
	done
	[ -n "$built" ] || { broken=$((broken + 1)); continue; }
	verdict=caught
	for s in $scens; do
		a=${s%%:*} scen=${s#*:}
		lab_out=$out/$name/lab-$a
		if [ "$a" = arm64 ]; then
			STOPWATCH_BIN=$tree/build/arm64/stopwatch SW_LAB_OUT=$lab_out \
				"$SW_VM_DIR/arm64/test.sh" "$scen" >"$out/$name/$a-$scen.txt" 2>>"$out/$name/lab.log"
		else
			STOPWATCH_BIN=$tree/build/x86_64/stopwatch SW_LAB_OUT=$lab_out \
				"$SW_VM_DIR/test-x86.sh" "$scen" >"$out/$name/$a-$scen.txt" 2>>"$out/$name/lab.log"
		fi
		lines=$(grep '^scenario ' "$out/$name/$a-$scen.txt")
		printf '%s\n' "$lines" | sed "s|^|mutant $name: $a |"
		# every kernel's line must fail: a pass is the blind spot we look for
		if [ -z "$lines" ] || printf '%s\n' "$lines" | grep -vq ': FAIL'; then
			verdict=survived
		fi
	done
	echo "mutant $name: $verdict"
	[ $verdict = caught ] || survived=$((survived + 1))
done
if [ -n "$apply_only" ]; then
	echo "mutants: $((${#names[@]} - broken)) of ${#names[@]} apply"
else
	echo "mutants: ${#names[@]} tried, $survived survived, $broken did not apply or build"
fi
[ $survived = 0 ] && [ $broken = 0 ]
