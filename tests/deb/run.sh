#!/usr/bin/env bash
# The Debian package in a fresh Debian 12 root (debootstrap, Debian's
# mirror): apt installs it with its dependencies, `stopwatch probes` runs
# there, the unit is enabled, the man pages and alert rules are in place,
# and a purge leaves no file behind. The root is cached as a tarball under
# ~/.cache/stopwatch/debootstrap, keyed by its inputs, and made again when
# missing. Needs root (chroot, mounts).
# usage: run.sh DEB_AMD64 [DEB_ARM64]
set -u
DEB=$(realpath "$1") DEB_ARM64=${2:+$(realpath "$2")}
here=$(cd "$(dirname "$0")" && pwd)
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "deb $1: PASS"; }
bad() { fail=$((fail + 1)); echo "deb $1: FAIL $2"; }
if [ "$(id -u)" != 0 ]; then
  echo "deb tests need root (debootstrap, chroot): run 'sudo make deb-test'"
  echo "deb: 0 passed, 1 failed"; exit 1
fi
SUITE=bookworm MIRROR=http://deb.debian.org/debian
# systemd: the unit is enabled at install, and the root can boot (nspawn)
INCLUDE=systemd,systemd-sysv,dbus,ca-certificates
CACHE=${STOPWATCH_CACHE:-$HOME/.cache/stopwatch}/debootstrap
key=$(printf '%s\n' "$SUITE" "$MIRROR" minbase "$INCLUDE" amd64 "$(dpkg-query -W -f '${Version}' debootstrap)" |
      sha256sum | cut -c1-16)
tarball=$CACHE/$SUITE-amd64-$key.tar.gz
root=$(mktemp -d /tmp/sw-deb-root.XXXXXX)
mounted=()
cleanup() {
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null; done
  rm -rf --one-file-system "$root" "$root.bpffs"
}
trap cleanup EXIT
t0=$SECONDS

# 0. make install with DESTDIR and PREFIX, for other distributions
dest=$root.destdir
if make -s -C "$here/../.." install DESTDIR="$dest" PREFIX=/opt/sw > "$dest.log" 2>&1 &&
   [ -x "$dest/opt/sw/sbin/stopwatch" ] && [ -x "$dest/opt/sw/libexec/stopwatch/recover-boot" ] &&
   grep -q '^ExecStart=/opt/sw/sbin/stopwatch live' "$dest/opt/sw/lib/systemd/system/stopwatch.service" &&
   grep -q '^ExecStartPre=-/opt/sw/libexec/stopwatch/recover-boot' "$dest/opt/sw/lib/systemd/system/stopwatch.service" &&
   grep -q 'STOPWATCH:-/opt/sw/sbin/stopwatch' "$dest/opt/sw/libexec/stopwatch/recover-boot" &&
   [ -f "$dest/opt/sw/share/man/man8/stopwatch-stats.8" ] &&
   [ -f "$dest/opt/sw/share/stopwatch/prometheus/stopwatch.rules.yml" ] &&
   ! grep -rh '/usr/sbin\|/usr/libexec' "$dest/opt/sw/lib" "$dest/opt/sw/libexec" | grep -qv '^#'; then
  ok "make install DESTDIR=... PREFIX=/opt/sw: files in place, the unit's paths under PREFIX"
else bad "make install" "$(tail -5 "$dest.log")"; fi
rm -rf "$dest" "$dest.log"

# 1. the root: from the cache, or debootstrap now (then cached)
if [ ! -f "$tarball" ]; then
  echo "deb: no cached root ($tarball): debootstrap $SUITE from $MIRROR"
  mkdir -p "$CACHE"
  if debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$root" "$MIRROR" > "$root.log" 2>&1 &&
     tar -C "$root" --one-file-system -czf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"; then
    echo "deb: root cached in $tarball ($(du -m "$tarball" | cut -f1) MB, $((SECONDS - t0)) s)"
  else
    bad debootstrap "$(tail -5 "$root.log")"; rm -f "$tarball.tmp" "$root.log"
    echo "deb: $pass passed, $fail failed"; exit 1
  fi
  rm -f "$root.log"
  rm -rf --one-file-system "$root" && mkdir -p "$root"
