#!/usr/bin/env python3
"""Writes tests/data/families/: ONE small ViT saved in every checkpoint layout intermap reads
(timm, torchvision, Hugging Face safetensors + .bin folders, MONAI, PyTorch Lightning), with
the logits Python computes for one fixed input, so the C++ tests check that every layout loads
to the same model (tests/core/test_model_families.cpp).

The reference model is torchvision's own VisionTransformer (python3-torchvision), so the
torchvision layout is the real thing; the other layouts are written from its weights by the key
maps of issue 16 (each checked against that library's source). Weights are rounded to float16
(files stay small, ~0.4 MB each) and the reference computes with the rounded weights in float32.
The CLS position row is zero so that MONAI's layout (no position on CLS) holds the same model.

Run once: python3 tests/tools/make_family_fixtures.py  (Debian: python3-torch, python3-torchvision)
"""
import json
import os
import struct
import sys

import numpy as np
import torch
import torchvision

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "families")
IMAGE, PATCH, DIM, DEPTH, HEADS, MLP, CLASSES = 32, 8, 128, 2, 2, 256, 3
CLASS_NAMES = ["benign", "malignant", "normal"]


def reference_model():
    torch.manual_seed(16)
    model = torchvision.models.VisionTransformer(image_size=IMAGE, patch_size=PATCH, num_layers=DEPTH,
                                                 num_heads=HEADS, hidden_dim=DIM, mlp_dim=MLP,
                                                 num_classes=CLASSES)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2 and "pos_embedding" not in name and "class_token" not in name:
                fan_in = p[0].numel()
                p.copy_(torch.randn_like(p) / fan_in ** 0.5)
            elif name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name == "encoder.ln.weight":
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            else:
                p.copy_(0.2 * torch.randn_like(p))
        model.encoder.pos_embedding[:, 0] = 0.0  # MONAI adds no position to CLS
        for p in model.parameters():
            p.copy_(p.half().float())
    return model.eval()


