#!/usr/bin/env bash
# Man pages from --help, so both say the same: stopwatch(8) from `stopwatch
# --help`, stopwatch-COMMAND(8) from `stopwatch COMMAND --help` for each
# command `stopwatch --help` lists. The --help text goes in verbatim
# (no-fill): help2man, tried first, reflows the indented EXAMPLES lines of
# argp's help into run-on text, so this small generator stands in for it.
# usage: mkman.sh STOPWATCH_BINARY OUTDIR VERSION
set -euo pipefail
sw=$(realpath "$1") out=$2 version=$3
mkdir -p "$out"
date=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y-%m-%d)
commands=$("$sw" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z]*\)  *\(.*\)$/\1\t\2/p')
# roff-escape a text: backslashes, and lines that roff would read as requests
esc() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/" -e 's/-/\\-/g'; }
page() {  # NAME WHAT HELP-COMMAND...
  local name=$1 what=$2; shift 2
  local up
  up=$(tr '[:lower:]-' '[:upper:]-' <<<"$name")
  {
    printf '.TH %s 8 "%s" "stopwatch %s" "System Administration"\n' "$up" "$date" "$version"
    printf '.SH NAME\n%s \\- %s\n' "$name" "$(esc <<<"$what")"
    printf '.SH SYNOPSIS\n.B %s\n[\\fIOPTION\\fR...]\n' "${name/-/ }"
    printf '.SH DESCRIPTION\nThe text of\n.B %s \\-\\-help\n(the same program, the same words):\n.PP\n.nf\n' "${name/-/ }"
    "$@" | esc
    printf '.fi\n.SH EXIT STATUS\n0 success; 1 failure; 2 usage error; 3 not root; 4 kernel cannot run it;\n5 stale pins from another build; 6 corrupt or foreign input file.\n'
    printf '.SH SEE ALSO\n'
    { echo stopwatch; cut -f1 <<<"$commands" | sed 's/^/stopwatch-/'; } | grep -vx "$name" |
      sed 's/$/ (8)/; s/^/.BR /' | sed '$!s/$/,/'
  } > "$out/$name.8.tmp"
  mv "$out/$name.8.tmp" "$out/$name.8"
}
page stopwatch "record how Linux stops its CPUs: IPI, NMI and SDEI rungs" "$sw" --help
while IFS=$'\t' read -r cmd what; do
  page "stopwatch-$cmd" "$what" "$sw" "$cmd" --help
done <<<"$commands"
echo "$(ls "$out"/*.8 | wc -l) man pages in $out"
