"""AKD — average keypoint distance between restored and GT faces (reported as AKD* = ×1000).

Reference: BFVR-STC ``evaluation/eval_akd.py`` (Dixin-Lab/BFVR-STC). Per frame, MediaPipe
FaceMesh (legacy ``solutions.face_mesh``, static images, refined → 478 landmarks, first face)
runs on the restored and the GT frame resized to 512×512; the frame's value is the mean over the
478 landmarks of the Euclidean distance of (x, y) in MediaPipe's **normalised** [0, 1]
coordinates (z ignored). Clip = mean over frames; set = mean over clips. Lower is better.

Raw values are normalised units; reports show ×1000 (``AKD*``), where published VFE numbers
sit around 2.6–12.6. A shift of k pixels of a 512×512 frame moves every landmark by k/512, so
AKD* ≈ k/512·1000 (≈ 1.95 per pixel).

Differences from the reference, all documented: frames where either face is missing are skipped
and counted (the reference script crashes); ``ctx.max_frames`` caps the frames (the reference
uses all). Landmarks come from the shared face analysis (:mod:`vfebench.metrics.features.faces`).
"""

from __future__ import annotations

from typing import ClassVar

from vfebench.metrics.base import ClipResult, ScoreContext
from vfebench.metrics.features.face_metric import FaceMetric
from vfebench.metrics.functional.face import keypoint_distance
from vfebench.video import Clip


class AKD(FaceMetric):
    name: ClassVar[str] = "akd"
    display: ClassVar[str] = "AKD*"
    higher_is_better: ClassVar[bool] = False
    needs_reference: ClassVar[bool] = True
    version: ClassVar[str] = "1"
    scale: ClassVar[float] = 1000.0
    level: ClassVar[str] = "frame"
    modes: ClassVar[tuple[str, ...]] = ("clean",)
    precision: ClassVar[int] = 4
    description: ClassVar[str] = (
        "Mean distance of 478 MediaPipe FaceMesh landmarks (normalised x, y) between restored and GT, "
        "per frame → clip → set (BFVR-STC eval_akd.py); shown ×1000 as AKD*"
    )

    def score_clip(self, pred: Clip, gt: Clip | None, ctx: ScoreContext) -> ClipResult:
        self._check(pred, gt)
        self._ensure(ctx)
        mp = self.analysis.mesh(pred, ctx.features)
        mg = self.analysis.mesh(gt, ctx.features)
        n = ctx.max_frames or pred.num_frames
        both = (mp["found"] & mg["found"])[:n]
        per = keypoint_distance(mp["lm"][:n], mg["lm"][:n])
        per[~both] = float("nan")
        extras = {
            "backend": "mediapipe-0.10.21-facemesh478",
            "frames_no_face_pred": int((~mp["found"][:n]).sum()),
            "frames_no_face_gt": int((~mg["found"][:n]).sum()),
        }
        return self._result(pred.id, per, int((~both).sum()), "frame", extras)
