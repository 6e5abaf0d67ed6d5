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

Option ``backend``: ``mediapipe`` (default, the protocol) or ``fan68`` — face-alignment's FAN 68
landmarks on the shared MTCNN boxes (:mod:`vfebench.metrics.features.fan`, weights asset
``fan_2dfan4``), the convention of earlier talking-head papers. With ``fan68`` the stored value
is still normalised (pixel distance / 512, so ``AKD*`` stays ×1000) and ``extras["akd_px"]``
gives the clip's mean distance in pixels of the 512×512 frame. The backend is recorded in the
options and in ``extras``; numbers of the two backends are not comparable.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from vfebench.assets import Asset
from vfebench.errors import InputError
from vfebench.metrics.base import ClipResult, PaperColumn, ScoreContext
from vfebench.metrics.face_metric import FaceMetric
from vfebench.metrics.functional.face import keypoint_distance
from vfebench.video import Clip


class AKD(FaceMetric):
    name: ClassVar[str] = "akd"
    display: ClassVar[str] = "AKD*"
    value_range: ClassVar[tuple[float | None, float | None]] = (
        0.0,
        None,
    )  # normalised landmark distance (AKD* = ×1000)
    higher_is_better: ClassVar[bool] = False
    needs_reference: ClassVar[bool] = True
    version: ClassVar[str] = "1"
    scale: ClassVar[float] = 1000.0
    level: ClassVar[str] = "frame"
    modes: ClassVar[tuple[str, ...]] = ("clean",)
    options_doc: ClassVar[dict[str, str]] = {
        "backend": "landmarks: mediapipe (default, 478 FaceMesh) or fan68 (face-alignment FAN)",
        "weights": "local FAN weights file for backend=fan68 (recorded by its sha256)",
    }
    precision: ClassVar[int] = 4
    paper: ClassVar[tuple[PaperColumn, ...]] = (PaperColumn("table1", "Pose Consistency", 2),)
    description: ClassVar[str] = (
        "Mean distance of 478 MediaPipe FaceMesh landmarks (normalised x, y) between restored and GT, "
        "per frame → clip → set (BFVR-STC eval_akd.py); shown ×1000 as AKD*"
    )

    def __init__(self, mode: str = "clean", **options: Any) -> None:
        super().__init__(mode, **options)
        self.backend = self.options.get("backend", "mediapipe")
        if self.backend not in ("mediapipe", "fan68"):
            raise InputError(f"akd: unknown backend {self.backend!r}; choose mediapipe or fan68")

    def weights_asset_name(self) -> str:
        """``fan_2dfan4`` for the ``fan68`` backend; MediaPipe needs no weights asset (``""``)."""
        return "fan_2dfan4" if self.backend == "fan68" else ""

    def _fan(self, clip: Clip, ctx: ScoreContext) -> dict[str, np.ndarray]:
        from vfebench.metrics.features.faces import MTCNN_VERSION, _weights_tag, frames_512
        from vfebench.metrics.features.fan import FAN_VERSION, fan_landmarks
        from vfebench.metrics.nets.fan import load_fan

        w = self.require_weights()
        det = self.analysis.mtcnn(clip, ctx.features)

        def compute(c: Clip) -> dict[str, np.ndarray]:
            if getattr(self, "_fan_net", None) is None:
                self._fan_net = load_fan(w, self.device)
            frames = frames_512(c)
            lm = np.full((len(frames), 68, 2), np.nan, np.float32)
            for i in np.flatnonzero(det["found"]):
                lm[i] = fan_landmarks(self._fan_net, frames[i], det["box"][i], self.device)
            return {"found": det["found"].copy(), "lm": lm}

        version = f"{FAN_VERSION}-{MTCNN_VERSION}-{_weights_tag(w)}"
        return ctx.features.get("face_fan68", version, clip, compute)

    def score_clip(self, pred: Clip, gt: Clip | None, ctx: ScoreContext) -> ClipResult:
        """Per-frame landmark distance (normalised units), mean over frames with a face in both clips."""
        self._check(pred, gt)
        assert gt is not None  # needs_reference: _check raised otherwise
        self._ensure(ctx)
        if self.backend == "fan68":
            return self._score_fan(pred, gt, ctx)
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

    def _score_fan(self, pred: Clip, gt: Clip, ctx: ScoreContext) -> ClipResult:
        from vfebench.metrics.features.faces import ANALYSIS_SIZE

        fp, fg = self._fan(pred, ctx), self._fan(gt, ctx)
        n = ctx.max_frames or pred.num_frames
        both = (fp["found"] & fg["found"])[:n]
        px = np.linalg.norm(fp["lm"][:n].astype(np.float64) - fg["lm"][:n], axis=-1).mean(-1)
        px[~both] = np.nan
        extras = {
            "backend": "fan68 (face-alignment 1.5.0 2DFAN-4 on MTCNN boxes)",
            "akd_px": float(np.nanmean(px)) if both.any() else None,
            "frames_no_face_pred": int((~fp["found"][:n]).sum()),
            "frames_no_face_gt": int((~fg["found"][:n]).sum()),
        }
        return self._result(pred.id, px / ANALYSIS_SIZE, int((~both).sum()), "frame", extras)


# ----------------------------------------------------------------------------- weights
# The pinned weights this metric needs (collected by vfebench.assets.catalog()).

ASSETS: list[Asset] = [
    Asset(
        name="fan_2dfan4",
        filename="2DFAN4-11f355bf06.pth.tar",
        urls=("https://www.adrianbulat.com/downloads/python-fan/2DFAN4-11f355bf06.pth.tar",),
        sha256="11f355bf0693120222f5955ce3f9dc8fb5763ebb30a47d7906e509490d32e4aa",
        size=0,
        licence="BSD-3-Clause (1adrianb/face-alignment)",
        users=("akd:backend=fan68",),
        notes=(
            "face-alignment 1.5.0's 2D FAN-4 weights (plain state dict, loaded with weights_only=True). "
            "sha256 from public scripts that download this URL and verify it (≥2 independent sources; "
            "it matches the 11f355bf06 prefix in the file name, torch.hub's convention); not hashed here."
        ),
    ),
]
