"""The one uint8 frame → network tensor conversion shared by every torch metric and feature."""

from __future__ import annotations

import numpy as np


def frames_to_tensor(frames: np.ndarray, device: str = "cpu", divide_by: float | None = 255.0):
    """``B×H×W×3`` uint8 RGB frames → ``B×3×H×W`` float32 tensor on ``device``.

    Values are ``x / divide_by`` (default: [0, 1]); ``divide_by=None`` keeps 0..255. The uint8
    array is copied to the device first and converted there (a quarter of the bytes moved)."""
    import torch

    x = torch.from_numpy(np.ascontiguousarray(frames)).to(device)
    x = x.permute(0, 3, 1, 2).float()
    return x if divide_by is None else x / divide_by
