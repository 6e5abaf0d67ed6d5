"""FasterVQA network: Video Swin-T backbone with gated relative position bias (GRPB) + VQA head.

Our own implementation of the model behind ``vqa.py -m FasterVQA`` in
VQAssessment/FAST-VQA-and-FasterVQA (read at commit 9f264e4:
``fastvqa/models/swin_backbone.py`` ``SwinTransformer3D`` as built by ``backbone_size:
swin_tiny_grpb``, ``fastvqa/models/head.py`` ``VQAHead``, ``fastvqa/models/evaluator.py``
``DiViDeAddEvaluator``). Module and parameter names follow the official checkpoint so the key
mapping (:func:`map_official_state_dict`) is a prefix rename.

Architecture (defaults = the official ``swin_tiny_grpb``):

- patch embedding: Conv3d 3→96, kernel = stride = (2, 4, 4), then LayerNorm(96);
- 4 stages, depths (2, 2, 6, 2), heads (3, 6, 12, 24), channels 96·2^i, window (8, 7, 7), shifted
  windows (shift = window // 2) on odd blocks, PatchMerging (2×2 spatial) between stages;
- **adaptive window**: the window is rescaled by ``input (T, H, W) / (32, 224, 224)`` (so the
  official 32×224×224 input keeps (8, 7, 7)); a window is clipped to the feature size and its
  shift set to 0 along any axis where the feature is not larger than the window;
- **gated relative position bias** in stages 1–3 (``frag_biases = (1, 1, 1, 0)``): each token
  gets the index of the 32×32 fragment it came from (nearest-neighbour map of a
  ``window_h × window_w`` grid onto the padded feature map); for a token pair with fragment-grid
  L1 distance ``g`` the bias is ``g · B_rel + (1 − g) · B_frag``. Note ``g`` is the L1 distance,
  not a 0/1 gate: that is what the official code computes and what the weights were trained
  with, so we reproduce it;
- final LayerNorm(768); head: Conv3d 1×1×1 768→64, GELU, Conv3d 64→1 (dropout is inactive in
  evaluation). Output: one raw score per spatio-temporal patch, ``B×1×T/2×H/32×W/32``.

Input: ``B×3×T×H×W`` float32, ImageNet-normalised on the 0–255 scale (mean 123.675, 116.28,
103.53; std 58.395, 57.12, 57.375), RGB.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

BASE_INPUT = (32, 224, 224)


def window_partition(x: torch.Tensor, ws: tuple[int, int, int]) -> torch.Tensor:
    """``B×D×H×W×C`` → ``(B·nW)×N×C`` with windows ordered (batch, d, h, w)."""
    b, d, h, w, c = x.shape
    x = x.view(b, d // ws[0], ws[0], h // ws[1], ws[1], w // ws[2], ws[2], c)
    return x.permute(0, 1, 3, 5, 2, 4, 6, 7).reshape(-1, ws[0] * ws[1] * ws[2], c)


def window_reverse(
    win: torch.Tensor, ws: tuple[int, int, int], b: int, d: int, h: int, w: int
) -> torch.Tensor:
    """Inverse of :func:`window_partition`: ``(B·nW)×N×C`` windows → ``B×D×H×W×C``.

    ``win`` may also be shaped (B·nW, Wd, Wh, Ww, C); its windows must be in the (batch, d, h, w)
    order that :func:`window_partition` makes, and ``d``, ``h``, ``w`` multiples of ``ws``.
    """
    x = win.view(b, d // ws[0], h // ws[1], w // ws[2], ws[0], ws[1], ws[2], -1)
    return x.permute(0, 1, 4, 2, 5, 3, 6, 7).reshape(b, d, h, w, -1)


def effective_window(
    size: Sequence[int], window: Sequence[int], shift: Sequence[int]
) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """Clip the window to the feature size; no shift along an axis the window covers fully."""
    ws, ss = list(window), list(shift)
    for i in range(3):
        if size[i] <= window[i]:
            ws[i] = int(size[i])
            ss[i] = 0
    return (ws[0], ws[1], ws[2]), (ss[0], ss[1], ss[2])


def shift_mask(dp: int, hp: int, wp: int, ws, ss, device) -> torch.Tensor:
    """Attention mask (nW×N×N, 0 or −100) separating regions mixed by the cyclic shift."""
    img = torch.zeros((1, dp, hp, wp, 1), device=device)
    cnt = 0

    def spans(n: int, w: int, s: int):
        if s == 0:
            return [(0, n)]
        return [(0, n - w), (n - w, n - s), (n - s, n)]

    for d0, d1 in spans(dp, ws[0], ss[0]):
        for h0, h1 in spans(hp, ws[1], ss[1]):
            for w0, w1 in spans(wp, ws[2], ss[2]):
                img[:, d0:d1, h0:h1, w0:w1, :] = cnt
                cnt += 1
    mw = window_partition(img, ws).squeeze(-1)
    m = mw.unsqueeze(1) - mw.unsqueeze(2)
    return m.masked_fill(m != 0, -100.0).masked_fill(m == 0, 0.0)


def fragment_gate(dp: int, hp: int, wp: int, ws, ss, device) -> torch.Tensor:
    """GRPB gate (nW×N×N): L1 distance between the fragment-grid cells of two tokens.

    The grid has ``ws[1] × ws[2]`` cells mapped onto the padded ``hp × wp`` map by nearest
    neighbour (cell = ⌊i·cells/size⌋), rolled with the cyclic shift, then windowed.
    """
    grid = torch.stack(
        torch.meshgrid(torch.arange(1), torch.arange(ws[1]), torch.arange(ws[2]), indexing="ij")
    ).float()
    coords = F.interpolate(grid[None].to(device), size=(dp, hp, wp), mode="nearest").long()
    coords = coords.permute(0, 2, 3, 4, 1)
    coords = torch.roll(coords, shifts=(-ss[0], -ss[1], -ss[2]), dims=(1, 2, 3))
    wc = window_partition(coords, ws)  # nW×N×3
    return (wc[:, None, :, :] - wc[:, :, None, :]).abs().sum(-1).float()


def relative_position_index(window: Sequence[int]) -> torch.Tensor:
    """N×N index into the (2Wd−1)(2Wh−1)(2Ww−1) bias table (standard Swin layout)."""
    coords = torch.stack(torch.meshgrid(*(torch.arange(int(w)) for w in window), indexing="ij")).flatten(1)
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0).contiguous()
    rel[:, :, 0] += window[0] - 1
    rel[:, :, 1] += window[1] - 1
    rel[:, :, 2] += window[2] - 1
    rel[:, :, 0] *= (2 * window[1] - 1) * (2 * window[2] - 1)
    rel[:, :, 1] *= 2 * window[2] - 1
    return rel.sum(-1)


class WindowAttention3D(nn.Module):
    """Multi-head self-attention inside 3-D windows, relative position bias (+ GRPB when
    ``frag_bias``); the bias tables are sized for the full ``window``."""

    relative_position_index: torch.Tensor  # buffer (register_buffer)
    fragment_position_bias_table: nn.Parameter | None

    def __init__(self, dim: int, window: tuple[int, int, int], num_heads: int, frag_bias: bool) -> None:
        super().__init__()
        self.window = window
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        n_rel = (2 * window[0] - 1) * (2 * window[1] - 1) * (2 * window[2] - 1)
        self.relative_position_bias_table = nn.Parameter(torch.zeros(n_rel, num_heads))
        if frag_bias:
            self.fragment_position_bias_table = nn.Parameter(torch.zeros(n_rel, num_heads))
        else:
            self.fragment_position_bias_table = None
        self.register_buffer("relative_position_index", relative_position_index(window), persistent=False)
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def _bias(self, table: torch.Tensor, ws: tuple[int, int, int], n: int) -> torch.Tensor:
        idx = self.relative_position_index.reshape(*self.window, *self.window)
        idx = idx[: ws[0], : ws[1], : ws[2], : ws[0], : ws[1], : ws[2]].reshape(-1)
        return table[idx].reshape(n, n, -1).permute(2, 0, 1)  # nH×N×N

    def forward(self, x: torch.Tensor, ws, mask: torch.Tensor | None, gate: torch.Tensor) -> torch.Tensor:
        """Attention over windowed tokens: (B·nW, N, C) float → (B·nW, N, C), same dtype.

        ``x``: the windows of :func:`window_partition`, batch-major; ``ws``: the effective window
        (clipped to the feature map, at most ``self.window`` per axis), ``N = ws[0]·ws[1]·ws[2]``;
        its bias entries are cut from the full tables. ``mask``: (nW, N, N) with 0 / −100 from
        :func:`shift_mask`, or None when the block is not shifted. ``gate``: (nW, N, N) float from
        :func:`fragment_gate`, used only when this layer has a fragment bias table (bias =
        ``gate·B_rel + (1 − gate)·B_frag``); its first axis also gives nW.
        """
        bw, n, c = x.shape
        qkv = self.qkv(x).reshape(bw, n, 3, self.num_heads, c // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0] * self.scale, qkv[1], qkv[2]
        attn = q @ k.transpose(-2, -1)  # (B·nW)×nH×N×N
        nw = gate.shape[0]
        rel = self._bias(self.relative_position_bias_table, ws, n).unsqueeze(0)  # 1×nH×N×N
        if self.fragment_position_bias_table is not None:
            frag = self._bias(self.fragment_position_bias_table, ws, n).unsqueeze(0)
            g = gate.unsqueeze(1)  # nW×1×N×N
            bias = rel * g + frag * (1 - g)  # nW×nH×N×N
        else:
            bias = rel
        attn = attn.view(bw // nw, nw, self.num_heads, n, n) + bias.unsqueeze(0)
        if mask is not None:
            attn = attn + mask.unsqueeze(1).unsqueeze(0)
        attn = attn.view(-1, self.num_heads, n, n).softmax(dim=-1)
        out = (attn @ v).transpose(1, 2).reshape(bw, n, c)
        return self.proj(out)


class Mlp(nn.Module):
    """Transformer feed-forward: Linear dim→hidden, GELU, Linear hidden→dim."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(…, dim) → (…, dim): applied to the last axis, any leading shape."""
        return self.fc2(self.act(self.fc1(x)))


