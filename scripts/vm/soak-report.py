#!/usr/bin/env python3
"""The soak's table (scripts/vm/soak.sh): per scenario and run pair (plain X
against armed X), the stop and escalation durations by the console: n,
median, p90, max, and a one-sided Mann-Whitney U test of "armed is slower".

usage: soak-report.py durations.tsv

The rank test is written here (a few lines) rather than taken from scipy,
which the lab does not otherwise need: exact U distribution for small
samples without ties, the normal approximation with tie correction else.
"Slower beyond noise" is p < 0.05.
"""
import csv
import math
import sys
from collections import defaultdict
from functools import lru_cache

ALPHA = 0.05


@lru_cache(maxsize=None)
def ways(n, m, u):
    """arrangements of n x's and m y's with u (x, y) pairs where x > y"""
    if u < 0:
        return 0
    if n == 0 or m == 0:
        return 1 if u == 0 else 0
    # the largest value is an x (beating all m y's) or a y
    return ways(n - 1, m, u - m) + ways(n, m - 1, u)


def mann_whitney_greater(xs, ys):
    """U of xs over ys and the one-sided p of "xs tend to be larger" """
    pooled = sorted([(v, 0) for v in xs] + [(v, 1) for v in ys])
    ranks, i = {}, 0
    ties = []
    while i < len(pooled):
        j = i
        while j < len(pooled) and pooled[j][0] == pooled[i][0]:
            j += 1
        ranks[pooled[i][0]] = (i + j + 1) / 2.0
        ties.append(j - i)
        i = j
    n, m = len(xs), len(ys)
    u = sum(ranks[v] for v in xs) - n * (n + 1) / 2.0
    if all(t == 1 for t in ties) and n + m <= 40 and n * m <= 400:
        total = math.comb(n + m, n)
        p = sum(ways(n, m, k) for k in range(int(u), n * m + 1)) / total
        return u, p, "exact"
    mu = n * m / 2.0
    tie = sum(t ** 3 - t for t in ties) / ((n + m) * (n + m - 1)) if n + m > 1 else 0
    sigma = math.sqrt(n * m / 12.0 * ((n + m + 1) - tie))
    if sigma == 0:
        return u, 1.0, "normal"
    z = (u - mu - 0.5) / sigma
    return u, 0.5 * math.erfc(z / math.sqrt(2)), "normal"


def quantile(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, max(0, math.ceil(q * len(v)) - 1))]


def describe(v):
    if not v:
        return "-"
    return "n=%d med %.3f p90 %.3f max %.3f" % (len(v), quantile(v, 0.5), quantile(v, 0.9), max(v))


def main():
    rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
    data = defaultdict(lambda: defaultdict(list))
    fails = defaultdict(int)
    for r in rows:
        run = r["run"]
        side = "plain" if run.startswith("plain") else "armed" if run.startswith("armed") else None
        key = (r["arch"], r["scenario"], run[5:] if side else run)
        if r["result"] != "PASS":
            fails[key] += 1
        for what in ("stop_s", "escalation_s"):
            if r[what] not in ("", "?"):
                data[(key, what)][side or "unpaired"].append(float(r[what]))
    keys = sorted({k for k, _ in data})
    print("| arch | scenario | runs | duration (s) | plain | armed | U, p (one-sided) | armed slower beyond noise? |")
    print("|---|---|---|---|---|---|---|---|")
    slower = 0
    for key in keys:
        arch, scen, pair = key
        for what in ("stop_s", "escalation_s"):
            d = data.get((key, what))
            if not d:
                continue
            label = "stop" if what == "stop_s" else "escalation"
            runs = ("plain%s / armed%s" % (pair, pair)) if "unpaired" not in d else pair
            if d.get("plain") and d.get("armed"):
                u, p, how = mann_whitney_greater(d["armed"], d["plain"])
                verdict = "**yes**" if p < ALPHA else "no"
                slower += p < ALPHA
                test = "U=%.1f, p=%.3g (%s)" % (u, p, how)
            else:
                verdict, test = "no plain run to compare", "-"
            print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                arch, scen, runs, label, describe(d.get("plain", [])),
                describe(d.get("armed", d.get("unpaired", []))), test, verdict))
    print()
    print("failed scenario runs: %s" % (", ".join("%s %s%s: %d" % (k[0], k[1], k[2], v)
                                                    for k, v in sorted(fails.items())) or "none"))
    print("armed slower beyond noise (p < %.2f): %d comparisons" % (ALPHA, slower))
    return 0


if __name__ == "__main__":
    sys.exit(main())
