#!/usr/bin/python3
"""Reference maps of a deep (12-block, 128-wide) random ViT on which Chefer's float32 LRP is
ill-conditioned, for tests/core/test_chefer_reproducible.cpp.

Run at development time with Debian's python3-torch, python3-numpy and python3-pil (i.e.
/usr/bin/python3), NOT by the tests:

    /usr/bin/python3 tests/tools/make_deep_references.py [--shared ../shared]

The model is not stored (9.6 MB): its weights come from tests/tools/portable_vit.py, which the
C++ test regenerates bit for bit (tests/common/portable_vit.h) and checks against the checksum
written here. The maps come from the ORIGINAL code (Chefer's ViT_LRP, as re-implemented and
validated against ../shared/fixtures by make_shape_references.py) in float64 (the method's exact
value) and float32 (what the study ran), on the four 224x224 images of ../shared/fixtures
(no resizing: only ImageNet normalisation), for each image's predicted class.

Writes tests/data/deep/: manifest.json (architecture, seed, recipe, weight checksum, per image:
path, logits, predicted class, the original float32 code's max error against float64 after
min-max) and ref_img_K_chefer14_f64.npy (float64 [14,14], Chefer's rollout row before upsampling).
"""
import argparse
import collections
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_shape_references as original  # noqa: E402
import portable_vit  # noqa: E402

OUT = os.path.join(original.REPO, 'tests', 'data', 'deep')
DIM, DEPTH, HEADS, CLASSES, SEED, QK_GAIN = 128, 12, 4, 3, 1, 1.0
IMAGES = ['fixtures/vit-tiny-ref/img_0.png', 'fixtures/vit-tiny-ref/img_1.png',
          'fixtures/vit-deep-ref/img_0.png', 'fixtures/vit-deep-ref/img_1.png']


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--shared', default=os.environ.get('INTERMAP_SHARED') or os.path.join(original.REPO, '..', 'shared'))
    args = parser.parse_args()
    torch.set_num_threads(1)
    arrays = portable_vit.state_dict(DIM, DEPTH, CLASSES, SEED, QK_GAIN)
    state_dict = collections.OrderedDict((k, torch.from_numpy(v)) for k, v in arrays.items())
    timm, lrp = original.build_models(state_dict, DIM, DEPTH, HEADS, CLASSES)
    lrp64 = original.LrpViT(DIM, DEPTH, HEADS, CLASSES)
    lrp64.load_state_dict(state_dict)
    lrp64.eval()
    lrp64.double()
    os.makedirs(OUT, exist_ok=True)
    manifest = collections.OrderedDict(
        dim=DIM, depth=DEPTH, heads=HEADS, classes=CLASSES, patch=16, img=224, seed=SEED, qk_gain=QK_GAIN,
        weights='tests/tools/portable_vit.py state_dict(dim, depth, classes, seed, qk_gain)',
        weight_checksum='%016x' % portable_vit.checksum(arrays),
        made_by='tests/tools/make_deep_references.py (the original code, see make_shape_references.py)',
        images=[])
    for k, relative in enumerate(IMAGES):
        x = original.normalise_input(original.Image.open(os.path.join(args.shared, relative)).convert('RGB'))
        with torch.no_grad():
            logits = timm(x)[0]
        target = int(logits.argmax())
        _, chefer32 = original.generate_lrp(lrp, x, target)
        logits64, chefer64 = original.generate_lrp(lrp64, x.double(), target)
        raw64 = chefer64.detach().reshape(14, 14).numpy().astype(np.float64)
        raw32 = chefer32.detach().reshape(14, 14).numpy().astype(np.float32)
        spread = original.norm_diff(original.bilinear_map(raw32), original.bilinear_map(raw64))
        np.save(os.path.join(OUT, 'ref_img_%d_chefer14_f64.npy' % k), raw64)
        manifest['images'].append(collections.OrderedDict(
            name='img_%d' % k, path=relative, pred=target, logits=[float(v) for v in logits],
            logits_f64=[float(v) for v in logits64[0]], chefer_f32_spread=spread))
        print('%s: pred %d, logits %s, original float32 code vs float64: %.3g' % (
            relative, target, np.array2string(logits.numpy(), precision=4), spread))
    with open(os.path.join(OUT, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
        f.write('\n')
    print('wrote', OUT)


if __name__ == '__main__':
    sys.exit(main())
