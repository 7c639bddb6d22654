#!/usr/bin/python3
"""Expected model inputs of DICOM files, computed independently of intermap with pydicom.

Writes tests/data/dicom/:
  refused/huge_header.dcm  a header claiming 20000 x 20000 pixels over 8 bytes (the pixel cap);
  synthetic_*.dcm   three small synthetic files for what Debian's pydicom test files lack:
                    MONOCHROME1 (12-bit signed, rescaled, two windows, 2 frames, RLE, with
                    patient attributes for the privacy checks), PALETTE COLOR, and Modality +
                    VOI LUT Sequences;
  expected/*.png    the 8-bit image of each case (grey as 'L', colour as 'RGB');
  manifest.json     the cases (file, frame, window, expected PNG, tolerance) and the files that
                    must be refused (no image, or pydicom cannot decode them either).

Inputs: the real test files Debian's python3-pydicom ships (read in place, never copied), decoded
by pydicom's own numpy (uncompressed) and RLE handlers and, for JPEG / JPEG-LS / JPEG 2000,
python3-gdcm. The rule (README "DICOM"), in numpy here:
  grey: modality LUT (pydicom's apply_modality_lut) -> first Window Center/Width through the
        linear function of PS3.3 C.11.2.1.2.1, else VOI LUT Sequence (pydicom's apply_voi,
        scaled by 255 / (2^bits - 1)), else min-max -> MONOCHROME1 inverted -> floor(y + 0.5);
  colour: RGB scaled by 255 / (2^BitsStored - 1); YBR_FULL(_422) through pydicom's
        convert_color_space; PALETTE COLOR through pydicom's apply_color_lut.

Run with Debian's /usr/bin/python3 (python3-pydicom, python3-gdcm, python3-numpy, python3-pil):
  /usr/bin/python3 tests/tools/make_dicom_references.py
"""
import json
import os
import sys

import numpy as np
import pydicom
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixel_data_handlers import gdcm_handler, numpy_handler, rle_handler
from pydicom.pixel_data_handlers.util import (apply_color_lut, apply_modality_lut, apply_voi,
                                              convert_color_space)
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, RLELossless, generate_uid

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'data', 'dicom')
PYDICOM_FILES = os.path.join(os.path.dirname(pydicom.__file__), 'data', 'test_files')

pydicom.config.pixel_data_handlers = [numpy_handler, rle_handler, gdcm_handler]
assert gdcm_handler.is_available(), 'python3-gdcm is needed for the compressed files'


# ---------------------------------------------------------------------------------------------
# The rule
def linear_window(x, c, w):
    y = ((x - (c - 0.5)) / (w - 1) + 0.5) * 255 if w > 1 else np.zeros_like(x)
    y = np.where(x <= c - 0.5 - (w - 1) / 2, 0.0, y)
    return np.where(x > c - 0.5 + (w - 1) / 2, 255.0, y)


def first_value(value):
    return float(value[0]) if isinstance(value, pydicom.multival.MultiValue) else float(value)


