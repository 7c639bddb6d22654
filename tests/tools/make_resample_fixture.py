#!/usr/bin/env python3
"""Writes tests/data/families/resample/: a small ViT made for 384 px (patch 16, grid 24) in timm's
layout, and what Python computes when it runs at 224 px (grid 14) with its position embedding
resampled as timm's resample_abs_pos_embed does (prefix token kept, grid resized with
F.interpolate(mode='bicubic', antialias=True, align_corners=False)): the resampled embedding and
the logits of one input. tests/core/test_model_families.cpp checks intermap's --image-size 224
against both.

Run once: python3 tests/tools/make_resample_fixture.py  (Debian: python3-torch, python3-torchvision)
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F
import torchvision

from make_family_fixtures import half, timm_dict

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "families", "resample")
NATIVE, TARGET, PATCH, DIM, HEADS, MLP = 384, 224, 16, 64, 1, 128


def model_for(size, depth=1):
    return torchvision.models.VisionTransformer(image_size=size, patch_size=PATCH, num_layers=depth, num_heads=HEADS,
                                                hidden_dim=DIM, mlp_dim=MLP, num_classes=2)


def resample_abs_pos_embed(posemb, new_grid, num_prefix_tokens=1):
    # timm.layers.pos_embed.resample_abs_pos_embed, for a square grid.
    prefix, grid = posemb[:, :num_prefix_tokens], posemb[:, num_prefix_tokens:]
    old = int(round((grid.shape[1]) ** 0.5))
    grid = grid.reshape(1, old, old, -1).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, size=(new_grid, new_grid), mode="bicubic", antialias=True, align_corners=False)
    grid = grid.permute(0, 2, 3, 1).reshape(1, -1, posemb.shape[-1])
    return torch.cat([prefix, grid], dim=1)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(384)
    native = model_for(NATIVE)
    with torch.no_grad():
        for name, p in native.named_parameters():
            if name == "encoder.pos_embedding":
                # A smooth field plus noise: resampling has something to interpolate.
                g = NATIVE // PATCH
                yy, xx = torch.meshgrid(torch.linspace(-1, 1, g), torch.linspace(-1, 1, g), indexing="ij")
                waves = torch.stack([torch.sin(3 * (k % 5 + 1) * xx + (k % 7) * yy) for k in range(DIM)], -1)
                p[0, 1:] = waves.reshape(g * g, DIM) * 0.5 + 0.05 * torch.randn(g * g, DIM)
                p[0, 0] = 0.2 * torch.randn(DIM)
            elif p.dim() >= 2:
                p.copy_(torch.randn_like(p) / p[0].numel() ** 0.5)
            elif name.endswith("weight") and ("ln" in name):
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            else:
                p.copy_(0.2 * torch.randn_like(p))
            p.copy_(p.half().float())
    timm = timm_dict(native.state_dict(), depth=1)
    torch.save(half(timm), os.path.join(OUT, "vit_384.pth"))

    resampled = resample_abs_pos_embed(timm["pos_embed"].float(), TARGET // PATCH)
    at224 = model_for(TARGET)
    state = native.state_dict()
    state["encoder.pos_embedding"] = resampled
    at224.load_state_dict(state)
    at224.eval()
    torch.manual_seed(2)
    x = torch.randn(1, 3, TARGET, TARGET)
    with torch.no_grad():
        logits = at224(x)[0]
    np.save(os.path.join(OUT, "input_224.npy"), x[0].numpy().astype(np.float32))
    np.save(os.path.join(OUT, "pos_embed_224.npy"), resampled[0].numpy().astype(np.float32))
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump({"logits_224": logits.tolist(), "native_image_size": NATIVE, "image_size": TARGET,
                   "made_by": f"tests/tools/make_resample_fixture.py, torch {torch.__version__}"}, f, indent=2)
    print("wrote", OUT, "logits", logits.tolist())


if __name__ == "__main__":
    main()
