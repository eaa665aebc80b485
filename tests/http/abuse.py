#!/usr/bin/python3
"""Abuse the HTTP endpoint (stats --listen) on loopback while a well-behaved
client scrapes /metrics: slow clients, 1,000 idle connections, oversized
headers, bad methods and paths. The well-behaved client must get the same
200 body every time, within SCRAPE_TIMEOUT_S, throughout; the server's
memory (VmRSS from /proc) must stay bounded and come back down.

usage: abuse.py STOPWATCH_DYNAMIC STATE_DIR
Prints one "http NAME: PASS|FAIL ..." line per check, the measured numbers
("http numbers: ..."), and exits 1 if any check failed. Python's standard
library only: the clients here are the abuse, the server is the subject.
"""
import http.client
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time

SCRAPE_TIMEOUT_S = 5.0
IDLE_CONNECTIONS = 1000
SLOW_CLIENTS = 100
SLOW_SECONDS = 15          # longer than the server's idle timeout (10 s)
RSS_PEAK_BOUND_KB = 64 << 10    # 64 MiB over the baseline at any time
RSS_GROWTH_KB = 4 << 10         # a second round of the same abuse: at most 4 MiB more

results = []


def check(name, ok, detail=""):
    ok = bool(ok)
    results.append(ok)
    print("http %s: %s%s" % (name, "PASS" if ok else "FAIL", (" " + detail) if detail else ""),
          flush=True)


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M).group(1))


class Scraper(threading.Thread):
    """The well-behaved client: GET /metrics every 0.2 s, one connection each."""

    def __init__(self, port, want):
        super().__init__(daemon=True)
        self.port, self.want = port, want
        self.lat, self.errors = [], []
        self.halt = threading.Event()

    def once(self):
        t = time.monotonic()
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=SCRAPE_TIMEOUT_S)
        try:
            c.request("GET", "/metrics")
            r = c.getresponse()
            body = r.read()
            if r.status != 200 or body != self.want:
                self.errors.append("status %d, %d bytes" % (r.status, len(body)))
        except OSError as e:
            self.errors.append(repr(e))
        finally:
            c.close()
        self.lat.append(time.monotonic() - t)

    def run(self):
        while not self.halt.is_set():
            self.once()
            self.halt.wait(0.2)

    def phase(self):
        """latencies and errors since the last call"""
        lat, err = self.lat, self.errors
        self.lat, self.errors = [], []
        return lat, err


