"""Inception-I3D (Kinetics-400) for FVD, in our own PyTorch code.

Architecture of DeepMind's ``InceptionI3d`` (Carreira & Zisserman 2017; deepmind/kinetics-i3d
``i3d.py``), as ported to PyTorch by piergiaj/pytorch-i3d ``pytorch_i3d.py`` and used through the
StyleGAN-V TorchScript detector ``i3d_torchscript.pt`` (universome/stylegan-v
``src/metrics/frechet_video_distance.py``; a port of the tf.hub ``i3d-kinetics-400/1`` module
used by the original FVD code). We learned the layer table and TF "SAME" padding there and wrote
this module ourselves; names follow the piergiaj/DeepMind convention
(``Conv3d_1a_7x7.conv3d.weight``, ``Mixed_3b.b1b.bn.running_var``, ``logits.conv3d.bias``).

Input ``B×3×T×224×224`` float32 in [−1, 1] (RGB), ``T ≥ 9``. Output (``return_features=True``):
``B×400`` pre-softmax Kinetics-400 logits, averaged over the remaining time steps (the tf.hub
module's ``Mean`` output that FVD uses); otherwise their softmax.

Layer table (out channels; Mixed = [b0, b1a→b1b, b2a→b2b, pool→b3b], concatenated):
Conv3d_1a 7³/2 → 64; MaxPool 1×3×3/1×2×2; Conv3d_2b 1³ → 64; Conv3d_2c 3³ → 192; MaxPool
1×3×3/1×2×2; Mixed_3b [64,96,128,16,32,32]; Mixed_3c [128,128,192,32,96,64]; MaxPool 3³/2;
Mixed_4b [192,96,208,16,48,64]; 4c [160,112,224,24,64,64]; 4d [128,128,256,24,64,64];
4e [112,144,288,32,64,64]; 4f [256,160,320,32,128,128]; MaxPool 2³/2; Mixed_5b
[256,160,320,32,128,128]; 5c [384,192,384,48,128,128]; AvgPool (2,7,7)/1 VALID; Conv3d 1³
1024 → 400 with bias (no BN/ReLU). Every other conv: no bias, BatchNorm (eps 1e-3), ReLU.
Convs and max-pools use TensorFlow "SAME" padding (asymmetric: the extra pixel goes at the end);
max-pools pad with −inf (TF ignores padding).

``width_div`` divides every channel count (tests build tiny networks with it; 1 = the real net).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import nn

from vfebench.errors import AssetHashError, WeightsError

MIXED = [
    ("Mixed_3b", [64, 96, 128, 16, 32, 32]),
    ("Mixed_3c", [128, 128, 192, 32, 96, 64]),
    ("Mixed_4b", [192, 96, 208, 16, 48, 64]),
    ("Mixed_4c", [160, 112, 224, 24, 64, 64]),
    ("Mixed_4d", [128, 128, 256, 24, 64, 64]),
    ("Mixed_4e", [112, 144, 288, 32, 64, 64]),
    ("Mixed_4f", [256, 160, 320, 32, 128, 128]),
    ("Mixed_5b", [256, 160, 320, 32, 128, 128]),
    ("Mixed_5c", [384, 192, 384, 48, 128, 128]),
]


def _same_pad(size: int, k: int, s: int) -> list[int]:
    total = max(k - s, 0) if size % s == 0 else max(k - size % s, 0)
    return [total // 2, total - total // 2]


def same_pad_3d(x: torch.Tensor, k: list[int], s: list[int], value: float) -> torch.Tensor:
    """Pad ``x`` (B, C, T, H, W) the way TensorFlow's "SAME" does for a kernel ``k`` and stride ``s``.

    ``k`` and ``s`` are (t, h, w) triples. Along each axis of size n the total padding is
    ``max(k − s, 0)`` when ``s`` divides n, else ``max(k − n mod s, 0)``; half of it (rounded down)
    goes before, the rest after. A VALID conv or pool with ``k``/``s`` on the result then gives
    ``⌈n / s⌉`` outputs per axis. ``value`` fills the padding (0 before a conv, −inf before a
    max-pool). Returns (B, C, T + pt, H + ph, W + pw), same dtype and device as ``x``.
    """
    t, h, w = x.shape[2], x.shape[3], x.shape[4]
    pt = _same_pad(t, k[0], s[0])
    ph = _same_pad(h, k[1], s[1])
    pw = _same_pad(w, k[2], s[2])
    return F.pad(x, [pw[0], pw[1], ph[0], ph[1], pt[0], pt[1]], value=value)


class Unit3D(nn.Module):
    """Conv3d (TF SAME) [+ BatchNorm(eps=1e-3) + ReLU]."""

    def __init__(
        self,
        cin: int,
        cout: int,
        k: list[int],
        s: list[int] | None = None,
        bn: bool = True,
        bias: bool = False,
    ) -> None:
        super().__init__()
        self.k = k
        self.s = s if s is not None else [1, 1, 1]
        # Conv3d turns both into tuples (_triple) itself; passed as 3-tuples for its annotations
        self.conv3d = nn.Conv3d(
            cin, cout, kernel_size=(k[0], k[1], k[2]), stride=(self.s[0], self.s[1], self.s[2]), bias=bias
        )
        self.use_bn = bn
        self.bn = nn.BatchNorm3d(cout, eps=1e-3, momentum=0.01) if bn else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, cin, T, H, W) float → (B, cout, ⌈T/s_t⌉, ⌈H/s_h⌉, ⌈W/s_w⌉), same dtype.

        Zero "SAME" padding, the conv, then BatchNorm (running statistics in eval mode) and ReLU;
        with ``bn=False`` (the logits unit) the raw conv output, bias included, is returned.
        """
        x = self.conv3d(same_pad_3d(x, self.k, self.s, 0.0))
        if self.use_bn:
            x = F.relu(self.bn(x))
        return x


