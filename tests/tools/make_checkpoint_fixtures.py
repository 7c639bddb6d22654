#!/usr/bin/env python3
"""Writes the small checkpoints that tests/core/test_checkpoint_format.cpp and the checkpoint fuzzer
read, using real PyTorch so that the reader is tested against what torch.save actually produces.

Run with a Python that has torch (Debian: /usr/bin/python3 with python3-torch), from anywhere:
    /usr/bin/python3 tests/tools/make_checkpoint_fixtures.py
It rewrites tests/data/checkpoints/*.pth and tests/fuzz/corpus/seed_*. Every value is deterministic
(no random numbers), and the C++ test hard-codes the values written here; the outputs are
committed so the tests need no Python. The bytes differ between PyTorch versions (these were made
with Debian's PyTorch 1.13), and the legacy files name storages by memory address, so they change
on every run; the values do not.
"""
import argparse
import collections
import io
import json
import os
import struct
import zipfile

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "tests", "data", "checkpoints")
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")

# The os.system payload below would create this file if any reader executed it.
PWNED_MARKER = "/tmp/intermap-checkpoint-test-pwned"


class RunsShellCommand:
    """Pickles as os.system(...): what a malicious checkpoint does. Never run by intermap."""

    def __reduce__(self):
        return (os.system, ("touch " + PWNED_MARKER,))


def save(obj, name, directory=DATA, **kwargs):
    path = os.path.join(directory, name)
    # torch names the archive's folder after the file stem; keep it stable across renames.
    torch.save(obj, path, **kwargs)
    size = os.path.getsize(path)
    assert size < 50_000, (name, size)
    print(f"{os.path.relpath(path, ROOT)}: {size} bytes")
    return path


def dtypes_state_dict():
    sd = collections.OrderedDict()
    sd["f32"] = torch.tensor([1.5, -2.25, 3.0], dtype=torch.float32)
    sd["f64"] = torch.tensor([[0.1, 0.2], [0.3, -0.4]], dtype=torch.float64)
    sd["f16"] = torch.tensor([1.0, -0.5, 65504.0], dtype=torch.float16)
    sd["bf16"] = torch.tensor([1.0, -2.0, 0.15625], dtype=torch.bfloat16)
    sd["i64"] = torch.tensor([-(2**40), 7], dtype=torch.int64)
    sd["i32"] = torch.tensor([-5, 100000], dtype=torch.int32)
    sd["i16"] = torch.tensor([-300, 300], dtype=torch.int16)
    sd["i8"] = torch.tensor([-128, 127], dtype=torch.int8)
    sd["u8"] = torch.tensor([0, 255], dtype=torch.uint8)
    sd["flag"] = torch.tensor([True, False, True])
    sd["scalar"] = torch.tensor(42.0)
    sd["empty"] = torch.zeros(0, 3)
    return sd


def views_state_dict():
    # One storage of 12 floats viewed five ways; torch.save keeps the sharing.
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    sd = collections.OrderedDict()
    sd["base"] = base
    sd["transposed"] = base.t()         # sizes [4,3], strides [1,4]
    sd["row"] = base[1]                 # offset 4
    sd["column"] = base[:, 2]           # offset 2, stride 4
    sd["block"] = base[1:, 1:3]         # offset 5, sizes [2,2], strides [4,1]
    return sd


def tiny_vit_like():
    sd = collections.OrderedDict()
    sd["cls_token"] = torch.arange(4, dtype=torch.float32).reshape(1, 1, 4) / 8
    sd["head.weight"] = torch.arange(8, dtype=torch.float32).reshape(2, 4) - 3.5
    sd["head.bias"] = torch.tensor([0.25, -0.25])
    return sd


