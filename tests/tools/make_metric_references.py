#!/usr/bin/python3
"""Writes the golden values that tests/core/test_metrics_golden.cpp compares intermap::eval against.

An INDEPENDENT oracle: every metric below is written directly from the definitions in
../shared/REFERENCE.md ("Evaluation") and from the doc comments of
core/include/intermap/eval/metrics.h (for the metrics beyond the study), in plain NumPy and in
float64, without reading or translating core/src/util/metrics.cpp. It is run once at
development time; its outputs are committed and the C++ test reads them.

Run with Debian's interpreter (numpy 1.24, Pillow 9.4), NOT the pyenv python3 first on PATH:

    /usr/bin/python3 tests/tools/make_metric_references.py [--shared ../shared] [--check]

(--check recomputes everything and compares with the committed CSVs instead of writing them.)

Inputs: the study's 200 annotation boxes, <shared>/data/annotations-224/{cpchild,duke,kvasir,
mura}/*.png, read as the study read them, np.array(Image.open(p).convert('L')), inside = grey >
threshold; threshold 0 (the study's) for all 200, and 127 as well for the 50 CP-CHILD boxes,
whose antialiased borders make the two differ. Masks are never copied into the repository.

Maps: MAP FAMILIES, deterministic integer formulas of (x, y, image index i[, the mask]) that the
C++ test rebuilds bit for bit (every float32 value is an exact integer, or an integer divided by
a power of two: no rounding anywhere), plus intermap's two baselines. The formulas are written
out in family_map() below and again in the C++ test; keep the two in step.

Outputs, under tests/data/metrics/:
  masks.csv    one row per (data set, file, threshold): mask id, image index i, the number of
               inside pixels and the bounding box, so the test can first check its mask reader.
  metrics.csv  one row per (family, mask): pg, pg_tol15, energy, rect_k<k>, set_k<k>.
               IoUs are written as exact fractions "intersection/union" of pixel counts ("0"
               for an empty mask), energy with 10 significant digits.

Definitions used (REFERENCE.md, "Evaluation"; metrics.h for the last three):
  scoring map      all values in [0,1] -> as stored (NOT re-normalised, even with max < 1);
                   otherwise min-max normalised, a constant map becoming all zeros.
  pointing game    hit iff ANY pixel holding the scoring map's maximum lies inside the mask;
                   an empty mask misses.
  IoU top-k rect   threshold = descending_sorted[int(50176 * k / 100)]; selected = map >=
                   threshold; R = the one axis-aligned rectangle enclosing the selection, border
                   pixels included; IoU = |R & M| / |R | M| by pixel counts; empty mask -> 0.
  IoU top-k set    the same selection S itself: |S & M| / |S | M|; empty mask -> 0.
  energy PG        sum(m * mask) / sum(m), m = the map min-max normalised (always, whatever its
                   range); 0 when sum(m) = 0 (a constant map).
  PG tolerance     hit iff some pixel holding the maximum is within 15 px (Euclidean distance
                   between pixel centres, <= 15) of some mask pixel; an empty mask misses.

Precision: the oracle normalises in float64. The families are chosen (and checked below) so that
rounding the normalised map to float32, as intermap's scoringMap returns it, cannot merge two
distinct values, so the expected selections do not depend on that choice. A map whose distinct
values are closer than float32 resolution after normalisation WOULD differ; none is committed.
"""
import argparse
import csv
import io
import math
import os
import sys

import numpy as np
from PIL import Image

W = H = 224
N = W * H  # 50,176
KS = (5, 10, 12.5, 20, 40)        # the study's four, plus a non-integer k
RADIUS = 15.0                     # pointing game with tolerance
DATASETS = ('cpchild', 'duke', 'kvasir', 'mura')
THRESHOLDS = {'cpchild': (0, 127), 'duke': (0,), 'kvasir': (0,), 'mura': (0,)}
RANDOM_SEED = 42                  # randomPatchBaseline(seed, imageIndex = i)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, '..', 'data', 'metrics'))

U32 = np.uint64(0xFFFFFFFF)
X = np.arange(W, dtype=np.int64)[None, :].repeat(H, axis=0)   # column index of every pixel
Y = np.arange(H, dtype=np.int64)[:, None].repeat(W, axis=1)   # row index


# --- masks -------------------------------------------------------------------------------------

def read_grey(path):
    return np.array(Image.open(path).convert('L'))


