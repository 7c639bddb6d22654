#!/usr/bin/python3
"""Expected ROAD curves (remove and debias) for tests/core/test_faithfulness.cpp.

Run at development time with Debian's python3-torch, python3-numpy and python3-scipy, i.e.
/usr/bin/python3, NOT by the tests:

    /usr/bin/python3 tests/tools/make_road_references.py

A transcription of the definition in core/include/intermap/eval/road.h, following the original
NoisyLinearImputer of Rong et al. 2022 (github.com/tleemann/road_evaluation, road/imputations.py):
the system is built as the original builds it (scipy.sparse.lil_matrix, diagonal -sum of the
in-image weights, kept neighbours on the right-hand side with a minus sign) and solved with
scipy.sparse.linalg.spsolve (SuperLU), another factorisation than the engine's Cholesky. Noise
is off (noise 0), so both sides are deterministic:
  * pixels ranked by the map in float64, MoRF descending, LeRF ascending, ties by ascending
    row-major index (Python's sorted() with the index as the second key);
  * p = 10..90 %, n_p = (p * S^2 + 50) // 100 pixels removed; x = n_p / S^2;
  * the imputed image (float64, then float32) through the float32 model, y = softmax[target];
  * areas: numpy.trapz over the 9 points.
The models, the input and the maps are make_faithfulness_references.py's (random ViTs of
tests/data/shapes, integer formulas). A small imputation case (a 3 x 12 x 20 crop of the input
with a formula mask) also records every imputed value, to test the solver alone.

It checks that the references tell wrong implementations apart (the original's weights without
the division at the image border; ties broken the other way; the LeRF order for MoRF): each must
move some value by more than 100x the test's tolerance, or nothing is written.
Writes tests/data/road/references.json and README.md.
"""
import collections
import json
import os
import sys

import numpy as np
import torch
from scipy.sparse import csc_matrix, lil_matrix
from scipy.sparse.linalg import spsolve

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_faithfulness_references as faith  # noqa: E402  (models, input and maps)

OUT = os.path.join(faith.REPO, 'tests', 'data', 'road')
PERCENTAGES = list(range(10, 100, 10))
TOLERANCE = 1e-5  # the C++ test's, on probabilities and areas
IMPUTATION_TOLERANCE = 1e-9  # on imputed values (both solves in float64)

# The original's (offset (dy, dx), weight).
NEIGHBOURS = [((1, 1), 1 / 12), ((0, 1), 1 / 6), ((-1, 1), 1 / 12), ((1, -1), 1 / 12), ((0, -1), 1 / 6),
              ((-1, -1), 1 / 12), ((1, 0), 1 / 6), ((-1, 0), 1 / 6)]

# (model, target, map)
CASES = [
    ('vit-d48-l3-h4-c3', 2, 'formula'),
    ('vit-d40-l6-h5-c2', 1, 'plateau'),
]


def impute(image, kept, normalise_at_border=True):
    """image [C,H,W] float64 numpy, kept [H,W] bool; returns the imputed image (float64)."""
    channels, height, width = image.shape
    kept_flat = kept.reshape(-1)
    flat = image.reshape(channels, -1)
    unknowns = np.argwhere(~kept_flat).flatten()
    variable_of = np.zeros(kept_flat.size, dtype=np.int64)
    variable_of[unknowns] = np.arange(len(unknowns))
    count = len(unknowns)
    a = lil_matrix((count, count))
    b = np.zeros((count, channels))
    weight_sum = np.ones(count)
    rows, cols = unknowns // width, unknowns % width
    for (dy, dx), weight in NEIGHBOURS:
        ny, nx = rows + dy, cols + dx
        inside = (ny >= 0) & (nx >= 0) & (ny < height) & (nx < width)
        ids = np.argwhere(inside).flatten()
        others = ny[inside] * width + nx[inside]
        known = kept_flat[others]
        b[ids[known], :] -= weight * flat[:, others[known]].T
        a[ids[~known], variable_of[others[~known]]] = weight
        if normalise_at_border:
            weight_sum[~inside] -= weight
    a[np.arange(count), np.arange(count)] = -weight_sum
    solution = spsolve(csc_matrix(a), b).reshape(count, channels)
    result = flat.copy()
    result[:, unknowns] = solution.T
    return result.reshape(channels, height, width)


def order_of(values, morf=True, ties_descending=False):
    tie = (lambda i: -i) if ties_descending else (lambda i: i)
    sign = -1 if morf else 1
    return sorted(range(len(values)), key=lambda i: (sign * values[i], tie(i)))


