#!/usr/bin/env bash
# Install the Debian packages listed in scripts/deps.d/*.list (or the lists
# named as arguments). Idempotent, and silent when everything is installed.
set -euo pipefail
cd "$(dirname "$0")/deps.d"
lists=("$@")
[ ${#lists[@]} -gt 0 ] || lists=(*.list)
want=()
for l in "${lists[@]}"; do
  [ -f "$l" ] || l="$l.list"
  [ -f "$l" ] || { echo "deps: no package list $l" >&2; exit 2; }
  while read -r p _; do
    [ -n "$p" ] && [ "${p#\#}" = "$p" ] && want+=("$p")
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
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
