#!/usr/bin/python3
"""Writes the Pillow reference images that tests/core/test_image_preprocess.cpp compares against.

Run at development time with Debian's python3-pil (9.4) and python3-numpy (1.24), i.e. the
interpreter at /usr/bin/python3, NOT by the tests:

    /usr/bin/python3 tests/tools/make_pillow_references.py [--shared ../shared]

What the study's Python code does to a test image, and so what intermap must reproduce:
  * resize:      Image.open(p).convert('RGB').resize((224, 224), Image.BILINEAR)
                 (= torchvision Resize((224, 224)) on a PIL image; antialiased when shrinking)
  * center-crop: torchvision 0.14 CenterCrop(224) on the PIL image: zero padding when a side is
                 shorter than 224, then a crop at int(round((W - 224) / 2.0)) (half to even)
  * grey:        Image.open(p).convert('L'), how annotation masks are read
  * decode:      Image.open(p).convert('RGB') without any geometry, to check decoding alone

Outputs, all under tests/data/pillow/:
  inputs/    synthetic inputs (small; committed). Real images are referenced by their path
             relative to the shared root and never copied into the repository.
  expected/  lossless PNG results, one per (input, recipe)
  manifest.json
"""
import argparse
import io
import json
import os
import struct
import sys
import zlib

import numpy as np
from PIL import Image

SIZE = 224
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, '..', 'data', 'pillow'))

# Real images: a few of each data set, chosen for their sizes (CP-CHILD 256x256 JPEG; BUSI PNGs
# of odd sizes so the crop offset rounds half to even; a large Kvasir JPEG that shrinks 6x).
REAL_IMAGES = [
    'cp-child-a/test/polyp/1 (10).jpg',
    'cp-child-a/test/polyp/1 (100).jpg',
    'cp-child-a/test/non-polyp/0 (105).jpg',
    'busi/images/malignant/malignant (133).png',   # 256x259
    'busi/images/benign/benign (427).png',         # 525x256
    'busi/images/normal/normal (1).png',
    'kvasir-seg-sample/images/cju0qoxqj9q6s0835b43399p4.jpg',  # 1348x1070
]
# Masks, read as PIL 'L' (RGB PNG boxes, an 'L' PNG, an RGB JPEG mask).
REAL_MASKS = [
    'annotations-224/cpchild/1 (10).png',
    'busi/masks/malignant/malignant (133).png',
    'kvasir-seg-sample/masks/cju0qoxqj9q6s0835b43399p4.jpg',
]


def center_crop_pil(img, size=SIZE):
    """torchvision 0.14 transforms.functional.center_crop on a PIL image, with PIL operations."""
    width, height = img.size
    if size > width or size > height:
        left = (size - width) // 2 if size > width else 0
        top = (size - height) // 2 if size > height else 0
        right = (size - width + 1) // 2 if size > width else 0
        bottom = (size - height + 1) // 2 if size > height else 0
        # F_pil.pad(fill=0) -> ImageOps.expand: a zero canvas with the image pasted in.
        padded = Image.new(img.mode, (width + left + right, height + top + bottom), 0)
        padded.paste(img, (left, top))
        img = padded
        width, height = img.size
        if width == size and height == size:
            return img
    top = int(round((height - size) / 2.0))   # Python 3 round: half to even
    left = int(round((width - size) / 2.0))
    return img.crop((left, top, left + size, top + size))


def resize_pil(img, size=SIZE):
    return img.resize((size, size), Image.BILINEAR)


def scale16to8(values):
    """The rule intermap uses for 16-bit samples: round(v * 255 / 65535), no clipping."""
    return np.floor(values.astype(np.float64) * 255.0 / 65535.0 + 0.5).astype(np.uint8)


def write_png16(path, array):
    """Minimal 16-bit PNG writer (Pillow cannot write 16-bit RGB/RGBA PNGs)."""
    height, width, channels = array.shape
    colour_type = {3: 2, 4: 6}[channels]
    raw = b''.join(b'\x00' + array[y].astype('>u2').tobytes() for y in range(height))

    def chunk(tag, data):
        return struct.pack('>I', len(data)) + tag + data + struct.pack('>I', zlib.crc32(tag + data))

    header = struct.pack('>IIBBBBB', width, height, 16, colour_type, 0, 0, 0)
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header) + chunk(b'IDAT', zlib.compress(raw, 9))
                + chunk(b'IEND', b''))


