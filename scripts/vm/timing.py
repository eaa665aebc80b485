#!/usr/bin/env python3
"""Timing facts of one stop record, asserted against the kernel's ladder
(scripts/vm/check-lib.sh `timing`; docs/lab.md, "Timing facts").

usage: timing.py CONSOLE_LOG [RUNG START_ERE FIRE_ERE]... < RECORD_JSON

RECORD_JSON is the record as check-lib's `rec R r` prints it. Asserted:
- the rungs fired in ladder order (ipi, nmi, sdei), at increasing times;
- the kernel's wait after a rung before it fires the next (6.12, both
  arches: 1 s of udelay(1) after the stop IPI, 10 ms after the NMI), in guest
  time: at least the wait, at most TCG_SLACK times it plus 0.5 s (under TCG
  the udelay(1) loop ran 1.5 to 5 s for the 1 s wait, once 25 s on a loaded
  host: docs/lab.md);
- each CPU's handler ran at or after the fire of the rung that reached it,
  with ack_us > 0 (a CPU cannot answer before it is asked, nor in no time);
- no CPU's handler after the stop's end (the initiator waits for them);
- per (RUNG, START_ERE, FIRE_ERE): the escalation delay the record gives
  (RUNG's fire - the IPI rung's fire) agrees with the console's printk times
  (the first FIRE_ERE line - the first START_ERE line) within
  CONSOLE_BOUND_US: both lines are printed next to the fires they stand for
  (a stack dump after a panic line lies between, about 30 ms here).
Prints one "asserted: ..." line per fact; on the first failure a last line
"FAIL: ..." and exit 1.
"""
import json
import re
import sys

LADDER = ["ipi", "nmi", "sdei"]
# guest-time wait after a rung before the next one fires (arch/*/kernel/smp.c)
WAIT_AFTER_US = {"ipi": 1000000.0, "nmi": 10000.0}
TCG_SLACK = 30
CONSOLE_BOUND_US = 500000.0


class Fail(Exception):
    pass


def need(cond, text):
    if not cond:
        raise Fail(text)


def known(v, what):
    need(v is not None, "%s is unknown in the record" % what)
    return v


def printk_time(log, ere):
    pat = re.compile(ere)
    for line in open(log, errors="replace"):
        text = line.rstrip("\n").split("|", 1)[-1]
        if pat.search(text):
            m = re.match(r"\[ *([0-9.]+)\]", text)
            need(m, "console line '%s' has no printk time" % ere)
            return float(m.group(1)) * 1e6
    raise Fail("no console line '%s'" % ere)


def check(r, log, consoles):
    out = []
    rungs = r["rungs"]
    fired = {x["rung"]: known(x["fired_us"], "rung %s's fire" % x["rung"]) for x in rungs}
    names = [x["rung"] for x in rungs]
    need(names == [n for n in LADDER if n in names] and len(set(names)) == len(names),
         "rungs %s out of ladder order" % names)
    times = [fired[n] for n in names]
    need(times == sorted(times) and len(set(times)) == len(times),
         "rung fire times %s not increasing" % times)
    out.append("rungs %s in ladder order, fired at %s us" % (
        " < ".join(names), ", ".join("%.0f" % t for t in times)))
    for a, b in zip(names, names[1:]):
        gap, wait = fired[b] - fired[a], WAIT_AFTER_US.get(a)
        need(wait is not None, "a rung after %s, which the kernel never escalates from" % a)
        most = wait * TCG_SLACK + 500000.0
        need(wait <= gap <= most, "%s fired %.0f us after %s: not within [%.0f, %.0f] us "
             "(the kernel's wait, TCG slack)" % (b, gap, a, wait, most))
        out.append("%s %.3f s after %s (kernel waits %.3f s; TCG bound %.1f s)" % (
            b, gap / 1e6, a, wait / 1e6, most / 1e6))
    end = r.get("duration_us")
    # a CPU listed with rung "none" had no stop handler (stopwatch.stop/2 lists
    # it for other facts, e.g. how it ended): no handler time to check
    stopped = [c for c in r["cpus"] if c["rung"] != "none"]
    # a CPU that had stopped itself before a rung reached it (arm64 parallel
    # panic): its time is in its own self record, unknown in this one
    before = [c["cpu"] for c in stopped if c["rung"] == "self" and c["at_us"] is None]
    stopped = [c for c in stopped if c["cpu"] not in before]
    for c in stopped:
        at = known(c["at_us"], "CPU %d's handler time" % c["cpu"])
        ack = known(c["ack_us"], "CPU %d's ack" % c["cpu"])
        base = fired.get(c["rung"], 0.0)
        need(c["rung"] in fired or c["rung"] == "self",
             "CPU %d stopped by rung %s, which never fired" % (c["cpu"], c["rung"]))
        need(at >= base, "CPU %d's handler at %.3f us, before its rung %s fired at %.3f us" % (
            c["cpu"], at, c["rung"], base))
        need(ack > 0, "CPU %d's ack_us %.3f is not > 0" % (c["cpu"], ack))
        need(end is None or at <= end, "CPU %d's handler at %.3f us, after the stop ended at "
             "%.3f us" % (c["cpu"], at, end))
    out.append("%d CPUs' handlers at or after their rung's fire, ack_us > 0 (%s)%s" % (
        len(stopped), ", ".join("cpu%d %s %.0f us" % (c["cpu"], c["rung"], c["ack_us"])
                                for c in stopped),
        ", none after the end (%.0f us)" % end if end is not None else ""))
    if before:
        out.append("CPUs %s stopped themselves before a rung reached them (no time here)" % before)
    for rung, start_ere, fire_ere in consoles:
        need(rung in fired and "ipi" in fired, "no %s rung after the IPI rung to compare" % rung)
        by_rec = fired[rung] - fired["ipi"]
        by_con = printk_time(log, fire_ere) - printk_time(log, start_ere)
        need(abs(by_con - by_rec) <= CONSOLE_BOUND_US,
             "%s escalation %.0f us by the record, %.0f us by the console: more than %.0f us "
             "apart" % (rung, by_rec, by_con, CONSOLE_BOUND_US))
        out.append("%s escalation %.3f s by the record, %.3f s by the console (%.0f ms apart, "
                   "bound %.0f ms)" % (rung, by_rec / 1e6, by_con / 1e6,
                                       abs(by_con - by_rec) / 1e3, CONSOLE_BOUND_US / 1e3))
    return out


def main():
    log, rest = sys.argv[1], sys.argv[2:]
    if len(rest) % 3:
        sys.exit("usage: timing.py CONSOLE_LOG [RUNG START_ERE FIRE_ERE]... < RECORD_JSON")
    consoles = [tuple(rest[i:i + 3]) for i in range(0, len(rest), 3)]
    try:
        text = sys.stdin.read()
        need(text.strip(), "no stop record")
        lines = check(json.loads(text), log, consoles)
    except Fail as e:
        print("FAIL: %s" % e)
        return 1
    except (ValueError, KeyError, TypeError) as e:
        print("FAIL: unreadable record: %r" % e)
        return 1
    for line in lines:
        print("asserted: " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
