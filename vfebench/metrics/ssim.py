"""SSIM metric (full reference): per frame → mean per clip → mean over clips."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from vfebench.errors import InputError
from vfebench.metrics.base import FrameMetric, PaperColumn


class SSIM(FrameMetric):
    """Structural similarity (higher is better, 1 = identical).

    Input: ``B×H×W×3`` uint8 RGB frames (at least 11×11). The standard 11×11 Gaussian window
    (σ = 1.5) on the 0..255 scale, valid region only, computed per RGB channel and averaged
    (protocol; BasicSR formula, equal to scikit-image's ``structural_similarity`` with
    ``gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255``).
    Options: ``crop_border``, ``test_y_channel`` (off by default; pyiqa's ``ssim`` defaults to
    Y, we do not).
    """

    name: ClassVar[str] = "ssim"
    display: ClassVar[str] = "SSIM"
    value_range: ClassVar[tuple[float | None, float | None]] = (-1.0, 1.0)
    higher_is_better: ClassVar[bool] = True
    needs_reference: ClassVar[bool] = True
    version: ClassVar[str] = "1"
    precision: ClassVar[int] = 4
    paper: ClassVar[tuple[PaperColumn, ...]] = (PaperColumn("table1", "Quality and Fidelity", 2),)
    tolerance: ClassVar[dict[str, float] | None] = {"abs": 1e-4}
    batch_size: ClassVar[int] = 8
    description: ClassVar[str] = "SSIM, RGB per channel, 11x11 Gaussian σ=1.5, BasicSR formula"
    options_doc: ClassVar[dict[str, str]] = {
        "crop_border": "pixels removed on each side before scoring (default 0)",
        "test_y_channel": "score BT.601 Y only, as BasicSR (default false)",
    }

    def __init__(self, mode: str = "clean", crop_border: int = 0, test_y_channel: bool = False, **kw) -> None:
        if int(crop_border) < 0:
            raise InputError(f"ssim: crop_border must be >= 0, got {crop_border}")
        super().__init__(mode, crop_border=int(crop_border), test_y_channel=bool(test_y_channel), **kw)

    def score_frames(self, pred: np.ndarray, gt: np.ndarray | None) -> np.ndarray:
        """SSIM per frame of uint8 ``B×H×W×3`` RGB ``pred`` / ``gt`` (0..255, at least 11×11 after
        the crop): float64 ``(B,)``, 1.0 for identical frames."""
        from vfebench.metrics.functional.psnr_ssim import ssim

        assert gt is not None  # a reference metric: FrameMetric passes the GT frames
        return ssim(pred, gt, self.options["crop_border"], self.options["test_y_channel"])
