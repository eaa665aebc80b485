# shellcheck shell=bash
# One way for every test stage to count: passes, failures and skips, and the
# stage's last line "STAGE: N passed, N failed, N skipped" (tests/run.sh sums
# them). Sourced after setting TALLY_STAGE:
#   ok NAME                  a pass
#   bad NAME WHY             a failure
#   skipped NAME WHY NEED... a skip, loud; NEED names what the test lacks
#                            (root bpf btf libfuzzer systemd-analyze nobody).
#                            Under CI=true on a machine that HAS every NEED, a
#                            skip is a failure: CI's machine kind has them all,
#                            so a skip there hides a test that did not run.
#   tally_add P F S          add counts found elsewhere (cmocka's summary)
#   tally_end                print the last line; exit status 0 when none failed
tally_pass=0 tally_fail=0 tally_skip=0

ok() {
	tally_pass=$((tally_pass + 1))
	echo "$TALLY_STAGE $1: PASS"
}

bad() {
	tally_fail=$((tally_fail + 1))
	echo "$TALLY_STAGE $1: FAIL $2"
}

# tally_has NEED: this machine has NEED
tally_has() {
	case $1 in
	root) [ "$(id -u)" = 0 ] ;;
	btf) [ -r /sys/kernel/btf/vmlinux ] ;;
	bpf) [ "$(id -u)" = 0 ] && [ -d /sys/fs/bpf ] && bpftool prog show >/dev/null 2>&1 ;;
	systemd-analyze) command -v systemd-analyze >/dev/null ;;
	nobody) id nobody >/dev/null 2>&1 ;;
	libfuzzer) tally_libfuzzer ;;
	*) return 1 ;;
	esac
}

# tally_libfuzzer: ${FUZZ_CC:-clang-14} links a libFuzzer harness (Debian:
# libclang-rt-14-dev)
tally_libfuzzer() {
	local d rc
	d=$(mktemp -d)
	echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' >"$d/p.c"
	"${FUZZ_CC:-clang-14}" -fsanitize=fuzzer,address,undefined "$d/p.c" -o "$d/p" 2>/dev/null
	rc=$?
	rm -rf "$d"
	return $rc
}

# tally_ci_has NEED...: under CI=true, every NEED is present here (a skip
# of a test that needs them is then a failure)
tally_ci_has() {
	local n
	[ "${CI:-}" = true ] || return 1
	for n in "$@"; do
		tally_has "$n" || return 1
	done
}

skipped() {
	local name=$1 why=$2
	shift 2
	if tally_ci_has "$@"; then
		bad "$name" "skipped ($why) under CI=true on a machine that has $*"
		return
	fi
	tally_skip=$((tally_skip + 1))
	echo "$TALLY_STAGE $name: SKIP $why"
}

tally_add() {
	tally_pass=$((tally_pass + $1))
	tally_fail=$((tally_fail + $2))
	tally_skip=$((tally_skip + $3))
}

tally_end() {
	echo "$TALLY_STAGE: $tally_pass passed, $tally_fail failed, $tally_skip skipped"
	[ "$tally_fail" -eq 0 ]
}
