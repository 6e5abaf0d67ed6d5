"""The two FaceCons preprocessings of whole frames for the CLIP ViT image tower.

The network and its weight loaders are :mod:`vfebench.metrics.nets.clip_vit`. ``clean`` is
CLIP's own preprocessing; ``evalcrafter`` is what EvalCrafter's face-consistency script feeds
the tower (see each function).
"""

from __future__ import annotations

import numpy as np

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


def preprocess_clean(frames: np.ndarray, size: int = 224):
    """CLIP's own preprocessing: shorter side → ``size`` (bicubic, antialias), centre crop,
    /255, CLIP mean/std. ``B×H×W×3`` uint8 RGB → ``B×3×size×size`` float32.

    Uses torch's antialiased bicubic resize (OpenAI uses PIL bicubic; values differ by ≲1 grey
    level, which moves FaceCons in the 4th decimal at most).
    """
    import torch
    from torch.nn import functional as F

    from vfebench.metrics.frames import frames_to_tensor

    x = frames_to_tensor(frames)
    h, w = x.shape[-2:]
    s = size / min(h, w)
    nh, nw = max(size, round(h * s)), max(size, round(w * s))
    x = F.interpolate(x, size=(nh, nw), mode="bicubic", align_corners=False, antialias=True).clamp(0, 1)
    top, left = (nh - size) // 2, (nw - size) // 2
    x = x[..., top : top + size, left : left + size]
    mean = torch.tensor(CLIP_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(CLIP_STD).view(1, 3, 1, 1)
    return (x - mean) / std


def preprocess_evalcrafter(frames: np.ndarray, size: int = 224, antialias: bool = False):
    """EvalCrafter's face-consistency input: float 0–255 RGB resized to ``size×size`` bilinear,
    **no** /255 and no mean/std. ``B×H×W×3`` uint8 → ``B×3×size×size`` float32 in [0, 255].

    EvalCrafter pins torchvision 0.15.2, whose tensor ``Resize`` does not antialias (``antialias``
    defaulted to None = off for tensors until torchvision 0.17), hence ``antialias=False``.
    """
    from torch.nn import functional as F

    from vfebench.metrics.frames import frames_to_tensor

    x = frames_to_tensor(frames, divide_by=None)
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=antialias)