fi
tar -C "$root" -xzf "$tarball" || { bad "root" "cannot unpack $tarball"; exit 1; }
cat > "$root/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb http://deb.debian.org/debian-security $SUITE-security main
EOF
cp /etc/resolv.conf "$root/etc/resolv.conf"
# services never start in the root (the test is not booting it)
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"; chmod 755 "$root/usr/sbin/policy-rc.d"
for m in proc sys dev; do
  mount --rbind "/$m" "$root/$m" && mount --make-rslave "$root/$m" && mounted+=("$root/$m")
done
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }
# the files of the root that a package may leave behind (apt's own state aside)
snapshot() {
  (cd "$root" && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./tmp -o -path ./var/cache \
     -o -path ./var/log -o -path ./var/lib/apt -o -path ./var/lib/dpkg \) -prune -o -print | sort)
}

# 2. dependencies first (so the purge can be compared with this), then the package
cp "$DEB" "$root/tmp/"
deps=$(dpkg-deb -f "$DEB" Depends)
if in_root apt-get update -qq > "$root/tmp/apt.log" 2>&1 &&
   in_root apt-get satisfy -y -qq --no-install-recommends "$deps" >> "$root/tmp/apt.log" 2>&1; then
  ok "Debian 12 root: runtime dependencies from the mirror ($deps)"
else bad "dependencies" "$(tail -5 "$root/tmp/apt.log")"; fi
before=$(snapshot)
if in_root apt-get install -y -qq --no-install-recommends "/tmp/$(basename "$DEB")" >> "$root/tmp/apt.log" 2>&1 &&
   [ "$(in_root dpkg-query -W -f '${Status}' stopwatch)" = "install ok installed" ]; then
  ok "apt install ./$(basename "$DEB")"
else bad "apt install" "$(tail -5 "$root/tmp/apt.log")"; fi
# nothing the package should not pull in: no compiler, no QEMU
if ! in_root dpkg-query -W gcc clang qemu-system-x86 qemu-user-static > /dev/null 2>&1; then
  ok "runtime dependencies only (no compiler, no QEMU installed)"
else bad "runtime dependencies" "$(in_root dpkg-query -W gcc clang qemu-system-x86 2>/dev/null)"; fi

# 3. it runs there: probes on this kernel (the same one, from inside the root)
in_root stopwatch probes > "$root/tmp/probes.out" 2>&1; rc=$?
if [ $rc -eq 0 ] && grep -q '^POINT ' "$root/tmp/probes.out" && grep -q 'rungs on this kernel' "$root/tmp/probes.out"; then
  ok "stopwatch probes in the root ($(grep -c ' attached$' "$root/tmp/probes.out") points attached)"
else bad "stopwatch probes" "rc=$rc $(head -5 "$root/tmp/probes.out")"; fi
if in_root stopwatch --version | grep -q '^stopwatch ' &&
   [ "$(in_root systemctl is-enabled stopwatch.service 2>&1)" = enabled ] &&
   in_root test -x /usr/libexec/stopwatch/recover-boot &&
   [ "$(in_root sh -c 'ls /usr/share/man/man8/stopwatch*.8.gz | wc -l')" -eq $((1 + $(in_root stopwatch --help | sed -n '/^Commands:/,/^$/p' | grep -c '^  [a-z]'))) ] &&
   in_root sh -c 'zcat /usr/share/man/man8/stopwatch-stats.8.gz' | grep -q 'Accept header' &&
   in_root test -f /usr/share/stopwatch/prometheus/stopwatch.rules.yml &&
   grep -q '^ExecStart=/usr/sbin/stopwatch live' "$root/lib/systemd/system/stopwatch.service"; then
  ok "unit enabled, recover-boot, a man page per command and stopwatch(8), alert rules"
else bad "installed files" "$(in_root systemctl is-enabled stopwatch.service 2>&1)"; fi

# 4. purge: every file it brought is gone
if in_root apt-get purge -y -qq stopwatch >> "$root/tmp/apt.log" 2>&1 &&
   ! in_root dpkg-query -W -f '${Status}' stopwatch 2>/dev/null | grep -q installed; then
  left=$(comm -13 <(echo "$before") <(snapshot))
  if [ -z "$left" ]; then ok "apt purge leaves no file behind"
  else bad "purge" "left: $(echo "$left" | head -10 | tr '\n' ' ')"; fi
