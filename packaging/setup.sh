#!/usr/bin/env bash
# One-step set-up for a fresh Debian 12 machine, used by the README and by CI (.ci/run):
#   packaging/setup.sh demo   install what is missing, build, run the demo
#   packaging/setup.sh test   install what is missing, build, run every test
# Environment: BUILD_DIR (default build), INTERMAP_SHARED (default <repo>/../shared),
#              JOBS (default: number of cores).
set -euo pipefail

mode=${1:-}
if [[ "$mode" != demo && "$mode" != test ]]; then
    echo "usage: packaging/setup.sh demo|test" >&2
    exit 2
fi

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$repo/build}
shared=${INTERMAP_SHARED:-$repo/../shared}
jobs=${JOBS:-$(nproc)}
export INTERMAP_SHARED=$shared

# --- 1. Debian packages: install the missing ones, then verify every one -------------------
"$repo/packaging/install-deps.sh"

# --- 2. Configure and build (optimised: RelWithDebInfo) ------------------------------------
echo "==> building in $build_dir"
cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build_dir" -j "$jobs"

# --- 3. Run ------------------------------------------------------------------------------------
if [[ "$mode" == demo ]]; then
    exec "$repo/packaging/demo.sh" "$build_dir"
fi

echo "==> running every test (CI=${CI:-false}: with CI=true a missing shared file fails its test)"
status=0
(cd "$build_dir" && ctest --output-on-failure -j "$jobs") || status=$?

# The checkpoint reader's fuzz target: a short fixed-seed run under ASan/UBSan (clang).
fuzz_dir=${build_dir}-fuzz
echo "==> building the checkpoint fuzzer in $fuzz_dir"
CC=clang CXX=clang++ cmake -S "$repo" -B "$fuzz_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DINTERMAP_FUZZ_ONLY=ON
cmake --build "$fuzz_dir" -j "$jobs"
(cd "$fuzz_dir" && ctest --output-on-failure -L fuzz) || status=$?
exit $status
