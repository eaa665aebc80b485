#!/usr/bin/env python3
"""Where an arm64 guest's CPU was when QEMU dumped it (check-lib.sh cpu_at).

usage: dump-pc.py VMCORE_ELF SYSTEM_MAP CPU

QEMU's dump-guest-memory writes one NT_PRSTATUS note per vCPU, in CPU
order, each with the vCPU's registers at the dump (x0-x30, sp, pc, pstate
at pr_reg, offset 112 of the aarch64 elf_prstatus). Prints the kernel symbol
at CPU's pc ("SYMBOL+0xOFF"), or "0xPC (no kernel symbol)" for firmware or
vmalloc'd code such as BPF's, then " EL<n>" from pstate. Only the ELF
headers and notes are read: the 2 GiB of memory are not.
"""
import bisect
import struct
import sys


def prstatus_pcs(path):
    with open(path, "rb") as f:
        eh = f.read(64)
        if eh[:4] != b"\x7fELF" or eh[4] != 2 or eh[5] != 1:
            sys.exit("dump-pc: %s: not a little-endian ELF64 core" % path)
        phoff, = struct.unpack_from("<Q", eh, 32)
        phentsize, phnum = struct.unpack_from("<HH", eh, 54)
        out = []
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            ph = f.read(phentsize)
            if struct.unpack_from("<I", ph, 0)[0] != 4:  # PT_NOTE
                continue
            off, = struct.unpack_from("<Q", ph, 8)
            size, = struct.unpack_from("<Q", ph, 32)
            f.seek(off)
            data, p = f.read(size), 0
            while p + 12 <= len(data):
                nsz, dsz, typ = struct.unpack_from("<III", data, p)
                p += 12 + ((nsz + 3) & ~3)
                if typ == 1 and dsz >= 112 + 34 * 8:  # NT_PRSTATUS
                    regs = struct.unpack_from("<34Q", data, p + 112)
                    out.append((regs[32], regs[33]))
                p += (dsz + 3) & ~3
        return out


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.split("\n\n")[1])
    pcs = prstatus_pcs(sys.argv[1])
    cpu = int(sys.argv[3])
    if cpu >= len(pcs):
        sys.exit("dump-pc: no registers of CPU %d (%d notes)" % (cpu, len(pcs)))
    syms = []
    with open(sys.argv[2]) as m:
        for line in m:
            a, t, name = line.split()[:3]
            if t in "tTwW":
                syms.append((int(a, 16), name))
    syms.sort()
    addrs = [a for a, _ in syms]
    pc, pstate = pcs[cpu]
    i = bisect.bisect_right(addrs, pc) - 1
    # past _etext is not text: vmalloc'd code (BPF) lies far above it
    if i >= 0 and pc - addrs[i] < 0x10000:
        where = "%s+0x%x" % (syms[i][1], pc - addrs[i])
    else:
        where = "0x%x (no kernel symbol)" % pc
    print("%s EL%d" % (where, (pstate >> 2) & 3))


if __name__ == "__main__":
    main()