def bbox(mask):
    """(x0, y0, x1, y1) inclusive of the inside pixels, or None for an empty mask."""
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def anchor(mask):
    """The anchors the mask-dependent families use: bbox and its integer centre.

    An empty mask uses the image centre (111, 111) as a degenerate 1-pixel box."""
    b = bbox(mask)
    if b is None:
        b = (111, 111, 111, 111)
    x0, y0, x1, y1 = b
    return x0, y0, x1, y1, (x0 + x1) // 2, (y0 + y1) // 2


# --- the map families (float32, built by exact operations only) --------------------------------

def u32(a):
    return np.asarray(a, dtype=np.uint64) & U32


def hash97(i):
    # ((x*73856093) ^ (y*19349663) ^ (i*83492791)) mod 2^32, each product wrapped to 32 bits.
    x, y = X.astype(np.uint64), Y.astype(np.uint64)
    h = u32(u32(x * np.uint64(73856093)) ^ u32(y * np.uint64(19349663))
            ^ u32(np.uint64(i) * np.uint64(83492791)))
    return h


def hash12(i):
    # Top 12 bits of ((x*2654435761) ^ (y*2246822519) ^ (i*3266489917)) mod 2^32.
    x, y = X.astype(np.uint64), Y.astype(np.uint64)
    h = u32(u32(x * np.uint64(2654435761)) ^ u32(y * np.uint64(2246822519))
            ^ u32(np.uint64(i) * np.uint64(3266489917)))
    return (h >> np.uint64(20)).astype(np.int64)


