#!/usr/bin/env python3
"""Run one lab guest (x86_64, or arm64 on TF-A with SDEI) under QEMU TCG.

- the serial console goes to --log, each line prefixed with the host time
  in seconds since QEMU started ("   12.345678|line"); QMP events are
  written into the same log as "   12.345678|@qmp EVENT {data}";
- -action reboot=shutdown,shutdown=pause: a reboot, panic reset or power-off
  stops the guest with its memory intact; the runner then optionally writes
  it as an ELF core with QMP dump-guest-memory (--dump) and quits;
- a hard --timeout kills a hung guest (exit code 124), and so does
  --silence S once the console has printed nothing for S seconds;
- --warm-reboots N: the first N guest resets boot the guest again (QMP
  system_reset + cont) with its RAM kept, as a warm reboot does; --dump then
  writes the core at the first reset, before the next boot. With
  --warm-after TEXT a reset is a warm reboot only once the console printed
  TEXT since the boot began: a guest that died before its action (an
  emulator flake resets it early too) ends the run as it is, with no core,
  rather than pass its early death off as the stop under test.

x86_64: QEMU loads --kernel/--initrd and passes --append.
arm64: -M virt,secure=on with TF-A (--bios flash.bin, the kernel entered as
BL33 at 0x60000000); QEMU's loader places the kernel and the initrd, and
the device tree is QEMU's own (-machine dumpdtb with the same -M, -cpu,
-smp, -m and -bios: a dump without -bios lists devices QEMU does not create
with secure=on), plus the bootargs, the initrd range and the /firmware/sdei
node, added with fdtput; it is written next to --log. Without --bios,
-M virt without secure=on: QEMU's own PSCI brings up the CPUs (no SDEI),
for guests with more CPUs than TF-A's qemu platform has cores.

Exit: 0 after a guest shutdown/reset, 124 on timeout, 1 on other errors.
Only the Python standard library is used.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time


# arm64: where TF-A enters the kernel (PRELOADED_BL33_BASE of its build) and
# where the initrd goes (below it, in RAM)
ARM64_KERNEL_ADDR = 0x60000000
ARM64_INITRD_ADDR = 0x48000000
# the machine of scripts/vm/arm64 (the DTB dump must use the same)
ARM64_MACHINE = ["-M", "virt,secure=on,gic-version=3,virtualization=off", "-cpu", "cortex-a57"]


# without --bios: QEMU's own PSCI (no EL3, no SDEI), for guests past the
# core count TF-A's qemu platform is built for; QEMU loads the kernel and
# makes the device tree itself
ARM64_MACHINE_NOFW = ["-M", "virt,gic-version=3,virtualization=off", "-cpu", "cortex-a57"]


def arm64_args(a, cmd):
    """QEMU arguments of the arm64 guest; writes its DTB next to the log."""
    if not a.bios:
        return cmd + ARM64_MACHINE_NOFW + ["-kernel", a.kernel, "-initrd", a.initrd,
                                           "-append", a.append]
    dtb = os.path.splitext(a.log)[0] + ".dtb"
    machine = ARM64_MACHINE + ["-smp", a.smp, "-m", a.mem, "-bios", a.bios]
    subprocess.run(["qemu-system-aarch64"] + machine +
                   ["-machine", "dumpdtb=" + dtb, "-nographic", "-nodefaults"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = ARM64_INITRD_ADDR + os.path.getsize(a.initrd)
    for args in (["-t", "s", dtb, "/chosen", "bootargs", a.append],
                 ["-t", "x", dtb, "/chosen", "linux,initrd-start", "%x" % ARM64_INITRD_ADDR],
                 ["-t", "x", dtb, "/chosen", "linux,initrd-end", "%x" % end],
                 ["-p", "-c", dtb, "/firmware/sdei"],
                 ["-t", "s", dtb, "/firmware/sdei", "compatible", "arm,sdei-1.0"],
                 ["-t", "s", dtb, "/firmware/sdei", "method", "smc"]):
        subprocess.run(["fdtput"] + args, check=True)
    return cmd + ARM64_MACHINE + [
        "-bios", a.bios, "-dtb", dtb,
        "-device", "loader,file=%s,addr=0x%x,force-raw=on" % (a.kernel, ARM64_KERNEL_ADDR),
        "-device", "loader,file=%s,addr=0x%x,force-raw=on" % (a.initrd, ARM64_INITRD_ADDR)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--append", default="")
    ap.add_argument("--log", required=True)
    ap.add_argument("--qmp", required=True, help="unix socket path")
    ap.add_argument("--dump", help="ELF core to write after the guest stops")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--silence", type=float, help="a guest whose console is silent this long has hung")
    ap.add_argument("--smp", default="4")
    ap.add_argument("--mem", default="1G")
    ap.add_argument("--tcg-thread", choices=("multi", "single"),
                    help="single: every vCPU on one host thread (round-robin TCG); default QEMU's")
    ap.add_argument("--warm-reboots", type=int, default=0)
    ap.add_argument("--warm-after", help="a reset is a warm reboot only after a console line with this text")
    ap.add_argument("--arch", choices=("x86_64", "arm64"), default="x86_64")
    ap.add_argument("--bios", help="arm64: TF-A flash image (without: QEMU's PSCI, no SDEI)")
    ap.add_argument("--share", help="host directory the guest mounts over 9p (tag swshare)")
    a = ap.parse_args()

    if os.path.exists(a.qmp):
        os.unlink(a.qmp)
    cmd = ["qemu-system-x86_64" if a.arch == "x86_64" else "qemu-system-aarch64",
           "-accel", "tcg" + (",thread=" + a.tcg_thread if a.tcg_thread else ""),
           "-smp", a.smp, "-m", a.mem, "-nographic", "-net", "none",
           "-no-user-config", "-nodefaults", "-serial", "stdio", "-monitor", "none",
           "-action", "reboot=shutdown,shutdown=pause",
           "-qmp", "unix:%s,server=on,wait=off" % a.qmp]
    if a.share:
        # virtio-9p: the kdump capture kernel writes its dumps to the host here;
        # on arm64 on virtio-mmio (-virtfs would take the virt machine's PCIe,
        # for which the lab kernel has no driver)
        cmd += ["-fsdev", "local,id=swshare,path=%s,security_model=none" % a.share,
                "-device", "%s,fsdev=swshare,mount_tag=swshare"
                % ("virtio-9p-pci" if a.arch == "x86_64" else "virtio-9p-device")]
    if a.arch == "x86_64":
        cmd += ["-kernel", a.kernel, "-initrd", a.initrd, "-append", a.append]
    else:
        cmd = arm64_args(a, cmd)
    log = open(a.log, "w", buffering=1, errors="replace")
    lock = threading.Lock()
    t0 = time.monotonic()
    last_out = [t0]     # when the console last printed
    marked = threading.Event()  # --warm-after's text seen since the boot began

    def put(line):
        with lock:
            log.write("%12.6f|%s\n" % (time.monotonic() - t0, line))

    def silent():
        return a.silence and time.monotonic() - last_out[0] >= a.silence

    put("@host " + " ".join(cmd))
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)

    def reader():
        buf = b""
        while True:
            chunk = p.stdout.read1(4096)
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                last_out[0] = time.monotonic()
                text = line.rstrip(b"\r").decode("utf-8", "replace")
                if a.warm_after and a.warm_after in text:
                    marked.set()
                put(text)
        if buf:
            put(buf.decode("utf-8", "replace"))

    rt = threading.Thread(target=reader, daemon=True)
    rt.start()

    # QMP: connect (QEMU creates the socket shortly after start)
    sock = None
    while time.monotonic() - t0 < 10 and p.poll() is None:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(a.qmp)
            sock = s
            break
        except OSError:
            time.sleep(0.05)
    if sock is None:
        put("@host ERROR: no QMP socket")
        p.kill()
        return 1
    f = sock.makefile("rwb", buffering=0)
    events = []
    stopped = threading.Event()

    def qmp_read():
        line = f.readline()
        if not line:
            return None
        return json.loads(line)

    def on_event(m):
        ts = m.get("timestamp", {})
        put("@qmp %s %s host_ts=%d.%06d" % (m["event"], json.dumps(m.get("data", {})),
                                            ts.get("seconds", 0), ts.get("microseconds", 0)))
        events.append(m)
        if m["event"] in ("STOP", "SHUTDOWN", "GUEST_PANICKED"):
            if m["event"] == "STOP" or m["event"] == "SHUTDOWN":
                stopped.set()

    replies = []
    rcond = threading.Condition()

    def qmp_loop():
        while True:
            try:
                m = qmp_read()
            except (OSError, ValueError):
                m = None
            if m is None:
                with rcond:
                    replies.append(None)
                    rcond.notify_all()
                stopped.set()
                return
            if "event" in m:
                on_event(m)
            else:
                with rcond:
                    replies.append(m)
                    rcond.notify_all()

    greeting = qmp_read()
    qt = threading.Thread(target=qmp_loop, daemon=True)
    qt.start()

    def command(name, args=None, timeout=300):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        f.write((json.dumps(msg) + "\n").encode())
        end = time.monotonic() + timeout
        with rcond:
            while not replies:
                left = end - time.monotonic()
                if left <= 0:
                    return {"error": {"desc": "timeout"}}
                rcond.wait(left)
            r = replies.pop(0)
        return r if r is not None else {"error": {"desc": "QMP closed"}}

    command("qmp_capabilities")
    deadline = t0 + a.timeout
    warm_left = a.warm_reboots
    while True:
        while not stopped.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            if p.poll() is not None or silent():
                break
            stopped.wait(min(left, 0.5))
        resets = [e for e in events if e["event"] == "SHUTDOWN" and
                  e.get("data", {}).get("reason") == "guest-reset"]
        if not (warm_left and stopped.is_set() and resets and p.poll() is None):
            break
        # a warm reboot: same RAM, boot again (after the core of this stop)
        end = time.monotonic() + 5
        while time.monotonic() < end and not any(e["event"] == "STOP" for e in events):
            time.sleep(0.05)
        # the console may trail the QMP event by a little
        if a.warm_after and not marked.wait(2):
            put("@host reset before the console printed %r: not a warm reboot, the run ends here"
                % a.warm_after)
            break
        if a.dump and warm_left == a.warm_reboots:
            s = time.monotonic()
            r = command("dump-guest-memory", {"paging": False, "protocol": "file:" + a.dump})
            put("@host dump-guest-memory %s: %s in %.1f s" % (
                a.dump, r["error"].get("desc") if "error" in r else
                "%d bytes" % os.path.getsize(a.dump), time.monotonic() - s))
        warm_left -= 1
        events.clear()
        stopped.clear()
        marked.clear()
        # reboot=shutdown would turn this reset into another pause, and so
        # would the reset requests the guest's reboot loop left pending: from
        # now on guest resets just reset (the run ends at the power-off)
        rs = [command("set-action", {"reboot": "reset"}), command("system_reset"),
              command("cont")]
        put("@host warm reboot: set-action, system_reset, cont: %s" % ", ".join(
            "ok" if "error" not in r else r["error"].get("desc") for r in rs))
    if a.warm_reboots:
        a.dump = None   # written at the first reset

    rc = 0
    if not stopped.is_set() and p.poll() is None:
        if silent():
            put("@host SILENT for %.0f s: guest hung, killed" % a.silence)
        else:
            put("@host TIMEOUT after %.0f s: guest hung, killed" % a.timeout)
        p.kill()
        rc = 124
    elif p.poll() is not None and not events:
        put("@host QEMU exited (%d) before the guest stopped" % p.returncode)
        rc = 1
    else:
        # SHUTDOWN arrives first, the pause (STOP) right after: wait for it
        end = time.monotonic() + 5
        while time.monotonic() < end and not any(e["event"] == "STOP" for e in events):
            time.sleep(0.05)
        if a.dump:
            if os.path.exists(a.dump):
                os.unlink(a.dump)
            s = time.monotonic()
            r = command("dump-guest-memory", {"paging": False, "protocol": "file:" + a.dump})
            if "error" in r:
                put("@host dump-guest-memory failed: %s" % r["error"].get("desc"))
                rc = 1
            else:
                put("@host dump-guest-memory %s: %d bytes in %.1f s" %
                    (a.dump, os.path.getsize(a.dump), time.monotonic() - s))
        command("quit", timeout=10)
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    rt.join(timeout=5)
    put("@host end rc=%d" % rc)
    log.close()
    return rc


if __name__ == "__main__":
    sys.exit(main())
