# shellcheck shell=bash
# What bench/dump-open.sh and bench/dump-crash.sh share: sourced.
py=/usr/bin/python3	# Debian's, where python3-drgn is

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# drgn_read FILE PFN NPAGES: drgn opens the dump and reads NPAGES pages from PFN
drgn_read() {
	"$py" -c '
import sys, drgn
p = drgn.Program()
p.set_core_dump(sys.argv[1])
for i in range(int(sys.argv[3])):
    p.read((int(sys.argv[2]) + i) * 4096, 4096, True)' "$@"
}

drgn_needed() { # NAME: exit with one line when python3-drgn is missing
	"$py" -c 'import drgn' 2>/dev/null || { echo "$1: no python3-drgn (make deps)"; exit 1; }
}
