#!/usr/bin/env bash
# Print the path of stopwatch as released at commit $RELEASE1 (the last
# release with state keys from the wire struct's bytes), building it once
# into the build cache (~/.cache/stopwatch/release1-<commit>/) from this
# repository's history. Exit 3, saying why, when the commit is not in this
# clone (a shallow clone): the caller reports the test as skipped.
set -euo pipefail
RELEASE1=cda5d18
repo=$(cd "$(dirname "$0")/../.." && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/stopwatch/release1-$RELEASE1
bin=$cache/build/x86_64/stopwatch
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi
if ! git -C "$repo" cat-file -e "$RELEASE1^{commit}" 2>/dev/null; then
  echo "release1: commit $RELEASE1 is not in this clone (shallow?)" >&2
  exit 3
fi
tmp=$(mktemp -d "$cache.tmp.XXXXXX" 2>/dev/null || { mkdir -p "$(dirname "$cache")"; mktemp -d "$cache.tmp.XXXXXX"; })
trap 'rm -rf "$tmp"' EXIT
git -C "$repo" archive "$RELEASE1" | tar -x -C "$tmp"
make -s -C "$tmp" ARCH=x86_64 build/x86_64/stopwatch >"$tmp/build.log" 2>&1 ||
  { tail -20 "$tmp/build.log" >&2; exit 1; }
rm -rf "$cache"
mv "$tmp" "$cache"
trap - EXIT
echo "$bin"
