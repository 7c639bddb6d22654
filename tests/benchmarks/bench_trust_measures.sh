#!/bin/sh
# Whole-process cost of the opt-in trust measures on the study's architecture: ROAD
# (`evaluate --road`, eval/road.h) and stability (`sanity --stability`, eval/stability.h). Each
# is timed against the same command without it, alternating, so the difference is the measure's
# own cost on this machine, this run. A benchmark, not a test: timings are printed, never asserted.
#
#   tests/benchmarks/bench_trust_measures.sh [BUILD_DIR] [REPEATS]
#
# The checkpoint is the random ViT-B/16 that bench_trio_process.sh writes into $TMPDIR; the
# images and masks are the first two of ../shared/data/kvasir-seg-sample.
set -eu
if [ ! -x /usr/bin/time ]; then
    echo "bench_trust_measures.sh needs GNU time (/usr/bin/time): apt-get install time" >&2
    exit 2
fi
build=${1:-build}
repeats=${2:-1}
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${INTERMAP_SHARED:-$root/../shared}
work=${TMPDIR:-/tmp}/intermap-bench-trio
checkpoint=$work/vit-b16.pth
if [ ! -s "$checkpoint" ]; then
    echo "no $checkpoint: run tests/benchmarks/bench_trio_process.sh $build 1 first (it writes the checkpoint)" >&2
    exit 2
fi
data=$work/trust-data
rm -rf "$data" && mkdir -p "$data/images" "$data/masks" "$data/weights"
for stem in $(ls "$shared/data/kvasir-seg-sample/masks" | sort | head -n 2 | sed 's/\.[^.]*$//'); do
    ln -s "$shared/data/kvasir-seg-sample/images/$stem".* "$data/images/"
    ln -s "$shared/data/kvasir-seg-sample/masks/$stem".* "$data/masks/"
done
ln -s "$checkpoint" "$data/weights/kvasir_sup.pth"
first_image=$(ls "$data/images" | sort | head -n 1)

for i in $(seq "$repeats"); do
    for road in "" --road; do
        rm -rf "$work/evaluate"
        /usr/bin/time -f "evaluate ${road:-(no ROAD)}, ViT-B/16, 2 images x 3 methods: %e s wall, %M KB peak RSS" \
            "$build/app/intermap-cli" evaluate --weights "$data/weights" --dataset "kvasir=$data/images,$data/masks" \
            --inits sup --methods attention,gradcam,chefer $road --out "$work/evaluate" >/dev/null
    done
    for stability in "" --stability; do
        rm -rf "$work/stability"
        /usr/bin/time -f "sanity --compare-checkpoint itself ${stability:-(no stability)}, 1 image x 4 methods: %e s wall, %M KB peak RSS" \
            "$build/app/intermap-cli" sanity --checkpoint "$checkpoint" --compare-checkpoint "$checkpoint" \
            --methods attention,rollout,gradcam,chefer $stability --out "$work/stability" "$data/images/$first_image" >/dev/null
    done
done
