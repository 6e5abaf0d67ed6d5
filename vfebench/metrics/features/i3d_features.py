"""I3D (Kinetics-400) logits of video windows, for FVD.

Preprocessing (protocol.md; BFVR-STC ``evaluation/common_metrics_on_video_quality-main/fvd/
styleganv/fvd.py`` ``preprocess_single``): uint8 frames / 255 (float32) → bilinear resize
(``align_corners=False``, no antialias) so the short side is 224 (long side ``ceil``) → centre
crop 224×224 → ``(x − 0.5)·2`` ∈ [−1, 1] → ``1×3×T×224×224``. The detector is called with
``rescale=False, resize=False, return_features=True`` and returns 400 pre-softmax logits.

Two backends load the same asset (StyleGAN-V ``i3d_torchscript.pt``,
:func:`~vfebench.metrics.nets.i3d.load_i3d_torchscript`):
- ``torchscript``: the TorchScript detector itself (the reference);
- ``pytorch``: our :class:`~vfebench.metrics.nets.i3d.InceptionI3d` with the weights taken out of
  the TorchScript file (:func:`~vfebench.metrics.nets.i3d.i3d_state_dict_from`), so FVD does not
  rest on an opaque blob alone. When the mapping was structural, the first load checks on a
  random input that both give the same logits (max abs difference ≤ ``atol``) and raises if not.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from vfebench.errors import AssetHashError, InputError
from vfebench.video import check_frames

MIN_FRAMES = 10  # BFVR/StyleGAN-V: "each clip_timestamp must >= 10"; the TorchScript needs ≥ 9


def preprocess(frames: np.ndarray, resolution: int = 224, bgr: bool = False):
    """``T×H×W×3`` uint8 RGB → ``1×3×T×224×224`` float32 tensor in [−1, 1] (see module doc).

    ``bgr=True`` swaps the channels first (BFVR-STC reads frames with OpenCV and never converts).
    """
    import torch
    import torch.nn.functional as F

    check_frames(frames, "i3d input")
    x = torch.from_numpy(np.ascontiguousarray(frames[..., ::-1] if bgr else frames))
    x = x.permute(3, 0, 1, 2).float() / 255.0  # C T H W
    h, w = x.shape[-2:]
    scale = resolution / min(h, w)
    size = (resolution, math.ceil(w * scale)) if h < w else (math.ceil(h * scale), resolution)
    x = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
    h, w = x.shape[-2:]
    top, left = (h - resolution) // 2, (w - resolution) // 2
    x = x[:, :, top : top + resolution, left : left + resolution]
    return ((x - 0.5) * 2).unsqueeze(0).contiguous()


class I3DExtractor:
    """Loaded I3D of either backend: ``features(frames) → 400`` float64 logits per window."""

    def __init__(
        self, path: str | Path, backend: str = "torchscript", device: str = "cpu", atol: float = 1e-3
    ):
        import torch

        from vfebench.metrics.nets.i3d import build_i3d, load_i3d_torchscript

        if backend not in ("torchscript", "pytorch"):
            raise InputError(f"fvd: backend must be 'torchscript' or 'pytorch', got {backend!r}")
        self.backend = backend
        self.device = device
        self.info: dict[str, Any] = {"backend": backend}
        ts = load_i3d_torchscript(path, device)
        self.model: torch.nn.Module  # the TorchScript detector or our InceptionI3d
        if backend == "torchscript":
            self.model = ts
            return
        sd = {k: v.detach().cpu() for k, v in ts.state_dict().items()}
        try:
            model, info = build_i3d(sd)
        except ValueError as exc:
            raise AssetHashError(f"{path}: cannot map the TorchScript weights onto our I3D: {exc}") from exc
        self.model = model.to(device)
        self.info.update(info)
        if info["mapping"] == "structural":
            g = torch.Generator().manual_seed(0)
            x = (torch.rand((1, 3, 16, 224, 224), generator=g) * 2 - 1).to(device)
            diff = float(check_equal_features(ts, self.model, x))
            self.info["check_max_abs_diff"] = diff
            if not diff <= atol:
                raise AssetHashError(
                    f"{path}: our PyTorch I3D with the extracted weights differs from the TorchScript "
                    f"detector by {diff:.3g} (> {atol}); use backend='torchscript'"
                )

    def logits(self, x) -> np.ndarray:
        """``B×3×T×224×224`` in [−1, 1] → ``B×400`` float64."""
        import torch

        with torch.inference_mode():
            out = self.model(x.to(self.device), rescale=False, resize=False, return_features=True)
        return out.detach().double().cpu().numpy()

    def features(self, frames: np.ndarray, bgr: bool = False) -> np.ndarray:
        """``(400,)`` float64 logits of one window: ``frames`` is ``T×H×W×3`` uint8 RGB with
        ``T ≥ 10`` (fewer raise :class:`InputError`), ``bgr=True`` for BGR channel order."""
        if frames.shape[0] < MIN_FRAMES:
            raise InputError(f"i3d: a window needs at least {MIN_FRAMES} frames, got {frames.shape[0]}")
        return self.logits(preprocess(frames, bgr=bgr))[0]


def check_equal_features(a, b, x) -> float:
    """Max abs difference between two I3D modules' logits on ``x`` (``B×3×T×224×224`` float32 in
    [−1, 1], both modules called as the StyleGAN-V detector); a float ≥ 0."""
    import torch

    with torch.inference_mode():
        ya = a(x, rescale=False, resize=False, return_features=True)
        yb = b(x, rescale=False, resize=False, return_features=True)
    return float((ya - yb).abs().max())
