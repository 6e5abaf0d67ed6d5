"""TLME — temporal landmark mean error [recon] (reported as TLME* = ×1000).

**Our documented reconstruction** (protocol.md [recon]): PGTFormer defined TLME but published
no code (DicFace issue #8), so no published number can be reproduced exactly. VividFace
reports it on RFV-LQ (no GT) ×1000, so it must be no-reference and in normalised coordinates.

``tlme`` (no reference): the same MediaPipe 478 landmarks as AKD (frames resized to 512×512,
normalised x, y); per consecutive frame pair ``mean_k ‖l_{t+1,k} − l_{t,k}‖₂``; clip = mean over
pairs where both frames have a face; set = mean over clips. Lower = steadier. A static clip
scores ≈ 0; a face that moves also scores > 0, so compare methods on the same inputs.

``tlme_ref`` (referenced variant): per pair ``mean_k ‖Δpred_{t,k} − Δref_{t,k}‖₂`` with
``Δl_t = l_{t+1} − l_t`` — the landmark motion the restoration adds to or removes from the
reference's (GT, or the LQ input when there is no GT; sizes may differ since coordinates are
normalised). It separates jitter from real motion.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from vfebench.metrics.base import ClipResult, PaperColumn, ScoreContext
from vfebench.metrics.face_metric import FaceMetric
from vfebench.metrics.functional.face import landmark_jitter, relative_jitter
from vfebench.video import Clip


class TLME(FaceMetric):
    name: ClassVar[str] = "tlme"
    display: ClassVar[str] = "TLME*"
    value_range: ClassVar[tuple[float | None, float | None]] = (0.0, None)
    higher_is_better: ClassVar[bool] = False
    needs_reference: ClassVar[bool] = False
    version: ClassVar[str] = "1"
    scale: ClassVar[float] = 1000.0
    level: ClassVar[str] = "clip"
    modes: ClassVar[tuple[str, ...]] = ("clean",)
    precision: ClassVar[int] = 4
    paper: ClassVar[tuple[PaperColumn, ...]] = (PaperColumn("table2", "Pose Consistency", 1),)
    recon: ClassVar[bool] = True
    description: ClassVar[str] = (
        "[recon] mean consecutive-frame displacement of 478 MediaPipe landmarks (normalised x, y), "
        "per pair → clip → set; no reference; shown ×1000 as TLME*"
    )

    def score_clip(self, pred: Clip, gt: Clip | None, ctx: ScoreContext) -> ClipResult:
        """Mean landmark displacement over consecutive frame pairs with a face in both; NaN under 2 frames."""
        self._check(pred, None)
        self._ensure(ctx)
        m = self.analysis.mesh(pred, ctx.features)
        n = ctx.max_frames or pred.num_frames
        found = m["found"][:n]
        if n < 2:
            return ClipResult(pred.id, float("nan"), 0, 0, "TLME needs at least 2 frames")
        per = landmark_jitter(m["lm"][:n])
        per[~(found[1:] & found[:-1])] = np.nan
        extras = {
            "backend": "mediapipe-0.10.21-facemesh478",
            "pairs": int(np.isfinite(per).sum()),
            "recon": True,
        }
        return self._result(pred.id, per, int((~found).sum()), "frame pair", extras)


class TLMERef(FaceMetric):
    name: ClassVar[str] = "tlme_ref"
    display: ClassVar[str] = "TLME*ref"
    value_range: ClassVar[tuple[float | None, float | None]] = (0.0, None)
    higher_is_better: ClassVar[bool] = False
    needs_reference: ClassVar[bool] = True
    version: ClassVar[str] = "1"
    scale: ClassVar[float] = 1000.0
    level: ClassVar[str] = "clip"
    modes: ClassVar[tuple[str, ...]] = ("clean",)
    precision: ClassVar[int] = 4
    recon: ClassVar[bool] = True
    description: ClassVar[str] = (
        "[recon] referenced TLME: landmark displacement of the restored clip minus that of the "
        "reference (GT or LQ), per pair → clip → set; shown ×1000"
    )

    def score_clip(self, pred: Clip, gt: Clip | None, ctx: ScoreContext) -> ClipResult:
        """Mean over frame pairs of ``‖Δpred − Δref‖`` (landmark motion added or removed); NaN under 2
        frames."""
        self._check(pred, gt, same_size=False)
        assert gt is not None  # needs_reference: _check raised otherwise
        self._ensure(ctx)
        mp = self.analysis.mesh(pred, ctx.features)
        mr = self.analysis.mesh(gt, ctx.features)
        n = ctx.max_frames or pred.num_frames
        if n < 2:
            return ClipResult(pred.id, float("nan"), 0, 0, "TLME needs at least 2 frames")
        both = (mp["found"] & mr["found"])[:n]
        per = relative_jitter(mp["lm"][:n], mr["lm"][:n])
        per[~(both[1:] & both[:-1])] = np.nan
        extras = {
            "backend": "mediapipe-0.10.21-facemesh478",
            "pairs": int(np.isfinite(per).sum()),
            "recon": True,
        }
        return self._result(pred.id, per, int((~both).sum()), "frame pair", extras)
