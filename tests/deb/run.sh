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
TALLY_STAGE=deb
. "$here/../lib/tally.sh"
if [ "$(id -u)" != 0 ]; then
  skipped "all" "needs root (debootstrap, chroot, mounts): run 'sudo make deb-test'" root
  tally_end; exit
fi
SUITE=bookworm MIRROR=http://deb.debian.org/debian
# systemd: the unit is enabled at install, and the root can boot (nspawn)
INCLUDE=systemd,systemd-sysv,dbus,ca-certificates
CACHE=${STOPWATCH_CACHE:-$HOME/.cache/stopwatch}/debootstrap
key=$(printf '%s\n' "$SUITE" "$MIRROR" minbase "$INCLUDE" amd64 "$(dpkg-query -W -f '${Version}' debootstrap)" |
      sha256sum | cut -c1-16)
tarball=$CACHE/$SUITE-amd64-$key.tar.gz
root=$(mktemp -d /tmp/sw-deb-root.XXXXXX)
bpffs=$root.bpffs
mounted=()
cleanup() {
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null; done
  mountpoint -q "$bpffs" && umount -l "$bpffs"
  rm -rf --one-file-system "$root" "$bpffs"
  rm -f "$root.boot.log"
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
     tar -C "$root" --one-file-system -czf "$tarball.tmp.$$" . && mv "$tarball.tmp.$$" "$tarball"; then
    echo "deb: root cached in $tarball ($(du -m "$tarball" | cut -f1) MB, $((SECONDS - t0)) s)"
  else
    bad debootstrap "$(tail -5 "$root.log")"; rm -f "$tarball.tmp.$$" "$root.log"
    tally_end; exit 1
  fi
  rm -f "$root.log"
  rm -rf --one-file-system "$root" && mkdir -p "$root"
fi
tar -C "$root" -xzf "$tarball" || { bad "root" "cannot unpack $tarball"; tally_end; exit 1; }
cat > "$root/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb http://deb.debian.org/debian-security $SUITE-security main
EOF
cp /etc/resolv.conf "$root/etc/resolv.conf"
# services never start from apt in the root (the boots below start them)
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"; chmod 755 "$root/usr/sbin/policy-rc.d"
echo sw-deb-test > "$root/etc/hostname"
mkdir -p "$root/var/log/journal"
# a bpffs for the root alone, in the chroot and in the container: the
# package's pins (and the purge that removes them) never touch the host's
mkdir -p "$bpffs" && mount -t bpf bpf "$bpffs" || { bad "bpffs" "cannot mount a bpffs on $bpffs"; tally_end; exit 1; }
host_pins=$(ls -A /sys/fs/bpf 2>&1)
# chroot_mounts / chroot_umount: the host's proc, sys and dev for apt and
# `stopwatch probes` in the chroot, with the root's own bpffs over /sys/fs/bpf
chroot_mounts() {
  for m in proc sys dev; do
    mount --rbind "/$m" "$root/$m" && mount --make-rslave "$root/$m" && mounted+=("$root/$m")
  done
  mount --bind "$bpffs" "$root/sys/fs/bpf" && mounted+=("$root/sys/fs/bpf")
}
chroot_umount() {
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}"; done
  mounted=()
}
chroot_mounts
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }
# the files of the root that a package may leave behind (apt's own state aside)
snapshot() {
  (cd "$root" && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./tmp -o -path ./var/cache \
     -o -path ./var/log -o -path ./var/lib/apt -o -path ./var/lib/dpkg \) -prune -o -print | sort)
}
# boot_root MATCH PATTERN: boot the root with systemd-nspawn (the chroot's
# mounts off meanwhile) until the journal's MATCH (journalctl's: -u UNIT,
# _PID=1) shows PATTERN, power it off and leave that journal in
# $root/tmp/journal.txt. The container gets the BPF
# syscalls and capabilities and the root's own bpffs; its PID 1 is systemd,
# this machine's is not (--register=no --keep-unit). Fails after 90 s: a
# boot that loads the BPF programs took over 30 s on the 2-CPU machine with
# fuzzers running, and a boot cut short left systemd's PrivateTmp behind.
boot_root() {
  local match=$1 pattern=$2 ns up=1
  chroot_umount
  # shellcheck disable=SC2086 # MATCH is one or two words
  jr() { journalctl -D "$root/var/log/journal" $match --no-pager -o cat 2>/dev/null; }
  timeout 120 systemd-nspawn -D "$root" --register=no --keep-unit --boot --quiet --capability=all \
    --system-call-filter='bpf perf_event_open' --bind="$bpffs:/sys/fs/bpf" > "$root.boot.log" 2>&1 & ns=$!
  for _ in $(seq 450); do
    jr | grep -q "$pattern" && { up=0; break; }
    sleep 0.2
  done
  sleep 2
  kill -TERM $ns 2>/dev/null   # nspawn asks the container's systemd to power off
  timeout 60 tail --pid=$ns -f /dev/null || kill -KILL $ns 2>/dev/null
  wait $ns 2>/dev/null
  jr > "$root/tmp/journal.txt"
  chroot_mounts
  return $up
}

