#!/usr/bin/env python3
"""Writes tests/data/families/prefix/: ViTs with prefix tokens beyond CLS, in the layouts their
libraries save, with Python's logits and the four maps, for tests/core/test_prefix_tokens.cpp.

  registers  patch 14, 56 px, LayerScale, 4 register tokens (DINOv2 with registers), 3 classes:
             timm_reg_p14.pth        timm's layout (no_embed_class: CLS carries its position,
                                     pos_embed covers the patches only; reg_token)
             meta_dinov2_reg.pth     Meta's torch.hub layout (register_tokens, mask_token,
                                     pos_embed over CLS + patches), no head: a backbone
             hf-dinov2-reg/          Hugging Face Dinov2WithRegistersForImageClassification
                                     (layer_scale*.lambda1; a classifier on [CLS, patch mean])
  distilled  patch 8, 32 px, DeiT's distillation token and second head, 3 classes:
             timm_deit.pth           timm's DistilledVisionTransformer (dist_token, head_dist)
             hf-deit/                Hugging Face DeiTForImageClassificationWithTeacher

The maps' reference is the study's own code: Chefer's LRP is the original ViT_LRP (the
ugent-korea/attention_maps snapshot, see ../../../shared/tools/README.md for /tmp/peers) with
its forward given the extra tokens and, for DeiT, its relprop started from both heads with the
original Add/IndexSelect layers; LayerScale is folded into proj/fc2 (the gammas are positive,
so LRP's sign split is unchanged). Attention, rollout and Grad-CAM (no smoothing) are computed
here by their definitions (REFERENCE.md) with the prefix tokens left out of the maps.

Run once: PEERS=/tmp/peers python3 tests/tools/make_prefix_token_fixtures.py
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.environ.get("PEERS", "/tmp/peers")
sys.path[:0] = [os.path.join(HERE, "..", "..", "..", "shared", "tools"), f"{PEERS}/am/src"]
from baselines.ViT import ViT_LRP  # noqa: E402
from baselines.ViT.ViT_explanation_generator import compute_rollout_attention as normalised_rollout  # noqa: E402
from modules.layers_ours import Add, IndexSelect, Linear  # noqa: E402

sys.path.insert(0, HERE)
from make_family_fixtures import half, write_safetensors  # noqa: E402

OUT = os.path.join(HERE, "..", "data", "families", "prefix")
DIM, DEPTH, HEADS, MLP, CLASSES = 128, 2, 2, 256, 3
CLASS_NAMES = ["benign", "malignant", "normal"]


class PrefixViT(ViT_LRP.VisionTransformer):
    """ViT_LRP with a distillation token (and head) and register tokens after CLS. pos_embed
    covers every prefix token (zero rows where the family adds no position)."""

    def __init__(self, image, patch, registers=0, distilled=False):
        super().__init__(img_size=image, patch_size=patch, num_classes=CLASSES, embed_dim=DIM, depth=DEPTH,
                         num_heads=HEADS, mlp_ratio=MLP / DIM, qkv_bias=True)
        self.norm.eps = 1e-6  # timm's final norm (ViT_LRP leaves nn.LayerNorm's 1e-5)
        self.registers, self.distilled = registers, distilled
        self.prefix = 1 + int(distilled) + registers
        self.grid = image // patch
        self.pos_embed = torch.nn.Parameter(torch.zeros(1, self.prefix + self.grid ** 2, DIM))
        self.dist_token = torch.nn.Parameter(torch.zeros(1, 1, DIM)) if distilled else None
        self.reg_token = torch.nn.Parameter(torch.zeros(1, registers, DIM)) if registers else None
        if distilled:
            self.head_dist = Linear(DIM, CLASSES)
            self.pool_dist = IndexSelect()
            self.add_heads = Add()

    def forward(self, x):
        B = x.shape[0]
        parts = [self.cls_token.expand(B, -1, -1)]
        parts += [t.expand(B, -1, -1) for t in (self.dist_token, self.reg_token) if t is not None]
        x = torch.cat(parts + [self.patch_embed(x)], dim=1)
        x = self.add([x, self.pos_embed])
        x.register_hook(self.save_inp_grad)
        for blk in self.blocks:
            x = blk(x)
        x = self.norm(x)
        self.features = x
        logits = self.head(self.pool(x, dim=1, indices=torch.tensor(0)).squeeze(1))
        if self.distilled:
            distilled = self.head_dist(self.pool_dist(x, dim=1, indices=torch.tensor(1)).squeeze(1))
            logits = self.add_heads([logits, distilled]) / 2
        return logits

    def relprop(self, cam, **kwargs):
        if self.distilled:
            # The mean of the two heads: Add splits the one-hot, the constant 1/2 passes it unchanged.
            cam_cls, cam_dist = self.add_heads.relprop(cam, **kwargs)
            cam_cls = self.pool.relprop(self.head.relprop(cam_cls, **kwargs).unsqueeze(1), **kwargs)
            cam_dist = self.pool_dist.relprop(self.head_dist.relprop(cam_dist, **kwargs).unsqueeze(1), **kwargs)
            cam = cam_cls + cam_dist
        else:
            cam = self.pool.relprop(self.head.relprop(cam, **kwargs).unsqueeze(1), **kwargs)
        cam = self.norm.relprop(cam, **kwargs)
        for blk in reversed(self.blocks):
            cam = blk.relprop(cam, **kwargs)
        cams = []
        for blk in self.blocks:  # ViT_LRP's transformer_attribution, unchanged
            grad, attn_cam = blk.attn.get_attn_gradients(), blk.attn.get_attn_cam()
            attn_cam = attn_cam[0].reshape(-1, attn_cam.shape[-1], attn_cam.shape[-1])
            grad = grad[0].reshape(-1, grad.shape[-1], grad.shape[-1])
            cams.append((grad * attn_cam).clamp(min=0).mean(dim=0).unsqueeze(0))
        rollout = ViT_LRP.compute_rollout_attention(cams)
        return rollout[:, 0, self.prefix:]  # the CLS row to the patches only


def random_weights(model, seed):
    torch.manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2 and name not in ("pos_embed", "cls_token", "dist_token", "reg_token"):
                p.copy_(torch.randn_like(p) / p[0].numel() ** 0.5)
            elif "norm" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            else:
                p.copy_(0.2 * torch.randn_like(p))
            p.copy_(p.half().float())


def timm_blocks(m, gammas=None):
    d = {"patch_embed.proj.weight": m.patch_embed.proj.weight, "patch_embed.proj.bias": m.patch_embed.proj.bias}
    for i, blk in enumerate(m.blocks):
        t = f"blocks.{i}."
        for name, layer in (("norm1", blk.norm1), ("attn.qkv", blk.attn.qkv), ("attn.proj", blk.attn.proj),
                            ("norm2", blk.norm2), ("mlp.fc1", blk.mlp.fc1), ("mlp.fc2", blk.mlp.fc2)):
            d[t + name + ".weight"], d[t + name + ".bias"] = layer.weight, layer.bias
        if gammas is not None:
            d[t + "ls1.gamma"], d[t + "ls2.gamma"] = gammas[i]
    d["norm.weight"], d["norm.bias"] = m.norm.weight, m.norm.bias
    return {k: v.detach().clone() for k, v in d.items()}


def huggingface_blocks(timm, prefix, dinov2):
    """timm block keys -> Hugging Face's (ViT/DeiT names, or DINOv2's)."""
    d = {}
    for i in range(DEPTH):
        s, t = f"blocks.{i}.", f"{prefix}encoder.layer.{i}."
        for role, w, b in zip(("query", "key", "value"), timm[s + "attn.qkv.weight"].chunk(3), timm[s + "attn.qkv.bias"].chunk(3)):
            d[t + f"attention.attention.{role}.weight"], d[t + f"attention.attention.{role}.bias"] = w.clone(), b.clone()
        names = ({"attn.proj": "attention.output.dense", "norm1": "norm1", "norm2": "norm2", "mlp.fc1": "mlp.fc1",
                  "mlp.fc2": "mlp.fc2"} if dinov2 else
                 {"attn.proj": "attention.output.dense", "norm1": "layernorm_before", "norm2": "layernorm_after",
                  "mlp.fc1": "intermediate.dense", "mlp.fc2": "output.dense"})
        for a, b in names.items():
            d[t + b + ".weight"], d[t + b + ".bias"] = timm[s + a + ".weight"], timm[s + a + ".bias"]
        if dinov2:
            d[t + "layer_scale1.lambda1"], d[t + "layer_scale2.lambda1"] = timm[s + "ls1.gamma"], timm[s + "ls2.gamma"]
    d[prefix + "layernorm.weight"], d[prefix + "layernorm.bias"] = timm["norm.weight"], timm["norm.bias"]
    d[prefix + "embeddings.patch_embeddings.projection.weight"] = timm["patch_embed.proj.weight"]
    d[prefix + "embeddings.patch_embeddings.projection.bias"] = timm["patch_embed.proj.bias"]
    return d


def fold_layerscale(model, gammas):
    with torch.no_grad():
        for blk, (g1, g2) in zip(model.blocks, gammas):
            for layer, g in ((blk.attn.proj, g1), (blk.mlp.fc2, g2)):
                layer.weight.mul_(g.to(layer.weight.dtype)[:, None])
                layer.bias.mul_(g.to(layer.bias.dtype))


def maps(model, x, patch):
    """Python's four maps (target: the predicted class) and the logits, in x's dtype."""
    prefix, grid, size = model.prefix, model.grid, x.shape[-1]
    x = x.clone().requires_grad_(True)
    logits = model(x)
    target = int(logits.argmax())
    one_hot = torch.zeros_like(logits)
    one_hot[0, target] = 1
    model.zero_grad()
    (one_hot * logits).sum().backward(retain_graph=True)
    chefer = model.relprop(one_hot.detach(), alpha=1).detach()
    attentions = [blk.attn.get_attn().detach() for blk in model.blocks]

    def min_max(a):
        return (a - a.min()) / (a.max() - a.min())

    def bilinear(a):
        return F.interpolate(a.reshape(1, 1, grid, grid), scale_factor=patch, mode="bilinear").reshape(size, size)

    attention = attentions[-1][0, :, 0, prefix:].mean(0).reshape(grid, grid)
    attention = min_max(torch.kron(attention, torch.ones(patch, patch, dtype=attention.dtype)))
    rollout = normalised_rollout([a.sum(1) / a.shape[1] for a in attentions])[:, 0, prefix:]
    # Grad-CAM on the last block's norm1 output, prefix tokens dropped (no smoothing).
    activations = {}
    handle = model.blocks[-1].norm1.register_forward_hook(lambda _m, _i, out: activations.setdefault("a", out))
    out = model(x.detach())
    handle.remove()
    grads = torch.autograd.grad(out[0, target], activations["a"])[0][0, prefix:]
    acts = activations["a"].detach()[0, prefix:]
    cam = (acts * grads.mean(0)).sum(1).clamp(min=0).reshape(1, 1, grid, grid)
    cam = (cam - cam.min()) / (1e-7 + (cam - cam.min()).max())
    cam = F.interpolate(cam, size=(size, size), mode="bilinear", align_corners=False).clamp(min=0)
    cam = ((cam - cam.min()) / (1e-7 + (cam - cam.min()).max())).reshape(size, size)
    return logits.detach()[0], target, {"attention": attention, "rollout": min_max(bilinear(rollout)),
                                        "chefer": min_max(bilinear(chefer)), "gradcam": cam}


def save_maps(name, found):
    for method, value in found.items():
        np.save(os.path.join(OUT, f"{name}_{method}.npy"), value.detach().numpy().astype(np.float32))


def hf_folder(name, config, tensors):
    path = os.path.join(OUT, name)
    os.makedirs(path, exist_ok=True)
    write_safetensors(os.path.join(path, "model.safetensors"), half(tensors))
    base = {"hidden_size": DIM, "num_hidden_layers": DEPTH, "num_attention_heads": HEADS, "intermediate_size": MLP,
            "hidden_act": "gelu", "layer_norm_eps": 1e-6, "num_channels": 3, "qkv_bias": True,
            "id2label": {str(i): n for i, n in enumerate(CLASS_NAMES)}, "label2id": {n: i for i, n in enumerate(CLASS_NAMES)}}
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump({**config, **base}, f, indent=2)


def registers_fixture(reference):
    image, patch, registers = 56, 14, 4
    model = PrefixViT(image, patch, registers=registers)
    random_weights(model, 41)
    with torch.no_grad():
        model.pos_embed[:, 1:1 + registers] = 0  # DINOv2: registers get no position
    gammas = [[(0.3 + 1.2 * torch.rand(DIM)).half().float() for _ in range(2)] for _ in range(DEPTH)]
    timm = timm_blocks(model, gammas)
    pos = model.pos_embed.detach()
    cls = model.cls_token.detach()
    # timm (checkpoint_filter_fn of DINOv2 with registers): CLS position folded into cls_token.
    # cls + pos[0] kept in float32 (exact for two float16 values of these magnitudes): float16
    # would round the sum and make another model.
    timm_file = half({**timm, "reg_token": model.reg_token.detach(), "pos_embed": pos[:, 1 + registers:].clone(),
                      "head.weight": model.head.weight.detach(), "head.bias": model.head.bias.detach()})
    timm_file["cls_token"] = (cls + pos[:, :1]).contiguous()
    torch.save(timm_file, os.path.join(OUT, "timm_reg_p14.pth"))
    meta_positions = torch.cat([pos[:, :1], pos[:, 1 + registers:]], 1)
    backbone = {k: v for k, v in timm.items()}
    torch.save(half({"cls_token": cls, "pos_embed": meta_positions, "register_tokens": model.reg_token.detach(),
                     "mask_token": torch.zeros(1, DIM), **backbone}), os.path.join(OUT, "meta_dinov2_reg.pth"))
    torch.manual_seed(5)
    classifier = (torch.randn(CLASSES, 2 * DIM) / (2 * DIM) ** 0.5).half().float()
    classifier_bias = (0.2 * torch.randn(CLASSES)).half().float()
    p = "dinov2_with_registers."
    hf = huggingface_blocks(timm, p, dinov2=True)
    hf.update({p + "embeddings.cls_token": cls, p + "embeddings.mask_token": torch.zeros(1, DIM),
               p + "embeddings.register_tokens": model.reg_token.detach(),
               p + "embeddings.position_embeddings": meta_positions,
               "classifier.weight": classifier, "classifier.bias": classifier_bias})
    hf_folder("hf-dinov2-reg", {"architectures": ["Dinov2WithRegistersForImageClassification"],
                                "model_type": "dinov2_with_registers", "image_size": image, "patch_size": patch,
                                "num_register_tokens": registers, "layerscale_value": 1.0, "use_swiglu_ffn": False},
               hf)

    torch.manual_seed(6)
    x = torch.randn(1, 3, image, image)
    np.save(os.path.join(OUT, "input_56.npy"), x[0].numpy().astype(np.float32))
    fold_layerscale(model, gammas)
    model.eval()
    logits, target, found = maps(model, x, patch)
    features = model.features.detach()
    reference["registers"] = {"logits": logits.tolist(), "target": target,
                              "backbone_features": features[0, 0].tolist(),
                              "dinov2_logits": (torch.cat([features[0, 0], features[0, 1 + registers:].mean(0)]) @ classifier.t()
                                                + classifier_bias).tolist()}
    save_maps("registers", found)
    double = model.double()
    _, target64, found64 = maps(double, x.double(), patch)
    assert target64 == target
    np.save(os.path.join(OUT, "registers_chefer_float64.npy"), found64["chefer"].numpy().astype(np.float64))


def distilled_fixture(reference):
    image, patch = 32, 8
    model = PrefixViT(image, patch, distilled=True)
    random_weights(model, 42)
    timm = timm_blocks(model)
    timm.update({"cls_token": model.cls_token.detach(), "dist_token": model.dist_token.detach(),
                 "pos_embed": model.pos_embed.detach(), "head.weight": model.head.weight.detach(),
                 "head.bias": model.head.bias.detach(), "head_dist.weight": model.head_dist.weight.detach(),
                 "head_dist.bias": model.head_dist.bias.detach()})
    torch.save(half(timm), os.path.join(OUT, "timm_deit.pth"))
    p = "deit."
    hf = huggingface_blocks(timm, p, dinov2=False)
    hf.update({p + "embeddings.cls_token": timm["cls_token"], p + "embeddings.distillation_token": timm["dist_token"],
               p + "embeddings.position_embeddings": timm["pos_embed"],
               "cls_classifier.weight": timm["head.weight"], "cls_classifier.bias": timm["head.bias"],
               "distillation_classifier.weight": timm["head_dist.weight"],
               "distillation_classifier.bias": timm["head_dist.bias"]})
    hf_folder("hf-deit", {"architectures": ["DeiTForImageClassificationWithTeacher"], "model_type": "deit",
                          "image_size": image, "patch_size": patch}, hf)
    torch.manual_seed(7)
    x = torch.randn(1, 3, image, image)
    np.save(os.path.join(OUT, "input_32.npy"), x[0].numpy().astype(np.float32))
    model.eval()
    logits, target, found = maps(model, x, patch)
    reference["distilled"] = {"logits": logits.tolist(), "target": target}
    save_maps("distilled", found)
    _, target64, found64 = maps(model.double(), x.double(), patch)
    assert target64 == target
    np.save(os.path.join(OUT, "distilled_chefer_float64.npy"), found64["chefer"].numpy().astype(np.float64))


def main():
    os.makedirs(OUT, exist_ok=True)
    reference = {"class_names": CLASS_NAMES,
                 "made_by": f"tests/tools/make_prefix_token_fixtures.py, torch {torch.__version__}, "
                            "ViT_LRP from ugent-korea/attention_maps"}
    registers_fixture(reference)
    distilled_fixture(reference)
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(reference, f, indent=2)
    print("wrote", OUT, json.dumps({k: v.get("logits") for k, v in reference.items() if isinstance(v, dict)}))


if __name__ == "__main__":
    sys.exit(main())
