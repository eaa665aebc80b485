#!/usr/bin/python3
"""Parse a stopwatch exposition with the Prometheus Python client's own
parsers (Debian's python3-prometheus-client; not our code): the text format
0.0.4 parser or the strict OpenMetrics 1.0 parser. Every family must keep
its type (counter, histogram or gauge, never untyped/unknown) and a HELP of ours;
histogram buckets must be cumulative and end in +Inf equal to _count.
Prints "series N" (samples, i.e. time series of this scrape).

usage: check_expo.py prometheus|openmetrics [FILE]   (stdin without FILE)
"""
import sys
from prometheus_client.parser import text_string_to_metric_families as parse_prom
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_om

fmt = sys.argv[1]
data = open(sys.argv[2]).read() if len(sys.argv) > 2 else sys.stdin.read()
if fmt == "prometheus":
    assert "# EOF" not in data, "OpenMetrics # EOF in a 0.0.4 exposition"
    fams = list(parse_prom(data))
else:
    fams = list(parse_om(data))  # raises on anything OpenMetrics 1.0 refuses
assert fams, "no metric families"
series = 0
for f in fams:
    assert f.name.startswith("stopwatch_"), f.name
    assert f.type in ("counter", "histogram", "gauge"), (f.name, f.type)
    assert f.documentation and "Metric read from" not in f.documentation, (f.name, f.documentation)
    assert f.samples, f.name
    series += len(f.samples)
    if f.type == "counter":
        assert all(s.name == f.name + "_total" for s in f.samples), f.name
        continue
    if f.type == "gauge":
        assert all(s.name == f.name for s in f.samples), f.name
        continue
    assert f.name.endswith("_seconds"), f.name
    groups = {}
    for s in f.samples:
        key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
        groups.setdefault(key, {"b": [], "count": None})
        if s.name.endswith("_bucket"):
            groups[key]["b"].append((float(s.labels["le"]), s.value))
        elif s.name.endswith("_count"):
            groups[key]["count"] = s.value
    for key, g in groups.items():
        les = [le for le, _ in g["b"]]
        counts = [c for _, c in g["b"]]
        assert les == sorted(les) and les[-1] == float("inf"), (f.name, key)
        assert counts == sorted(counts), (f.name, key, counts)
        assert counts[-1] == g["count"], (f.name, key)
print("series", series)
