"""CLIP ViT image tower (FaceCons): the network definition and its weight loaders.

The network is OpenAI CLIP's ``VisionTransformer`` (ViT-B/32 for FaceCons): patch conv
(no bias) → prepend class token → + positional embedding → LayerNorm (``ln_pre``) → L
pre-norm residual blocks (multi-head self-attention with ``D/64`` heads; MLP D→4D→D with
QuickGELU ``x·σ(1.702x)``) → LayerNorm of the class token (``ln_post``) → ``@ proj``. Its
output equals ``CLIPModel.get_image_features`` of 🤗 transformers (the call EvalCrafter uses);
``tests/vfebench/metrics/test_metrics_face_nets.py`` checks that on a random network.

Weights: the OpenAI ``ViT-B-32.pt`` release (a TorchScript archive, read with
``torch.jit.load``, which restores tensors and TorchScript code but never imports Python
classes) or any state dict in OpenAI (``visual.*``) or 🤗 (``vision_model.*`` +
``visual_projection.weight``) layout, as ``.safetensors`` or a plain ``weights_only`` file.
Width, depth, patch and image size are read from the tensors.

Input of :meth:`VisionTransformer.forward`: ``B×3×S×S`` float32, already preprocessed by
:mod:`vfebench.metrics.features.clip_vit`. Output: ``B×E`` float32 image embeddings, **not**
normalised (callers L2-normalise).
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from vfebench.errors import InputError


class ResidualAttentionBlock(nn.Module):
    """Pre-norm block: ``x + attn(ln_1 x)``, then ``x + mlp(ln_2 x)`` with QuickGELU (``B×N×D``)."""

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential()
        self.mlp.add_module("c_fc", nn.Linear(width, 4 * width))
        self.mlp.add_module("c_proj", nn.Linear(4 * width, width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``B×N×D`` tokens → ``B×N×D`` tokens (same dtype)."""
        c_fc, c_proj = self.mlp  # named mlp.c_fc / mlp.c_proj, as OpenAI's weights
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        h = c_fc(self.ln_2(x))
        h = h * torch.sigmoid(1.702 * h)
        return x + c_proj(h)


