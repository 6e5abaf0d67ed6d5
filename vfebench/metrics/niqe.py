"""NIQE metric (no reference): per frame → mean per clip → mean over clips."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from vfebench.errors import InputError
from vfebench.metrics.base import FrameMetric, FrameScores, PaperColumn


class NIQE(FrameMetric):
    """Natural Image Quality Evaluator (lower is better; typical 2–10).

    Input: ``B×H×W×3`` uint8 RGB frames, each at least 192×192 (two 96×96 blocks per side).
    Per frame on Y of YIQ, 96×96 blocks, two scales, against the standard pristine model shipped
    with vfebench (no download). Equal to pyiqa 0.1.16's ``niqe`` (``NIQE(test_y_channel=True,
    color_space='yiq')``) up to float32 summation order: ≤ 1e-5 relative in one environment,
    1.4e-3 measured on another CPU, up to 7.3e-3 in a simulation of that difference (tests allow 1e-2); against pyiqa's published calibration
    values see ``vfebench calibrate --metrics niqe``. Frames smaller than 192×192 and flat frames
    are NaN with the reason (skipped and counted), never an error.
    Option: ``crop_border``.
    """

    name: ClassVar[str] = "niqe"
    display: ClassVar[str] = "NIQE"
    value_range: ClassVar[tuple[float | None, float | None]] = (0.0, None)
    higher_is_better: ClassVar[bool] = False
    needs_reference: ClassVar[bool] = False
    version: ClassVar[str] = "1"
    precision: ClassVar[int] = 4
    paper: ClassVar[tuple[PaperColumn, ...]] = (PaperColumn("table2", "Quality and Fidelity", 1),)
    tolerance: ClassVar[dict[str, float] | None] = {"abs": 1e-3}
    batch_size: ClassVar[int] = 4
    options_doc: ClassVar[dict[str, str]] = {
        "crop_border": "pixels removed on each side before scoring (default 0)",
    }
    description: ClassVar[str] = "NIQE, Y of YIQ, 96x96 blocks, standard pristine params (pyiqa niqe)"

    def __init__(self, mode: str = "clean", crop_border: int = 0, **kw) -> None:
        if int(crop_border) < 0:
            raise InputError(f"niqe: crop_border must be >= 0, got {crop_border}")
        super().__init__(mode, crop_border=int(crop_border), **kw)

    def score_frames(self, pred: np.ndarray, gt: np.ndarray | None) -> FrameScores:
        """NIQE per frame of uint8 ``B×H×W×3`` RGB ``pred`` (0..255; ``gt`` unused): float64 ``(B,)``
        (lower is better), NaN with a reason for a frame too small or too flat to score."""
        from vfebench.metrics.functional.niqe import niqe_with_reasons

        return FrameScores(*niqe_with_reasons(pred, self.options["crop_border"]))
