#!/usr/bin/env python3
"""btf-carve.py IN OUT: copy the largest valid raw BTF blob found in IN to OUT.

A blob starts with struct btf_header (include/uapi/linux/btf.h), little-endian:
  u16 magic=0xeB9F, u8 version=1, u8 flags, u32 hdr_len,
  u32 type_off, u32 type_len, u32 str_off, u32 str_len
and spans hdr_len + max(type_off+type_len, str_off+str_len) bytes.
Exit 1 (message on stderr) when no plausible blob is found.
"""
import struct, sys

data = open(sys.argv[1], "rb").read()
best = None
pos = data.find(b"\x9f\xeb\x01")
while pos >= 0:
    if pos + 24 <= len(data):
        hl, toff, tlen, soff, slen = struct.unpack_from("<5I", data, pos + 4)
        end = pos + hl + max(toff + tlen, soff + slen)
        ok = (24 <= hl <= 256 and toff % 4 == 0 and tlen > 0 and slen > 0
              and toff + tlen <= soff and end <= len(data)
              and data[pos + hl + soff] == 0)          # string section starts with ""
        if ok and (best is None or end - pos > best[1] - best[0]):
            best = (pos, end)
    pos = data.find(b"\x9f\xeb\x01", pos + 1)
if best is None:
    sys.exit("btf-carve: no BTF blob (magic 0xeB9F v1) found in %s" % sys.argv[1])
open(sys.argv[2], "wb").write(data[best[0]:best[1]])
print("btf-carve: %d bytes of BTF at offset 0x%x" % (best[1] - best[0], best[0]),
      file=sys.stderr)