class MaxPoolSame(nn.Module):
    """3-D max-pool with TF "SAME" padding filled with −inf (so padding never wins)."""

    def __init__(self, k: list[int], s: list[int]) -> None:
        super().__init__()
        self.k = k
        self.s = s

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, T, H, W) → (B, C, ⌈T/s_t⌉, ⌈H/s_h⌉, ⌈W/s_w⌉), same dtype."""
        return F.max_pool3d(same_pad_3d(x, self.k, self.s, float("-inf")), self.k, self.s)


class Mixed(nn.Module):
    """Inception block: four stride-1 branches (``c`` = [b0, b1a, b1b, b2a, b2b, b3b] channels)."""

    def __init__(self, cin: int, c: list[int]) -> None:
        super().__init__()
        self.b0 = Unit3D(cin, c[0], [1, 1, 1])
        self.b1a = Unit3D(cin, c[1], [1, 1, 1])
        self.b1b = Unit3D(c[1], c[2], [3, 3, 3])
        self.b2a = Unit3D(cin, c[3], [1, 1, 1])
        self.b2b = Unit3D(c[3], c[4], [3, 3, 3])
        self.b3a = MaxPoolSame([3, 3, 3], [1, 1, 1])
        self.b3b = Unit3D(cin, c[5], [1, 1, 1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, cin, T, H, W) → (B, c0 + c2 + c4 + c5, T, H, W): branches b0, b1, b2, b3 concatenated."""
        return torch.cat([self.b0(x), self.b1b(self.b1a(x)), self.b2b(self.b2a(x)), self.b3b(self.b3a(x))], 1)


