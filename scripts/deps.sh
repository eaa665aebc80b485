#!/usr/bin/env bash
# Install the Debian packages listed in scripts/deps.d/*.list (or the lists
# named as arguments). Idempotent, and silent when everything is installed.
set -euo pipefail
cd "$(dirname "$0")/deps.d"
lists=("$@")
[ ${#lists[@]} -gt 0 ] || lists=(*.list)
want=() quiet=()
for l in "${lists[@]}"; do
  [ -f "$l" ] || l="$l.list"
  [ -f "$l" ] || { echo "deps: no package list $l" >&2; exit 2; }
  while read -r p flag _; do
    [ -n "$p" ] && [ "${p#\#}" = "$p" ] || continue
    want+=("$p")
    [ "${flag:-}" = no-service ] && quiet+=("$p")
  done < "$l"
done
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "deps: missing packages (${missing[*]}); run as root: make deps" >&2
  exit 3
fi
if printf '%s\n' "${missing[@]}" | grep -q ':arm64$' &&
   ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64
fi
echo "deps: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Packages marked no-service ship a daemon listening on every interface
# (prometheus :9090, node_exporter :9100): keep invoke-rc.d from starting it
# during the install, and disable it where systemd runs.
policy=/usr/sbin/policy-rc.d own_policy=
if [ ${#quiet[@]} -gt 0 ] && [ ! -e $policy ]; then
  printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy && own_policy=1
fi
rc=0
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
[ -n "$own_policy" ] && rm -f $policy
[ $rc -eq 0 ] || exit $rc
if [ ${#quiet[@]} -gt 0 ] && [ -d /run/systemd/system ]; then
  systemctl disable --now "${quiet[@]/%/.service}" >/dev/null 2>&1 || true
fi
echo "deps: done"
