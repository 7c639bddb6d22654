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
mapfile -t packages < <(grep -vE '^\s*(#|$)' "$repo/packaging/debian-deps.txt" | awk '{print $1}')
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "==> installing ${#missing[@]} missing Debian packages: ${missing[*]}"
    sudo_cmd=()
    [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi
for package in "${packages[@]}"; do
    if ! dpkg -s "$package" 2>/dev/null | grep -q '^Status: install ok installed'; then
        echo "error: Debian package '$package' (packaging/debian-deps.txt) is not installed" >&2
        exit 1
    fi
done

# LibTorch calls whatever libblas.so.3 points at; Debian's reference BLAS is ~30x slower.
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || true)
if [[ "$blas" != *openblas* ]]; then
    echo "warning: libblas.so.3 points at '$blas', not OpenBLAS; select it with:" >&2
    echo "  sudo update-alternatives --set libblas.so.3-x86_64-linux-gnu /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3" >&2
fi

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
