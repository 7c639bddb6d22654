#!/usr/bin/python3
"""Expected deletion / insertion curves and AUCs for tests/core/test_faithfulness.cpp.

Run at development time with Debian's python3-torch (1.13) and python3-numpy, i.e.
/usr/bin/python3, NOT by the tests:

    /usr/bin/python3 tests/tools/make_faithfulness_references.py

An independent implementation of the definition (issue: "deletion and insertion AUC"), written
from the definition, not from intermap's engine: per-patch Python loops where the engine uses
tensor masks, Python's sorted() for the order, numpy.trapz for the area, one batch for all
perturbed images. The models are the small random ViTs of tests/data/shapes (timm-style forward
from make_shape_references.py); the inputs and maps are integer formulas restated in the C++
test, so no image file is needed:
  * patches: the model's grid (16 px), P = 196; score = mean of the map over the patch (float64);
    order: descending score, ties by ascending row-major index;
  * n_s = floor((s * P + S // 2) / S), s = 0..S; x = n_s / P;
  * deletion: the input with the first n_s patches set to 0 (all channels); insertion: zeros with
    the first n_s patches copied from the input; y = softmax(logits)[target] (float32 model);
  * AUC: trapezoid rule over the S + 1 points.

It also checks that the references can tell wrong implementations apart (ascending order, ties
broken the other way, a patch scored by its top-left pixel instead of its mean): each must move
some curve point by more than 100x the test's tolerance, or nothing is written.
Writes tests/data/faithfulness/references.json and README.md.
"""
import collections
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_shape_references as shapes  # noqa: E402  (its timm-style ViT)

REPO = shapes.REPO
OUT = os.path.join(REPO, 'tests', 'data', 'faithfulness')
PATCH = 16
IMG = 224
TOLERANCE = 1e-5  # the C++ test's, on probabilities and AUCs

# (model, target, map, steps)
CASES = [
    ('vit-d48-l3-h4-c3', 2, 'plateau', 20),
    ('vit-d48-l3-h4-c3', 0, 'formula', 20),
    ('vit-d40-l6-h5-c2', 1, 'formula', 20),
    ('vit-d40-l6-h5-c2', 0, 'plateau', 13),
    ('vit-d64-l2-h2-c5', 4, 'formula', 20),
]


def formula_input():
    """[3,224,224] float32: ((131c + 31y + 17x + yx) mod 23) / 11 - 1, computed in float64."""
    c = torch.arange(3).view(3, 1, 1)
    y = torch.arange(IMG).view(1, IMG, 1)
    x = torch.arange(IMG).view(1, 1, IMG)
    return (((c * 131 + y * 31 + x * 17 + y * x) % 23).double() / 11 - 1).float()


