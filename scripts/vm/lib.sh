# shellcheck shell=bash
# Common helpers of the x86_64 VM lab (sourced, never run).
#
# Cache layout: $SW_CACHE/x86/<product>-<hash>/ where <hash> covers every
# input of the product (package versions, script contents, sources), so a
# product is rebuilt exactly when one of its inputs changed.

set -euo pipefail

SW_VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SW_TOP=$(cd "$SW_VM_DIR/../.." && pwd)
SW_CACHE=${STOPWATCH_CACHE:-$HOME/.cache/stopwatch}
SW_X86_CACHE=$SW_CACHE/x86
SW_LAB_OUT=${SW_LAB_OUT:-$SW_TOP/build/lab/x86}

sw_t0=${sw_t0:-$(date +%s.%N)}
export sw_t0

# log MSG...: progress on stderr, with seconds since the first helper call.
sw_log() {
	local now
	now=$(date +%s.%N)
	printf '[lab %6.1fs] %s\n' "$(echo "$now - $sw_t0" | bc)" "$*" >&2
}

sw_die() {
	echo "lab: error: $*" >&2
	exit 1
}

# sw_hash FILE_OR_STRING...: sha256 (16 hex) of the arguments; a readable
# file contributes its content, anything else its literal text.
sw_hash() {
	local a
	for a in "$@"; do
		if [ -f "$a" ]; then
			printf 'file %s\n' "$(basename "$a")"
			cat "$a"
		else
			printf 'str %s\n' "$a"
		fi
	done | sha256sum | cut -c1-16
}

# sw_hash_tree DIR: hash of the files under DIR (names and contents).
sw_hash_tree() {
	(cd "$1" && find . -type f ! -name '*.o' ! -name '*.ko' ! -name '*.mod*' \
		! -name '.*.cmd' ! -name 'Module.symvers' ! -name 'modules.order' \
		-print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16
}

# sw_timed LABEL CMD...: run CMD, print how long it took.
sw_timed() {
	local label=$1 s e
	shift
	s=$(date +%s.%N)
	"$@"
	e=$(date +%s.%N)
	sw_log "$label: $(printf '%.1f' "$(echo "$e - $s" | bc)") s"
}

# sw_pkg_spec [:ARCH] PKG...: "PKG=VERSION ..." with apt's candidate versions
# (one apt-cache call: each costs about a second here); with :ARCH (a foreign
# architecture, e.g. :arm64) each name and each PKG in the answer carries it.
# A package apt does not know is left out (apt-cache exits 100 when it knows
# none): the caller names it.
sw_pkg_spec() {
	local arch=
	case ${1:-} in :*) arch=$1; shift ;; esac
	{ apt-cache show --no-all-versions "${@/%/$arch}" 2>/dev/null || true; } |
		awk -v a="$arch" '/^Package:/ {p=$2} /^Version:/ {printf "%s%s=%s ", p, a, $2}'
}

# sw_elapsed START END: END - START in seconds, one decimal
sw_elapsed() {
	echo "$1 $2" | awk '{printf "%.1f", $2 - $1}'
}

# sw_built PRODUCT: note that a product was built (not found in the cache),
# for the cold/warm summary of test-x86.sh (SW_BUILT_LOG)
sw_built() {
	[ -n "${SW_BUILT_LOG:-}" ] && echo "$1" >> "$SW_BUILT_LOG"
	return 0
}
