#!/bin/sh
# The study's three maps (attention, Chefer's LRP, Grad-CAM with aug + eigen smoothing; ViT-B/16,
# target class 1, 2 images) as whole processes, side by side: the study's own Python pipeline
# (../shared/tools/study_pipeline.py: the original code of the study's peers) against
# `intermap-cli explain` on the same checkpoint and the same images, alternating (the order
# flips every pair), PAIRS pairs in one run on one machine. Prints each pair's wall seconds and
# peak RSS (GNU time), each pair's ratio, and the median ratio; then checks that the maps agree
# (attention max |difference|, Chefer and Grad-CAM Pearson correlation). A benchmark, not a
# test: numbers are printed, never asserted. A ratio means something only when both sides ran
# in the same run: never divide by a figure from another machine or day.
#
#   tests/benchmarks/bench_vs_study.sh [BUILD_DIR] [PAIRS] [CHEFER_PRECISION]
#
# CHEFER_PRECISION: float32 (default; the study ran Chefer in float32) or float64 (intermap's
# default). Set-up of the Python side (development only; the product never runs Python):
# Debian python3-torch python3-torchvision python3-pil python3-opencv python3-scipy
# python3-matplotlib python3-tqdm python3-sklearn (pytorch-grad-cam imports them all), and the
# peers' code in $PEERS (default /tmp/peers) as ../shared/tools/README.md says.
set -eu
build=${1:-build}
pairs=${2:-5}
precision=${3:-float32}
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${INTERMAP_SHARED:-$root/../shared}
peers=${PEERS:-/tmp/peers}
python=/usr/bin/python3
pipeline=$shared/tools/study_pipeline.py
for needed in /usr/bin/time "$python" "$pipeline" "$build/app/intermap-cli"; do
    if [ ! -e "$needed" ]; then
        echo "bench_vs_study.sh: $needed is missing (see the comment at the top of this script)" >&2
        exit 2
    fi
done
for folder in "$peers/am/src" "$peers/gc/pytorch_grad_cam" "$peers/tt/ttach"; do
    if [ ! -d "$folder" ]; then
        echo "bench_vs_study.sh: $folder is missing: unpack the peers' code as $shared/tools/README.md says" >&2
        exit 2
    fi
done
work=${TMPDIR:-/tmp}/intermap-bench-vs-study
mkdir -p "$work"
checkpoint=$work/vit-b16.pth
[ -s "$checkpoint" ] || PEERS=$peers "$python" "$pipeline" make-vitb "$checkpoint"
ls -l "$checkpoint" | awk '{printf "checkpoint: %.0f MB random ViT-B/16 (study_pipeline.py make-vitb)\n", $5 / 1e6}'

# The study feeds 224x224 images (Resize((224,224)), PIL bilinear); its pipeline reads them as
# they are, so both programs get the same two 224x224 PNGs made here from CP-CHILD polyps.
"$python" - "$shared/data/cp-child-a/test/polyp" "$work" <<'PY'
import os, sys
from PIL import Image
source, work = sys.argv[1], sys.argv[2]
for index, name in enumerate(sorted(os.listdir(source))[:2]):
    Image.open(os.path.join(source, name)).convert("RGB").resize((224, 224), Image.BILINEAR).save(f"{work}/polyp{index}.png")
    print(f"image {index}: {name} -> polyp{index}.png (224x224)")
PY
images="$work/polyp0.png $work/polyp1.png"
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
echo "machine: $(nproc) cores, $cpu; load before: $(cut -d' ' -f1-3 /proc/loadavg)"

run_study() {
    rm -rf "$work/py-maps"
    PEERS=$peers /usr/bin/time -f "%e %M" -o "$work/py.time" "$python" "$pipeline" run "$checkpoint" "$work/py-maps" $images >/dev/null 2>"$work/py.err" ||
        { cat "$work/py.err" >&2; exit 1; }
}
run_intermap() {
    rm -rf "$work/cpp-maps"
    /usr/bin/time -f "%e %M" -o "$work/cpp.time" "$build/app/intermap-cli" explain --checkpoint "$checkpoint" \
        --method attention,chefer,gradcam --aug-smooth --eigen-smooth --target-class 1 --precision "$precision" \
        --out "$work/cpp-maps" $images >/dev/null 2>"$work/cpp.err" || { cat "$work/cpp.err" >&2; exit 1; }
}

# Peak RSS in MiB (GNU time's KiB / 1024) and in MB (10^6 bytes: issue 22's 650 MB is 619.9 MiB).
printf '%-5s %-14s %12s %12s %12s %12s %12s %8s\n' pair order "study s" "intermap s" "study MiB" "intermap MiB" "intermap MB" ratio
: >"$work/ratios"
pair=1
while [ "$pair" -le "$pairs" ]; do
    if [ $((pair % 2)) -eq 1 ]; then
        order="study first"; run_study; run_intermap
    else
        order="intermap first"; run_intermap; run_study
    fi
    read -r py_s py_kb <"$work/py.time"
    read -r cpp_s cpp_kb <"$work/cpp.time"
    ratio=$(awk -v a="$py_s" -v b="$cpp_s" 'BEGIN { printf "%.2f", a / b }')
    echo "$ratio" >>"$work/ratios"
    printf '%-5s %-14s %12s %12s %12.1f %12.1f %12.1f %8s\n' "$pair" "$order" "$py_s" "$cpp_s" \
        "$(awk -v k="$py_kb" 'BEGIN { print k / 1024 }')" "$(awk -v k="$cpp_kb" 'BEGIN { print k / 1024 }')" \
        "$(awk -v k="$cpp_kb" 'BEGIN { print k * 1024 / 1e6 }')" "$ratio"
    pair=$((pair + 1))
done
sort -n "$work/ratios" | awk '{ r[NR] = $1 } END { m = (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2;
    printf "median ratio (study / intermap) over %d pairs: %.2fx (min %.2f, max %.2f)\n", NR, m, r[1], r[NR] }'
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

# The same maps? Attention exactly (1e-3 after min-max), Chefer and Grad-CAM by correlation
# (float32 LRP is ill-conditioned; Grad-CAM's augmentations are the study's).
"$python" - "$work" <<'PY'
import sys, numpy as np
work = sys.argv[1]
for stem in ("polyp0", "polyp1"):
    for method in ("attention", "chefer", "gradcam"):
        study = np.load(f"{work}/py-maps/{stem}_{method}.npy").astype(np.float64)
        ours = np.load(f"{work}/cpp-maps/{method}/{stem}.npy").astype(np.float64)
        norm = lambda m: (m - m.min()) / (m.max() - m.min() + 1e-12)
        difference = np.abs(norm(study) - norm(ours)).max()
        correlation = np.corrcoef(study.ravel(), ours.ravel())[0, 1]
        print(f"{stem} {method:9s}: max |difference| after min-max {difference:.2e}, Pearson r {correlation:.5f}")
PY
