#!/usr/bin/python3
"""Reference maps of small random ViTs of shapes unlike the shared fixtures', for
tests/core/test_explain_shapes.cpp ("the same code must pass on ViTs of other
depth/width/heads/classes/targets").

Run at development time with Debian's python3-torch (1.13), python3-numpy, python3-pil and
python3-opencv (4.6, dev-time only; without it Grad-CAM's resize falls back to torch bilinear,
align_corners=False, which is the same arithmetic for upscaling), i.e. /usr/bin/python3, NOT by
the tests:

    /usr/bin/python3 tests/tools/make_shape_references.py [--shared ../shared] [--validate-only]

This is an independent re-implementation of the ORIGINAL methods (not of intermap's engine):
  * a timm-style ViT forward (patch 16, qkv bias, LayerNorm eps 1e-6, exact GELU, CLS pooling);
  * Chefer's transformer attribution as in hila-chefer/Transformer-Explainability
    baselines/ViT/ViT_LRP.py + layers_ours.py: relprop modules fed by forward hooks, autograd
    based gradprop, alpha=1/beta=0 Linear rule (the beta term computed and multiplied by 0, as
    the original does), Add with the abs-share rescaling, Clone, einsum matmuls halved,
    IndexSelect pooling, pass-through LayerNorm/GELU/Softmax/Dropout, safe_divide, the
    compute_rollout_attention WITHOUT row normalisation, and its final LayerNorm eps 1e-5;
  * the study's attention map, Chefer's Baselines.generate_rollout (WITH row normalisation);
  * pytorch-grad-cam 1.5.0 GradCAM (+ ttach aug_smooth, eigen_smooth) on blocks[-1].norm1.

It first checks itself against both shared fixture sets (made by running the original code);
it stops without writing anything when one of them does not match.

What it writes, under tests/data/shapes/<name>/: model.pth (torch.save of an OrderedDict
state dict, timm key names), manifest.json, and per image the maps BEFORE the shape-independent
upsampling (14x14 grid = 224/16 for every model here). 224x224 float maps would be ~200 KB
each (~2 MB per image); the test rebuilds them from these with the same library calls the
original used (F.interpolate bilinear x16 / np.kron x16 / cv2.resize INTER_LINEAR + the
scale_cam_image steps), and this script checks that rebuilding path against the fixtures too:
  ref_img_K_logits.npy             float32 [classes] (timm model)
  ref_img_K_attention14.npy        float32 [14,14] last block CLS row, mean over heads
  ref_img_K_rollout14.npy          float32 [14,14] rollout[0, 0, 1:]
  ref_img_K_chefer14.npy           float32 [14,14] Chefer's rollout row, float32 model
  ref_img_K_chefer14_f64.npy       float64 [14,14] the same, model.double()/input.double()
  ref_img_K_gradcam14.npy          float32 [14,14] Grad-CAM cam before ReLU (channel sum)
  ref_img_K_gradcam_eigen14.npy    float32 [14,14] eigen projection before ReLU, NumPy's sign
  ref_img_K_gradcam_aug14.npy      float32 [6,14,14] the 6 ttach passes (flip off/on x 0.9,1,1.1)
  ref_img_K_gradcam_aug_eigen14.npy float32 [6,14,14] the same with eigen_smooth, NumPy's signs
(in augmented-input coordinates: a flipped pass is flipped back after the resize).
"""
import argparse
import collections
import itertools
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

try:
    import cv2
except ImportError:  # torch bilinear (align_corners=False) is the same arithmetic for upscaling
    cv2 = None

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
OUT = os.path.join(REPO, 'tests', 'data', 'shapes')
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
GRID = 14
PATCH = 16
IMG = 224

# ---------------------------------------------------------------------------------------------
# timm-style ViT (the study's model)
# ---------------------------------------------------------------------------------------------


class TimmAttention(nn.Module):
    def __init__(self, dim, num_heads):
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)
        self.attn = None

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = (q @ k.transpose(-2, -1)) * self.scale
        attn = attn.softmax(dim=-1)
        self.attn = attn
        x = (attn @ v).transpose(1, 2).reshape(B, N, C)
        return self.proj(x)


class TimmMlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class TimmBlock(nn.Module):
    def __init__(self, dim, num_heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = TimmAttention(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = TimmMlp(dim, dim * 4)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        x = x + self.mlp(self.norm2(x))
        return x


class TimmPatchEmbed(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, kernel_size=PATCH, stride=PATCH)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class TimmViT(nn.Module):
    def __init__(self, dim, depth, num_heads, classes):
        super().__init__()
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, GRID * GRID + 1, dim))
        self.patch_embed = TimmPatchEmbed(dim)
        self.blocks = nn.ModuleList([TimmBlock(dim, num_heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        x = self.patch_embed(x)
        x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1)
        x = x + self.pos_embed
        for blk in self.blocks:
            x = blk(x)
        x = self.norm(x)
        return self.head(x[:, 0])


# ---------------------------------------------------------------------------------------------
# Chefer's layers_ours.py (relprop modules) and ViT_LRP.py, as in the original
# ---------------------------------------------------------------------------------------------


def safe_divide(a, b):
    den = b.clamp(min=1e-9) + b.clamp(max=1e-9)
    den = den + den.eq(0).type(den.type()) * 1e-9
    return a / den * b.ne(0).type(b.type())


def forward_hook(self, input, output):
    if type(input[0]) in (list, tuple):
        self.X = []
        for i in input[0]:
            x = i.detach()
            x.requires_grad = True
            self.X.append(x)
    else:
        self.X = input[0].detach()
        self.X.requires_grad = True
    self.Y = output


class RelProp(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_forward_hook(forward_hook)

    def gradprop(self, Z, X, S):
        return torch.autograd.grad(Z, X, S, retain_graph=True)

    def relprop(self, R, alpha):
        return R


class RelPropSimple(RelProp):
    def relprop(self, R, alpha):
        Z = self.forward(self.X)
        S = safe_divide(R, Z)
        C = self.gradprop(Z, self.X, S)
        if torch.is_tensor(self.X) is False:
            outputs = []
            outputs.append(self.X[0] * C[0])
            outputs.append(self.X[1] * C[1])
        else:
            outputs = self.X * (C[0])
        return outputs


class GELU(nn.GELU, RelProp):
    pass


class Softmax(nn.Softmax, RelProp):
    pass


class LayerNorm(nn.LayerNorm, RelProp):
    pass


class Dropout(nn.Dropout, RelProp):
    pass


class Add(RelPropSimple):
    def forward(self, inputs):
        return torch.add(*inputs)

    def relprop(self, R, alpha):
        Z = self.forward(self.X)
        S = safe_divide(R, Z)
        C = self.gradprop(Z, self.X, S)

        a = self.X[0] * C[0]
        b = self.X[1] * C[1]

        a_sum = a.sum()
        b_sum = b.sum()

        a_fact = safe_divide(a_sum.abs(), a_sum.abs() + b_sum.abs()) * R.sum()
        b_fact = safe_divide(b_sum.abs(), a_sum.abs() + b_sum.abs()) * R.sum()

        a = a * safe_divide(a_fact, a.sum())
        b = b * safe_divide(b_fact, b.sum())

        outputs = [a, b]
        return outputs


class einsum(RelPropSimple):
    def __init__(self, equation):
        super().__init__()
        self.equation = equation

    def forward(self, *operands):
        return torch.einsum(self.equation, *operands)


class IndexSelect(RelProp):
    def forward(self, inputs, dim, indices):
        self.__setattr__('dim', dim)
        self.__setattr__('indices', indices)
        return torch.index_select(inputs, dim, indices)

    def relprop(self, R, alpha):
        Z = self.forward(self.X, self.dim, self.indices)
        S = safe_divide(R, Z)
        C = self.gradprop(Z, self.X, S)
        if torch.is_tensor(self.X) is False:
            outputs = []
            outputs.append(self.X[0] * C[0])
            outputs.append(self.X[1] * C[1])
        else:
            outputs = self.X * (C[0])
        return outputs


class Clone(RelProp):
    def forward(self, input, num):
        self.__setattr__('num', num)
        outputs = []
        for _ in range(num):
            outputs.append(input)
        return outputs

    def relprop(self, R, alpha):
        Z = []
        for _ in range(self.num):
            Z.append(self.X)
        S = [safe_divide(r, z) for r, z in zip(R, Z)]
        C = self.gradprop(Z, self.X, S)[0]
        R = self.X * C
        return R


class Linear(nn.Linear, RelProp):
    def relprop(self, R, alpha):
        beta = alpha - 1
        pw = torch.clamp(self.weight, min=0)
        nw = torch.clamp(self.weight, max=0)
        px = torch.clamp(self.X, min=0)
        nx = torch.clamp(self.X, max=0)

        def f(w1, w2, x1, x2):
            Z1 = F.linear(x1, w1)
            Z2 = F.linear(x2, w2)
            S1 = safe_divide(R, Z1 + Z2)
            S2 = safe_divide(R, Z1 + Z2)
            C1 = x1 * torch.autograd.grad(Z1, x1, S1)[0]
            C2 = x2 * torch.autograd.grad(Z2, x2, S2)[0]
            return C1 + C2

        activator_relevances = f(pw, nw, px, nx)
        inhibitor_relevances = f(nw, pw, px, nx)

        R = alpha * activator_relevances - beta * inhibitor_relevances
        return R


class Conv2d(nn.Conv2d, RelProp):
    pass  # the patch embedding; transformer attribution never propagates through it


def rearrange_qkv(qkv, h):
    # rearrange(qkv, 'b n (qkv h d) -> qkv b h n d', qkv=3, h=h)
    b, n, f = qkv.shape
    return qkv.reshape(b, n, 3, h, f // (3 * h)).permute(2, 0, 3, 1, 4)


def compute_rollout_attention_lrp(all_layer_matrices, start_layer=0):
    # ViT_LRP.py's version: NO row normalisation (the line is commented out in the original).
    num_tokens = all_layer_matrices[0].shape[1]
    batch_size = all_layer_matrices[0].shape[0]
    eye = torch.eye(num_tokens).expand(batch_size, num_tokens, num_tokens).to(all_layer_matrices[0].device)
    all_layer_matrices = [all_layer_matrices[i] + eye for i in range(len(all_layer_matrices))]
    joint_attention = all_layer_matrices[start_layer]
    for i in range(start_layer + 1, len(all_layer_matrices)):
        joint_attention = all_layer_matrices[i].bmm(joint_attention)
    return joint_attention


def compute_rollout_attention_baseline(all_layer_matrices, start_layer=0):
    # ViT_explanation_generator.py's version: WITH row normalisation.
    num_tokens = all_layer_matrices[0].shape[1]
    batch_size = all_layer_matrices[0].shape[0]
    eye = torch.eye(num_tokens).expand(batch_size, num_tokens, num_tokens).to(all_layer_matrices[0].device)
    all_layer_matrices = [all_layer_matrices[i] + eye for i in range(len(all_layer_matrices))]
    matrices_aug = [all_layer_matrices[i] / all_layer_matrices[i].sum(dim=-1, keepdim=True)
                    for i in range(len(all_layer_matrices))]
    joint_attention = matrices_aug[start_layer]
    for i in range(start_layer + 1, len(matrices_aug)):
        joint_attention = matrices_aug[i].bmm(joint_attention)
    return joint_attention


class LrpMlp(nn.Module):
    def __init__(self, in_features, hidden_features):
        super().__init__()
        self.fc1 = Linear(in_features, hidden_features)
        self.act = GELU()
        self.fc2 = Linear(hidden_features, in_features)
        self.drop = Dropout(0.)

    def forward(self, x):
        x = self.fc1(x)
        x = self.act(x)
        x = self.drop(x)
        x = self.fc2(x)
        x = self.drop(x)
        return x

    def relprop(self, cam, **kwargs):
        cam = self.drop.relprop(cam, **kwargs)
        cam = self.fc2.relprop(cam, **kwargs)
        cam = self.act.relprop(cam, **kwargs)
        cam = self.fc1.relprop(cam, **kwargs)
        return cam


class LrpAttention(nn.Module):
    def __init__(self, dim, num_heads):
        super().__init__()
        self.num_heads = num_heads
        head_dim = dim // num_heads
        self.scale = head_dim ** -0.5
        self.matmul1 = einsum('bhid,bhjd->bhij')  # A = Q*K^T
        self.matmul2 = einsum('bhij,bhjd->bhid')  # attn = A*V
        self.qkv = Linear(dim, dim * 3, bias=True)
        self.attn_drop = Dropout(0.)
        self.proj = Linear(dim, dim)
        self.proj_drop = Dropout(0.)
        self.softmax = Softmax(dim=-1)
        self.attn_cam = None
        self.attn = None
        self.v = None
        self.v_cam = None
        self.attn_gradients = None

    def save_attn_gradients(self, attn_gradients):
        self.attn_gradients = attn_gradients

    def forward(self, x):
        b, n, _, h = *x.shape, self.num_heads
        qkv = self.qkv(x)
        q, k, v = rearrange_qkv(qkv, h)
        self.v = v
        dots = self.matmul1([q, k]) * self.scale
        attn = self.softmax(dots)
        attn = self.attn_drop(attn)
        self.attn = attn
        if attn.requires_grad:
            attn.register_hook(self.save_attn_gradients)
        out = self.matmul2([attn, v])
        out = out.permute(0, 2, 1, 3).reshape(b, n, -1)  # 'b h n d -> b n (h d)'
        out = self.proj(out)
        out = self.proj_drop(out)
        return out

    def relprop(self, cam, **kwargs):
        cam = self.proj_drop.relprop(cam, **kwargs)
        cam = self.proj.relprop(cam, **kwargs)
        b, n, f = cam.shape
        cam = cam.reshape(b, n, self.num_heads, f // self.num_heads).permute(0, 2, 1, 3)  # 'b n (h d) -> b h n d'
        # attn = A*V
        (cam1, cam_v) = self.matmul2.relprop(cam, **kwargs)
        cam1 /= 2
        cam_v /= 2
        self.v_cam = cam_v
        self.attn_cam = cam1
        cam1 = self.attn_drop.relprop(cam1, **kwargs)
        cam1 = self.softmax.relprop(cam1, **kwargs)
        # A = Q*K^T
        (cam_q, cam_k) = self.matmul1.relprop(cam1, **kwargs)
        cam_q /= 2
        cam_k /= 2
        # rearrange([cam_q, cam_k, cam_v], 'qkv b h n d -> b n (qkv h d)')
        stacked = torch.stack([cam_q, cam_k, cam_v])  # qkv b h n d
        cam_qkv = stacked.permute(1, 3, 0, 2, 4).reshape(b, n, -1)
        return self.qkv.relprop(cam_qkv, **kwargs)


class LrpBlock(nn.Module):
    def __init__(self, dim, num_heads):
        super().__init__()
        self.norm1 = LayerNorm(dim, eps=1e-6)
        self.attn = LrpAttention(dim, num_heads)
        self.norm2 = LayerNorm(dim, eps=1e-6)
        self.mlp = LrpMlp(dim, int(dim * 4.))
        self.add1 = Add()
        self.add2 = Add()
        self.clone1 = Clone()
        self.clone2 = Clone()

    def forward(self, x):
        x1, x2 = self.clone1(x, 2)
        x = self.add1([x1, self.attn(self.norm1(x2))])
        x1, x2 = self.clone2(x, 2)
        x = self.add2([x1, self.mlp(self.norm2(x2))])
        return x

    def relprop(self, cam, **kwargs):
        (cam1, cam2) = self.add2.relprop(cam, **kwargs)
        cam2 = self.mlp.relprop(cam2, **kwargs)
        cam2 = self.norm2.relprop(cam2, **kwargs)
        cam = self.clone2.relprop((cam1, cam2), **kwargs)

        (cam1, cam2) = self.add1.relprop(cam, **kwargs)
        cam2 = self.attn.relprop(cam2, **kwargs)
        cam2 = self.norm1.relprop(cam2, **kwargs)
        cam = self.clone1.relprop((cam1, cam2), **kwargs)
        return cam


class LrpPatchEmbed(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.proj = Conv2d(3, dim, kernel_size=PATCH, stride=PATCH)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class LrpViT(nn.Module):
    def __init__(self, dim, depth, num_heads, classes):
        super().__init__()
        self.patch_embed = LrpPatchEmbed(dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, GRID * GRID + 1, dim))
        self.blocks = nn.ModuleList([LrpBlock(dim, num_heads) for _ in range(depth)])
        self.norm = LayerNorm(dim)  # PyTorch's default eps 1e-5, as in the original
        self.head = Linear(dim, classes)
        self.pool = IndexSelect()
        self.add = Add()

    def forward(self, x):
        B = x.shape[0]
        x = self.patch_embed(x)
        cls_tokens = self.cls_token.expand(B, -1, -1)
        x = torch.cat((cls_tokens, x), dim=1)
        x = self.add([x, self.pos_embed])
        for blk in self.blocks:
            x = blk(x)
        x = self.norm(x)
        x = self.pool(x, dim=1, indices=torch.tensor(0, device=x.device))
        x = x.squeeze(1)
        x = self.head(x)
        return x

    def relprop(self, cam=None, start_layer=0, **kwargs):
        # method="transformer_attribution"
        cam = self.head.relprop(cam, **kwargs)
        cam = cam.unsqueeze(1)
        cam = self.pool.relprop(cam, **kwargs)
        cam = self.norm.relprop(cam, **kwargs)
        for blk in reversed(self.blocks):
            cam = blk.relprop(cam, **kwargs)
        cams = []
        for blk in self.blocks:
            grad = blk.attn.attn_gradients
            cam = blk.attn.attn_cam
            cam = cam[0].reshape(-1, cam.shape[-1], cam.shape[-1])
            grad = grad[0].reshape(-1, grad.shape[-1], grad.shape[-1])
            cam = grad * cam
            cam = cam.clamp(min=0).mean(dim=0)
            cams.append(cam.unsqueeze(0))
        rollout = compute_rollout_attention_lrp(cams, start_layer=start_layer)
        return rollout[:, 0, 1:]


def generate_lrp(model, input, index):
    # ViT_explanation_generator.LRP.generate_LRP(method="transformer_attribution")
    output = model(input)
    kwargs = {"alpha": 1}
    one_hot = np.zeros((1, output.size()[-1]), dtype=np.float32)
    one_hot[0, index] = 1
    one_hot_vector = one_hot
    one_hot = torch.from_numpy(one_hot).requires_grad_(True)
    one_hot = torch.sum(one_hot * output)
    model.zero_grad()
    one_hot.backward(retain_graph=True)
    # The one-hot start in the model's dtype (0/1 values: identical in float32 and float64).
    return output, model.relprop(torch.tensor(one_hot_vector).to(output.dtype), **kwargs)


# ---------------------------------------------------------------------------------------------
# pytorch-grad-cam 1.5.0 (GradCAM, scale_cam_image, get_2d_projection) + ttach
# ---------------------------------------------------------------------------------------------


def reshape_transform(tensor, height=GRID, width=GRID):
    result = tensor[:, 1:, :].reshape(tensor.size(0), height, width, tensor.size(2))
    result = result.transpose(2, 3).transpose(1, 2)
    return result


def get_2d_projection(activation_batch):
    activation_batch[np.isnan(activation_batch)] = 0
    projections = []
    for activations in activation_batch:
        reshaped_activations = (activations).reshape(activations.shape[0], -1).transpose()
        reshaped_activations = reshaped_activations - reshaped_activations.mean(axis=0)
        U, S, VT = np.linalg.svd(reshaped_activations, full_matrices=True)
        projection = reshaped_activations @ VT[0, :]
        projection = projection.reshape(activations.shape[1:])
        projections.append(projection)
    return np.float32(projections)


def resize_linear(img, size):
    if cv2 is not None:
        return cv2.resize(img, size)
    t = torch.from_numpy(np.ascontiguousarray(img))[None, None]
    return F.interpolate(t, size=(size[1], size[0]), mode='bilinear', align_corners=False)[0, 0].numpy()


def scale_cam_image(cam, target_size=None):
    result = []
    for img in cam:
        img = img - np.min(img)
        img = img / (1e-7 + np.max(img))
        if target_size is not None:
            img = resize_linear(img, target_size)
        result.append(img)
    result = np.float32(result)
    return result


def gradcam_cam14(model, input_tensor, target, eigen_smooth):
    """One BaseCAM.forward up to get_cam_image: the [14,14] cam before the ReLU."""
    store = {}

    def save_activation(module, inp, output):
        store['activation'] = reshape_transform(output).cpu().detach()

        def _store_grad(grad):
            store['gradient'] = reshape_transform(grad).cpu().detach()
        output.register_hook(_store_grad)

    handle = model.blocks[-1].norm1.register_forward_hook(save_activation)
    try:
        outputs = model(input_tensor)
        model.zero_grad()
        loss = sum([output[target] for output in outputs])  # ClassifierOutputTarget(target)
        loss.backward(retain_graph=True)
    finally:
        handle.remove()
    activations = store['activation'].numpy()
    grads = store['gradient'].numpy()
    weights = np.mean(grads, axis=(2, 3))  # GradCAM.get_cam_weights
    weighted_activations = weights[:, :, None, None] * activations
    if eigen_smooth:
        cam = get_2d_projection(weighted_activations)
    else:
        cam = weighted_activations.sum(axis=1)
    return cam[0]


def gradcam_postprocess(cam14):
    """compute_cam_per_layer (ReLU, scale + resize) and aggregate_multi_layers: [224,224]."""
    cam = np.maximum(cam14[None], 0)
    scaled = scale_cam_image(cam, (IMG, IMG))
    per_layer = np.concatenate([scaled[:, None, :]], axis=1)
    per_layer = np.maximum(per_layer, 0)
    result = np.mean(per_layer, axis=1)
    return scale_cam_image(result)[0]


AUG_PASSES = list(itertools.product([False, True], [0.9, 1, 1.1]))  # tta.Compose product order


def augment(input_tensor, flip, factor):
    image = input_tensor
    if flip:
        image = image.flip(3)
    if factor != 1:
        image = image * factor
    return image


def gradcam_aug_postprocess(passes14):
    cams = []
    for (flip, _), cam14 in zip(AUG_PASSES, passes14):
        cam = torch.from_numpy(gradcam_postprocess(cam14)[None, None])
        if flip:
            cam = cam.flip(3)  # deaugment_mask
        cams.append(cam.numpy()[:, 0])
    return np.mean(np.float32(cams), axis=0)[0]


def corrected_sign(projection):
    """The sign-corrected orientation of one eigen pass: +1 unless |min| > |max|."""
    return -1 if abs(float(projection.min())) > abs(float(projection.max())) else 1


# ---------------------------------------------------------------------------------------------
# Maps, pre-processing, I/O
# ---------------------------------------------------------------------------------------------


def minmax(x):
    x = np.asarray(x, dtype=np.float64)
    span = x.max() - x.min()
    return (x - x.min()) / span if span > 0 else np.zeros_like(x)


def attention_map(att14):
    return minmax(np.kron(att14.astype(np.float64), np.ones((PATCH, PATCH))))


def bilinear_map(raw14):
    t = torch.from_numpy(np.ascontiguousarray(raw14)).reshape(1, 1, GRID, GRID)
    up = F.interpolate(t, scale_factor=PATCH, mode='bilinear').reshape(IMG, IMG).numpy()
    return (up - up.min()) / (up.max() - up.min())


def normalise_input(rgb):
    """ToTensor() + Normalize(ImageNet) on an RGB PIL image: [1,3,H,W] float32."""
    array = np.asarray(rgb, dtype=np.uint8)
    t = torch.from_numpy(array.copy()).permute(2, 0, 1).float().div(255)
    mean = torch.tensor(MEAN, dtype=torch.float32)[:, None, None]
    std = torch.tensor(STD, dtype=torch.float32)[:, None, None]
    return t.sub(mean).div(std)[None]


def center_crop(img, size=IMG):
    """torchvision 0.14 CenterCrop on a PIL image."""
    w, h = img.size
    if size > w or size > h:
        left = (size - w) // 2 if size > w else 0
        top = (size - h) // 2 if size > h else 0
        right = (size - w + 1) // 2 if size > w else 0
        bottom = (size - h + 1) // 2 if size > h else 0
        padded = Image.new(img.mode, (w + left + right, h + top + bottom), 0)
        padded.paste(img, (left, top))
        img = padded
        w, h = img.size
        if (w, h) == (size, size):
            return img
    top = int(round((h - size) / 2.0))
    left = int(round((w - size) / 2.0))
    return img.crop((left, top, left + size, top + size))


def load_input(path, recipe):
    img = Image.open(path).convert('RGB')
    if recipe == 'resize':
        if img.size != (IMG, IMG):
            img = img.resize((IMG, IMG), Image.BILINEAR)
    elif recipe == 'center-crop':
        img = center_crop(img)
    else:
        raise ValueError(recipe)
    return normalise_input(img)


def build_models(state_dict, dim, depth, heads, classes):
    timm = TimmViT(dim, depth, heads, classes)
    timm.load_state_dict(state_dict)
    timm.eval()
    lrp = LrpViT(dim, depth, heads, classes)
    lrp.load_state_dict(state_dict)
    lrp.eval()
    return timm, lrp


def arch_of(state_dict):
    dim = state_dict['cls_token'].shape[-1]
    depth = 1 + max(int(k.split('.')[1]) for k in state_dict if k.startswith('blocks.'))
    classes = state_dict['head.weight'].shape[0]
    return dim, depth, classes


def explain_all(state_dict, heads, x, target):
    """Every low-resolution reference of one image, plus the full maps rebuilt from them."""
    dim, depth, classes = arch_of(state_dict)
    timm, lrp = build_models(state_dict, dim, depth, heads, classes)
    out = {}
    with torch.no_grad():
        logits = timm(x)
    out['logits'] = logits[0].numpy().astype(np.float32)
    attentions = [blk.attn.attn for blk in timm.blocks]
    # the study's attention map: last block, CLS row to the patches, mean over heads
    last = attentions[-1][0]
    out['attention14'] = last[:, 0, 1:].mean(dim=0).reshape(GRID, GRID).numpy().astype(np.float32)
    # Baselines.generate_rollout
    avg = [(a.sum(dim=1) / a.shape[1]).detach() for a in attentions]
    rollout = compute_rollout_attention_baseline(avg)[:, 0, 1:]
    out['rollout14'] = rollout.reshape(GRID, GRID).numpy().astype(np.float32)
    # Chefer, float32 and float64
    lrp_logits, chefer = generate_lrp(lrp, x, target)
    out['lrp_logits'] = lrp_logits[0].detach().numpy()
    out['chefer14'] = chefer.detach().reshape(GRID, GRID).numpy().astype(np.float32)
    lrp64 = LrpViT(dim, depth, heads, classes)
    lrp64.load_state_dict(state_dict)
    lrp64.eval()
    lrp64.double()
    _, chefer64 = generate_lrp(lrp64, x.double(), target)
    out['chefer14_f64'] = chefer64.detach().reshape(GRID, GRID).numpy().astype(np.float64)
    # Grad-CAM
    out['gradcam14'] = gradcam_cam14(timm, x, target, False)
    out['gradcam_eigen14'] = gradcam_cam14(timm, x, target, True)
    out['gradcam_aug14'] = np.stack([gradcam_cam14(timm, augment(x, f, m), target, False) for f, m in AUG_PASSES])
    out['gradcam_aug_eigen14'] = np.stack([gradcam_cam14(timm, augment(x, f, m), target, True) for f, m in AUG_PASSES])
    out['maps'] = full_maps(out)
    return out


def full_maps(low):
    """The 224x224 maps, rebuilt from the low-resolution references exactly as the C++ test does."""
    maps = {
        'attention': attention_map(low['attention14']),
        'rollout': bilinear_map(low['rollout14']),
        'chefer': bilinear_map(low['chefer14']),
        'chefer_f64': bilinear_map(low['chefer14_f64']),
        'gradcam': gradcam_postprocess(low['gradcam14']),
        'gradcam_aug': gradcam_aug_postprocess(low['gradcam_aug14']),
        'gradcam_eigen': gradcam_postprocess(low['gradcam_eigen14']),
        'gradcam_eigen_flipped': gradcam_postprocess(-low['gradcam_eigen14']),
        'gradcam_aug_eigen': gradcam_aug_postprocess(low['gradcam_aug_eigen14']),
        'gradcam_aug_eigen_flipped': gradcam_aug_postprocess(-low['gradcam_aug_eigen14']),
    }
    corrected = np.stack([p * corrected_sign(p) for p in low['gradcam_aug_eigen14']])
    maps['gradcam_aug_eigen_corrected'] = gradcam_aug_postprocess(corrected)
    return maps


def norm_diff(a, b):
    return float(np.abs(minmax(a) - minmax(b)).max())


# ---------------------------------------------------------------------------------------------
# 1. validation against the shared fixtures (made with the original code)
# ---------------------------------------------------------------------------------------------


def validate(shared):
    ok = True
    for name in ('vit-tiny-ref', 'vit-deep-ref'):
        root = os.path.join(shared, 'fixtures', name)
        manifest = json.load(open(os.path.join(root, 'manifest.json')))
        state_dict = torch.load(os.path.join(root, 'model.pth'))
        for k, entry in enumerate(manifest['images']):
            x = normalise_input(Image.open(os.path.join(root, 'img_%d.png' % k)).convert('RGB'))
            out = explain_all(state_dict, manifest['heads'], x, manifest['target'])
            ref = lambda s: np.load(os.path.join(root, 'ref_img_%d_%s.npy' % (k, s)))  # noqa: E731
            maps = out['maps']
            errors = {}
            errors['logits'] = float(np.abs(out['logits'] - ref('logits').reshape(-1)).max())
            errors['logits(lrp model)'] = float(np.abs(out['lrp_logits'] - ref('logits').reshape(-1)).max())
            pred_ok = int(np.argmax(out['logits'])) == entry['pred']
            for m in ('attention', 'rollout', 'gradcam', 'gradcam_aug'):
                errors[m] = norm_diff(maps[m], ref(m))
            for m in ('gradcam', 'gradcam_aug'):  # also before normalising
                errors[m + '(raw)'] = float(np.abs(maps[m] - ref(m)).max())
            for m in ('gradcam_eigen', 'gradcam_aug_eigen'):
                same = norm_diff(maps[m], ref(m))
                other = norm_diff(maps[m], ref(m + '_flipped'))
                errors[m] = min(same, other)
                errors[m + '(ref sign)'] = same
            # the flipped references: ours with every pass negated
            errors['gradcam_eigen_flipped'] = norm_diff(maps['gradcam_eigen_flipped'], ref('gradcam_eigen_flipped'))
            errors['gradcam_aug_eigen_flipped'] = norm_diff(maps['gradcam_aug_eigen_flipped'], ref('gradcam_aug_eigen_flipped'))
            errors['chefer(f32 vs ref f32)'] = norm_diff(maps['chefer'], ref('chefer'))
            errors['chefer_f64'] = norm_diff(maps['chefer_f64'], ref('chefer_f64'))
            ref14 = ref('chefer14').reshape(-1)
            errors['chefer14(rel)'] = float(np.abs(out['chefer14'].reshape(-1) - ref14).max() / np.abs(ref14).max())
            spread = norm_diff(maps['chefer'], maps['chefer_f64'])
            signs = [corrected_sign(p) for p in out['gradcam_aug_eigen14']]
            limits = {'logits': 1e-4, 'logits(lrp model)': 1e-4, 'chefer_f64': 1e-5,
                      'chefer(f32 vs ref f32)': max(1e-3, 2 * entry['chefer_f32_spread'] + 2 * spread),
                      'chefer14(rel)': max(1e-3, 2 * entry['chefer_f32_spread'])}
            print('%s img_%d: pred %s (manifest %d), chefer f32 spread ours %.3g / manifest %.3g' % (
                name, k, int(np.argmax(out['logits'])), entry['pred'], spread, entry['chefer_f32_spread']))
            print('   eigen pass signs relative to the corrected orientation: plain %+d, aug %s' % (
                corrected_sign(out['gradcam_eigen14']), signs))
            for key, value in errors.items():
                limit = limits.get(key, 1e-3)
                if '(ref sign)' in key:
                    flag = 'info'
                else:
                    flag = 'ok' if value <= limit else 'FAIL'
                    ok = ok and value <= limit
                print('   %-28s %.3g  (limit %.3g) %s' % (key, value, limit, flag))
            ok = ok and pred_ok
    return ok


# ---------------------------------------------------------------------------------------------
# 2. random ViTs of other shapes
# ---------------------------------------------------------------------------------------------

# name, embed, depth, heads, classes, target, seed, images (path relative to the shared root, recipe)
SHAPES = [
    ('vit-d48-l3-h4-c3', 48, 3, 4, 3, 2, 11, [
        ('data/cp-child-a/test/polyp/1 (10).jpg', 'resize'),
        ('data/busi/images/benign/benign (106).png', 'center-crop'),
    ]),
    ('vit-d64-l2-h2-c5', 64, 2, 2, 5, 0, 12, [
        ('data/busi/images/malignant/malignant (12).png', 'center-crop'),
        ('data/cp-child-a/test/polyp/1 (116).jpg', 'resize'),
    ]),
    ('vit-d40-l6-h5-c2', 40, 6, 5, 2, 1, 13, [
        ('data/cp-child-a/test/polyp/1 (100).jpg', 'resize'),
        ('data/busi/images/normal/normal (10).png', 'center-crop'),
    ]),
]


def random_state_dict(dim, depth, heads, classes, seed):
    """timm key names and order; every LayerNorm, bias and embedding perturbed, q/k scaled up so
    that attention is far from uniform, head large enough that the logits differ across classes."""
    g = torch.Generator().manual_seed(seed)
    model = TimmViT(dim, depth, heads, classes)
    hidden = dim * 4

    def normal(shape, std, mean=0.0):
        return torch.randn(shape, generator=g) * std + mean

    sd = collections.OrderedDict()
    for key, value in model.state_dict().items():
        shape = value.shape
        if key == 'cls_token' or key == 'pos_embed':
            t = normal(shape, 0.5)
        elif key == 'patch_embed.proj.weight':
            t = normal(shape, 1.0 / np.sqrt(3 * PATCH * PATCH))
        elif key.endswith('norm1.weight') or key.endswith('norm2.weight') or key == 'norm.weight':
            t = normal(shape, 0.15, 1.0)
        elif key.endswith('attn.qkv.weight'):
            t = normal(shape, 1.0 / np.sqrt(dim))
            t[:2 * dim] *= 1.6  # q and k: peaked attention
        elif key.endswith('mlp.fc2.weight'):
            t = normal(shape, 1.0 / np.sqrt(hidden))
        elif key.endswith('.weight'):  # proj, fc1, head
            t = normal(shape, 1.0 / np.sqrt(dim) * (2.0 if key == 'head.weight' else 1.0))
        elif key.endswith('.bias'):
            t = normal(shape, 0.1)
        else:
            raise KeyError(key)
        sd[key] = t.float().contiguous()
    model.load_state_dict(sd)
    return model.state_dict()  # an OrderedDict with _metadata, as torch.save(model.state_dict()) writes


def entropy_ratio(timm):
    """Mean entropy of the last block's attention rows over log(N) (1.0 = uniform)."""
    a = timm.blocks[-1].attn.attn[0].clamp_min(1e-30)
    ent = -(a * a.log()).sum(-1).mean().item()
    return ent / np.log(a.shape[-1])


README = """# shapes/ — reference maps of random ViTs of other shapes

Written by `tests/tools/make_shape_references.py` (run it with /usr/bin/python3; it validates
itself against ../shared/fixtures first), read by `tests/core/test_explain_shapes.cpp`.
An independent Python re-implementation of the ORIGINAL methods (timm ViT, Chefer's ViT_LRP,
pytorch-grad-cam 1.5.0 + ttach, the study's attention recipe) on small random ViTs whose
depth / width / heads / classes / targets differ from the fixtures'. Images are NOT copied:
`manifest.json` names them relative to the shared root, with the pre-processing recipe.

Per model: `model.pth` (torch.save of a state dict, timm key names) and `manifest.json`
(architecture, target class; per image: path, recipe, predicted class, logits,
`chefer_f32_spread` = this float32 implementation's own max error against its float64 result
after min-max, and the SVD sign NumPy gave each eigen pass relative to the sign-corrected
orientation: +1 = |max| >= |min|).

Per image the maps are stored BEFORE the shape-independent upsampling (224x224 float maps
would be ~200 KB each); the test rebuilds the 224x224 maps with the original post-processing:
| file | what | rebuilt as |
|---|---|---|
| `ref_img_K_logits.npy` | float32 [classes] | - |
| `ref_img_K_attention14.npy` | float32 [14,14] last block CLS row, mean over heads | np.kron x16, min-max |
| `ref_img_K_rollout14.npy` | float32 [14,14] rollout row (row-normalised) | F.interpolate bilinear x16, min-max |
| `ref_img_K_chefer14.npy` | float32 [14,14] Chefer's rollout row, float32 | same |
| `ref_img_K_chefer14_f64.npy` | float64 [14,14] the same in float64 (the exact value) | same, float64 |
| `ref_img_K_gradcam14.npy` | float32 [14,14] Grad-CAM cam before the ReLU | ReLU, scale_cam_image + cv2.resize, ReLU, scale_cam_image |
| `ref_img_K_gradcam_eigen14.npy` | float32 [14,14] eigen projection (NumPy's sign) | same (negate for the other sign) |
| `ref_img_K_gradcam_aug14.npy` | float32 [6,14,14] the 6 ttach passes, (flip off, on) x (0.9, 1, 1.1) | each as above, flipped back, np.mean |
| `ref_img_K_gradcam_aug_eigen14.npy` | float32 [6,14,14] the same with eigen_smooth | same, any per-pass signs |
"""


def generate(shared):
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, 'README.md'), 'w') as f:
        f.write(README)
    for name, dim, depth, heads, classes, target, seed, images in SHAPES:
        directory = os.path.join(OUT, name)
        os.makedirs(directory, exist_ok=True)
        sd = random_state_dict(dim, depth, heads, classes, seed)
        model_path = os.path.join(directory, 'model.pth')
        torch.save(sd, model_path)
        sd = torch.load(model_path)  # what the test reads
        manifest = collections.OrderedDict(
            dim=dim, depth=depth, heads=heads, classes=classes, patch=PATCH, img=IMG, qkv_bias=True,
            ln_eps=1e-6, head_ln_eps_chefer=1e-5, target=target, seed=seed,
            made_by='tests/tools/make_shape_references.py (independent re-implementation of the original '
                    'code, validated against fixtures/vit-tiny-ref and vit-deep-ref)',
            images=[])
        for k, (relative, recipe) in enumerate(images):
            x = load_input(os.path.join(shared, relative), recipe)
            out = explain_all(sd, heads, x, target)
            timm, _ = build_models(sd, dim, depth, heads, classes)
            with torch.no_grad():
                timm(x)
            maps = out['maps']
            spread = norm_diff(maps['chefer'], maps['chefer_f64'])
            prefix = os.path.join(directory, 'ref_img_%d_' % k)
            for key in ('logits', 'attention14', 'rollout14', 'chefer14', 'chefer14_f64', 'gradcam14',
                        'gradcam_eigen14', 'gradcam_aug14', 'gradcam_aug_eigen14'):
                np.save(prefix + key + '.npy', out[key])
            logits = out['logits']
            entry = collections.OrderedDict(
                name='img_%d' % k, path=relative, recipe=recipe, pred=int(np.argmax(logits)),
                chefer_f32_spread=spread,
                eigen_sign_numpy=corrected_sign(out['gradcam_eigen14']),
                aug_eigen_signs_numpy=[corrected_sign(p) for p in out['gradcam_aug_eigen14']],
                logits=[float(v) for v in logits],
                last_attention_entropy_ratio=round(entropy_ratio(timm), 4))
            manifest['images'].append(entry)
            print('%s img_%d (%s, %s): logits %s pred %d target %d; attention entropy/uniform %.3f; '
                  'chefer f32 spread %.3g; eigen signs plain %+d aug %s; lrp-vs-timm logits %.2g' % (
                      name, k, relative, recipe, np.array2string(logits, precision=3), entry['pred'], target,
                      entry['last_attention_entropy_ratio'], spread, entry['eigen_sign_numpy'],
                      entry['aug_eigen_signs_numpy'], float(np.abs(out['lrp_logits'] - logits).max())))
            for key, value in maps.items():
                assert np.isfinite(value).all(), (name, key)
        with open(os.path.join(directory, 'manifest.json'), 'w') as f:
            json.dump(manifest, f, indent=1)
            f.write('\n')
    total = 0
    for root, _, files in os.walk(OUT):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    print('wrote %s (%.1f KB)' % (OUT, total / 1024))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--shared', default=os.environ.get('INTERMAP_SHARED') or os.path.join(REPO, '..', 'shared'))
    parser.add_argument('--validate-only', action='store_true')
    args = parser.parse_args()
    torch.set_num_threads(1)
    print('resize for Grad-CAM:', 'cv2 %s' % cv2.__version__ if cv2 is not None else 'torch bilinear')
    if not validate(args.shared):
        print('validation against the shared fixtures FAILED: nothing written')
        return 1
    print('validation against the shared fixtures: ok')
    if not args.validate_only:
        generate(args.shared)
    return 0


if __name__ == '__main__':
    sys.exit(main())
