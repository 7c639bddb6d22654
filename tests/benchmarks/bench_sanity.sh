#!/bin/sh
# Whole-process cost of the sanity check (intermap-cli sanity, cascading model-parameter
# randomisation) on a random ViT-B/16 (the study's architecture: 14 layer groups, so 15 stages
# with the trained model) with every method (attention, rollout, gradcam, chefer in its default
# float64), and what batching the stage passes buys: the same command at --batch-size 1 and at
# BATCH, run alternately, PAIRS times, in one run on one machine. Prints wall
# seconds and peak RSS (GNU time) of every run and the ratio of each pair. A benchmark, not a
# test: timings are printed, never asserted.
#
#   tests/benchmarks/bench_sanity.sh [BUILD_DIR] [IMAGES (default 4)] [PAIRS (default 2)] [BATCH (default 4)]
#
# The checkpoint is the one bench_trio_process.sh writes (a random ViT-B/16 made once by
# Debian's python3-torch, a development tool) into $TMPDIR; images: the first IMAGES polyps of
# ../shared/data/cp-child-a's test split, sorted by name.
set -eu
if [ ! -x /usr/bin/time ]; then
    echo "bench_sanity.sh needs GNU time (/usr/bin/time): apt-get install time" >&2
    exit 2
fi
build=${1:-build}
count=${2:-4}
pairs=${3:-2}
batch_size=${4:-4} # sanity's default --batch-size (eval::kDefaultRandomisationBatchSize)
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${INTERMAP_SHARED:-$root/../shared}
work=${TMPDIR:-/tmp}/intermap-bench-trio
checkpoint=$work/vit-b16.pth
if [ ! -s "$checkpoint" ]; then
    echo "no $checkpoint: run tests/benchmarks/bench_trio_process.sh $build 1 first (it writes the checkpoint)" >&2
    exit 2
fi
images=$shared/data/cp-child-a/test/polyp
# CP-CHILD's file names hold spaces: the images go through "$@", never through word splitting.
set --
for name in $(ls "$images" | sort | head -n "$count" | tr ' ' '\001'); do
    set -- "$@" "$images/$(printf '%s' "$name" | tr '\001' ' ')"
done
run() { # $1: batch size; the images in "$@" after it
    batch=$1
    shift
    rm -rf "$work/sanity"
    /usr/bin/time -f "%e %M" -o "$work/time.txt" "$build/app/intermap-cli" sanity --checkpoint "$checkpoint" \
        --methods attention,rollout,gradcam,chefer --batch-size "$batch" --out "$work/sanity" "$@" >/dev/null
    read -r seconds kilobytes < "$work/time.txt"
    rows=$(($(wc -l < "$work/sanity/randomization.csv") - 1))
    echo "sanity, ViT-B/16, 15 stages x 4 methods, $count images, batch $batch: $seconds s wall, $((kilobytes / 1024)) MB peak RSS, $rows rows" >&2
    echo "$seconds"
}
for pair in $(seq "$pairs"); do
    one=$(run 1 "$@")
    batched=$(run "$batch_size" "$@")
    awk -v a="$one" -v b="$batched" -v p="$pair" 'BEGIN { printf "pair %d: batch 1 / batch '"$batch_size"' = %.3f\n", p, a / b }'
done