def curves(model, x, saliency, target, variant=None):
    size = x.shape[-1]
    pixels = size * size
    values = saliency.reshape(-1).tolist()
    image = x.double().numpy()
    counts = [(p * pixels + 50) // 100 for p in PERCENTAGES]
    images = []
    for morf in (True, False):
        order = order_of(values, morf=morf if variant != 'LeRF order for MoRF' else False,
                         ties_descending=variant == 'ties by descending index')
        for n in counts:
            kept = np.ones(pixels, dtype=bool)
            kept[order[:n]] = False
            imputed = impute(image, kept.reshape(size, size), normalise_at_border=variant != 'no border division')
            images.append(torch.from_numpy(imputed).float())
    with torch.no_grad():
        probabilities = torch.softmax(model(torch.stack(images)), dim=1)[:, target].double().numpy()
    fractions = np.array(counts, dtype=np.float64) / pixels
    morf, lerf = probabilities[:9], probabilities[9:]
    return dict(counts=counts, fractions=fractions.tolist(), morf=morf.tolist(), lerf=lerf.tolist(),
                morf_auc=float(np.trapz(morf, fractions)), lerf_auc=float(np.trapz(lerf, fractions)))


def curve_difference(a, b):
    return max(float(np.max(np.abs(np.array(a[k]) - np.array(b[k])))) for k in ('morf', 'lerf'))


def imputation_case():
    """A 3 x 12 x 20 crop of the formula input; removed: (7y + 3x) mod 5 < 2, plus the block
    rows 3-8 x columns 5-13 and the whole first row (so removed pixels touch the border)."""
    crop = faith.formula_input()[:, :12, :20].double().numpy()
    y = np.arange(12).reshape(12, 1)
    x = np.arange(20).reshape(1, 20)
    removed = ((7 * y + 3 * x) % 5 < 2) | ((y >= 3) & (y <= 8) & (x >= 5) & (x <= 13)) | (y == 0)
    expected = impute(crop, ~removed)
    wrong = impute(crop, ~removed, normalise_at_border=False)
    return dict(shape=list(crop.shape), removed=removed.astype(int).reshape(-1).tolist(),
                imputed=expected.reshape(-1).tolist(), removed_count=int(removed.sum()),
                no_border_division_max_difference=float(np.max(np.abs(expected - wrong))))


README = """# road/ — expected ROAD curves (remove and debias)

Written by `tests/tools/make_road_references.py` (run it with /usr/bin/python3), read by
`tests/core/test_faithfulness.cpp`: a transcription of the definition in
core/include/intermap/eval/road.h after the original NoisyLinearImputer (Rong et al. 2022), built
with scipy.sparse and solved with spsolve (SuperLU), noise off, on the random ViTs of ../shapes
with the input and maps of make_faithfulness_references.py.

`references.json`: per case the model, target, map, removed counts n_p, fractions, both curves
(float32 forward) and both areas (numpy.trapz), and how far wrong implementations would move
the curves; `imputation`: a 3 x 12 x 20 crop with a removal pattern and every imputed value
(float64). The script writes nothing unless each wrong variant exceeds 100x the test's tolerance.
"""


def main():
    torch.set_num_threads(1)
    x = faith.formula_input()
    cases = []
    for name, target, map_name in CASES:
        model = faith.load_model(name)
        saliency = faith.MAPS[map_name]()
        expected = curves(model, x, saliency, target)
        variants = ['LeRF order for MoRF', 'no border division']
        if map_name == 'plateau':
            variants.append('ties by descending index')
        sensitivity = {v: curve_difference(expected, curves(model, x, saliency, target, v)) for v in variants}
        print('%s target %d %s: MoRF area %.6f LeRF area %.6f; wrong variants move the curves by %s' % (
            name, target, map_name, expected['morf_auc'], expected['lerf_auc'],
            ', '.join('%s %.3g' % item for item in sensitivity.items())))
        if min(sensitivity.values()) <= 100 * TOLERANCE:
            print('a wrong implementation would pass this case: nothing written')
            return 1
        case = collections.OrderedDict(model=name, target=target, map=map_name)
        case.update(expected)
        case['wrong_variants_max_difference'] = sensitivity
        cases.append(case)
    imputation = imputation_case()
    print('imputation: %d of 240 pixels removed; without the border division the values move by %.3g' % (
        imputation['removed_count'], imputation['no_border_division_max_difference']))
    if imputation['no_border_division_max_difference'] <= 100 * IMPUTATION_TOLERANCE:
        print('the imputation case cannot tell the border rule: nothing written')
        return 1
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, 'references.json'), 'w') as f:
        json.dump(collections.OrderedDict(
            made_by='tests/tools/make_road_references.py (transcription of the definition, scipy spsolve)',
            torch=torch.__version__, percentages=PERCENTAGES, cases=cases, imputation=imputation), f, indent=1)
        f.write('\n')
    with open(os.path.join(OUT, 'README.md'), 'w') as f:
        f.write(README)
    print('wrote %s' % OUT)
    return 0


if __name__ == '__main__':
    sys.exit(main())
