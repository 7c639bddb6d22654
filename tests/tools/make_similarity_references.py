#!/usr/bin/python3
"""Golden values of the sanity checks' map similarities (core/include/intermap/eval/map_similarity.h).

Computed with the libraries the definitions name: scipy.stats.spearmanr and
skimage.metrics.structural_similarity (Debian's python3-scipy 1.10 and python3-skimage 0.19), on
maps min-max normalised in float64 from the float32 maps as written; the top-10% IoU with the
study's threshold rule (descending[int(N * 10 / 100)], ties included), in numpy.

Pairs: the shared fixtures' real maps of the study's methods (read in place from
../shared/fixtures, only their paths are stored) and small synthetic maps stored inline (a
non-square one, one with many ties, a constant one).

    /usr/bin/python3 tests/tools/make_similarity_references.py [SHARED_DIR]
writes tests/data/similarity/references.json. Run-time intermap never runs Python.
"""
import json
import os
import sys

import numpy as np
import scipy
import scipy.stats
import skimage
from skimage.metrics import structural_similarity

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "..", "shared")
OUT = os.path.join(HERE, "..", "data", "similarity", "references.json")


def normalised(m):
    m = np.asarray(m, dtype=np.float32).astype(np.float64)
    low, high = m.min(), m.max()
    return (m - low) / (high - low) if high > low else np.zeros_like(m)


def top_set(m, k=10):
    flat = np.asarray(m, dtype=np.float32).ravel()
    threshold = np.sort(flat)[::-1][int(flat.size * k / 100)]
    return flat >= threshold


def similarity(a, b):
    na, nb = normalised(a), normalised(b)
    if na.max() == na.min() or nb.max() == nb.min():
        spearman = None  # scipy returns nan (with a warning) for a constant input
    else:
        spearman = float(scipy.stats.spearmanr(na.ravel(), nb.ravel()).correlation)
    ssim = float(structural_similarity(na, nb, data_range=1))
    sa, sb = top_set(a), top_set(b)
    iou = float(np.logical_and(sa, sb).sum() / np.logical_or(sa, sb).sum())
    return {"spearman": spearman, "ssim": ssim, "top10_iou": iou}


def fixture(name):
    return np.load(os.path.join(SHARED, "fixtures", "vit-tiny-ref", name))


cases = []
for a, b in [("ref_img_0_attention.npy", "ref_img_0_rollout.npy"),
             ("ref_img_0_gradcam.npy", "ref_img_1_gradcam.npy"),
             ("ref_img_0_chefer_f64.npy", "ref_img_0_gradcam_aug_eigen.npy"),
             ("ref_img_1_rollout.npy", "ref_img_1_chefer.npy")]:
    entry = {"a": "fixtures/vit-tiny-ref/" + a, "b": "fixtures/vit-tiny-ref/" + b}
    entry.update(similarity(fixture(a), fixture(b)))
    cases.append(entry)

rng = np.random.default_rng(7)
smooth = rng.random((9, 12)).astype(np.float32)
other = (smooth * 0.5 + rng.random((9, 12)) * 0.5).astype(np.float32)
ties = np.round(rng.random((9, 12)) * 4).astype(np.float32)  # five levels: many ties
constant = np.full((9, 12), 0.25, dtype=np.float32)
for name, a, b in [("non-square", smooth, other), ("ties", ties, smooth), ("constant", constant, other)]:
    entry = {"name": name, "height": 9, "width": 12,
             "a_values": [float(v) for v in a.ravel()], "b_values": [float(v) for v in b.ravel()]}
    entry.update(similarity(a, b))
    cases.append(entry)

with open(OUT, "w") as out:
    json.dump({"tool": "tests/tools/make_similarity_references.py", "scipy": scipy.__version__,
               "skimage": skimage.__version__, "numpy": np.__version__, "cases": cases}, out, indent=1)
    out.write("\n")
print("wrote", OUT, len(cases), "cases")