class RssWatch(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.halt = pid, 0, threading.Event()

    def run(self):
        while not self.halt.is_set():
            try:
                self.peak = max(self.peak, rss_kb(self.pid))
            except (OSError, AttributeError):
                return
            self.halt.wait(0.05)


def raw(port, data, timeout=5.0):
    """send DATA on a fresh connection; the status line (or what happened)"""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            s.sendall(data)
        except OSError as e:       # the server may close on an oversized request
            return "closed while sending (%s)" % e.__class__.__name__
        got = b""
        while b"\r\n" not in got:
            try:
                b = s.recv(4096)
            except OSError as e:
                return "closed (%s)" % e.__class__.__name__
            if not b:
                return "closed"
            got += b
        return got.split(b"\r\n", 1)[0].decode("latin-1")
    finally:
        s.close()


def slow_client(port, stop, counts):
    """send a request's headers one byte a second, never finishing them"""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
    except OSError:
        counts["refused"] += 1
        return
    req = b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 100
    try:
        for i in range(len(req)):
            if stop.is_set():
                break
            s.sendall(req[i:i + 1])
            stop.wait(1.0)
        counts["held"] += 1
    except OSError:
        counts["dropped"] += 1
    finally:
        s.close()


def full_headers(port, scr):
    """IDLE_CONNECTIONS connections each holding 16 KiB of unfinished headers
    for 3 s; (refused, scrape latencies, scrape errors) meanwhile"""
    conns, refused = [], 0
    part = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Fill: " + b"a" * (16 << 10)
    for _ in range(IDLE_CONNECTIONS):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(part)
            conns.append(s)
        except OSError:
            refused += 1
    time.sleep(3)
    lat, errs = scr.phase()
    for s in conns:
        s.close()
    return refused, lat, errs


def summary(lat):
    if not lat:
        return "no scrapes"
    lat = sorted(lat)
    return "%d scrapes, p50 %.1f ms, max %.1f ms" % (
        len(lat), statistics.median(lat) * 1e3, lat[-1] * 1e3)


def main():
    sw, state = sys.argv[1], sys.argv[2]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    err = open(os.path.join(state, "server.err"), "w+")
    srv = subprocess.Popen([sw, "stats", "--state-dir", state, "--listen", "127.0.0.1:0"],
                           stdout=subprocess.DEVNULL, stderr=err)
    port = None
    for _ in range(100):
        err.seek(0)
        m = re.search(r" port (\d+)$", err.read(), re.M)
        if m:
            port = int(m.group(1))
            break
        time.sleep(0.1)
    if not port:
        srv.kill()
        err.seek(0)
        check("server starts", False, err.read()[-300:])
        print("http: 0 passed, 1 failed, 0 skipped")
        return 1
    numbers = {}
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=SCRAPE_TIMEOUT_S)
        c.request("GET", "/metrics")
        want = c.getresponse().read()
        c.close()
        base = rss_kb(srv.pid)
        numbers["rss_baseline_kb"] = base
        watch = RssWatch(srv.pid)
        watch.start()
        scr = Scraper(port, want)
        scr.start()
        time.sleep(3)
        lat, errs = scr.phase()
        check("baseline scrapes", not errs and lat, "%s %s" % (summary(lat), errs[:3]))
        numbers["baseline"] = summary(lat)

        # slow clients, past the server's idle timeout
        stop, counts = threading.Event(), {"held": 0, "dropped": 0, "refused": 0}
        ts = [threading.Thread(target=slow_client, args=(port, stop, counts), daemon=True)
              for _ in range(SLOW_CLIENTS)]
        for t in ts:
            t.start()
        time.sleep(SLOW_SECONDS)
        stop.set()
        for t in ts:
            t.join(10)
        lat, errs = scr.phase()
        check("%d slow clients for %d s" % (SLOW_CLIENTS, SLOW_SECONDS), not errs and lat,
              "%s; slow clients %s %s" % (summary(lat), counts, errs[:3]))
        numbers["slow"] = "%s; slow clients %s" % (summary(lat), counts)

        # 1,000 idle connections at once
        conns, refused = [], 0
        for _ in range(IDLE_CONNECTIONS):
            try:
                conns.append(socket.create_connection(("127.0.0.1", port), timeout=5))
            except OSError:
                refused += 1
        time.sleep(3)
        # how many the server still holds: a closed one reads EOF at once
        for s in conns:
            s.setblocking(False)
        open_now = 0
        for s in conns:
            try:
                open_now += s.recv(1) != b""
            except BlockingIOError:
                open_now += 1
            except OSError:
                pass
        rss_held = rss_kb(srv.pid)
        lat, errs = scr.phase()
        for s in conns:
            s.close()
        check("%d idle connections" % IDLE_CONNECTIONS, not errs and lat,
              "%s; %d connected, %d refused, %d still open after 3 s; RSS %d kB (baseline %d) %s"
              % (summary(lat), len(conns), refused, open_now, rss_held, base, errs[:3]))
        numbers["idle"] = "%s; %d connected, %d still open after 3 s; RSS %d kB" % (
            summary(lat), len(conns), open_now, rss_held)

        # as many connections, each with 16 KiB of headers it never finishes:
        # the server's memory at its worst short of the 431 limit; twice, and
        # the second round must not take more than the first (nothing leaks)
        rss_full = []
        for rnd in (1, 2):
            refused, lat, errs = full_headers(port, scr)
            rss_full.append(rss_kb(srv.pid))
            check("%d connections with 16 KiB of unfinished headers, round %d" % (
                IDLE_CONNECTIONS, rnd), not errs and lat and not refused,
                "%s; %d refused; RSS %d kB (baseline %d) %s" % (
                    summary(lat), refused, rss_full[-1], base, errs[:3]))
            numbers["full%d" % rnd] = "%s; RSS %d kB" % (summary(lat), rss_full[-1])
            time.sleep(1)
        check("no growth from round 1 to round 2", rss_full[1] <= rss_full[0] + RSS_GROWTH_KB,
              "RSS %d kB then %d kB (bound +%d)" % (rss_full[0], rss_full[1], RSS_GROWTH_KB))

        # oversized headers, bad methods, bad paths
        big = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n" % ("a" * (1 << 20))
        replies = {
            "1 MiB header": raw(port, big.encode()),
            "100 KiB URL": raw(port, ("GET /%s HTTP/1.1\r\nHost: x\r\n\r\n" % ("a" * 102400)).encode()),
            "10,000 headers": raw(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n" +
                                  b"".join(b"X-%d: v\r\n" % i for i in range(10000)) + b"\r\n"),
            "POST": raw(port, b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"),
            "DELETE": raw(port, b"DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
            "BREW": raw(port, b"BREW /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
            "garbage": raw(port, bytes(range(256)) * 4 + b"\r\n\r\n"),
            "HTTP/9.9": raw(port, b"GET /metrics HTTP/9.9\r\nHost: x\r\n\r\n"),
            "/../etc/passwd": raw(port, b"GET /../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"),
            "/metrics/x": raw(port, b"GET /metrics/x HTTP/1.1\r\nHost: x\r\n\r\n"),
            "%00 path": raw(port, b"GET /metrics%00 HTTP/1.1\r\nHost: x\r\n\r\n"),
            "no Host": raw(port, b"GET /metrics HTTP/1.1\r\n\r\n"),
        }
        want_status = {
            "1 MiB header": r" 431 |closed", "100 KiB URL": r" 414 | 431 |closed",
            "10,000 headers": r" 431 |closed", "POST": r" 405 ", "DELETE": r" 405 ",
            "BREW": r" 405 | 501 ", "garbage": r" 400 |closed", "HTTP/9.9": r" 505 | 400 ",
            "/../etc/passwd": r" 404 ", "/metrics/x": r" 404 ", "%00 path": r" 200 | 404 | 400 ",
            "no Host": r" 200 | 400 ",
        }
        bad = {k: v for k, v in replies.items() if not re.search(want_status[k], " %s " % v)}
        lat, errs = scr.phase()
        check("oversized headers, bad methods and paths", not bad and not errs and lat,
              "%s; replies %s %s" % (summary(lat), bad or "as expected", errs[:3]))
        numbers["bad"] = "; ".join("%s: %s" % kv for kv in replies.items())

        time.sleep(12)     # the server's idle timeout, then its RSS once the abuse is over
        lat, errs = scr.phase()
        scr.halt.set()
        scr.join(10)
        watch.halt.set()
        watch.join(5)
        after = rss_kb(srv.pid)
        numbers["rss_peak_kb"], numbers["rss_after_kb"] = watch.peak, after
        check("server alive and serving after the abuse", srv.poll() is None and not errs and lat,
              "%s %s" % (summary(lat), errs[:3]))
        # the cap: 2048 connections x a 32 KiB pool (user/httpd.c)
        check("memory bounded", watch.peak - base <= RSS_PEAK_BOUND_KB,
              "RSS baseline %d kB, peak %d kB (bound +%d), after the abuse %d kB" % (
                  base, watch.peak, RSS_PEAK_BOUND_KB, after))
    finally:
        srv.terminate()
        try:
            srv.wait(10)
        except subprocess.TimeoutExpired:
            srv.kill()
    for k, v in numbers.items():
        print("http numbers: %s: %s" % (k, v))
    print("http: %d passed, %d failed, 0 skipped" % (results.count(True), results.count(False)))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
