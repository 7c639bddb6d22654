#!/usr/bin/env bash
# Builds the Debian package: installs what is missing (packaging/debian-deps.txt, which lists the
# packaging tools too), configures an optimised Release build without the tests in build-deb/,
# builds it and runs CPack's DEB generator, then lintian:
#   packaging/build-deb.sh        -> build-deb/intermap_<version>_amd64.deb
#   sudo apt-get install ./build-deb/intermap_<version>_amd64.deb
# Environment: BUILD_DIR (default build-deb), JOBS (default: number of cores).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$repo/build-deb}
jobs=${JOBS:-$(nproc)}
started=$(date +%s)

"$repo/packaging/install-deps.sh"

echo "==> building a Release tree in $build_dir"
cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DINTERMAP_BUILD_TESTS=OFF
cmake --build "$build_dir" -j "$jobs"

echo "==> packing"
rm -f "$build_dir"/intermap_*.deb
(cd "$build_dir" && cpack -G DEB)
deb=$(ls "$build_dir"/intermap_*.deb)
lintian --fail-on error "$deb" 2>&1 | grep -v 'root privileges' || true
lintian --fail-on error "$deb" >/dev/null 2>&1 || { echo "error: lintian found errors in $deb" >&2; exit 1; }
echo "==> $deb ($(du -h "$deb" | cut -f1), installed $(dpkg-deb -f "$deb" Installed-Size) KB) in $(( $(date +%s) - started )) s"
echo "    install it with: sudo apt-get install $deb"
