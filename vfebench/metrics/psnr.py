"""PSNR metric (full reference): per frame → mean per clip → mean over clips."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from vfebench.errors import InputError
from vfebench.metrics.base import FrameMetric, PaperColumn


class PSNR(FrameMetric):
    """Peak signal-to-noise ratio in dB (higher is better).

    Input: ``B×H×W×3`` uint8 RGB frames, prediction and GT of the same size. Computed on the
    0..255 scale in float64 over all pixels and the three RGB channels (protocol: crop 0).
    Options: ``crop_border`` (pixels removed on each side), ``test_y_channel`` (BT.601 Y, as
    BasicSR). Identical frames give ``inf`` per frame: a legitimate value, not a skipped frame.
    It is averaged like any other (the reference, BFVR-STC ``evaluation/eval_psnr_ssim.py``,
    takes ``np.mean`` per clip and over clips), so a clip with one identical frame has PSNR
    ``inf`` and so does a set containing it; JSON records hold it as ``"inf"``. Formula:
    :func:`vfebench.metrics.functional.psnr` (BasicSR).
    """

    name: ClassVar[str] = "psnr"
    display: ClassVar[str] = "PSNR"
    value_range: ClassVar[tuple[float | None, float | None]] = (0.0, None)  # dB; identical: inf
    higher_is_better: ClassVar[bool] = True
    needs_reference: ClassVar[bool] = True
    version: ClassVar[str] = "1"
    precision: ClassVar[int] = 2
    paper: ClassVar[tuple[PaperColumn, ...]] = (PaperColumn("table1", "Quality and Fidelity", 1),)
    tolerance: ClassVar[dict[str, float] | None] = {"abs": 0.01}
    batch_size: ClassVar[int] = 16
    description: ClassVar[str] = "PSNR (dB), RGB, 0..255, BasicSR formula"
    options_doc: ClassVar[dict[str, str]] = {
        "crop_border": "pixels removed on each side before scoring (default 0)",
        "test_y_channel": "score BT.601 Y only, as BasicSR (default false)",
    }

    def __init__(self, mode: str = "clean", crop_border: int = 0, test_y_channel: bool = False, **kw) -> None:
        if int(crop_border) < 0:
            raise InputError(f"psnr: crop_border must be >= 0, got {crop_border}")
        super().__init__(mode, crop_border=int(crop_border), test_y_channel=bool(test_y_channel), **kw)

    def score_frames(self, pred: np.ndarray, gt: np.ndarray | None) -> np.ndarray:
        """PSNR in dB per frame of uint8 ``B×H×W×3`` RGB ``pred`` / ``gt`` (0..255): float64 ``(B,)``,
        ``inf`` for identical frames."""
        from vfebench.metrics.functional.psnr_ssim import psnr

        assert gt is not None  # a reference metric: FrameMetric passes the GT frames
        return psnr(pred, gt, self.options["crop_border"], self.options["test_y_channel"])