def model_input(ds, frame, window):
    arr = ds.pixel_array
    frames = int(ds.get('NumberOfFrames', 1) or 1)
    if frames > 1:
        arr = arr[frame - 1]
    pi = ds.PhotometricInterpretation
    if pi in ('MONOCHROME1', 'MONOCHROME2'):
        stored, allocated = int(ds.BitsStored), int(ds.BitsAllocated)
        if ds.PixelRepresentation == 1 and stored < allocated:
            # pydicom 2.3 leaves the bits above BitsStored as found; the standard's value is the
            # BitsStored-bit two's complement number.
            arr = arr.astype(np.int64) & ((1 << stored) - 1)
            arr = np.where(arr >= 1 << (stored - 1), arr - (1 << stored), arr)
        values = apply_modality_lut(arr, ds).astype(np.float64)
        if window == 'minmax' or (window == 'file' and 'WindowCenter' not in ds and 'VOILUTSequence' not in ds):
            low, high = values.min(), values.max()
            y = (values - low) / (high - low) * 255 if high > low else np.zeros_like(values)
        elif window == 'file' and 'WindowCenter' in ds:
            y = linear_window(values, first_value(ds.WindowCenter), first_value(ds.WindowWidth))
        elif window == 'file':
            item = ds.VOILUTSequence[0]
            bits = int(item.LUTDescriptor[2])
            y = apply_voi(values.round().astype(np.int64), ds, index=0).astype(np.float64) / (2 ** bits - 1) * 255
        else:
            c, w = (float(v) for v in window.split(','))
            y = linear_window(values, c, w)
        if pi == 'MONOCHROME1':
            y = 255 - y
        return np.clip(np.floor(y + 0.5), 0, 255).astype(np.uint8)
    if pi == 'PALETTE COLOR':
        rgb = apply_color_lut(arr, ds).astype(np.float64)
        bits = int(ds.RedPaletteColorLookupTableDescriptor[2])
        return np.clip(np.floor(rgb / (2 ** bits - 1) * 255 + 0.5), 0, 255).astype(np.uint8)
    if pi in ('YBR_FULL', 'YBR_FULL_422'):
        assert ds.BitsStored == 8
        return convert_color_space(arr, 'YBR_FULL', 'RGB')
    top = 2 ** int(ds.BitsStored) - 1  # RGB, and JPEG 2000's YBR_RCT/YBR_ICT (decoded to RGB)
    return np.clip(np.floor(arr.astype(np.float64) / top * 255 + 0.5), 0, 255).astype(np.uint8)


# ---------------------------------------------------------------------------------------------
# Synthetic files
def base_dataset(rows, columns, pi, samples=1):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.7'  # Secondary Capture
    meta.MediaStorageSOPInstanceUID = generate_uid(entropy_srcs=[pi, str(rows)])
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    # Patient-identifying attributes, so tests can check that none reaches an output.
    ds.PatientName = 'DOE^JANE^SECRETNAME'
    ds.PatientID = 'SECRETID-12345'
    ds.PatientBirthDate = '19610203'
    ds.AccessionNumber = 'SECRETACC9'
    ds.InstitutionName = 'SECRET GENERAL HOSPITAL'
    ds.ReferringPhysicianName = 'SECRETDOC^HOUSE'
    ds.StudyDate = '20240102'
    ds.Modality = 'OT'
    ds.Rows, ds.Columns = rows, columns
    ds.SamplesPerPixel = samples
    ds.PhotometricInterpretation = pi
    ds.is_little_endian, ds.is_implicit_VR = True, False
    return ds


def write_mono1():
    rows, columns, frames = 48, 64, 2
    y, x = np.mgrid[0:rows, 0:columns]
    first = (x * 60 - 2048 + y * 5).clip(-2048, 2047)
    second = ((x - 32) ** 2 + (y - 24) ** 2) * 3 - 2000
    pixels = np.stack([first, second.clip(-2048, 2047)]).astype(np.int16)
    ds = base_dataset(rows, columns, 'MONOCHROME1')
    ds.Modality = 'CR'
    ds.NumberOfFrames = frames
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 1
    ds.RescaleSlope, ds.RescaleIntercept = 2, -100
    ds.WindowCenter, ds.WindowWidth = [300, 500], [2000, 1000]
    ds.WindowCenterWidthExplanation = ['WIDE', 'NARROW']
    ds.PixelSpacing = [0.5, 0.25]
    # 12-bit two's complement in 16-bit words, high bits left as 0 (as many modalities write them)
    ds.PixelData = (pixels.astype(np.uint16) & 0x0FFF).tobytes()
    ds.compress(RLELossless, encoding_plugin='pydicom')
    ds.save_as(os.path.join(OUT, 'synthetic_mono1_rle.dcm'), write_like_original=False)


def write_palette():
    rows, columns = 32, 40
    y, x = np.mgrid[0:rows, 0:columns]
    ds = base_dataset(rows, columns, 'PALETTE COLOR')
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    index = np.arange(256)
    for name, values in (('Red', index * 257), ('Green', (255 - index) * 257), ('Blue', (index * 7 % 256) * 257)):
        setattr(ds, name + 'PaletteColorLookupTableDescriptor', [256, 0, 16])
        setattr(ds, name + 'PaletteColorLookupTableData', values.astype('<u2').tobytes())
    ds.PixelData = ((x * 6 + y) % 256).astype(np.uint8).tobytes()
    ds.save_as(os.path.join(OUT, 'synthetic_palette.dcm'), write_like_original=False)


