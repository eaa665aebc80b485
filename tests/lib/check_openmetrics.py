#!/usr/bin/env python3
"""Check an OpenMetrics exposition (file argument, or stdin): every sample
belongs to a declared family, counters end in _total, histogram buckets are
cumulative and end in +Inf, and the text ends with # EOF."""
import re, sys
data = open(sys.argv[1]).read() if len(sys.argv) > 1 else sys.stdin.read()
assert data.endswith("# EOF\n"), "no # EOF at the end"
text = data.splitlines()
fams = {}
for l in text:
    if l.startswith("# TYPE "):
        _, _, name, typ = l.split(); fams[name] = typ
samples = [l for l in text if l and not l.startswith("#")]
for s in samples:
    m = re.match(r'^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$', s)
    assert m, s
    name = m.group(1)
    base = re.sub(r'_(bucket|count|sum|total)$', '', name)
    assert base in fams, s
    if fams[base] == "counter": assert name.endswith("_total"), s
# buckets cumulative and ending in +Inf == _count
buckets = {}
for s in samples:
    m = re.match(r'^(\w+)_bucket\{(.*),le="([^"]+)"\} (\d+)$', s)
    if m: buckets.setdefault((m.group(1), m.group(2)), []).append((m.group(3), int(m.group(4))))
assert buckets, "no histogram samples"
for key, bs in buckets.items():
    counts = [c for _, c in bs]
    assert counts == sorted(counts), key
    assert bs[-1][0] == "+Inf", key
counts = {}
for s in samples:
    m = re.match(r'^(\w+)_count\{(.*)\} (\d+)$', s)
    if m: counts[(m.group(1), m.group(2))] = int(m.group(3))
for key, bs in buckets.items():
    assert counts.get(key) == bs[-1][1], ("+Inf bucket is not _count", key)