def pattern_rgb(width, height, seed):
    """Content that stresses a resampler (hard edges, 1-pixel stripes, ramps) yet compresses well."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    r = (x * 255 // max(width - 1, 1)).astype(np.int64)
    g = ((np.sin(x / 7.0) * np.cos(y / 5.0) + 1) * 127.5).astype(np.int64)
    b = np.where(((x // 9) + (y // 9)) % 2 == 0, 230, 20)
    b = np.where((x % 3 == 0) & (y > height // 2), 255 - b, b)
    image = np.stack([r, g, b], axis=-1)
    # A small noisy patch: rounding in the resampler shows up on uncorrelated neighbours.
    patch = rng.integers(0, 256, size=(min(24, height), min(24, width), 3))
    image[:patch.shape[0], -patch.shape[1]:] = patch
    return np.clip(image, 0, 255).astype(np.uint8)


def make_synthetic_inputs(directory):
    """Writes the synthetic inputs; returns {name: PIL 'RGB' image as the study would see it,
    or None when Image.open(p).convert('RGB') is the reference} plus the list of names."""
    os.makedirs(directory, exist_ok=True)
    reference_rgb = {}

    # 16-bit greyscale gradient using every value 0..65535 exactly once (v = 256*y + x).
    grey16 = (np.arange(65536, dtype=np.uint32).reshape(256, 256)).astype(np.uint16)
    Image.fromarray(grey16).save(os.path.join(directory, 'grey16_gradient.png'))
    check = np.array(Image.open(os.path.join(directory, 'grey16_gradient.png')))
    assert np.array_equal(check.astype(np.uint32), grey16.astype(np.uint32)), '16-bit PNG round trip'
    # PIL's convert('RGB') CLIPS 16-bit values (everything >= 255 becomes 255); intermap scales
    # by 255/65535 with rounding instead, so the expectation is built from the scaled 8-bit image.
    reference_rgb['grey16_gradient.png'] = Image.fromarray(scale16to8(grey16), 'L').convert('RGB')

    # 16-bit greyscale TIFF (another decoder path for 16 bits), same rule.
    tiff16 = ((np.arange(96 * 80, dtype=np.uint64) * 65535) // (96 * 80 - 1)).astype(np.uint16)
    tiff16 = tiff16.reshape(80, 96)
    Image.fromarray(tiff16).save(os.path.join(directory, 'grey16.tif'))
    reference_rgb['grey16.tif'] = Image.fromarray(scale16to8(tiff16), 'L').convert('RGB')

    # 16-bit RGBA PNG: 16-bit colour scaling and the alpha channel dropped together.
    y, x = np.mgrid[0:60, 0:80]
    rgba16 = np.stack([x * 65535 // 79, y * 65535 // 59, (x * y * 37) % 65536,
                       np.where(x < 40, 0, 65535)], axis=-1).astype(np.uint16)
    write_png16(os.path.join(directory, 'rgba16.png'), rgba16)
    opened = Image.open(os.path.join(directory, 'rgba16.png'))
    assert opened.mode == 'RGBA' and opened.size == (80, 60), 'the 16-bit RGBA PNG writer'
    reference_rgb['rgba16.png'] = Image.fromarray(scale16to8(rgba16[..., :3]), 'RGB')

    # 8-bit RGBA: alpha ranges over 0..255, with colour under fully transparent pixels, so
    # blending (instead of dropping) the alpha would show.
    rgba = np.dstack([pattern_rgb(200, 180, 1), (np.arange(200)[None, :] * 255 // 199).repeat(180, 0)])
    Image.fromarray(rgba.astype(np.uint8), 'RGBA').save(os.path.join(directory, 'rgba.png'))

    # 8-bit greyscale.
    grey = pattern_rgb(240, 230, 2)[..., 1]
    Image.fromarray(grey, 'L').save(os.path.join(directory, 'grey8.png'))
    # Greyscale + alpha ('LA'), and a palette image with a transparent entry ('P' + tRNS):
    # both common for segmentation masks.
    Image.fromarray(np.dstack([grey[:90, :120], grey[:90, :120][::-1]]), 'LA').save(
        os.path.join(directory, 'grey_alpha.png'))
    palette_indices = (pattern_rgb(90, 70, 9)[..., 2] // 64).astype(np.uint8)
    palette_image = Image.fromarray(palette_indices, 'P')
    palette_image.putpalette([0, 0, 0, 250, 20, 20, 20, 200, 90, 255, 255, 255] + [0] * (256 * 3 - 12))
    palette_image.save(os.path.join(directory, 'palette.png'), transparency=1)

    # Smaller than 224 on both sides: center-crop pads, resize enlarges.
    Image.fromarray(pattern_rgb(100, 150, 3), 'RGB').save(os.path.join(directory, 'small_100x150.png'))
    # Odd margins: (301-224)/2 = 38.5 -> 38 and (257-224)/2 = 16.5 -> 16 (half to even).
    Image.fromarray(pattern_rgb(301, 257, 4), 'RGB').save(os.path.join(directory, 'odd_301x257.png'))
    # Padded in one direction, cropped (odd margin) in the other.
    Image.fromarray(pattern_rgb(180, 301, 5), 'RGB').save(os.path.join(directory, 'tall_180x301.png'))

    # BMP (24-bit) and TIFF (8-bit RGB, deflate); small, so both are enlarged and padded.
    Image.fromarray(pattern_rgb(150, 130, 6), 'RGB').save(os.path.join(directory, 'rgb.bmp'))
    Image.fromarray(pattern_rgb(128, 120, 7), 'RGB').save(os.path.join(directory, 'rgb.tif'),
                                                          compression='tiff_adobe_deflate')

    # JPEG whose EXIF says "rotate 90 degrees clockwise" (orientation 6). Image.open ignores it
    # (no exif_transpose in the study), so the stored 160x120 layout is the reference.
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(pattern_rgb(160, 120, 8), 'RGB').save(
        os.path.join(directory, 'exif_orientation6.jpg'), 'JPEG', quality=92, exif=exif.tobytes())
    with Image.open(os.path.join(directory, 'exif_orientation6.jpg')) as im:
        assert im.getexif().get(0x0112) == 6 and im.size == (160, 120)

    return reference_rgb


def save_png(img, path):
    img.save(path, 'PNG', optimize=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--shared', default=os.path.normpath(os.path.join(HERE, '..', '..', '..', 'shared')),
                        help='root of the shared material (default: <repo>/../shared)')
    args = parser.parse_args()
    data_root = os.path.join(args.shared, 'data')
    for relative in REAL_IMAGES + REAL_MASKS:
        if not os.path.isfile(os.path.join(data_root, relative)):
            sys.exit(f'missing shared image: {os.path.join(data_root, relative)}')

    inputs_dir = os.path.join(OUT, 'inputs')
    expected_dir = os.path.join(OUT, 'expected')
    os.makedirs(expected_dir, exist_ok=True)
    for old in os.listdir(expected_dir):
        os.remove(os.path.join(expected_dir, old))
    reference_rgb = make_synthetic_inputs(inputs_dir)

    cases = []

    def add(root, relative, recipe, result, lossy, note=''):
        stem = os.path.splitext(os.path.basename(relative))[0].replace(' ', '_').replace('(', '').replace(')', '')
        prefix = 'shared_' if root == 'shared' else ''
        expected = f'expected/{prefix}{stem}_{os.path.splitext(relative)[1][1:]}.{recipe}.png'
        save_png(result, os.path.join(OUT, expected))
        # Tolerance in grey levels. intermap reproduces Pillow's fixed-point resampler, so
        # every recipe on a lossless input must be exact (a float resampler such as LibTorch's
        # antialiased interpolate is off by one level on ~20% of the values). JPEG inputs are
        # allowed one level: libjpeg builds may differ by that much from the one Pillow used.
        tolerance = 1 if lossy else 0
        cases.append({'root': root, 'input': relative, 'recipe': recipe, 'expected': expected,
                      'tolerance': tolerance, 'note': note})

    for relative in REAL_IMAGES:
        with Image.open(os.path.join(data_root, relative)) as im:
            rgb = im.convert('RGB')
            lossy = im.format == 'JPEG'
        add('shared', 'data/' + relative, 'resize', resize_pil(rgb), lossy, f'{im.format} {rgb.size[0]}x{rgb.size[1]}')
        add('shared', 'data/' + relative, 'center-crop', center_crop_pil(rgb), lossy,
            f'{im.format} {rgb.size[0]}x{rgb.size[1]}')

    for relative in REAL_MASKS:
        with Image.open(os.path.join(data_root, relative)) as im:
            add('shared', 'data/' + relative, 'grey', im.convert('L'), im.format == 'JPEG', f'{im.format} mode {im.mode}')

    for name in sorted(os.listdir(inputs_dir)):
        path = os.path.join(inputs_dir, name)
        with Image.open(path) as im:
            lossy = im.format == 'JPEG'
            rgb = reference_rgb[name] if name in reference_rgb else im.convert('RGB')
            note = f'{im.format} mode {im.mode} {im.size[0]}x{im.size[1]}'
            add('testdata', 'pillow/inputs/' + name, 'resize', resize_pil(rgb), lossy, note)
            add('testdata', 'pillow/inputs/' + name, 'center-crop', center_crop_pil(rgb), lossy, note)
            add('testdata', 'pillow/inputs/' + name, 'decode', rgb, lossy, note)
            # PIL's own convert('L') (which clips 16-bit grey and keeps the high byte of 16-bit
            # colour): what the evaluation's mask reading must match.
            add('testdata', 'pillow/inputs/' + name, 'grey', im.convert('L'), lossy, note)

    manifest = {
        'generator': 'tests/tools/make_pillow_references.py',
        'pillow': Image.__version__,
        'numpy': np.__version__,
        'roots': {'shared': 'relative to the shared root (INTERMAP_SHARED or <repo>/../shared)',
                  'testdata': 'relative to tests/data'},
        'size': SIZE,
        'cases': cases,
    }
    with open(os.path.join(OUT, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
        f.write('\n')
    total = sum(os.path.getsize(os.path.join(dirpath, f)) for dirpath, _, files in os.walk(OUT) for f in files)
    print(f'{len(cases)} cases, {total / 1e6:.2f} MB under {OUT}')


if __name__ == '__main__':
    main()