def main():
    os.makedirs(DATA, exist_ok=True)
    os.makedirs(CORPUS, exist_ok=True)

    save(dtypes_state_dict(), "dtypes.pth")
    save(views_state_dict(), "views.pth")

    # nn.Module.state_dict(): OrderedDict with _metadata, as the study's checkpoints.
    torch.manual_seed(0)
    linear = torch.nn.Linear(3, 2)
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
        linear.bias.copy_(torch.tensor([0.5, -0.5]))
    save(linear.state_dict(), "module_state_dict.pth")
    # Protocol 4 pickles use FRAME, SHORT_BINUNICODE, MEMOIZE and STACK_GLOBAL.
    save(linear.state_dict(), "module_state_dict_protocol4.pth", pickle_protocol=4)

    # Parameters (not plain tensors) pickle through torch._utils._rebuild_parameter.
    save({"weight": torch.nn.Parameter(torch.tensor([1.0, 2.0])), "count": 3}, "parameters.pth")

    # A training checkpoint: DataParallel prefixes, argparse.Namespace, optimizer state.
    model = torch.nn.DataParallel(torch.nn.Linear(3, 2))
    with torch.no_grad():
        model.module.weight.copy_(torch.tensor([[1.0, 0.0, -1.0], [0.5, 0.25, 0.125]]))
        model.module.bias.copy_(torch.tensor([2.0, -2.0]))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.ones(1, 3)).sum().backward()
    optimizer.step()
    with torch.no_grad():  # undo the step so the stored weights are the round numbers above
        model.module.weight.copy_(torch.tensor([[1.0, 0.0, -1.0], [0.5, 0.25, 0.125]]))
        model.module.bias.copy_(torch.tensor([2.0, -2.0]))
    save({"epoch": 7,
          "args": argparse.Namespace(lr=0.1, arch="vit_tiny", seed=2**70),
          "model": model.state_dict(),
          "optimizer": optimizer.state_dict()}, "training_checkpoint.pth")

    # DINO keeps student and teacher; the teacher is the one evaluated.
    save({"student": collections.OrderedDict([("module.backbone.w", torch.tensor([1.0]))]),
          "teacher": collections.OrderedDict([("backbone.w", torch.tensor([2.0])),
                                              ("backbone.head.b", torch.tensor([3.0, 4.0]))]),
          "epoch": 100}, "dino_teacher_student.pth")

    # A malicious pickle: os.system through REDUCE, next to a real tensor.
    save(collections.OrderedDict([("weight", torch.tensor([1.0, 2.0])), ("payload", RunsShellCommand())]),
         "os_system.pth")

    # Things that are not state dicts.
    save(torch.nn.Linear(2, 2), "whole_module.pth")
    save(torch.tensor([1.0, 2.0]), "bare_tensor.pth")
    save({"epoch": 3, "note": "no weights here"}, "no_tensors.pth")
    save(collections.OrderedDict([("w", torch.tensor([1.0, 2.0]))]), "legacy_pre16.pth",
         _use_new_zipfile_serialization=False)

    # The same archive with every entry deflated (torch writes stored entries; other zip tools may not).
    source = os.path.join(DATA, "module_state_dict.pth")
    target = os.path.join(DATA, "module_state_dict_deflated.pth")
    deflate_copy(source, target)
    print(f"{os.path.relpath(target, ROOT)}: {os.path.getsize(target)} bytes")

    # Check what torch itself makes of the files the C++ test reads.
    views = torch.load(os.path.join(DATA, "views.pth"))
    assert views["transposed"].stride() == (1, 4) and views["block"].storage_offset() == 5
    assert views["row"].storage().data_ptr() == views["base"].storage().data_ptr()  # one shared storage
    assert torch.equal(torch.load(target)["weight"], linear.weight.detach())

    # Fuzzer seeds: small, one per kind of input the reader distinguishes.
    save(tiny_vit_like(), "seed_state_dict.pth", CORPUS)
    save(views_state_dict(), "seed_views.pth", CORPUS)
    save({"epoch": 1, "args": argparse.Namespace(lr=0.1), "model": tiny_vit_like()}, "seed_training.pth", CORPUS)
    save(collections.OrderedDict([("w", torch.tensor([1.0]))]), "seed_legacy.pth", CORPUS,
         _use_new_zipfile_serialization=False)
    deflate_copy(os.path.join(CORPUS, "seed_state_dict.pth"), os.path.join(CORPUS, "seed_deflated.pth"))
    write_safetensors(os.path.join(CORPUS, "seed_tensors.safetensors"), tiny_vit_like())

    # Bare pickles for the fuzzer's second input form (tests/fuzz/pickle_in_zip.h): the byte 0xFE,
    # then a data.pkl whose storages ("0".."3", 256 bytes each) the harness supplies.
    for stem in ("seed_state_dict", "seed_training", "seed_views"):
        with zipfile.ZipFile(os.path.join(CORPUS, stem + ".pth")) as archive:
            pickle_bytes = archive.read(stem + "/data.pkl")
        write_bytes(os.path.join(CORPUS, "seed_pickle_" + stem[len("seed_"):] + ".bin"), b"\xfe" + pickle_bytes)
    # LibTorch's pickler wraps typed containers: restore_type_tag(<dict>, "Dict[str, Tensor]").
    with zipfile.ZipFile(os.path.join(CORPUS, "seed_state_dict.pth")) as archive:
        inner = archive.read("seed_state_dict/data.pkl")[2:-1]  # without PROTO 2 and STOP
    type_name = b"Dict[str, Tensor]"
    write_bytes(os.path.join(CORPUS, "seed_pickle_type_tag.bin"),
                b"\xfe\x80\x02ctorch.jit._pickle\nrestore_type_tag\n" + inner +
                b"X" + struct.pack("<I", len(type_name)) + type_name + b"\x86R.")
    buffer = io.BytesIO()
    torch.save(tiny_vit_like(), buffer, pickle_protocol=4)
    with zipfile.ZipFile(buffer) as archive:
        pickle_bytes = archive.read([n for n in archive.namelist() if n.endswith("/data.pkl")][0])
    write_bytes(os.path.join(CORPUS, "seed_pickle_protocol4.bin"), b"\xfe" + pickle_bytes)


def deflate_copy(source, target):
    """Rewrites a zip with every entry deflated (fixed timestamps, so the output is reproducible)."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for info in zin.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(entry, zin.read(info.filename))


def write_bytes(path, data):
    with open(path, "wb") as out:
        out.write(data)
    print(f"{os.path.relpath(path, ROOT)}: {len(data)} bytes")


def write_safetensors(path, tensors):
    """Minimal safetensors writer (the format is an 8-byte length, JSON header, raw data)."""
    codes = {torch.float32: "F32", torch.float16: "F16", torch.int64: "I64"}
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, tensor in tensors.items():
        blob = tensor.contiguous().numpy().tobytes()
        header[name] = {"dtype": codes[tensor.dtype], "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    print(f"{os.path.relpath(path, ROOT)}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
