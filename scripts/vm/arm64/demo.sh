#!/bin/bash
# make demo: the whole arm64 lab in one command. Builds (or reuses) TF-A with
# SDEI and the 6.12 kernel carrying the SDEI NMI series, boots the guest
# (scenarios/arm64/demo.sc), wedges CPU 2, reboots it, and prints what
# stopwatch saw: live's SDEI deliveries and histograms, and the stop record
# recovered from the guest's memory. A cold cache builds the kernels first
# (about 10 min here).
set -o pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
out=${SW_LAB_OUT:-$top/build/lab/arm64}
if ! SW_LAB_OUT=$out "$(dirname "$0")/test.sh" demo; then
	echo "demo: the guest run failed, see $out/demo/default/console.log" >&2
	exit 1
fi
echo
echo "== stopwatch live in the guest: CPU 2 wedged (DAIF masked), echo l > /proc/sysrq-trigger =="
cat "$out/demo/default/live.txt"
echo "== stop record of echo b > /proc/sysrq-trigger, recovered from the guest's memory =="
echo "\$ stopwatch recover --vmcore vmcore.elf --pfn N"
cat "$out/demo/default/recover.txt"
