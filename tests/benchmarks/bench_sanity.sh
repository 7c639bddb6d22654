#!/bin/sh
# Whole-process cost of the sanity check (intermap-cli sanity, cascading model-parameter
# randomisation): a random ViT-B/16 (the study's architecture: 14 layer groups, so 15 stages
# with the trained model) and every method (attention, rollout, gradcam, chefer in its default
# float64), on 1 and on 2 images, so that the per-image and the fixed cost (one checkpoint load
# per stage) can be told apart. Prints wall seconds and peak RSS (GNU time). A benchmark, not a
# test: timings are printed, never asserted.
#
#   tests/benchmarks/bench_sanity.sh [BUILD_DIR]
#
# The checkpoint is the one bench_trio_process.sh writes (a random ViT-B/16 made once by
# Debian's python3-torch, a development tool) into $TMPDIR; images from ../shared/data/cp-child-a.
set -eu
if [ ! -x /usr/bin/time ]; then
    echo "bench_sanity.sh needs GNU time (/usr/bin/time): apt-get install time" >&2
    exit 2
fi
build=${1:-build}
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${INTERMAP_SHARED:-$root/../shared}
work=${TMPDIR:-/tmp}/intermap-bench-trio
checkpoint=$work/vit-b16.pth
if [ ! -s "$checkpoint" ]; then
    echo "no $checkpoint: run tests/benchmarks/bench_trio_process.sh $build 1 first (it writes the checkpoint)" >&2
    exit 2
fi
images=$shared/data/cp-child-a/test/polyp
first=$images/$(ls "$images" | sort | head -n 1)
second=$images/$(ls "$images" | sort | sed -n 2p)
for set in 1 2; do
    rm -rf "$work/sanity"
    # CP-CHILD's file names hold spaces: the images go through "$@", never through word splitting.
    if [ "$set" = 1 ]; then set -- "$first"; else set -- "$first" "$second"; fi
    /usr/bin/time -f "sanity, ViT-B/16, 15 stages x 4 methods, $set image(s): %e s wall, %M KB peak RSS" \
        "$build/app/intermap-cli" sanity --checkpoint "$checkpoint" --methods attention,rollout,gradcam,chefer \
        --out "$work/sanity" "$@" >/dev/null
    rows=$(($(wc -l < "$work/sanity/randomization.csv") - 1))
    echo "  $rows rows in randomization.csv"
done
