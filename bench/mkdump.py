#!/usr/bin/env python3
"""Big, mostly-zero dumps of an x86_64 machine holding a record store, for
bench/dump-open.sh: an ELF core (sparse: cheap to make at any size) and a
kdump-compressed dump in makedumpfile's layout (bitmaps, one page descriptor
per page, the zero pages sharing one zero page, the store's pages zlib
compressed), so the time to open a dump and read the store can be measured
against its memory size.

  mkdump.py SEED_CORE OUT_PREFIX MEM_GIB {low|high}

SEED_CORE is an ELF core holding a store, its first frame in e_ident[9..15]
(tests/fuzz/corpus/vmcore/seed-x86, written by tests/fuzz/seeds.c); its store's pages are put at frames
16.. (low: the page scan finds them at once) or at the top of memory (high:
the scan's worst case), the header's frame list and checksum rewritten.
Prints the store's first frame (the locator).
"""
import struct
import sys
import zlib

PAGE = 4096
# what drgn needs to take a core for a kernel's (it reads memory by physical address then)
VMCOREINFO = (b"OSRELEASE=6.12.0-bench\nPAGESIZE=4096\nKERNELOFFSET=0\n"
              b"SYMBOL(swapper_pg_dir)=ffffffff82a0c000\nSYMBOL(_stext)=ffffffff81000000\n"
              b"NUMBER(phys_base)=0\nNUMBER(pgtable_l5_enabled)=0\n")


def note(name, typ, desc):
    pad = lambda b: b + bytes(-len(b) % 4)
    return struct.pack("<III", len(name) + 1, len(desc), typ) + pad(name + b"\0") + pad(desc)


NOTES = note(b"VMCOREINFO", 0, VMCOREINFO)
# struct sw_store_hdr of layout 3 (bpf/stopwatch.h): magic .. nr_slots, then
# pfn[SW_MAX_PAGES], then the crc32 (zlib) of the bytes before it
HDR_PFN_OFF = 72
HDR_CSUM_OFF = 2632
NR_PAGES_OFF = 60


def read_store(path):
    """The store's pages, in order, from an ELF core (PT_LOAD p_paddr)."""
    d = open(path, "rb").read()
    phoff, = struct.unpack_from("<Q", d, 0x20)
    phnum, = struct.unpack_from("<H", d, 0x38)
    loads = []
    for i in range(phnum):
        t, _, off, _, paddr, filesz = struct.unpack_from("<IIQQQQ", d, phoff + i * 56)
        if t == 1:
            loads.append((paddr, off, filesz))

    def page(pfn):
        for paddr, off, size in loads:
            if paddr <= pfn * PAGE < paddr + size:
                o = off + pfn * PAGE - paddr
                return d[o:o + PAGE]
        raise SystemExit("frame %d not in %s" % (pfn, path))
    # the seeds carry the store's first frame in e_ident[EI_PAD..] (tests/fuzz/seeds.c)
    first = int.from_bytes(d[9:16], "little")
    hdr = page(first)
    nr, = struct.unpack_from("<I", hdr, NR_PAGES_OFF)
    pfns = struct.unpack_from("<%dQ" % nr, hdr, HDR_PFN_OFF)
    return [bytearray(page(p)) for p in pfns]


def place(pages, frames):
    """Rewrite the header's frame list (and checksum) for the new frames."""
    h = pages[0]
    struct.pack_into("<%dQ" % len(frames), h, HDR_PFN_OFF, *frames)
    struct.pack_into("<I", h, HDR_CSUM_OFF, zlib.crc32(bytes(h[:HDR_CSUM_OFF])))
    return dict(zip(frames, pages))


def write_elf(path, npages, store):
    with open(path, "wb") as f:
        noff = 64 + 2 * 56
        off = (noff + len(NOTES) + PAGE - 1) // PAGE * PAGE
        eh = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
        eh += struct.pack("<HHIQQQIHHHHHH", 4, 62, 1, 0, 64, 0, 0, 64, 56, 2, 0, 0, 0)
        f.write(eh)
        f.write(struct.pack("<IIQQQQQQ", 4, 0, noff, 0, 0, len(NOTES), 0, 0))
        f.write(struct.pack("<IIQQQQQQ", 1, 7, off, 0xffff888000000000, 0,
                            npages * PAGE, npages * PAGE, PAGE))
        for pfn, data in store.items():
            f.seek(off + pfn * PAGE)
            f.write(data)
        f.seek(noff)
        f.write(NOTES)
        f.truncate(off + npages * PAGE)


def write_kdump(path, npages, store):
    uts = b"".join(s.ljust(65, b"\0") for s in
                   (b"Linux", b"bench", b"6.12.0-bench", b"#1 SMP", b"x86_64", b"(none)"))
    bm_len = (npages // 8 + PAGE - 1) // PAGE * PAGE
    sub_blocks = 1
    bm_off = (1 + sub_blocks) * PAGE
    pd_off = bm_off + 2 * bm_len
    data_off = pd_off + npages * 24
    hdr = b"KDUMP   " + struct.pack("<i", 6) + uts + bytes(6)
    hdr += struct.pack("<qqIiiIIIIIIi", 1764547200, 0, 1, PAGE, sub_blocks, 2 * bm_len // PAGE,
                       npages, npages, 0, 0, 0, 0)
    vmci_at = PAGE + 104
    note_at = vmci_at + len(VMCOREINFO)
    sub = struct.pack("<QiiQQQQQQQQQQQ", 0, 31, 0, 0, 0, vmci_at, len(VMCOREINFO), note_at,
                      len(NOTES), 0, 0, 0, npages, npages)
    with open(path, "wb") as f:
        f.write(hdr)
        f.seek(PAGE)
        f.write(sub + VMCOREINFO + NOTES)
        ones = b"\xff" * (npages // 8)
        f.seek(bm_off)
        f.write(ones)
        f.seek(bm_off + bm_len)
        f.write(ones)
        zero_at = data_off              # the one zero page every zero page points at
        data = bytearray(PAGE)
        blobs = {}
        at = data_off + PAGE
        for pfn in sorted(store):
            c = zlib.compress(bytes(store[pfn]), 1)
            blobs[pfn] = (at, c)
            at += len(c)
        zero_desc = struct.pack("<QIIQ", zero_at, PAGE, 0, 0)
        f.seek(pd_off)
        chunk = 1 << 16
        for base in range(0, npages, chunk):
            n = min(chunk, npages - base)
            buf = bytearray(zero_desc * n)
            for pfn, (o, c) in blobs.items():
                if base <= pfn < base + n:
                    struct.pack_into("<QIIQ", buf, (pfn - base) * 24, o, len(c), 1, 0)
            f.write(buf)
        f.seek(zero_at)
        f.write(data)
        for pfn, (o, c) in blobs.items():
            f.seek(o)
            f.write(c)


def main():
    seed, prefix, gib, where = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    npages = int(gib * (1 << 30)) // PAGE
    pages = read_store(seed)
    frames = list(range(16, 16 + len(pages))) if where == "low" else \
        list(range(npages - len(pages), npages))
    store = place(pages, frames)
    write_elf(prefix + ".elf", npages, store)
    write_kdump(prefix + ".kdump", npages, store)
    print(frames[0], len(frames))  # the locator pfn, the store's pages


if __name__ == "__main__":
    main()
