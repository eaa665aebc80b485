#!/usr/bin/env bash
# HTTP endpoint abuse (tests/http/abuse.py) against the dynamic build's
# stats --listen on loopback, over a state directory of the log fixtures.
# usage: run.sh STATIC_BINARY DYNAMIC_BINARY
set -u
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$1" logscan --state-dir "$tmp/state" "$here"/../data/logs/*.log > /dev/null 2>&1 ||
  { echo "http state from the fixtures: FAIL"; echo "http: 0 passed, 1 failed, 0 skipped"; exit 1; }
exec python3 "$here/abuse.py" "$(realpath "$2")" "$tmp/state"