class InceptionI3d(nn.Module):
    """Inception-I3D; see the module docstring for input/output contracts."""

    if TYPE_CHECKING:  # the Mixed blocks, registered with setattr from MIXED (state-dict names);
        # for the type checker only: torch.jit.script rejects Module-typed class annotations
        Mixed_3b: Mixed
        Mixed_3c: Mixed
        Mixed_4b: Mixed
        Mixed_4c: Mixed
        Mixed_4d: Mixed
        Mixed_4e: Mixed
        Mixed_4f: Mixed
        Mixed_5b: Mixed
        Mixed_5c: Mixed

    def __init__(self, num_classes: int = 400, width_div: int = 1) -> None:
        super().__init__()
        d = int(width_div)
        self.width_div = d
        self.num_classes = num_classes
        self.Conv3d_1a_7x7 = Unit3D(3, 64 // d, [7, 7, 7], [2, 2, 2])
        self.MaxPool3d_2a_3x3 = MaxPoolSame([1, 3, 3], [1, 2, 2])
        self.Conv3d_2b_1x1 = Unit3D(64 // d, 64 // d, [1, 1, 1])
        self.Conv3d_2c_3x3 = Unit3D(64 // d, 192 // d, [3, 3, 3])
        self.MaxPool3d_3a_3x3 = MaxPoolSame([1, 3, 3], [1, 2, 2])
        cin = 192 // d
        for name, c in MIXED[:2]:
            setattr(self, name, Mixed(cin, [v // d for v in c]))
            cin = sum(v // d for v in (c[0], c[2], c[4], c[5]))
        self.MaxPool3d_4a_3x3 = MaxPoolSame([3, 3, 3], [2, 2, 2])
        for name, c in MIXED[2:7]:
            setattr(self, name, Mixed(cin, [v // d for v in c]))
            cin = sum(v // d for v in (c[0], c[2], c[4], c[5]))
        self.MaxPool3d_5a_2x2 = MaxPoolSame([2, 2, 2], [2, 2, 2])
        for name, c in MIXED[7:]:
            setattr(self, name, Mixed(cin, [v // d for v in c]))
            cin = sum(v // d for v in (c[0], c[2], c[4], c[5]))
        self.logits = Unit3D(cin, num_classes, [1, 1, 1], bn=False, bias=True)

    def extract(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of an already prepared batch: (B, 3, T, H, W) → (B, num_classes), same dtype.

        ``x``: float RGB in [−1, 1] (no rescaling or resizing here; see :meth:`forward`),
        ``T ≥ 9`` (time is halved, rounding up, three times, and the final average pool needs two
        steps). Space is divided by 32 (rounding up each time): 224×224 frames give 7×7. The
        average pool is (2, 7, 7) with stride 1, its spatial kernel clipped to the map when that is
        smaller than 7; the logits conv follows, and the result is its mean over the remaining
        time and space positions (for 224×224 input: over time only).
        """
        x = self.Conv3d_1a_7x7(x)
        x = self.MaxPool3d_2a_3x3(x)
        x = self.Conv3d_2b_1x1(x)
        x = self.Conv3d_2c_3x3(x)
        x = self.MaxPool3d_3a_3x3(x)
        x = self.Mixed_3b(x)
        x = self.Mixed_3c(x)
        x = self.MaxPool3d_4a_3x3(x)
        x = self.Mixed_4b(x)
        x = self.Mixed_4c(x)
        x = self.Mixed_4d(x)
        x = self.Mixed_4e(x)
        x = self.Mixed_4f(x)
        x = self.MaxPool3d_5a_2x2(x)
        x = self.Mixed_5b(x)
        x = self.Mixed_5c(x)
        kh = min(7, x.shape[3])
        kw = min(7, x.shape[4])
        x = F.avg_pool3d(x, [2, kh, kw], [1, 1, 1])
        x = self.logits(x)  # B×C×T'×H'×W'
        return x.mean(dim=[2, 3, 4])

    def forward(
        self, x: torch.Tensor, rescale: bool = False, resize: bool = False, return_features: bool = True
    ) -> torch.Tensor:
        """(B, 3, T, H, W) RGB float → (B, num_classes) float, same dtype and device as ``x``.

        ``rescale``: ``x`` is on the 0–255 scale and is mapped to [−1, 1] (``x·2/255 − 1``);
        otherwise it must already be in [−1, 1]. ``resize``: each frame is resized bilinearly
        (``align_corners=False``) to 224×224 first; otherwise H and W are used as given.
        ``return_features``: the pre-softmax logits of :meth:`extract` (what FVD uses); False: their
        softmax over the classes (each row sums to 1). ``T ≥ 9``.
        """
        if rescale:
            x = x * (2.0 / 255.0) - 1.0
        if resize:
            b, c, t, h, w = x.shape
            y = x.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w)
            y = F.interpolate(y, size=[224, 224], mode="bilinear", align_corners=False)
            x = y.reshape(b, t, c, 224, 224).permute(0, 2, 1, 3, 4)
        logits = self.extract(x)
        if return_features:
            return logits
        return F.softmax(logits, dim=1)


# --------------------------------------------------------------------------------------------
# weights from a TorchScript detector (or any I3D state dict with another naming)
# --------------------------------------------------------------------------------------------
_BN_FIELDS = ("weight", "bias", "running_mean", "running_var")


def _units(sd: dict[str, torch.Tensor]) -> list[dict[str, Any]]:
    """Group a state dict (in registration order) into conv units.

    A unit starts at each 5-D tensor (a conv weight); the 1-D tensors that follow it up to the
    next conv belong to it: ``<conv module>.bias`` is the conv bias, the others are BatchNorm
    fields recognised by their last name component (``weight``/``gamma``, ``bias``/``beta``,
    ``running_mean``/``moving_mean``, ``running_var``/``moving_variance``).
    """
    alias = {
        "gamma": "weight",
        "scale": "weight",
        "beta": "bias",
        "offset": "bias",
        "moving_mean": "running_mean",
        "moving_variance": "running_var",
    }
    units: list[dict[str, Any]] = []
    for k, v in sd.items():
        if not isinstance(v, torch.Tensor) or k.endswith("num_batches_tracked"):
            continue
        if v.dim() == 5:
            units.append({"key": k, "weight": v, "conv_prefix": k.rsplit(".", 1)[0], "bn": {}, "bias": None})
            continue
        if not units or v.dim() != 1:
            raise WeightsError(f"unexpected tensor {k} with shape {tuple(v.shape)} in an I3D state dict")
        u = units[-1]
        prefix, _, leaf = k.rpartition(".")
        leaf = alias.get(leaf, leaf)
        if prefix == u["conv_prefix"] and leaf == "bias":
            u["bias"] = v
        elif leaf in _BN_FIELDS:
            u["bn"][leaf] = v
        else:
            raise WeightsError(f"cannot place {k} in an I3D unit")
    return units


def i3d_state_dict_from(source: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Map any I3D state dict onto :class:`InceptionI3d` names.

    Exact names are used when they match ours; otherwise the mapping is structural: conv units
    are paired in registration order (which follows the forward order in every known port) and
    every shape is checked. The network's width and class count are inferred from the shapes.
    Returns ``(state_dict, info)``; raises :class:`~vfebench.errors.WeightsError` (a ``ValueError``)
    naming the first unit that does not fit. Since two units of Mixed_4d have equal shapes,
    :func:`~vfebench.metrics.features.i3d_features.check_equal_features` should confirm a
    structural mapping on data (:class:`~vfebench.metrics.features.i3d_features.I3DExtractor`
    does this once when it loads a TorchScript file).
    """
    units = _units(source)
    if not units:
        raise WeightsError("no convolution weights found")
    first, last = units[0]["weight"], units[-1]["weight"]
    if first.shape[1] != 3 or 64 % first.shape[0]:
        raise WeightsError(f"first conv has shape {tuple(first.shape)}; expected (64/d, 3, 7, 7, 7)")
    model = InceptionI3d(num_classes=int(last.shape[0]), width_div=64 // int(first.shape[0]))
    ours = model.state_dict()
    if all(k in source for k in ours if not k.endswith("num_batches_tracked")):
        by_name = {k: source[k] for k in ours if k in source}
        return by_name, {"mapping": "by-name", "width_div": model.width_div, "num_classes": model.num_classes}
    targets = _units(ours)
    if len(targets) != len(units):
        raise WeightsError(f"{len(units)} conv units in the source, {len(targets)} in InceptionI3d")
    out: dict[str, torch.Tensor] = {}
    for src, dst in zip(units, targets):
        if tuple(src["weight"].shape) != tuple(dst["weight"].shape):
            raise WeightsError(
                f"{src['key']} {tuple(src['weight'].shape)} does not fit {dst['key']} {tuple(dst['weight'].shape)}"
            )
        out[dst["key"]] = src["weight"]
        if dst["bias"] is None and src["bias"] is not None and bool(src["bias"].abs().max() > 0):
            raise WeightsError(f"{src['key']}: the source conv has a bias that InceptionI3d does not have")
        if dst["bias"] is not None:
            if src["bias"] is None:
                raise WeightsError(f"{src['key']}: the logits conv has no bias in the source")
            out[dst["conv_prefix"] + ".bias"] = src["bias"]
        bn_prefix = dst["conv_prefix"].rsplit(".", 1)[0] + ".bn."
        if dst["bn"]:
            if "running_mean" not in src["bn"] or "running_var" not in src["bn"]:
                raise WeightsError(f"{src['key']}: no BatchNorm statistics follow this conv")
            n = dst["weight"].shape[0]
            out[bn_prefix + "weight"] = src["bn"].get("weight", torch.ones(n))
            out[bn_prefix + "bias"] = src["bn"].get("bias", torch.zeros(n))
            out[bn_prefix + "running_mean"] = src["bn"]["running_mean"]
            out[bn_prefix + "running_var"] = src["bn"]["running_var"]
    return out, {"mapping": "structural", "width_div": model.width_div, "num_classes": model.num_classes}


def build_i3d(source: dict[str, torch.Tensor]) -> tuple[InceptionI3d, dict[str, Any]]:
    """:class:`InceptionI3d` (eval mode) with weights from any I3D state dict.

    ``source``: ``{name: tensor}``, either already under our (piergiaj/DeepMind) names, taken by
    name, or under any other naming (e.g. a TorchScript detector's ``state_dict()``) in
    registration (= forward) order, mapped structurally by :func:`i3d_state_dict_from`. Each conv
    weight is a 5-D tensor shaped (cout, cin, kt, kh, kw); the 1-D tensors that follow it, each
    (cout,), are its BatchNorm fields (``weight``/``bias``/``running_mean``/``running_var``, or the
    TF names ``gamma``/``beta``/``moving_mean``/``moving_variance``; in a structural mapping a
    missing scale or offset becomes ones or zeros) or, for the last (logits) conv only, its bias.
    The width divisor and class count come from the first and last conv shapes.

    Returns ``(model, info)``: the model float32 on the CPU (the tensors are copied into it), and
    ``info = {"mapping": "by-name" | "structural", "width_div": int, "num_classes": int}``.
    Raises :class:`~vfebench.errors.WeightsError` when the source does not fit.
    """
    sd, info = i3d_state_dict_from(source)
    model = InceptionI3d(num_classes=info["num_classes"], width_div=info["width_div"])
    missing, unexpected = model.load_state_dict(sd, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise WeightsError(f"I3D weights incomplete: missing {missing[:4]}, unexpected {unexpected[:4]}")
    return model.eval(), info


def load_i3d_torchscript(path: str | os.PathLike, device: str = "cpu") -> torch.jit.ScriptModule:
    """Load a TorchScript I3D (``torch.jit.load``: TorchScript code + tensors, no Python pickle).

    Eval mode on ``device``. The StyleGAN-V detector is called as
    ``model(x, rescale=False, resize=False, return_features=True)`` with ``x`` ``B×3×T×224×224``
    float32 in [−1, 1] and returns ``B×400`` float32 logits. Raises
    :class:`~vfebench.errors.AssetHashError` naming ``path`` when the file does not load.
    """
    try:
        return torch.jit.load(str(path), map_location=device).eval()
    except Exception as exc:  # broad on purpose: torch.jit.load raises many types for a broken file
        raise AssetHashError(f"{path}: not a loadable TorchScript I3D ({exc})") from exc