class Transformer(nn.Module):
    """``layers`` residual attention blocks (OpenAI names ``resblocks.<i>``)."""

    def __init__(self, width: int, layers: int, heads: int) -> None:
        super().__init__()
        self.resblocks = nn.Sequential(*[ResidualAttentionBlock(width, heads) for _ in range(layers)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``B×N×D`` tokens through every block in turn → ``B×N×D``."""
        return self.resblocks(x)


class VisionTransformer(nn.Module):
    """CLIP image tower: ``B×3×S×S`` float32 (``S = image_size``) → ``B×embed_dim`` float32."""

    def __init__(self, width: int, layers: int, patch: int, image_size: int, embed_dim: int) -> None:
        super().__init__()
        self.image_size = image_size
        n = (image_size // patch) ** 2
        scale = width**-0.5
        self.conv1 = nn.Conv2d(3, width, patch, patch, bias=False)
        # in-place scaling: equal values, and on the meta device (load_clip_vit) an out-of-place
        # multiply goes through a torch._refs wrapper that imports torch._dynamo
        self.class_embedding = nn.Parameter(torch.randn(width).mul_(scale))
        self.positional_embedding = nn.Parameter(torch.randn(n + 1, width).mul_(scale))
        self.ln_pre = nn.LayerNorm(width)
        self.transformer = Transformer(width, layers, max(1, width // 64))
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Parameter(torch.randn(width, embed_dim).mul_(scale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``B×3×S×S`` preprocessed float images → ``B×E`` embeddings of the class token, not
        normalised. Raises :class:`InputError` giving the shape when the side is not S."""
        if x.shape[-1] != self.image_size or x.shape[-2] != self.image_size:
            raise InputError(
                f"CLIP ViT expects {self.image_size}×{self.image_size} inputs, got {tuple(x.shape)}"
            )
        x = self.conv1(x).flatten(2).transpose(1, 2)
        cls = self.class_embedding.to(x.dtype).expand(x.shape[0], 1, -1)
        x = torch.cat([cls, x], dim=1) + self.positional_embedding.to(x.dtype)
        x = self.transformer(self.ln_pre(x))
        return F.linear(self.ln_post(x[:, 0]), self.proj.t())


def build_clip_vit(width: int, layers: int, patch: int, image_size: int, embed_dim: int) -> VisionTransformer:
    """A randomly initialised CLIP ViT image tower with OpenAI parameter names (train mode).

    ``width`` D (heads = D/64), ``layers`` blocks, ``patch`` side, ``image_size`` input side S
    (a multiple of ``patch``), ``embed_dim`` output size E; ViT-B/32 is ``(768, 12, 32, 224, 512)``.
    """
    return VisionTransformer(width, layers, patch, image_size, embed_dim)


def hf_to_openai(sd: dict[str, Any]) -> dict[str, Any]:
    """Convert a 🤗 ``CLIPModel``/``CLIPVisionModelWithProjection`` state dict to OpenAI names.

    Tensors are reused (q/k/v projections concatenated into ``in_proj``; ``proj`` transposed);
    text-tower keys are dropped.
    """
    out: dict[str, Any] = {}
    p = "vision_model."
    out["class_embedding"] = sd[p + "embeddings.class_embedding"]
    out["conv1.weight"] = sd[p + "embeddings.patch_embedding.weight"]
    out["positional_embedding"] = sd[p + "embeddings.position_embedding.weight"]
    for a, b in (("pre_layrnorm", "ln_pre"), ("post_layernorm", "ln_post")):
        out[f"{b}.weight"] = sd[f"{p}{a}.weight"]
        out[f"{b}.bias"] = sd[f"{p}{a}.bias"]
    out["proj"] = sd["visual_projection.weight"].t().contiguous()
    layers = sorted({int(k.split(".")[3]) for k in sd if k.startswith(p + "encoder.layers.")})
    for i in layers:
        s = f"{p}encoder.layers.{i}."
        d = f"transformer.resblocks.{i}."
        out[d + "attn.in_proj_weight"] = torch.cat([sd[s + f"self_attn.{n}_proj.weight"] for n in "qkv"])
        out[d + "attn.in_proj_bias"] = torch.cat([sd[s + f"self_attn.{n}_proj.bias"] for n in "qkv"])
        out[d + "attn.out_proj.weight"] = sd[s + "self_attn.out_proj.weight"]
        out[d + "attn.out_proj.bias"] = sd[s + "self_attn.out_proj.bias"]
        for a, b in (
            ("layer_norm1", "ln_1"),
            ("layer_norm2", "ln_2"),
            ("mlp.fc1", "mlp.c_fc"),
            ("mlp.fc2", "mlp.c_proj"),
        ):
            out[d + b + ".weight"] = sd[s + a + ".weight"]
            out[d + b + ".bias"] = sd[s + a + ".bias"]
    return out


def read_clip_state_dict(path: str | os.PathLike) -> dict[str, Any]:
    """The tensors of a CLIP weights file: an OpenAI TorchScript archive (``torch.jit.load``, no
    Python classes imported) or a plain / safetensors state dict (``weights_only``), on CPU."""
    from vfebench.assets import load_torch_state_dict

    path = Path(path)
    if path.suffix != ".safetensors" and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            is_script = any(n.endswith("/code/__torch__.py") or "/code/" in n for n in z.namelist())
        if is_script:  # OpenAI's release: a TorchScript archive (no Python classes are imported)
            return dict(torch.jit.load(str(path), map_location="cpu").state_dict())
    return load_torch_state_dict(path)


def load_clip_vit(path: str | os.PathLike, device: str = "cpu") -> VisionTransformer:
    """Load the CLIP image tower from ``path`` (see module docstring for accepted layouts).

    Returns the float32 tower in eval mode on ``device``; architecture sizes come from the
    tensors. Raises :class:`~vfebench.errors.InputError` naming ``path`` when no image tower or
    an incomplete one is found.
    """
    path = Path(path)
    sd = read_clip_state_dict(path)
    if "vision_model.embeddings.patch_embedding.weight" in sd:
        sd = hf_to_openai(sd)
    else:
        if any(k.startswith("visual.") for k in sd):  # a whole CLIP model: keep the image tower
            sd = {k.removeprefix("visual."): v for k, v in sd.items() if k.startswith("visual.")}
    if "conv1.weight" not in sd or "proj" not in sd:
        raise InputError(
            f"{path}: no CLIP ViT image tower found (expected visual.conv1.weight / visual.proj)"
        )
    width, _, patch, _ = sd["conv1.weight"].shape
    n = int(sd["positional_embedding"].shape[0]) - 1
    grid = int(round(n**0.5))
    layers = len({k.split(".")[2] for k in sd if k.startswith("transformer.resblocks.")})
    with torch.device("meta"):  # shapes only: the loaded tensors are assigned, nothing initialised
        net = build_clip_vit(int(width), layers, int(patch), grid * int(patch), int(sd["proj"].shape[1]))
    names = set(net.state_dict())
    keep = {k: v for k, v in sd.items() if k in names}
    missing, _ = net.load_state_dict(keep, strict=False, assign=True)
    if missing:
        raise InputError(f"{path}: CLIP image tower weights incomplete (missing {missing[:3]})")
    return net.eval().float().to(device)