else bad "purge" "$(tail -5 "$root/tmp/apt.log")"; fi

# 5. the arm64 package: its contents and dependencies match (it cannot run here)
if [ -n "$DEB_ARM64" ]; then
  a=$(dpkg-deb -c "$DEB" | awk '{print $6}' | sort) b=$(dpkg-deb -c "$DEB_ARM64" | awk '{print $6}' | sort)
  if [ "$(dpkg-deb -f "$DEB_ARM64" Architecture)" = arm64 ] && [ "$a" = "$b" ] &&
     [ "$(dpkg-deb -f "$DEB_ARM64" Depends)" = "$deps" ] &&
     dpkg-deb --fsys-tarfile "$DEB_ARM64" | tar -xOf - ./usr/sbin/stopwatch | file - | grep -q 'ARM aarch64'; then
    ok "arm64 package: aarch64 binary, same files and dependencies as amd64"
  else bad "arm64 package" "$(diff <(echo "$a") <(echo "$b") | head -5)"; fi
fi
# 6. the unit for real: reinstall, boot the root with systemd-nspawn, and the
#    journal shows recover-boot, arm and live. The container gets the BPF
#    syscalls and capabilities, and a bpffs of its own (pins stay private).
boot_log=$root.boot.log bpffs=$root.bpffs
if ! command -v systemd-nspawn > /dev/null; then
  bad "systemd-nspawn boot" "no systemd-nspawn: make deps (systemd-container, packaging.list)"
elif in_root dpkg -i "/tmp/$(basename "$DEB")" >> "$root/tmp/apt.log" 2>&1; then
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}"; done
  mounted=()
  rm -f "$root/usr/sbin/policy-rc.d"
  mkdir -p "$root/var/log/journal" "$bpffs" && mount -t bpf bpf "$bpffs" && mounted+=("$bpffs")
  echo sw-deb-test > "$root/etc/hostname"
  timeout 120 systemd-nspawn -D "$root" --register=no --keep-unit --boot --quiet --capability=all \
    --system-call-filter='bpf perf_event_open' --bind="$bpffs:/sys/fs/bpf" > "$boot_log" 2>&1 & ns=$!
  jr() { journalctl -D "$root/var/log/journal" -u stopwatch.service --no-pager -o cat 2>/dev/null; }
  for _ in $(seq 150); do
    jr | grep -q 'Tracing IPI delivery latency' && break
    sleep 0.2
  done
  sleep 2
  kill -TERM $ns 2>/dev/null   # nspawn asks the container's systemd to power off
  timeout 60 tail --pid=$ns -f /dev/null || kill -KILL $ns 2>/dev/null
  wait $ns 2>/dev/null
  jr > "$root/tmp/journal.txt"
  if grep -q '^Starting stopwatch.service' "$root/tmp/journal.txt" &&
     grep -q '^recover-boot: no persistent trace instance records' "$root/tmp/journal.txt" &&
     grep -q '^armed: [0-9]* attach points pinned under /sys/fs/bpf/stopwatch' "$root/tmp/journal.txt" &&
     grep -q '^locator: pfn=' "$root/tmp/journal.txt" &&
     grep -q '^Tracing IPI delivery latency' "$root/tmp/journal.txt" &&
     grep -q 'delivery latency$' "$root/tmp/journal.txt" &&
     [ -f "$root/var/lib/prometheus/node-exporter/stopwatch_cumulative.prom" ] && [ -e "$bpffs/stopwatch" ]; then
    ok "systemd-nspawn --boot: the enabled unit ran recover-boot, arm and live (journal); pins in the container's bpffs"
  else bad "systemd-nspawn boot" "$(head -c 600 "$root/tmp/journal.txt") $(grep -i 'fail\|error' "$boot_log" | head -5)"; fi
else bad "reinstall for the boot" "$(tail -5 "$root/tmp/apt.log")"; fi
[ -n "${KEEP_BOOT_LOG:-}" ] && cp "$boot_log" "$root/tmp/journal.txt" "$KEEP_BOOT_LOG/" 2>/dev/null
rm -f "$boot_log"
echo "deb: took $((SECONDS - t0)) s"
echo "deb: $pass passed, $fail failed"
[ $fail -eq 0 ]
