#!/usr/bin/env bash
# make deb [ARCH=x86_64|arm64]: build/deb/stopwatch_<version>_<amd64|arm64>.deb
# with debhelper (packaging/debian), cross for arm64 (the cross toolchain
# and :arm64 libraries of scripts/deps.d/cross-arm64.list). Built from a
# copy of the tree (tracked and new files, no build output) so nothing of a
# developer's build leaks in; then lintian, which must report no error.
# The version: 0.1.<commits>+g<hash>, with +dirty for uncommitted changes.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-$(uname -m)}" in
  x86_64|amd64) sw=x86_64 deb=amd64 ;;
  arm64|aarch64) sw=arm64 deb=arm64 ;;
  *) echo "mkdeb: unknown arch $1 (x86_64 or arm64)" >&2; exit 2 ;;
esac
version=0.1.$(git rev-list --count HEAD)+g$(git rev-parse --short HEAD)
git diff --quiet HEAD 2>/dev/null || version=$version+dirty
[ -f build/man/stopwatch.8 ] || { echo "mkdeb: no man pages in build/man: run make man" >&2; exit 2; }
top=build/deb/$deb stage=build/deb/$deb/stopwatch-$version
rm -rf "$top" && mkdir -p "$stage/build"
git ls-files -z -co --exclude-standard | tar --null -T - --ignore-failed-read -cf - 2>/dev/null |
  tar -xf - -C "$stage"
cp -a build/man "$stage/build/man"
cp -r packaging/debian "$stage/debian"
cat > "$stage/debian/changelog" <<EOC
stopwatch ($version) unstable; urgency=medium

  * Built from git $(git describe --always --dirty).

 -- stopwatch maintainers <stopwatch@example.org>  $(date -R -d "@${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}")
EOC
echo "deb: building stopwatch $version for $deb in $stage"
# -d: build dependencies come from scripts/deps.d (make deps), which also
# holds the cross ones dpkg-checkbuilddeps cannot express for a host build
(cd "$stage" && dpkg-buildpackage -b -uc -us -d --host-arch="$deb" > ../build.log 2>&1) ||
  { tail -30 "$top/build.log" >&2; echo "mkdeb: dpkg-buildpackage failed (log: $top/build.log)" >&2; exit 1; }
out=build/deb/stopwatch_${version}_$deb.deb
rm -f build/deb/stopwatch_*_$deb.deb
mv "$top/stopwatch_${version}_$deb.deb" "$out"
echo "deb: $out ($(du -k "$out" | cut -f1) kB)"
# lintian: errors fail; the warnings we keep are listed with reasons in docs/packaging.md
lintian --tag-display-limit 0 --suppress-tags-from-file packaging/debian/lintian-kept "$out" > "$top/lintian.txt" 2>&1 || true
cat "$top/lintian.txt"
if grep -q '^E: ' "$top/lintian.txt"; then echo "mkdeb: lintian reports errors" >&2; exit 1; fi
if grep -q '^W: ' "$top/lintian.txt"; then echo "mkdeb: lintian warnings not in packaging/debian/lintian-kept" >&2; exit 1; fi
echo "deb: lintian: no errors, no warnings beyond packaging/debian/lintian-kept"