def plateau_map():
    """[224,224] float64, patch (r, c) = base + d in its top half, base - d in its bottom half with
    base = ((5r + 3c) mod 7) / 4 and d = ((r + 2c) mod 3) / 2: every value dyadic, so each patch's
    mean is exactly `base` in any summation order; 7 plateaus of ~28 tied patches, and a top-left
    pixel (base + d) that ranks the patches differently from their mean."""
    y = torch.arange(IMG).view(IMG, 1)
    x = torch.arange(IMG).view(1, IMG)
    r, c = y // PATCH, x // PATCH
    base = ((r * 5 + c * 3) % 7).double() / 4
    d = ((r + c * 2) % 3).double() / 2
    sign = torch.where(y % PATCH < PATCH // 2, 1.0, -1.0).double()
    return base + d * sign


def formula_map():
    """[224,224] float64, a saliency-like blob plus hash noise that separates the flat patches:
    max(0, 4096 - ((y - 90)^2 + (x - 150)^2) div 2) / 2^12 + ((224y + x) * 2654435761 mod 2^20) / 2^22.
    192 distinct patch means (4 exact ties)."""
    y = torch.arange(IMG).view(IMG, 1)
    x = torch.arange(IMG).view(1, IMG)
    blob = torch.clamp(4096 - ((y - 90) ** 2 + (x - 150) ** 2) // 2, min=0)
    noise = ((y * IMG + x) * 2654435761) % (1 << 20)
    return blob.double() / (1 << 12) + noise.double() / (1 << 22)


MAPS = {'plateau': plateau_map, 'formula': formula_map}


def patch_scores(saliency, top_left=False):
    scores = []
    for r in range(IMG // PATCH):
        for c in range(IMG // PATCH):
            block = saliency[r * PATCH:(r + 1) * PATCH, c * PATCH:(c + 1) * PATCH]
            scores.append(float(block[0, 0]) if top_left else float(block.double().mean()))
    return scores


def patch_order(scores, ascending=False, ties_descending=False):
    index_key = (lambda i: -i) if ties_descending else (lambda i: i)
    sign = 1 if ascending else -1
    return sorted(range(len(scores)), key=lambda i: (sign * scores[i], index_key(i)))


def set_patch(image, index, source):
    r, c = divmod(index, IMG // PATCH)
    rows, cols = slice(r * PATCH, (r + 1) * PATCH), slice(c * PATCH, (c + 1) * PATCH)
    image[:, rows, cols] = 0 if source is None else source[:, rows, cols]


def curves(model, x, order, target, steps):
    patches = len(order)
    counts = [(s * patches + steps // 2) // steps for s in range(steps + 1)]
    images = []
    for n in counts:  # deletion
        image = x.clone()
        for index in order[:n]:
            set_patch(image, index, None)
        images.append(image)
    for n in counts:  # insertion
        image = torch.zeros_like(x)
        for index in order[:n]:
            set_patch(image, index, x)
        images.append(image)
    with torch.no_grad():
        probabilities = torch.softmax(model(torch.stack(images)), dim=1)[:, target].double().numpy()
    fractions = np.array(counts, dtype=np.float64) / patches
    deletion, insertion = probabilities[:steps + 1], probabilities[steps + 1:]
    return dict(counts=counts, fractions=fractions.tolist(), deletion=deletion.tolist(), insertion=insertion.tolist(),
                deletion_auc=float(np.trapz(deletion, fractions)), insertion_auc=float(np.trapz(insertion, fractions)))


def load_model(name):
    directory = os.path.join(REPO, 'tests', 'data', 'shapes', name)
    with open(os.path.join(directory, 'manifest.json')) as f:
        heads = json.load(f)['heads']
    state_dict = torch.load(os.path.join(directory, 'model.pth'))
    dim, depth, classes = shapes.arch_of(state_dict)
    model = shapes.TimmViT(dim, depth, heads, classes)
    model.load_state_dict(state_dict)
    return model.eval()


def curve_difference(a, b):
    return max(float(np.max(np.abs(np.array(a[k]) - np.array(b[k])))) for k in ('deletion', 'insertion'))


def exact_in_any_order(saliency):
    """Every value a multiple of 2^-22 below 4 in magnitude: a patch sum (256 values) fits in 32 bits, so
    the engine's float64 mean equals this one whatever order it sums in, and ties stay ties. The
    map must also survive a cast to float32 unchanged."""
    scaled = saliency * (1 << 22)
    return bool((scaled == scaled.round()).all() and (saliency.abs() < 4).all()
                and (saliency.float().double() == saliency).all())


README = """# faithfulness/ — expected deletion / insertion curves

Written by `tests/tools/make_faithfulness_references.py` (run it with /usr/bin/python3), read by
`tests/core/test_faithfulness.cpp`: an independent PyTorch implementation of the definition in
core/include/intermap/eval/faithfulness.h on the random ViTs of ../shapes, with an input and two
maps built from integer formulas (restated in the test; no image files).

`references.json`: per case the model, target class, map, steps, the affected-patch counts n_s,
the fractions, both curves (float32 forward, softmax in float32, then float64) and both AUCs
(numpy.trapz), and how far three wrong implementations would move the curves (the script writes
nothing unless each exceeds 100x the test's 1e-5 tolerance). Maps: `plateau` has 7 values of
~28 tied patches each (tests the tie rule); `formula` is a blob plus hash noise with 192
distinct patch means. Both are dyadic, so a patch mean is exact in any summation order and in
float32.
"""


def main():
    torch.set_num_threads(1)
    x = formula_input()
    cases = []
    for name, target, map_name, steps in CASES:
        model = load_model(name)
        saliency = MAPS[map_name]()
        scores = patch_scores(saliency)
        expected = curves(model, x, patch_order(scores), target, steps)
        wrong = {'ascending order': curves(model, x, patch_order(scores, ascending=True), target, steps)}
        if map_name == 'plateau':
            wrong['ties by descending index'] = curves(model, x, patch_order(scores, ties_descending=True), target, steps)
            wrong['top-left pixel score'] = curves(model, x, patch_order(patch_scores(saliency, top_left=True)), target,
                                                   steps)
        sensitivity = {what: curve_difference(expected, other) for what, other in wrong.items()}
        print('%s target %d %s S=%d: deletion AUC %.6f insertion AUC %.6f, unperturbed p %.6f, all-zero p %.6f; '
              '%d distinct patch means; wrong variants move the curves by %s' % (
                  name, target, map_name, steps, expected['deletion_auc'], expected['insertion_auc'],
                  expected['deletion'][0], expected['insertion'][0], len(set(scores)),
                  ', '.join('%s %.3g' % item for item in sensitivity.items())))
        if min(sensitivity.values()) <= 100 * TOLERANCE:
            print('a wrong implementation would pass this case: nothing written')
            return 1
        if not exact_in_any_order(saliency):
            print('the map\'s patch means could depend on the summation order: nothing written')
            return 1
        case = collections.OrderedDict(model=name, target=target, map=map_name, steps=steps)
        case.update(expected)
        case['distinct_patch_means'] = len(set(scores))
        case['wrong_variants_max_difference'] = sensitivity
        cases.append(case)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, 'references.json'), 'w') as f:
        json.dump(collections.OrderedDict(
            made_by='tests/tools/make_faithfulness_references.py (independent implementation of the definition)',
            torch=torch.__version__, input='formula: ((131c + 31y + 17x + yx) mod 23) / 11 - 1, float32',
            cases=cases), f, indent=1)
        f.write('\n')
    with open(os.path.join(OUT, 'README.md'), 'w') as f:
        f.write(README)
    print('wrote %s' % OUT)
    return 0


if __name__ == '__main__':
    sys.exit(main())