# 2. dependencies first, and a first boot without stopwatch (systemd's
#    first-boot files), so the purge can be compared with this; then the package
cp "$DEB" "$root/tmp/"
deps=$(dpkg-deb -f "$DEB" Depends)
if in_root apt-get update -qq > "$root/tmp/apt.log" 2>&1 &&
   in_root apt-get satisfy -y -qq --no-install-recommends "$deps" >> "$root/tmp/apt.log" 2>&1; then
  ok "Debian 12 root: runtime dependencies from the mirror ($deps)"
else bad "dependencies" "$(tail -5 "$root/tmp/apt.log")"; fi
if ! command -v systemd-nspawn > /dev/null; then
  bad "systemd-nspawn" "no systemd-nspawn: make deps (systemd-container, packaging.list)"
  tally_end; exit 1
fi
boot_root _PID=1 'Reached target basic.target' ||
  bad "first boot" "no 'Reached target basic.target' in 30 s: $(grep -i 'fail\|error' "$root.boot.log" | head -5)"
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
cmds=$(in_root stopwatch --help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z]*\)  .*/\1/p')
if in_root stopwatch --version | grep -q '^stopwatch ' &&
   [ "$(in_root systemctl is-enabled stopwatch.service 2>&1)" = enabled ] &&
   in_root test -x /usr/libexec/stopwatch/recover-boot &&
   [ "$(in_root sh -c 'ls /usr/share/man/man8/stopwatch*.8.gz | wc -l')" -eq $((1 + $(wc -w <<<"$cmds"))) ] &&
   in_root sh -c 'zcat /usr/share/man/man8/stopwatch-stats.8.gz' | grep -q 'Accept header' &&
   in_root test -f /usr/share/stopwatch/prometheus/stopwatch.rules.yml &&
   grep -q '^ExecStart=/usr/sbin/stopwatch live' "$root/lib/systemd/system/stopwatch.service"; then
  ok "unit enabled, recover-boot, a man page per command and stopwatch(8), alert rules"
else bad "installed files" "$(in_root systemctl is-enabled stopwatch.service 2>&1)"; fi
# the man pages say what --help says: for stopwatch and each command its
# --help lists, every non-empty line of the installed binary's --help is a
# line of what man renders of the installed page (whitespace normalised).
# The root has no man-db: the host's man renders the root's file.
norm() { sed 's/[[:space:]]\+/ /g; s/^ //; s/ $//; /^$/d'; }
differ=()
command -v man > /dev/null || differ+=("no man on this host: make deps (man-db, packaging.list)")
for c in "" $cmds; do
  page=/usr/share/man/man8/stopwatch${c:+-$c}.8.gz
  in_root stopwatch ${c:+"$c"} --help | norm > "$root/tmp/help.txt"
  MANWIDTH=200 man -l -P cat "$root$page" 2>/dev/null | norm > "$root/tmp/man.txt"
  missing=$(grep -vxFf "$root/tmp/man.txt" "$root/tmp/help.txt")
  if [ "$(wc -l < "$root/tmp/help.txt")" -lt 5 ] || [ -n "$missing" ]; then
    differ+=("$page: $(wc -l < "$root/tmp/help.txt") lines of --help, not in the page: $(head -3 <<<"$missing" | paste -sd'|')")
  fi
