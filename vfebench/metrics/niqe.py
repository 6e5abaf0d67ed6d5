"""NIQE metric (no reference): per frame → mean per clip → mean over clips."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from vfebench.errors import InputError
from vfebench.metrics.base import FrameMetric


class NIQE(FrameMetric):
    """Natural Image Quality Evaluator (lower is better; typical 2–10).

    Input: ``B×H×W×3`` uint8 RGB frames, each at least 192×192 (two 96×96 blocks per side).
    Per frame on Y of YIQ, 96×96 blocks, two scales, against the standard pristine model shipped
    with vfebench (no download). Equal to pyiqa 0.1.16's ``niqe`` (``NIQE(test_y_channel=True,
    color_space='yiq')``) to ≲1e-5 relative (tested ≤ 1e-5); see :mod:`vfebench.metrics.functional.niqe`.
    Option: ``crop_border``.
    """

    name: ClassVar[str] = "niqe"
    display: ClassVar[str] = "NIQE"
    higher_is_better: ClassVar[bool] = False
    needs_reference: ClassVar[bool] = False
    version: ClassVar[str] = "1"
    precision: ClassVar[int] = 4
    batch_size: ClassVar[int] = 4
    description: ClassVar[str] = "NIQE, Y of YIQ, 96x96 blocks, standard pristine params (pyiqa niqe)"

    def __init__(self, mode: str = "clean", crop_border: int = 0, **kw) -> None:
        if int(crop_border) < 0:
            raise InputError(f"niqe: crop_border must be >= 0, got {crop_border}")
        super().__init__(mode, crop_border=int(crop_border), **kw)

    def score_frames(self, pred: np.ndarray, gt: np.ndarray | None) -> np.ndarray:
        from vfebench.metrics.functional.niqe import niqe

        return niqe(pred, self.options["crop_border"])
