#!/usr/bin/env bash
# Memory of the maps `stopwatch arm` pins, sized for N CPUs (issue 10's goal:
# within 4 MiB at 1024 CPUs). The BPF side is sized at load for the possible
# CPUs; STOPWATCH_SIZE_CPUS=N sizes it for N on this host, so each map is
# created as it would be there, and the kernel's own account of it (bpftool's
# bytes_memlock) is read. Per-CPU maps hold one value per possible CPU of
# *this* host: their values (value x entries per possible CPU, as the kernel
# allocates them) are counted for N CPUs instead, the rest as measured.
# Usage: bench/pinned.sh STOPWATCH [CPUS ...]   (default 256 1024 4096)
set -u
SW=$(realpath "$1"); shift
[ "$(id -u)" = 0 ] || { echo "pinned: needs root (BPF)"; exit 1; }
PIN=/sys/fs/bpf/sw-bench-pinned-$$
trap '"$SW" disarm --pin-dir "$PIN" > /dev/null 2>&1' EXIT
possible=$(python3 -c 'import os; print(open("/sys/devices/system/cpu/possible").read().strip())' |
	   awk -F, '{n=0; for (i=1;i<=NF;i++) { split($i,r,"-"); n += (r[2]==""?1:r[2]-r[1]+1) } print n}')
echo "pinned maps of 'stopwatch arm' ($(basename "$(dirname "$(dirname "$SW")")")/$(basename "$SW")), this host: $possible possible CPUs, $(getconf PAGESIZE)-byte pages"
for n in "${@:-256 1024 4096}"; do
  for n1 in $n; do
  STOPWATCH_SIZE_CPUS=$n1 "$SW" arm --pin-dir "$PIN" > /dev/null 2>&1 || { echo "arm failed at $n1 CPUs"; exit 1; }
  python3 - "$PIN" "$n1" "$possible" <<'PY'
import json, os, subprocess, sys
pin, n, possible = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def show(args):
    return json.loads(subprocess.check_output(["bpftool", "-j", "map", "show"] + args))
rows, total = [], 0
for name in sorted(os.listdir(pin)):
    path = os.path.join(pin, name)
    if os.path.isdir(path):
        continue
    m = show(["pinned", path])
    mem = m["bytes_memlock"]
    if m["type"].startswith("percpu"):
        # the kernel's count: the map itself, plus value x entries per possible CPU
        per_cpu = m["max_entries"] * ((m["bytes_value"] + 7) // 8 * 8)
        mem = mem - per_cpu * possible + per_cpu * n
    if m["type"] == "array_of_maps":
        dump = json.loads(subprocess.check_output(["bpftool", "-j", "map", "dump", "pinned", path]))
        inner = [e["value"] if isinstance(e["value"], int) else int.from_bytes(bytes(int(b, 16) for b in e["value"]), "little")
                 for e in dump]
        rings = sum(show(["id", str(i)])["bytes_memlock"] for i in inner)
        rows.append((f"{name} ({len(inner)} rings)", mem + rings))
        total += mem + rings
        continue
    rows.append((name, mem))
    total += mem
print(f"  {n} CPUs: {total / 2**20:.2f} MiB in all: " +
      ", ".join(f"{r} {b / 1024:.0f} KiB" for r, b in sorted(rows, key=lambda x: -x[1])))
PY
  "$SW" disarm --pin-dir "$PIN" > /dev/null 2>&1
  done
done
