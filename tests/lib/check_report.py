#!/usr/bin/python3
# Check a stopwatch HTML report against real peers: html5lib's strict HTML5
# parser (any parse error fails), and headless Chromium driven over
# WebDriver by chromedriver (Debian's chromium, chromium-driver): the page
# loads from file:// with nothing else fetched, every plot is laid out with
# a size, and a screenshot is saved. Prints one line of what Chromium saw.
# usage: check_report.py REPORT.html SCREENSHOT.png MIN_SVGS
import base64, json, os, re, shutil, socket, subprocess, sys, tempfile, time, urllib.request

import html5lib

report, shot, min_svgs = os.path.abspath(sys.argv[1]), sys.argv[2], int(sys.argv[3])
doc = open(report, "rb").read()
html5lib.HTMLParser(strict=True).parse(doc)
text = doc.decode()
assert "<script" not in text.lower(), "a script in the report"
# nothing to fetch: no src/href attributes, no url() in the style sheet
refs = re.findall(r'\s(?:src|href)\s*=|url\(|@import', text)
assert not refs, "external references: %s" % refs


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port, method, path, body=None):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())["value"]


profile = tempfile.mkdtemp(prefix="sw-chromium-")
port = free_port()
sid = None
driver = subprocess.Popen(["chromedriver", "--port=%d" % port, "--allowed-ips=127.0.0.1"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    for _ in range(100):
        try:
            call(port, "GET", "/status")
            break
        except OSError:
            time.sleep(0.1)
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            "--user-data-dir=" + profile, "--window-size=1000,2600"]
    sid = call(port, "POST", "/session", {"capabilities": {"alwaysMatch": {
        "browserName": "chrome", "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}}}})["sessionId"]
    call(port, "POST", "/session/%s/url" % sid, {"url": "file://" + report})
    seen = call(port, "POST", "/session/%s/execute/sync" % sid, {"script": """
        const svgs = [...document.querySelectorAll('svg')];
        const box = e => { const b = e.getBBox(); return b.width > 0 && b.height > 0; };
        return {
          title: document.title,
          svgs: svgs.length,
          laid_out: svgs.filter(s => s.getBoundingClientRect().width > 0).length,
          lines: [...document.querySelectorAll('svg polyline')].filter(box).length,
          rects: [...document.querySelectorAll('svg rect')].filter(box).length,
          tables: document.querySelectorAll('table').length,
          resources: performance.getEntriesByType('resource').length,
        };""", "args": []})
    png = base64.b64decode(call(port, "GET", "/session/%s/screenshot" % sid))
    open(shot, "wb").write(png)
finally:
    if sid:  # ends the browser, also when a check above failed
        try:
            call(port, "DELETE", "/session/%s" % sid)
        except OSError:
            pass
    driver.terminate()
    driver.wait(10)
    shutil.rmtree(profile, ignore_errors=True)
assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10000, "screenshot of %d bytes" % len(png)
assert seen["svgs"] >= min_svgs and seen["laid_out"] == seen["svgs"], seen
assert seen["resources"] == 0, seen
print("chromium: %(svgs)d svg laid out, %(lines)d curves, %(rects)d rects, %(tables)d tables, "
      "%(resources)d resources fetched; html5lib strict: no parse error" % seen)
