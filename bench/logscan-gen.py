#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Write a realistic bulk kernel log for bench/logscan.sh: syslog lines
("Nov 21 13:04:18 hostNN kernel: [  ts] msg") from many hosts, mostly
ordinary kernel chatter, with a boot per host and a few stops (clean
reboots, NMI retries, failed stops, panics) sprinkled in.
usage: logscan-gen.py OUT SIZE_MB [HOSTS [LINES_PER_STOP]]"""
import random
import sys

out, size_mb = sys.argv[1], int(sys.argv[2])
nhosts = int(sys.argv[3]) if len(sys.argv) > 3 else 64
every = int(sys.argv[4]) if len(sys.argv) > 4 else 400000
rnd = random.Random(1)

BOOT = [
    "Linux version 6.12.38+deb13-arm64 (debian-kernel@lists.debian.org) (aarch64-linux-gnu-gcc-14 (Debian 14.2.0-19) 14.2.0, GNU ld (GNU Binutils for Debian) 2.44) #1 SMP Debian 6.12.38-1 (2025-07-16)",
    "Kernel command line: console=ttyAMA0 root=/dev/vda rw quiet",
    "smp: Bringing up secondary CPUs ...",
    "smp: Brought up 1 node, 8 CPUs",
    "SMP: Total of 8 processors activated.",
    "CPU: All CPU(s) started at EL1",
]
CHATTER = [
    "EXT4-fs (vda1): mounted filesystem 1c2c5d2e-6b1a-4a77-9c0f-1a2b3c4d5e6f r/w with ordered data mode. Quota mode: none.",
    "audit: type=1400 audit(1732194258.120:412): apparmor=\"DENIED\" operation=\"open\" class=\"file\" profile=\"/usr/sbin/ntpd\" name=\"/proc/sys/kernel/random/boot_id\" pid=812 comm=\"ntpd\" requested_mask=\"r\" denied_mask=\"r\" fsuid=0 ouid=0",
    "IPv6: ADDRCONF(NETDEV_CHANGE): eth0: link becomes ready",
    "virtio_net virtio1 eth0: renamed from enp0s1",
    "nf_conntrack: default automatic helper assignment has been turned off for security reasons and CT-based firewall rule not found. Use the iptables CT target to attach helpers instead.",
    "TCP: request_sock_TCP: Possible SYN flooding on port 443. Sending cookies.  Check SNMP counters.",
    "perf: interrupt took too long (2505 > 2500), lowering kernel.perf_event_max_sample_rate to 79750",
    "sched: RT throttling activated",
    "systemd-journald[231]: Received client request to flush runtime journal.",
    "workqueue: drm_fb_helper_damage_work hogged CPU for >10000us 4 times, consider switching to WQ_UNBOUND",
    "hrtimer: interrupt took 1233280 ns",
    "rcu: INFO: rcu_preempt detected expedited stalls on CPUs/tasks: { 3-... } 21 jiffies s: 301 root: 0x8/.",
    "kauditd_printk_skb: 14 callbacks suppressed",
    "Out of memory: Killed process 4411 (java) total-vm:8812344kB, anon-rss:6021120kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:12812kB oom_score_adj:0",
    "usb 1-1: new high-speed USB device number 2 using xhci_hcd",
    "br0: port 2(veth4c1a2b3) entered forwarding state",
    "device veth4c1a2b3 entered promiscuous mode",
    "cgroup: fork rejected by pids controller in /system.slice/cron.service",
    "CPU3: Booted secondary processor 0x0000000003 [0x410fd083]",
    "smpboot: CPU 2 is now offline",
    "Kernel/User page tables isolation: enabled",
    "reboot-mode: Registered reboot-mode driver",
    "nvme nvme0: 8/0/0 default/read/poll queues",
    "watchdog: BUG: soft lockup - CPU#1 stuck for 23s! [kworker/1:2:1802]",
    "xfs filesystem being mounted at /srv supports timestamps until 2038-01-19 (0x7fffffff)",
]
STOPS = [
    ["reboot: Restarting system"],
    ["sysrq: Resetting", "SMP: stopping secondary CPUs", "SMP: retry stop with NMI for CPUs 5-6"],
    ["Kernel panic - not syncing: hung_task: blocked tasks",
     "CPU: 4 UID: 0 PID: 53 Comm: khungtaskd Not tainted 6.12.38+deb13-arm64 #1  Debian 6.12.38-1",
     "SMP: stopping secondary CPUs", "SMP: failed to stop secondary CPUs 7",
     "---[ end Kernel panic - not syncing: hung_task: blocked tasks ]---"],
    ["reboot: Power down"],
]

hosts = ["host%03d" % i for i in range(nhosts)]
clock = {h: 0.0 for h in hosts}
target = size_mb * 1024 * 1024
written = stops = 0
sec = 0
buf = []
with open(out, "w") as f:
    def line(h, msg):
        global written
        t = clock[h] = clock[h] + rnd.random() * 0.05
        s = "Nov 21 %02d:%02d:%02d %s kernel: [%12.6f] %s\n" % (
            13 + sec // 3600 % 10, sec // 60 % 60, sec % 60, h, t, msg)
        buf.append(s)
        written += len(s)
    for h in hosts:
        clock[h] = 0.0
        for m in BOOT:
            line(h, m)
    n = 0
    while written < target:
        n += 1
        if n % 1000 == 0:
            sec += 1
            f.write("".join(buf))
            buf.clear()
        h = hosts[rnd.randrange(nhosts)]
        if n % every == 0:
            for m in STOPS[stops % len(STOPS)]:
                line(h, m)
            stops += 1
            clock[h] = 0.0
            for m in BOOT:
                line(h, m)
        else:
            line(h, CHATTER[rnd.randrange(len(CHATTER))])
    f.write("".join(buf))
print("%s: %d MB, %d hosts, %d stops" % (out, written >> 20, nhosts, stops), file=sys.stderr)
