#!/usr/bin/env bash
# The demo (main job of `packaging/setup.sh demo`): explain the reference images of both fixture
# models with every available method, writing maps under <build>/demo.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${1:-$repo/build}
shared=${INTERMAP_SHARED:-$repo/../shared}
cli="$build_dir/app/intermap-cli"
out="$build_dir/demo"

"$cli" --version
for set in vit-tiny-ref vit-deep-ref; do
    fixture="$shared/fixtures/$set"
    if [[ ! -f "$fixture/model.pth" ]]; then
        echo "error: $fixture/model.pth not found (set INTERMAP_SHARED to the shared/ folder)" >&2
        exit 1
    fi
    heads=$(sed -n 's/.*"heads": *\([0-9]*\).*/\1/p' "$fixture/manifest.json")
    echo "==> $set"
    "$cli" explain --checkpoint "$fixture/model.pth" --heads "$heads" --method attention,rollout,gradcam,chefer --aug-smooth --eigen-smooth \
        --out "$out/$set" "$fixture"/img_*.png
done
echo "Maps written under $out/<model>/<method>/<image>.npy"