class SwinBlock3D(nn.Module):
    """Pre-norm Swin block: (shifted) window attention then MLP, each with a residual."""

    def __init__(self, dim, num_heads, window, shift, frag_bias, mlp_ratio=4.0) -> None:
        super().__init__()
        self.window = window
        self.shift = shift
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention3D(dim, window, num_heads, frag_bias)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def _attention(self, x: torch.Tensor, window, mask_cache: dict) -> torch.Tensor:
        b, d, h, w, c = x.shape
        ws, ss = effective_window((d, h, w), window, self.shift)
        x = self.norm1(x)
        pd, ph, pw = (-d) % ws[0], (-h) % ws[1], (-w) % ws[2]
        x = F.pad(x, (0, 0, 0, pw, 0, ph, 0, pd))
        _, dp, hp, wp, _ = x.shape
        shifted = any(s > 0 for s in ss)
        if shifted:
            x = torch.roll(x, shifts=(-ss[0], -ss[1], -ss[2]), dims=(1, 2, 3))
        key = (dp, hp, wp, ws, ss)
        if key not in mask_cache:
            mask = shift_mask(dp, hp, wp, ws, ss, x.device) if shifted else None
            mask_cache[key] = (mask, fragment_gate(dp, hp, wp, ws, ss, x.device))
        mask, gate = mask_cache[key]
        win = self.attn(window_partition(x, ws), ws, mask, gate)
        x = window_reverse(win.view(-1, *ws, c), ws, b, dp, hp, wp)
        if shifted:
            x = torch.roll(x, shifts=ss, dims=(1, 2, 3))
        return x[:, :d, :h, :w, :].contiguous()

    def forward(self, x: torch.Tensor, window, mask_cache: dict) -> torch.Tensor:
        """(B, D, H, W, C) channels-last float → the same shape and dtype.

        ``window``: the stage's (adaptive) window, clipped here to the feature size (with no
        shift along a clipped axis). The map is zero-padded at the end to window multiples,
        rolled by the shift when there is one, attended per window, then un-rolled and cropped
        back. ``mask_cache``: a dict shared by the blocks of one stage, keyed by (padded size,
        window, shift), holding the (shift mask or None, fragment gate) pair so each is built once.
        """
        x = x + self._attention(x, window, mask_cache)
        return x + self.mlp(self.norm2(x))