def torchvision_dict(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def timm_dict(tv, depth=DEPTH):
    d = {"cls_token": tv["class_token"], "pos_embed": tv["encoder.pos_embedding"],
         "patch_embed.proj.weight": tv["conv_proj.weight"], "patch_embed.proj.bias": tv["conv_proj.bias"]}
    for i in range(depth):
        s, t = f"encoder.layers.encoder_layer_{i}.", f"blocks.{i}."
        d[t + "norm1.weight"], d[t + "norm1.bias"] = tv[s + "ln_1.weight"], tv[s + "ln_1.bias"]
        d[t + "attn.qkv.weight"], d[t + "attn.qkv.bias"] = tv[s + "self_attention.in_proj_weight"], tv[s + "self_attention.in_proj_bias"]
        d[t + "attn.proj.weight"], d[t + "attn.proj.bias"] = tv[s + "self_attention.out_proj.weight"], tv[s + "self_attention.out_proj.bias"]
        d[t + "norm2.weight"], d[t + "norm2.bias"] = tv[s + "ln_2.weight"], tv[s + "ln_2.bias"]
        d[t + "mlp.fc1.weight"], d[t + "mlp.fc1.bias"] = tv[s + "mlp.0.weight"], tv[s + "mlp.0.bias"]
        d[t + "mlp.fc2.weight"], d[t + "mlp.fc2.bias"] = tv[s + "mlp.3.weight"], tv[s + "mlp.3.bias"]
    d["norm.weight"], d["norm.bias"] = tv["encoder.ln.weight"], tv["encoder.ln.bias"]
    d["head.weight"], d["head.bias"] = tv["heads.head.weight"], tv["heads.head.bias"]
    return d


def huggingface_dict(timm):
    d = {"vit.embeddings.cls_token": timm["cls_token"], "vit.embeddings.position_embeddings": timm["pos_embed"],
         "vit.embeddings.patch_embeddings.projection.weight": timm["patch_embed.proj.weight"],
         "vit.embeddings.patch_embeddings.projection.bias": timm["patch_embed.proj.bias"]}
    for i in range(DEPTH):
        s, t = f"blocks.{i}.", f"vit.encoder.layer.{i}."
        q, k, v = timm[s + "attn.qkv.weight"].chunk(3)
        qb, kb, vb = timm[s + "attn.qkv.bias"].chunk(3)
        for name, w, b in (("query", q, qb), ("key", k, kb), ("value", v, vb)):
            d[t + f"attention.attention.{name}.weight"], d[t + f"attention.attention.{name}.bias"] = w.clone(), b.clone()
        d[t + "attention.output.dense.weight"], d[t + "attention.output.dense.bias"] = timm[s + "attn.proj.weight"], timm[s + "attn.proj.bias"]
        d[t + "layernorm_before.weight"], d[t + "layernorm_before.bias"] = timm[s + "norm1.weight"], timm[s + "norm1.bias"]
        d[t + "layernorm_after.weight"], d[t + "layernorm_after.bias"] = timm[s + "norm2.weight"], timm[s + "norm2.bias"]
        d[t + "intermediate.dense.weight"], d[t + "intermediate.dense.bias"] = timm[s + "mlp.fc1.weight"], timm[s + "mlp.fc1.bias"]
        d[t + "output.dense.weight"], d[t + "output.dense.bias"] = timm[s + "mlp.fc2.weight"], timm[s + "mlp.fc2.bias"]
    d["vit.layernorm.weight"], d["vit.layernorm.bias"] = timm["norm.weight"], timm["norm.bias"]
    d["classifier.weight"], d["classifier.bias"] = timm["head.weight"], timm["head.bias"]
    return d


def monai_dict(timm):
    # MONAI ViT(spatial_dims=2, proj_type="conv", qkv_bias=True, post_activation="Tanh"); recent
    # MONAI versions also save the (unused) cross-attention keys of TransformerBlock.
    d = {"cls_token": timm["cls_token"], "patch_embedding.position_embeddings": timm["pos_embed"][:, 1:].clone(),
         "patch_embedding.patch_embeddings.weight": timm["patch_embed.proj.weight"],
         "patch_embedding.patch_embeddings.bias": timm["patch_embed.proj.bias"]}
    for i in range(DEPTH):
        s = f"blocks.{i}."
        for a, b in (("norm1", "norm1"), ("norm2", "norm2"), ("attn.qkv", "attn.qkv"), ("attn.proj", "attn.out_proj"),
                     ("mlp.fc1", "mlp.linear1"), ("mlp.fc2", "mlp.linear2")):
            d[s + b + ".weight"], d[s + b + ".bias"] = timm[s + a + ".weight"], timm[s + a + ".bias"]
        d[s + "norm_cross_attn.weight"], d[s + "norm_cross_attn.bias"] = torch.ones(DIM), torch.zeros(DIM)
    d["norm.weight"], d["norm.bias"] = timm["norm.weight"], timm["norm.bias"]
    d["classification_head.0.weight"], d["classification_head.0.bias"] = timm["head.weight"], timm["head.bias"]
    return d


def half(d):
    return {k: (v.half() if v.is_floating_point() else v).contiguous() for k, v in d.items()}


def write_safetensors(path, tensors):
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t in tensors.items():
        data = t.numpy().tobytes()
        header[name] = {"dtype": "F16", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def layerscale_fixture():
    """A patch-14 ViT with LayerScale (DINOv2's block) in timm's layout, Python's logits for it, and
    the same function with each gamma folded into proj / fc2 (no LayerScale): maps must agree."""
    torch.manual_seed(14)
    model = torchvision.models.VisionTransformer(image_size=56, patch_size=14, num_layers=DEPTH, num_heads=HEADS,
                                                 hidden_dim=DIM, mlp_dim=MLP, num_classes=CLASSES)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2 and "pos_embedding" not in name and "class_token" not in name:
                p.copy_(torch.randn_like(p) / p[0].numel() ** 0.5)
            elif name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name == "encoder.ln.weight":
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            else:
                p.copy_(0.2 * torch.randn_like(p))
            p.copy_(p.half().float())
        for m in model.modules():
            if isinstance(m, torch.nn.LayerNorm):
                m.eps = 1e-6
    gammas = [[(0.3 + 1.2 * torch.rand(DIM)).half().float() for _ in range(2)] for _ in range(DEPTH)]
    timm = timm_dict(model.state_dict())
    folded = dict(timm)
    for i in range(DEPTH):
        timm[f"blocks.{i}.ls1.gamma"], timm[f"blocks.{i}.ls2.gamma"] = gammas[i]
        for layer, g in (("attn.proj", gammas[i][0]), ("mlp.fc2", gammas[i][1])):
            folded[f"blocks.{i}.{layer}.weight"] = timm[f"blocks.{i}.{layer}.weight"] * g[:, None]
            folded[f"blocks.{i}.{layer}.bias"] = timm[f"blocks.{i}.{layer}.bias"] * g
    torch.save(half(timm), os.path.join(OUT, "timm_layerscale_p14.pth"))
    # float32 on purpose: folding rounds differently in float16.
    torch.save({k: v.contiguous() for k, v in folded.items()}, os.path.join(OUT, "timm_layerscale_folded.pth"))
    torch.manual_seed(3)
    x = torch.randn(1, 3, 56, 56)
    with torch.no_grad():
        t = model.conv_proj(x).flatten(2).transpose(1, 2)
        t = torch.cat([model.class_token.expand(1, -1, -1), t], 1) + model.encoder.pos_embedding
        for i, layer in enumerate(model.encoder.layers):
            h = layer.ln_1(t)
            attended, _ = layer.self_attention(h, h, h, need_weights=False)
            t = t + gammas[i][0] * attended
            t = t + gammas[i][1] * layer.mlp(layer.ln_2(t))
        logits = model.heads.head(model.encoder.ln(t)[:, 0])[0]
    np.save(os.path.join(OUT, "input_56.npy"), x[0].numpy().astype(np.float32))
    return logits.tolist()


def main():
    os.makedirs(OUT, exist_ok=True)
    model = reference_model()
    tv = torchvision_dict(model)
    timm = timm_dict(tv)
    torch.manual_seed(1)
    x = torch.randn(1, 3, IMAGE, IMAGE)
    with torch.no_grad():
        logits = model(x)[0]
        # MONAI's layer-norm epsilon is 1e-5 (nn.LayerNorm's default): its reference differs.
        for m in model.modules():
            if isinstance(m, torch.nn.LayerNorm):
                m.eps = 1e-5
        monai_logits = model(x)[0]
    np.save(os.path.join(OUT, "input.npy"), x[0].numpy().astype(np.float32))

    torch.save(half(timm), os.path.join(OUT, "timm.pth"))
    torch.save(half(tv), os.path.join(OUT, "torchvision.pth"))
    torch.save(half(monai_dict(timm)), os.path.join(OUT, "monai.pth"))
    lightning = {"epoch": 3, "global_step": 42, "pytorch-lightning_version": "2.1.0",
                 "state_dict": {"model." + k: v for k, v in half(timm).items()},
                 "hyper_parameters": {"lr": 0.001, "backbone": "vit"},
                 "optimizer_states": [{"state": {0: {"step": torch.tensor(42.0), "exp_avg": torch.zeros(4)}},
                                       "param_groups": [{"lr": 0.001, "params": [0]}]}],
                 "lr_schedulers": []}
    torch.save(lightning, os.path.join(OUT, "lightning.ckpt"))
    config = {"architectures": ["ViTForImageClassification"], "model_type": "vit", "hidden_size": DIM,
              "num_hidden_layers": DEPTH, "num_attention_heads": HEADS, "intermediate_size": MLP,
              "hidden_act": "gelu", "layer_norm_eps": 1e-6, "image_size": IMAGE, "patch_size": PATCH,
              "num_channels": 3, "qkv_bias": True,
              "id2label": {str(i): n for i, n in enumerate(CLASS_NAMES)},
              "label2id": {n: i for i, n in enumerate(CLASS_NAMES)}}
    preprocessor = {"do_normalize": True, "do_resize": True, "image_mean": [0.5, 0.5, 0.5],
                    "image_std": [0.5, 0.5, 0.5], "size": {"height": IMAGE, "width": IMAGE}}
    hf = half(huggingface_dict(timm))
    for folder, writer in (("hf-safetensors", lambda p: write_safetensors(os.path.join(p, "model.safetensors"), hf)),
                           ("hf-bin", lambda p: torch.save(hf, os.path.join(p, "pytorch_model.bin")))):
        path = os.path.join(OUT, folder)
        os.makedirs(path, exist_ok=True)
        writer(path)
        with open(os.path.join(path, "config.json"), "w") as f:
            json.dump(config, f, indent=2)
        if folder == "hf-safetensors":  # the .bin folder has none: ImageNet statistics apply
            with open(os.path.join(path, "preprocessor_config.json"), "w") as f:
                json.dump(preprocessor, f, indent=2)
    # timm's global_pool='avg' head (MAE's fine-tuning recipe): no final norm, fc_norm after the
    # mean of the patch tokens. Its reference is computed here block by block.
    gap = {k: v for k, v in timm.items() if not k.startswith("norm.")}
    gap["fc_norm.weight"], gap["fc_norm.bias"] = timm["norm.weight"], timm["norm.bias"]
    torch.save(half(gap), os.path.join(OUT, "timm_gap.pth"))
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.LayerNorm):
                m.eps = 1e-6
        tokens = model.conv_proj(x).flatten(2).transpose(1, 2)
        tokens = torch.cat([model.class_token.expand(1, -1, -1), tokens], 1) + model.encoder.pos_embedding
        for layer in model.encoder.layers:
            tokens = layer(tokens)
        gap_logits = model.heads.head(model.encoder.ln(tokens[:, 1:].mean(1)))[0]

    # A state dict of another architecture (ResNet-like keys): inspect must refuse it.
    resnet = {"conv1.weight": torch.zeros(8, 3, 7, 7).half(), "bn1.weight": torch.ones(8).half(),
              "layer1.0.conv1.weight": torch.zeros(8, 8, 3, 3).half(), "fc.weight": torch.zeros(3, 8).half()}
    torch.save(resnet, os.path.join(OUT, "resnet_like.pth"))

    layerscale_logits = layerscale_fixture()
    reference = {"logits": logits.tolist(), "monai_logits": monai_logits.tolist(), "gap_logits": gap_logits.tolist(),
                 "layerscale_logits": layerscale_logits,
                 "class_names": CLASS_NAMES,
                 "architecture": {"image_size": IMAGE, "patch_size": PATCH, "dim": DIM, "depth": DEPTH,
                                  "heads": HEADS, "mlp": MLP, "classes": CLASSES},
                 "made_by": f"tests/tools/make_family_fixtures.py, torch {torch.__version__}, torchvision {torchvision.__version__}"}
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(reference, f, indent=2)
    print("wrote", OUT, "logits", [round(v, 5) for v in logits.tolist()])


if __name__ == "__main__":
    sys.exit(main())
