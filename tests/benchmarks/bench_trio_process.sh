#!/bin/sh
# Whole-process timing of the study's three maps (issue "Speed"): intermap-cli explain with
# attention, chefer and gradcam (aug- and eigen-smooth, target class 1, Chefer in float32: as
# the study ran them; then once more with the product's default Chefer precision, float64)
# on 2 images with a 343 MB ViT-B/16 checkpoint, as the study's 41.6 s was measured (imports,
# checkpoint load, 2 images). Prints wall seconds and peak RSS (GNU time). A benchmark, not a
# test: timings are printed, never asserted.
#
#   tests/benchmarks/bench_trio_process.sh [BUILD_DIR] [REPEATS]
#
# The checkpoint is a random ViT-B/16 written once by Debian's python3-torch (development tool;
# the product never runs Python) into $TMPDIR; the images come from ../shared/data/cp-child-a.
set -eu
if [ ! -x /usr/bin/time ]; then
    echo "bench_trio_process.sh needs GNU time (/usr/bin/time): apt-get install time" >&2
    exit 2
fi
build=${1:-build}
repeats=${2:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${INTERMAP_SHARED:-$root/../shared}
work=${TMPDIR:-/tmp}/intermap-bench-trio
mkdir -p "$work"
checkpoint=$work/vit-b16.pth
if [ ! -s "$checkpoint" ]; then
    INTERMAP_ROOT=$root /usr/bin/python3 - "$checkpoint" <<'PY'
import os, sys
sys.path.insert(0, os.path.join(os.environ["INTERMAP_ROOT"], "tests", "tools"))
import torch
from make_shape_references import TimmViT
torch.manual_seed(0)
model = TimmViT(768, 12, 12, 2)
for name, p in model.named_parameters():
    if p.dim() > 1:
        torch.nn.init.trunc_normal_(p, std=0.02)
torch.save(model.state_dict(), sys.argv[1])
PY
fi
ls -l "$checkpoint" | awk '{printf "checkpoint %s: %.0f MB\n", $9, $5 / 1e6}'
first=$(ls "$shared/data/cp-child-a/test/polyp" | sort | head -n 1)
second=$(ls "$shared/data/cp-child-a/test/polyp" | sort | sed -n 2p)
echo "images: $first, $second"
for i in $(seq "$repeats"); do
    rm -rf "$work/maps"
    /usr/bin/time -f "trio, whole process, 2 images: %e s wall, %M KB peak RSS" \
        "$build/app/intermap-cli" explain --checkpoint "$checkpoint" --method attention,chefer,gradcam \
        --aug-smooth --eigen-smooth --target-class 1 --precision float32 --out "$work/maps" \
        "$shared/data/cp-child-a/test/polyp/$first" "$shared/data/cp-child-a/test/polyp/$second" >/dev/null
done
for i in $(seq "$repeats"); do
    rm -rf "$work/maps"
    /usr/bin/time -f "trio with the default float64 Chefer, whole process, 2 images: %e s wall, %M KB peak RSS" \
        "$build/app/intermap-cli" explain --checkpoint "$checkpoint" --method attention,chefer,gradcam \
        --aug-smooth --eigen-smooth --target-class 1 --out "$work/maps" \
        "$shared/data/cp-child-a/test/polyp/$first" "$shared/data/cp-child-a/test/polyp/$second" >/dev/null
done
