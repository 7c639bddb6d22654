#!/usr/bin/python3
"""Reference annotations for tests/core/test_annotations.cpp, computed independently of intermap.

Writes tests/data/annotations/:
  rle.json       small masks (rows of '0'/'1') with their COCO run-length codes: the counts list
                 and pycocotools' compressed string, computed here with numpy from the format's
                 definition (Debian 12 packages no pycocotools): runs over the pixels in
                 column-major (Fortran) order starting with a run of 0s; the string is
                 maskApi.c's rleToString (counts from the fourth on as differences to the count
                 two before, 5-bit groups low first + 48, 0x20 = more, 0x10 of the last = sign).
                 The string of the real CheXlocalize empty mask of a 2320 x 2828 image ("PVWX6")
                 is checked below, so the encoder here agrees with pycocotools' output.
  polygons.json  polygons with the mask PIL's ImageDraw.polygon(outline=1, fill=1) draws for them
                 (how CheXlocalize turned its radiologists' polygons into masks).
  mask_binary.dcm  a 6 x 5 MONOCHROME1 DICOM binary mask (values 0 / 1, RescaleIntercept 0):
                 non-zero = inside, no inversion (written with pydicom).
  mask_two_frames.dcm  a 224 x 224 DICOM mask with 2 frames (values 0 / 1): frame 1 marks rows
                 and columns 20..59, frame 2 rows and columns 150..199 (score --frame).

Run with Debian's /usr/bin/python3 (python3-numpy, python3-pil, python3-pydicom):
  /usr/bin/python3 tests/tools/make_annotation_references.py
"""
import json
import os

import numpy as np
from PIL import Image, ImageDraw

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "annotations")


def rle_counts(mask):
    flat = (mask.astype(bool)).flatten(order="F")
    counts, current, run = [], False, 0
    for value in flat:
        if value != current:
            counts.append(run)
            run, current = 0, value
        run += 1
    counts.append(run)
    return counts


def rle_string(counts):
    out = []
    for i, count in enumerate(counts):
        x = int(count) - (int(counts[i - 2]) if i > 2 else 0)
        more = True
        while more:
            c = x & 0x1F
            x >>= 5  # Python's >> on negative ints is arithmetic, as maskApi.c's on long
            more = (x != -1) if (c & 0x10) else (x != 0)
            if more:
                c |= 0x20
            out.append(chr(c + 48))
    return "".join(out)


def rows(mask):
    return ["".join("1" if v else "0" for v in row) for row in mask]


def rle_cases():
    rng = np.random.default_rng(17)
    cases = []
    cases.append(("empty", np.zeros((5, 7), np.uint8)))
    cases.append(("full", np.ones((4, 3), np.uint8)))
    first = np.zeros((6, 5), np.uint8)
    first[0, 0] = 1
    cases.append(("first_pixel_inside", first))
    box = np.zeros((13, 11), np.uint8)
    box[3:9, 2:7] = 1
    cases.append(("box", box))
    cases.append(("random_sparse", (rng.random((24, 31)) < 0.1).astype(np.uint8)))
    cases.append(("random_dense", (rng.random((17, 9)) < 0.6).astype(np.uint8)))
    # Long runs then short ones: differences to the count two before are large and negative.
    stripes = np.zeros((64, 48), np.uint8)
    stripes[:, 5:30] = 1
    stripes[10:12, 31] = 1
    stripes[40:, 33:47] = 1
    cases.append(("long_and_short_runs", stripes))
    result = []
    for name, mask in cases:
        counts = rle_counts(mask)
        assert sum(counts) == mask.size
        result.append({"name": name, "size": list(mask.shape), "counts": counts,
                       "string": rle_string(counts), "pixels": rows(mask)})
    return result


def pil_polygon_mask(polygons, height, width):
    image = Image.new("1", (width, height))
    for polygon in polygons:
        points = [(polygon[i], polygon[i + 1]) for i in range(0, len(polygon), 2)]
        ImageDraw.Draw(image).polygon(points, outline=1, fill=1)
    return np.array(image, dtype=np.uint8)


def polygon_cases():
    rng = np.random.default_rng(5)
    cases = [("box", [[2, 2, 6, 2, 6, 5, 2, 5]], 8, 9),
             ("two_boxes_overlapping", [[1, 1, 5, 1, 5, 4, 1, 4], [3, 2, 8, 2, 8, 6, 3, 6]], 9, 10)]
    for trial in range(6):
        n = int(rng.integers(3, 12))
        angles = np.sort(rng.uniform(0, 2 * np.pi, n))
        radii = rng.uniform(5, 16, n)
        points = np.round(np.stack([20 + radii * np.cos(angles), 18 + radii * np.sin(angles)], 1))
        cases.append(("star_%d" % trial, [[float(v) for v in points.flatten()]], 37, 41))
    return [{"name": name, "polygons": polygons, "size": [h, w], "pixels": rows(pil_polygon_mask(polygons, h, w))}
            for name, polygons, h, w in cases]


def write_dicom_mask(path, frames=None, name="intermap annotation mask"):
    """frames: a list of equal-sized 0/1 arrays (one per frame); default the 6 x 5 MONOCHROME1 mask."""
    import pydicom
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"  # Secondary Capture
    meta.MediaStorageSOPInstanceUID = generate_uid(entropy_srcs=[name])
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(path, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "OT"
    mask = np.zeros((6, 5), np.uint8)
    mask[1:4, 2:5] = 1
    if frames is not None:
        mask = frames[0]
        ds.NumberOfFrames = len(frames)
    ds.Rows, ds.Columns = mask.shape
    ds.SamplesPerPixel = 1
    # MONOCHROME1: a viewer would invert it; a mask must not be.
    ds.PhotometricInterpretation = "MONOCHROME1" if frames is None else "MONOCHROME2"
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PixelData = mask.tobytes() if frames is None else np.stack(frames).astype(np.uint8).tobytes()
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.save_as(path, write_like_original=False)
    return rows(mask)


def write_two_frame_mask(path):
    first = np.zeros((224, 224), np.uint8)
    first[20:60, 20:60] = 1
    second = np.zeros((224, 224), np.uint8)
    second[150:200, 150:200] = 1
    write_dicom_mask(path, [first, second], name="intermap two-frame mask")


def main():
    os.makedirs(OUT, exist_ok=True)
    # pycocotools' own output for an all-zero 2320 x 2828 mask (CheXlocalize's sample files).
    assert rle_string([2320 * 2828]) == "PVWX6"
    with open(os.path.join(OUT, "rle.json"), "w") as f:
        json.dump(rle_cases(), f, indent=1)
        f.write("\n")
    with open(os.path.join(OUT, "polygons.json"), "w") as f:
        json.dump(polygon_cases(), f, indent=1)
        f.write("\n")
    dicom_rows = write_dicom_mask(os.path.join(OUT, "mask_binary.dcm"))
    write_two_frame_mask(os.path.join(OUT, "mask_two_frames.dcm"))
    with open(os.path.join(OUT, "mask_binary.json"), "w") as f:
        json.dump({"pixels": dicom_rows}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