def family_map(family, i, mask):
    """The float32 map of `family` for image index i and a 0/1 mask (H x W)."""
    x0, y0, x1, y1, cx, cy = anchor(mask)
    f32 = np.float32
    if family == 'constant_in':          # constant 0.5: in [0,1], kept as stored
        return np.full((H, W), 0.5, dtype=f32)
    if family == 'constant_out':         # constant -2.5: outside [0,1], becomes all zeros
        return np.full((H, W), -2.5, dtype=f32)
    if family == 'ramp_columns':         # (x + 7i) mod 224 / 256: max < 1, a tied max column
        return (((X + 7 * i) % 224).astype(f32) / f32(256))
    if family == 'block_levels':         # 32x32 plateaus, levels {0, 1/8, ..., 1}, tied max blocks
        return ((((X // 32) + 7 * (Y // 32) + i) % 9).astype(f32) / f32(8))
    if family == 'signed_blocks':        # 16x16 plateaus of integers -5..5: normalised
        return ((((X // 16) * 3 + (Y // 16) * 5 + i) % 11) - 5).astype(f32)
    if family == 'xor_levels':           # integers 2..65 (> 1): normalised, scattered tied maxima
        return (2 + ((X ^ Y ^ (5 * i)) & 63)).astype(f32)
    if family == 'diamond_peak':         # one peak of 1 at (px, py), a diamond cone over zeros
        px, py = (37 * i + 11) % 224, (91 * i + 13) % 224
        return (np.maximum(0, 64 - np.abs(X - px) - np.abs(Y - py)).astype(f32) / f32(64))
    if family == 'cone_mask_centre':     # integers, peak 300 at the mask's box centre, negative far
        return (300 - np.abs(X - cx) - 2 * np.abs(Y - cy)).astype(f32)
    if family == 'peak_near_mask':       # background (x+y)%4/8, mask = 3/4, one 1 d px outside
        d = 1 + i % 20
        if x1 + d <= 223:
            px, py = x1 + d, cy
        elif x0 - d >= 0:
            px, py = x0 - d, cy
        elif y1 + d <= 223:
            px, py = cx, y1 + d
        elif y0 - d >= 0:
            px, py = cx, y0 - d
        else:
            px, py = 0, 0
        m = ((X + Y) % 4).astype(f32) / f32(8)
        m[mask.astype(bool)] = f32(0.75)
        m[py, px] = f32(1.0)
        return m
    if family == 'hash97':               # quantised pseudo-random, levels 0..96 / 128 (max < 1)
        return ((hash97(i) % np.uint64(97)).astype(np.int64).astype(f32) / f32(128))
    if family == 'tied_maxima':          # integers -3..3; 4 at 2 or 3 tied maxima around the mask
        m = (((3 * X + 5 * Y) % 7) - 3).astype(f32)
        m[223 - cy, 223 - cx] = f32(4)                                   # mirror of the centre
        m[min(y1 + 1 + (7 * i) % 24, 223), min(x1 + 1 + i % 24, 223)] = f32(4)  # just outside
        if i % 3 == 0:
            m[cy, cx] = f32(4)                                           # inside
        return m
    if family == 'rank_distinct':
        # Every value distinct (a bijection of (x+y)*224 + x, shifted mod 100352): integers,
        # normalised; the top-k set has exactly int(N*k/100) + 1 pixels, a triangle-like band
        # across the anti-diagonals. (Not a row-major ramp: libstdc++'s nth_element is ~10x
        # slower on such nearly sorted input and the C++ test would take seconds more.)
        return (((X + Y) * 224 + X + 1009 * i) % 100352).astype(f32)
    if family == 'fine_ties':
        # In [0,1], kept as stored: 0.4375 + r/2^25 (r = 12-bit hash, about 12 pixels per value,
        # adjacent values one float32 ulp apart), one max 0.875, one min 0. Re-normalising it
        # (dividing by 0.875 in float32) would merge neighbouring values and move the top-k ties;
        # main() checks that it would change results.
        m = ((np.int64(14680064) + hash12(i)).astype(f32) / f32(33554432))
        px, py = (13 * i) % 224, (29 * i + 7) % 224
        m[py, px] = f32(0.875)
        m[223 - py, 223 - px] = f32(0.0)
        return m
    raise ValueError(family)


FAMILIES = ('constant_in', 'constant_out', 'ramp_columns', 'block_levels', 'signed_blocks',
            'xor_levels', 'diamond_peak', 'cone_mask_centre', 'peak_near_mask', 'hash97',
            'tied_maxima', 'rank_distinct', 'fine_ties')


# --- baselines (metrics.h) ---------------------------------------------------------------------

def centre_baseline64():
    """exp(-r^2 / 2 sigma^2) around ((W-1)/2, (H-1)/2), sigma = W/6, in float64."""
    sigma = W / 6.0
    r2 = (X - (W - 1) / 2.0) ** 2 + (Y - (H - 1) / 2.0) ** 2
    return np.exp(-r2 / (2.0 * sigma * sigma))


# The random baseline's generator, as metrics.h specifies it: std::mt19937_64 seeded by
# std::seed_seq{seed_lo, seed_hi, index_lo, index_hi}, draws float(uniform_real_distribution<
# double>(0,1)) patch by patch. Written from the C++ standard ([rand.util.seedseq],
# [rand.eng.mers]) and libstdc++'s generate_canonical (one 64-bit draw / 2^64, a result >= 1
# replaced by the double just below 1).

M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF


def seed_seq_generate(v, n):
    b = [0x8b8b8b8b] * n
    s = len(v)
    t = 11 if n >= 623 else 7 if n >= 68 else 5 if n >= 39 else 3 if n >= 7 else (n - 1) // 2
    p = (n - t) // 2
    q = p + t
    m = max(s + 1, n)

    def T(x):
        return x ^ (x >> 27)
    for k in range(m):
        r1 = (1664525 * T(b[k % n] ^ b[(k + p) % n] ^ b[(k - 1) % n])) & M32
        if k == 0:
            r2 = r1 + s
        elif k <= s:
            r2 = r1 + k % n + v[k - 1]
        else:
            r2 = r1 + k % n
        r2 &= M32
        b[(k + p) % n] = (b[(k + p) % n] + r1) & M32
        b[(k + q) % n] = (b[(k + q) % n] + r2) & M32
        b[k % n] = r2
    for k in range(m, m + n):
        r3 = (1566083941 * T((b[k % n] + b[(k + p) % n] + b[(k - 1) % n]) & M32)) & M32
        r4 = (r3 - k % n) & M32
        b[(k + p) % n] ^= r3
        b[(k + q) % n] ^= r4
        b[k % n] = r4
    return b


class MT19937_64:
    NN, MM, R = 312, 156, 31
    A = 0xB5026F5AA96619E9
    UPPER = (M64 << 31) & M64
    LOWER = (1 << 31) - 1

    def __init__(self, seed_words=None, seed=5489):
        if seed_words is None:     # the default (linear) seeding, only for the self-check
            x = [seed & M64]
            for j in range(1, self.NN):
                x.append((6364136223846793005 * (x[-1] ^ (x[-1] >> 62)) + j) & M64)
        else:
            a = seed_seq_generate(seed_words, self.NN * 2)
            x = [(a[2 * j] | (a[2 * j + 1] << 32)) & M64 for j in range(self.NN)]
            if (x[0] & self.UPPER) == 0 and all(v == 0 for v in x[1:]):
                x[0] = 1 << 63
        self.x = x
        self.i = self.NN

    def __call__(self):
        if self.i >= self.NN:
            x = self.x
            for j in range(self.NN):
                y = (x[j] & self.UPPER) | (x[(j + 1) % self.NN] & self.LOWER)
                x[j] = x[(j + self.MM) % self.NN] ^ (y >> 1) ^ (self.A if y & 1 else 0)
            self.i = 0
        z = self.x[self.i]
        self.i += 1
        z ^= (z >> 29) & 0x5555555555555555
        z ^= (z << 17) & 0x71D67FFFEDA60000
        z ^= (z << 37) & 0xFFF7EEE000000000
        z ^= z >> 43
        return z & M64


def uniform01(rng):
    r = float(rng()) / 2.0 ** 64     # float(int) rounds to nearest, as the C++ conversion does
    if r >= 1.0:
        r = math.nextafter(1.0, 0.0)
    return r


def random_patch_baseline(seed, index, patch=16):
    words = [seed & M32, seed >> 32, index & M32, index >> 32]
    rng = MT19937_64(words)
    m = np.zeros((H, W), dtype=np.float32)
    for py in range(0, H, patch):
        for px in range(0, W, patch):
            m[py:py + patch, px:px + patch] = np.float32(uniform01(rng))
    return m


def self_check_generator():
    # [rand.predef]: the 10000th consecutive invocation of a default-constructed mt19937_64.
    rng = MT19937_64()
    for _ in range(9999):
        rng()
    assert rng() == 9981545732273789042, 'mt19937_64 does not match the standard'


# --- the metrics, from REFERENCE.md ------------------------------------------------------------

def scoring_map(v):
    """float64 copy of the map in scoring form (REFERENCE.md's rule)."""
    v = v.astype(np.float64)
    lo, hi = v.min(), v.max()
    if lo >= 0.0 and hi <= 1.0:
        return v, False
    if hi == lo:
        return np.zeros_like(v), True
    return (v - lo) / (hi - lo), True


def pointing_game(s, mask):
    return bool(mask.any() and (mask & (s == s.max())).any())


def disk_dilation(mask, radius):
    """Pixels within `radius` (Euclidean, pixel centres) of some mask pixel."""
    out = np.zeros_like(mask)
    r = int(math.floor(radius))
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return out
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            if dx * dx + dy * dy > radius * radius:
                continue
            # out[y + dy, x + dx] |= mask[y, x]
            src = mask[max(0, -dy):H - max(0, dy), max(0, -dx):W - max(0, dx)]
            out[max(0, dy):H - max(0, -dy), max(0, dx):W - max(0, -dx)] |= src
    return out


def pointing_game_tolerance(s, dilated):
    return bool(dilated.any() and (dilated & (s == s.max())).any())


def energy(v, mask):
    v = v.astype(np.float64)
    lo, hi = v.min(), v.max()
    if hi == lo:
        return 0.0
    m = (v - lo) / (hi - lo)
    total = m.sum()
    if total == 0.0:
        return 0.0
    return float((m * mask).sum() / total)


def topk_selection(s_desc, s, k):
    threshold = s_desc[int(N * k / 100)]
    return s >= threshold


def iou_fraction(region, mask):
    if not mask.any():
        return '0'
    inter = int((region & mask).sum())
    union = int((region | mask).sum())
    return '%d/%d' % (inter, union)


def rectangle(sel):
    ys, xs = np.nonzero(sel)
    r = np.zeros((H, W), dtype=bool)
    r[ys.min():ys.max() + 1, xs.min():xs.max() + 1] = True
    return r


# --- main --------------------------------------------------------------------------------------

def load_masks(shared):
    """[(mask id, data set, file, threshold, image index, mask bool array)]."""
    out = []
    image = 0
    for dataset in DATASETS:
        folder = os.path.join(shared, 'data', 'annotations-224', dataset)
        files = sorted(f for f in os.listdir(folder) if f.endswith('.png'))
        assert len(files) == 50, (dataset, len(files))
        for name in files:
            grey = read_grey(os.path.join(folder, name))
            assert grey.shape == (H, W) and ',' not in name
            for threshold in THRESHOLDS[dataset]:
                out.append((len(out), dataset, name, threshold, image, grey > threshold))
            image += 1
    return out


def check_normalisation_is_robust(family, raw, s):
    """The committed families must not depend on how min-max normalisation is rounded: distinct
    values stay distinct with gaps far above float32 resolution, so a float32 implementation
    selects exactly the same pixels as this float64 oracle."""
    distinct = np.unique(s)
    assert len(distinct) == len(np.unique(raw)), family
    if len(distinct) > 1:
        assert np.diff(distinct).min() > 2.0 ** -20, family


def compute(shared):
    self_check_generator()
    masks = load_masks(shared)
    dilated = {mid: disk_dilation(m, RADIUS) for mid, _, _, _, _, m in masks}
    centre64 = centre_baseline64()
    # The centre baseline is stored by the library in float32; its ranking (hence the top-k
    # selections and the tied 4-pixel maximum) only depends on r^2: check that float64 and
    # float32 keep every distinct r^2 distinct, so rounding cannot move a selection.
    r2x4 = (2 * X - (W - 1)) ** 2 + (2 * Y - (H - 1)) ** 2
    distinct = len(np.unique(r2x4))
    assert len(np.unique(centre64)) == distinct == len(np.unique(centre64.astype(np.float32)))
    assert (centre64 == centre64.max()).sum() == 4

    families = FAMILIES + ('centre_baseline', 'random_baseline')
    rows = []
    fine_sensitive = 0
    stats = {}
    random_cache = {}
    for family in families:
        for mid, dataset, name, threshold, image, mask in masks:
            if family == 'centre_baseline':
                raw = centre64
            elif family == 'random_baseline':
                if image not in random_cache:
                    random_cache[image] = random_patch_baseline(RANDOM_SEED, image)
                raw = random_cache[image]
            else:
                raw = family_map(family, image, mask)
                assert raw.dtype == np.float32
            s, normalised = scoring_map(raw)
            if normalised:
                check_normalisation_is_robust(family, raw, s)
            s_desc = np.sort(s.ravel())[::-1]
            row = {'family': family, 'mask': mid,
                   'pg': int(pointing_game(s, mask)),
                   'pg_tol15': int(pointing_game_tolerance(s, dilated[mid])),
                   'energy': '%.10g' % energy(raw, mask)}
            st = stats.setdefault(family, [0, 0, 0, 0])   # pg hits, tol hits, tied rows, tied px
            st[0] += row['pg']
            st[1] += row['pg_tol15']
            for k in KS:
                sel = topk_selection(s_desc, s, k)
                extra = int(sel.sum()) - (int(N * k / 100) + 1)   # ties beyond the count
                st[2] += extra > 0
                st[3] += extra
                row['rect_k%g' % k] = iou_fraction(rectangle(sel), mask)
                row['set_k%g' % k] = iou_fraction(sel, mask)
            if family == 'fine_ties':
                # What a wrong re-normalisation in float32 would give: it must differ somewhere.
                wrong = (raw - raw.min()) / (raw.max() - raw.min())
                assert wrong.dtype == np.float32
                wrong_desc = np.sort(wrong.ravel())[::-1]
                if any(iou_fraction(topk_selection(wrong_desc, wrong, k), mask)
                       != row['set_k%g' % k] for k in KS):
                    fine_sensitive += 1
            rows.append(row)
        st = stats[family]
        print('%-18s %d masks: pg hits %3d, tolerance hits %3d, top-k ties at the threshold in '
              '%4d of %d (mask, k), %d tied pixels beyond the count'
              % (family, len(masks), st[0], st[1], st[2], len(masks) * len(KS), st[3]),
              file=sys.stderr)
    assert fine_sensitive > 0
    print('fine_ties: a float32 re-normalisation would change iouTopKSet on %d of %d masks'
          % (fine_sensitive, len(masks)), file=sys.stderr)
    mask_rows = []
    for mid, dataset, name, threshold, image, mask in masks:
        b = bbox(mask) or (-1, -1, -1, -1)
        mask_rows.append({'mask': mid, 'dataset': dataset, 'file': name, 'threshold': threshold,
                          'image_index': image, 'count': int(mask.sum()),
                          'x0': b[0], 'y0': b[1], 'x1': b[2], 'y1': b[3]})
    return mask_rows, rows


def to_csv(rows):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0].keys()), lineterminator='\n')
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--shared',
                        default=os.path.normpath(os.path.join(HERE, '..', '..', '..', 'shared')))
    parser.add_argument('--check', action='store_true', help='compare with the committed CSVs')
    args = parser.parse_args()
    mask_rows, rows = compute(args.shared)
    outputs = {'masks.csv': to_csv(mask_rows), 'metrics.csv': to_csv(rows)}
    for name, text in outputs.items():
        path = os.path.join(OUT, name)
        if args.check:
            with open(path) as f:
                if f.read() != text:
                    sys.exit('%s differs from a fresh run' % path)
            print('%s: identical' % path)
        else:
            os.makedirs(OUT, exist_ok=True)
            with open(path, 'w') as f:
                f.write(text)
            print('wrote %s (%d bytes)' % (path, len(text)))
    hits = sum(r['pg'] for r in rows)
    print('%d masks, %d metric rows, %d pointing-game hits' % (len(mask_rows), len(rows), hits))


if __name__ == '__main__':
    main()
