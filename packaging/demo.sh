#!/usr/bin/env bash
# The demo (main job of `packaging/setup.sh demo`): `intermap-cli demo` needs no data and no
# weights. It generates a synthetic phantom data set, trains a small ViT, explains the held-out
# positives with every method and scores the maps against the true lesion masks.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${1:-$repo/build}
cli="$build_dir/app/intermap-cli"
out="$build_dir/demo"

"$cli" --version
"$cli" demo --out "$out"
echo "Open $out/report.html and $out/figure.png; the numbers are in $out/summary.json"
