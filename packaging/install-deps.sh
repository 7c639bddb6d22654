#!/usr/bin/env bash
# Installs the Debian packages of packaging/debian-deps.txt that are missing (sudo when not root),
# then verifies every one, and warns when libblas.so.3 is not OpenBLAS. Used by setup.sh (the
# README's commands, CI) and build-deb.sh.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

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