def write_luts():
    rows, columns = 32, 32
    y, x = np.mgrid[0:rows, 0:columns]
    ds = base_dataset(rows, columns, 'MONOCHROME2')
    ds.Modality = 'MR'
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    modality = Dataset()
    modality.LUTDescriptor = [4096, 0, 16]
    modality.ModalityLUTType = 'US'
    modality.LUTData = (np.arange(4096) * 3 + 1000).astype('<u2').tobytes()
    ds.ModalityLUTSequence = Sequence([modality])
    voi = Dataset()
    voi.LUTDescriptor = [16384, 0, 12]
    voi.LUTData = (np.sqrt(np.arange(16384) / 16383) * 4095).round().astype('<u2').tobytes()
    ds.VOILUTSequence = Sequence([voi])
    ds.PixelData = ((x * 128 + y * 3) % 4096).astype('<u2').tobytes()
    ds.save_as(os.path.join(OUT, 'synthetic_luts.dcm'), write_like_original=False)


def write_huge_header():
    # Claims 20000 x 20000 pixels (> 2^28) over 8 bytes of pixel data: the reader must refuse the
    # claim, naming the cap, before it looks at (or allocates for) the pixels.
    ds = base_dataset(20000, 20000, 'MONOCHROME2')
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds['PixelData'] = pydicom.DataElement(0x7FE00010, 'OB', bytes(8))
    ds.save_as(os.path.join(OUT, 'refused', 'huge_header.dcm'), write_like_original=False)


# ---------------------------------------------------------------------------------------------
def main():
    os.makedirs(os.path.join(OUT, 'expected'), exist_ok=True)
    os.makedirs(os.path.join(OUT, 'refused'), exist_ok=True)
    write_huge_header()
    write_mono1()
    write_palette()
    write_luts()
    sources = [('pydicom', name, os.path.join(PYDICOM_FILES, name)) for name in sorted(os.listdir(PYDICOM_FILES))
               if name.endswith('.dcm')]
    sources += [('local', name, os.path.join(OUT, name)) for name in sorted(os.listdir(OUT)) if name.endswith('.dcm')]
    # Extra cases: window overrides, and the last frame of each multi-frame file.
    overrides = {'CT_small.dcm': ['40,400', 'minmax'], 'MR_small.dcm': ['minmax'],
                 'synthetic_mono1_rle.dcm': ['1000,2000']}
    cases, rejected = [], []
    for source, name, path in sources:
        try:
            ds = pydicom.dcmread(path)
            if 'PixelData' not in ds:
                raise ValueError('no Pixel Data')
            ds.pixel_array
        except Exception as error:  # what pydicom cannot decode must be refused, not crash
            rejected.append({'source': source, 'file': name, 'pydicom': str(error).splitlines()[0][:160]})
            continue
        frames = int(ds.get('NumberOfFrames', 1) or 1)
        runs = [(1, 'file')] + ([(frames, 'file')] if frames > 1 else [])
        runs += [(frames, window) for window in overrides.get(name, [])]
        for frame, window in runs:
            image = model_input(ds, frame, window)
            tag = '' if window == 'file' else '.w' + window.replace(',', '_')
            expected = '%s.f%d%s.png' % (os.path.splitext(name)[0], frame, tag)
            Image.fromarray(image).save(os.path.join(OUT, 'expected', expected), optimize=True)
            ybr = ds.PhotometricInterpretation.startswith('YBR_FULL')
            cases.append({'source': source, 'file': name, 'frame': frame, 'window': window, 'expected': expected,
                          'photometric': ds.PhotometricInterpretation, 'tolerance': 2 if ybr else 1})
    manifest = {'tool': 'tests/tools/make_dicom_references.py', 'pydicom': pydicom.__version__,
                'pydicom_test_files': PYDICOM_FILES, 'cases': cases, 'rejected': rejected}
    with open(os.path.join(OUT, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
    print('%d cases, %d rejected' % (len(cases), len(rejected)), file=sys.stderr)


if __name__ == '__main__':
    main()