done
if [ -z "$cmds" ]; then bad "man pages = --help" "no commands in 'stopwatch --help'"
elif [ ${#differ[@]} -eq 0 ]; then ok "man renders every line of --help in stopwatch(8) and the $(wc -w <<<"$cmds") command pages"
else bad "man pages = --help" "${differ[*]}"; fi

# 4. the arm64 package: its contents and dependencies match (it cannot run here)
if [ -n "$DEB_ARM64" ]; then
  a=$(dpkg-deb -c "$DEB" | awk '{print $6}' | sort) b=$(dpkg-deb -c "$DEB_ARM64" | awk '{print $6}' | sort)
  if [ "$(dpkg-deb -f "$DEB_ARM64" Architecture)" = arm64 ] && [ "$a" = "$b" ] &&
     [ "$(dpkg-deb -f "$DEB_ARM64" Depends)" = "$deps" ] &&
     dpkg-deb --fsys-tarfile "$DEB_ARM64" | tar -xOf - ./usr/sbin/stopwatch | file - | grep -q 'ARM aarch64'; then
    ok "arm64 package: aarch64 binary, same files and dependencies as amd64"
  else bad "arm64 package" "$(diff <(echo "$a") <(echo "$b") | head -5)"; fi
fi

# 5. the unit for real: boot the root, and the journal shows recover-boot,
#    arm and live; the state, textfiles and pins it made are there, with
#    their modes
TF=var/lib/prometheus/node-exporter
boot_root '-u stopwatch.service' 'Tracing IPI delivery latency'
j=$root/tmp/journal.txt
missing=
for want in '^Starting stopwatch.service' '^recover-boot: no persistent trace instance records' \
    '^armed: [0-9]* attach points pinned under /sys/fs/bpf/stopwatch' '^locator: pfn=' \
    '^Tracing IPI delivery latency' 'delivery latency$'; do
  grep -q "$want" "$j" || missing="$missing journal:'$want'"
done
[ -f "$root/$TF/stopwatch_cumulative.prom" ] || missing="$missing $TF/stopwatch_cumulative.prom"
[ -e "$bpffs/stopwatch" ] || missing="$missing pins"
if [ -z "$missing" ]; then
  ok "systemd-nspawn --boot: the enabled unit ran recover-boot, arm and live (journal); pins in the root's bpffs"
else bad "systemd-nspawn boot" "missing:$missing; journal's last lines: $(tail -n 8 "$j" | tr '\n' '|') $(grep -i 'fail\|error' "$root.boot.log" | head -5)"; fi
# what it made: the state directory 0750 and its files 0640 (systemd's
# StateDirectoryMode and recover-boot's files included), the pins root-only
modes="$(stat -c %a "$root/var/lib/stopwatch" 2>&1) $(stat -c %a "$bpffs/stopwatch" 2>&1)"
loose=$(find "$root/var/lib/stopwatch" -mindepth 1 ! -perm 0640 -printf '%m %P\n' 2>&1 | paste -sd' ')
nstate=$(find "$root/var/lib/stopwatch" -mindepth 1 -type f 2>/dev/null | wc -l)
if [ "$modes" = "750 700" ] && [ -z "$loose" ] && [ "$nstate" -gt 0 ]; then
  ok "after the unit ran: /var/lib/stopwatch 0750 and its $nstate files 0640, pin directory 0700"
else bad "modes after the unit ran" "state dir, pin dir: $modes; not 0640: $loose"; fi

# 6. purge, after the unit has really run: the state, the textfiles and the
#    directories the unit made, the pins (in the root's bpffs) are gone with
#    every file the package brought; the host's pins are as they were
if in_root apt-get purge -y -qq stopwatch >> "$root/tmp/apt.log" 2>&1 &&
   ! in_root dpkg-query -W -f '${Status}' stopwatch 2>/dev/null | grep -q installed; then
  # systemd's PrivateTmp of its own units (logind) can outlive a container
  # shutdown a loaded host cut short: not the package's, whose would name
  # stopwatch.service
  left=$(comm -13 <(echo "$before") <(snapshot) |
    awk '!(/^\.\/var\/tmp\/systemd-private-/ && !/stopwatch/)')
  if [ -z "$left" ] && [ ! -e "$bpffs/stopwatch" ] && [ "$(ls -A /sys/fs/bpf 2>&1)" = "$host_pins" ]; then
    ok "apt purge after a boot leaves no file behind (state, textfiles, their directory, pins: gone; host's pins untouched)"
  else bad "purge" "left: $(echo "$left" | head -10 | tr '\n' ' ')$([ -e "$bpffs/stopwatch" ] && echo " pins in the root's bpffs")"; fi
else bad "purge" "$(tail -5 "$root/tmp/apt.log")"; fi
[ -n "${KEEP_BOOT_LOG:-}" ] && cp "$root.boot.log" "$root/tmp/journal.txt" "$KEEP_BOOT_LOG/" 2>/dev/null
echo "deb: took $((SECONDS - t0)) s"
tally_end