class PatchMerging(nn.Module):
    """2×2 spatial patch merging between stages (time is kept): LayerNorm(4C), Linear 4C→2C."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = nn.LayerNorm(4 * dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, D, H, W, C) channels-last → (B, D, ⌈H/2⌉, ⌈W/2⌉, 2C), same dtype.

        An odd H or W is zero-padded at the end first. The four neighbours are concatenated on
        the channel axis in the order (even h, even w), (odd h, even w), (even h, odd w),
        (odd h, odd w) — the official order, which the reduction weights depend on.
        """
        _, _, h, w, _ = x.shape
        if h % 2 or w % 2:
            x = F.pad(x, (0, 0, 0, w % 2, 0, h % 2))
        x = torch.cat(
            [x[:, :, 0::2, 0::2], x[:, :, 1::2, 0::2], x[:, :, 0::2, 1::2], x[:, :, 1::2, 1::2]], -1
        )
        return self.reduction(self.norm(x))


class BasicLayer(nn.Module):
    """One stage: ``depth`` Swin blocks (odd ones shifted by window // 2), then PatchMerging
    unless it is the last stage."""

    def __init__(self, dim, depth, num_heads, window, frag_bias, downsample: bool) -> None:
        super().__init__()
        self.window = window
        shift = tuple(w // 2 for w in window)
        self.blocks = nn.ModuleList(
            [
                SwinBlock3D(dim, num_heads, window, (0, 0, 0) if i % 2 == 0 else shift, frag_bias)
                for i in range(depth)
            ]
        )
        self.downsample = PatchMerging(dim) if downsample else None

    def forward(self, x: torch.Tensor, window) -> torch.Tensor:
        """(B, C, D, H, W) channels-first → (B, 2C, D, ⌈H/2⌉, ⌈W/2⌉), or (B, C, D, H, W) in the last
        stage (no PatchMerging); same dtype. ``window``: the adaptive window of
        :meth:`SwinTransformer3D.adaptive_window`, the same for every stage."""
        x = x.permute(0, 2, 3, 4, 1)  # B C D H W -> B D H W C
        cache: dict = {}
        for blk in self.blocks:
            x = blk(x, window, cache)
        if self.downsample is not None:
            x = self.downsample(x)
        return x.permute(0, 4, 1, 2, 3)


class PatchEmbed3D(nn.Module):
    """Non-overlapping 3-D patches: Conv3d with kernel = stride = ``patch``, then LayerNorm."""

    def __init__(self, patch=(2, 4, 4), in_chans=3, embed_dim=96) -> None:
        super().__init__()
        self.patch = patch
        self.proj = nn.Conv3d(in_chans, embed_dim, kernel_size=patch, stride=patch)
        self.norm = nn.LayerNorm(embed_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, in_chans, T, H, W) float → (B, embed_dim, ⌈T/pt⌉, ⌈H/ph⌉, ⌈W/pw⌉), same dtype.

        The input is zero-padded at the end of each axis to a multiple of the patch size
        (default (2, 4, 4)); LayerNorm acts over the channels.
        """
        _, _, d, h, w = x.shape
        p = self.patch
        x = F.pad(x, (0, (-w) % p[2], 0, (-h) % p[1], 0, (-d) % p[0]))
        x = self.proj(x)
        return self.norm(x.permute(0, 2, 3, 4, 1)).permute(0, 4, 1, 2, 3)


class SwinTransformer3D(nn.Module):
    """Video Swin backbone with GRPB (see module docstring). ``B×3×T×H×W`` → ``B×C×T/2×H/32×W/32``."""

    def __init__(
        self,
        embed_dim: int = 96,
        depths: Sequence[int] = (2, 2, 6, 2),
        num_heads: Sequence[int] = (3, 6, 12, 24),
        window: tuple[int, int, int] = (8, 7, 7),
        frag_biases: Sequence[bool] = (True, True, True, False),
        patch: tuple[int, int, int] = (2, 4, 4),
    ) -> None:
        super().__init__()
        self.window = tuple(window)
        self.patch_embed = PatchEmbed3D(patch, 3, embed_dim)
        n = len(depths)
        self.layers = nn.ModuleList(
            [
                BasicLayer(
                    embed_dim * 2**i, depths[i], num_heads[i], self.window, bool(frag_biases[i]), i < n - 1
                )
                for i in range(n)
            ]
        )
        self.num_features = embed_dim * 2 ** (n - 1)
        self.norm = nn.LayerNorm(self.num_features)

    def adaptive_window(self, size: Sequence[int]) -> tuple[int, int, int]:
        """Window rescaled by input size / (32, 224, 224), integer floor (official behaviour)."""
        return tuple(self.window[i] * int(size[i]) // BASE_INPUT[i] for i in range(3))  # type: ignore[return-value]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, T, H, W) float32, normalised as in the module docstring → (B, F, T', H', W').

        ``F = num_features`` (8·embed_dim with four stages: 768); ``T' = ⌈T/2⌉``; ``H'`` is ``⌈H/4⌉``
        halved rounding up once per PatchMerging (three times: about H/32, 224 → 7), likewise
        ``W'``; for the official 32×224×224 fragments the output is (B, 768, 16, 7, 7). Raises
        ``ValueError`` when the adaptive window has an axis of 0 (with the default window:
        T < 4, H < 32 or W < 32).
        """
        window = self.adaptive_window(x.shape[2:])
        if min(window) < 1:
            raise ValueError(f"input {tuple(x.shape[2:])} is too small for FasterVQA (window {window})")
        x = self.patch_embed(x)
        for layer in self.layers:
            x = layer(x.contiguous(), window)
        return self.norm(x.permute(0, 2, 3, 4, 1)).permute(0, 4, 1, 2, 3)


class VQAHead(nn.Module):
    """FasterVQA head: 1×1×1 Conv3d in→hidden, GELU, 1×1×1 Conv3d hidden→1."""

    def __init__(self, in_channels: int = 768, hidden_channels: int = 64) -> None:
        super().__init__()
        self.fc_hid = nn.Conv3d(in_channels, hidden_channels, 1)
        self.fc_last = nn.Conv3d(hidden_channels, 1, 1)
        self.gelu = nn.GELU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, T, H, W) backbone features (C = in_channels) → (B, 1, T, H, W) raw patch scores."""
        return self.fc_last(self.gelu(self.fc_hid(x)))


class FasterVQANet(nn.Module):
    """Backbone + head: ``B×3×T×H×W`` normalised fragments → ``B×1×T'×H'×W'`` patch scores."""

    def __init__(self, hidden_channels: int = 64, **backbone: Any) -> None:
        super().__init__()
        self.backbone = SwinTransformer3D(**backbone)
        self.head = VQAHead(self.backbone.num_features, hidden_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, T, H, W) float32 normalised fragments → (B, 1, T', H', W') float32 raw scores.

        Shapes as in :meth:`SwinTransformer3D.forward` ((B, 1, 16, 7, 7) for 32×224×224 input).
        The scores are unbounded; :mod:`vfebench.metrics.fastervqa` averages them into a clip's raw
        score and maps that to [0, 1] with :func:`sigmoid_rescale`.
        """
        return self.head(self.backbone(x))


# --------------------------------------------------------------------------------------------
# official checkpoint ↔ our names
# --------------------------------------------------------------------------------------------
OFFICIAL_PREFIXES = {"fragments_backbone.": "backbone.", "vqa_head.": "head."}


def map_official_state_dict(sd: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], list[str]]:
    """Rename official ``DiViDeAddEvaluator`` keys to ours.

    ``fragments_backbone.*`` → ``backbone.*``, ``vqa_head.*`` → ``head.*``, values unchanged
    (the same tensors); the constant ``relative_position_index`` buffers are renamed too (our
    network rebuilds them; :func:`build_from_official` checks they agree, then drops them).
    Returns ``(mapped, unknown_keys)``; keys with another prefix are unknown.
    """
    out: dict[str, torch.Tensor] = {}
    unknown: list[str] = []
    for k, v in sd.items():
        for src, dst in OFFICIAL_PREFIXES.items():
            if k.startswith(src):
                out[dst + k[len(src) :]] = v
                break
        else:
            unknown.append(k)
    return out, unknown


def infer_config(sd: dict[str, torch.Tensor]) -> dict[str, Any]:
    """Architecture from a mapped state dict's shapes (embed dim, depths, heads, GRPB stages)."""
    w = sd["backbone.patch_embed.proj.weight"]
    n_layers = 1 + max(int(k.split(".")[2]) for k in sd if k.startswith("backbone.layers."))
    depths, heads, frag = [], [], []
    for i in range(n_layers):
        pre = f"backbone.layers.{i}.blocks."
        blocks = {int(k[len(pre) :].split(".")[0]) for k in sd if k.startswith(pre)}
        depths.append(len(blocks))
        heads.append(int(sd[f"{pre}0.attn.relative_position_bias_table"].shape[1]))
        frag.append(f"{pre}0.attn.fragment_position_bias_table" in sd)
    return {
        "embed_dim": int(w.shape[0]),
        "patch": tuple(int(s) for s in w.shape[2:]),
        "depths": tuple(depths),
        "num_heads": tuple(heads),
        "frag_biases": tuple(frag),
        "hidden_channels": int(sd["head.fc_hid.weight"].shape[0]),
    }


def load_checkpoint_state_dict(path: str | Path) -> dict[str, Any]:
    """The ``state_dict`` of an official FAST-VQA checkpoint, loaded with ``weights_only=True``.

    The official files are ``{"state_dict": ..., "validation_results": ...}`` where the latter
    may hold numpy scalars; exactly those numpy reconstructors (scalar, dtype) are allowed, nothing
    else. Accepts a bare state dict too.
    """
    import numpy as np

    from vfebench.assets import load_torch_state_dict
    from vfebench.errors import AssetHashError

    path = Path(path)
    try:
        obj = load_torch_state_dict(path)
    except AssetHashError:
        allowed: list[Any] = [np.dtype, type(np.dtype(np.float64)), type(np.dtype(np.float32))]
        try:
            from numpy.core.multiarray import scalar  # type: ignore[attr-defined]

            allowed.append(scalar)
        except ImportError:  # numpy >= 2
            from numpy._core.multiarray import scalar  # type: ignore[no-redef,attr-defined]

            allowed.append(scalar)
        try:
            with torch.serialization.safe_globals(allowed):
                obj = torch.load(str(path), map_location="cpu", weights_only=True)
        except Exception as exc:  # broad on purpose: torch.load raises many types for a bad file
            raise AssetHashError(
                f"{path}: refusing to load: not a plain FAST-VQA checkpoint ({exc}). vfebench never "
                "unpickles arbitrary objects."
            ) from exc
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise AssetHashError(f"{path}: expected a checkpoint with a 'state_dict' of tensors")
    return obj


def build_from_official(sd: dict[str, torch.Tensor], source: str = "checkpoint") -> FasterVQANet:
    """Build :class:`FasterVQANet` from an official-format state dict (strict key check).

    ``sd``: the ``state_dict`` of the official ``FAST_VQA_3D_1_1.pth`` (or of
    :func:`to_official_state_dict`): ``fragments_backbone.*`` and ``vqa_head.*`` float tensors,
    optionally with the (N, N) integer ``…attn.relative_position_index`` buffers, which must equal
    ours. Any other key prefix is refused. The architecture (embed dim, patch, depths, heads, GRPB
    stages, head width) is read from the shapes (:func:`infer_config`); the window is the default
    (8, 7, 7). Returns the network in eval mode, float32 on the CPU (the weights are copied in).
    Raises :class:`~vfebench.errors.AssetHashError` naming ``source`` when the keys, the index
    buffers or the weight shapes do not fit.
    """
    from vfebench.errors import AssetHashError

    mapped, unknown = map_official_state_dict(sd)
    if unknown:
        raise AssetHashError(
            f"{source}: {len(unknown)} key(s) are not FasterVQA weights (e.g. {unknown[:3]}); "
            "expected an official FAST_VQA_3D_1_1.pth state_dict (fragments_backbone.*, vqa_head.*)"
        )
    try:
        cfg = infer_config(mapped)
    except (KeyError, ValueError) as exc:
        raise AssetHashError(f"{source}: not a FasterVQA state dict (missing {exc})") from exc
    hidden = cfg.pop("hidden_channels")
    net = FasterVQANet(hidden_channels=hidden, **cfg)
    idx_keys = [k for k in mapped if k.endswith("relative_position_index")]
    for k in idx_keys:
        ours = net.get_buffer(k)
        theirs = mapped.pop(k)
        if theirs.shape != ours.shape or not torch.equal(theirs.to(ours.dtype), ours):
            raise AssetHashError(f"{source}: {k} differs from the standard Swin layout; wrong window size?")
    missing, unexpected = net.load_state_dict(mapped, strict=False)
    if missing or unexpected:
        raise AssetHashError(
            f"{source}: weights do not fit the FasterVQA network: missing {missing[:4]}, "
            f"unexpected {unexpected[:4]}"
        )
    return net.eval()


def to_official_state_dict(net: FasterVQANet) -> dict[str, torch.Tensor]:
    """Our weights under the official names (with the index buffers), for tests and export.

    Returns ``{key: tensor}`` (clones, on the network's device and dtype): ``backbone.*`` →
    ``fragments_backbone.*``, ``head.*`` → ``vqa_head.*``, plus one (N, N) int64
    ``fragments_backbone.layers.{i}.blocks.{j}.attn.relative_position_index`` per attention block
    (N = the product of the window). :func:`build_from_official` of it rebuilds the same network.
    """
    out: dict[str, torch.Tensor] = {}
    rev = {v: k for k, v in OFFICIAL_PREFIXES.items()}
    for k, v in net.state_dict().items():
        for dst, src in rev.items():
            if k.startswith(dst):
                out[src + k[len(dst) :]] = v.clone()
    for name, mod in net.named_modules():
        if isinstance(mod, WindowAttention3D):
            out["fragments_backbone." + name[len("backbone.") :] + ".relative_position_index"] = (
                mod.relative_position_index.clone()
            )
    return out


def sigmoid_rescale(raw: float, mean: float = 0.14759505, std: float = 0.03613452) -> float:
    """FasterVQA's published rescale ``1/(1+exp(−(s−mean)/std))`` → [0, 1] (vqa.py constants)."""
    return 1.0 / (1.0 + math.exp(-(raw - mean) / std))
