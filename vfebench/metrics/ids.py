"""IDS — identity similarity between restored and GT faces (ArcFace IR-SE50 cosine).

Reference: BFVR-STC ``evaluation/eval_ids.py`` (Dixin-Lab/BFVR-STC). Frames are resized to
512×512; MTCNN finds the face and its 5 landmarks (first face); the face is aligned to the
112×112 ArcFace template; the IR-SE50 network (TreB1eN/pSp ``model_ir_se50.pth``, defined in
:mod:`vfebench.metrics.nets.ir_se`) embeds it (input mean 0.5 / std 0.5, 512-d,
L2-normalised). Per frame: ``cos(emb(restored_t), emb(gt_t))``; clip = mean over frames; set =
mean over clips. Higher is better (paper Table 1: VividFace 0.9128).

Modes:
- ``clean`` (default): every frame (``ctx.max_frames`` caps), frames without a face in either
  clip skipped and counted. Detection: facenet-pytorch's MTCNN (factor 0.709, ``area``
  resizes) with the reference's thresholds; alignment: the direct least-squares image →
  template fit (:func:`~vfebench.metrics.features.arcface.similarity_transform`).
- ``bfvr``: what the reference script means to do: the first 24 frames, averaged, with the
  reference's detector and alignment (below).
- ``bfvr_bug``: what the reference script computes: its loop overwrites the list it averages,
  so each clip's IDS is frame 23 (0-based) alone. Use it to reproduce published BFVR-STC-style
  numbers; a clip shorter than 24 frames is NaN (the script would crash).

The compat modes detect and align as the reference (TreB1eN's MTCNN port, which BFVR-STC
imports): the detector procedure of :mod:`vfebench.metrics.features.mtcnn_ref` (pyramid
factor 0.707, PIL bilinear resizes, its P-Net softmax axis and box clipping) on
facenet-pytorch's bundled P/R/O-Net weights, and the cp2tform alignment (template → image fit,
inverted; :func:`~vfebench.metrics.features.arcface.cp2tform_similarity`). Measured on real
frames (``../shared/data/faces``, 512×512): the bfvr detector gives the same 5 landmarks as
TreB1eN's own code run with its own ``.npy`` weights (0.000 px on 69 of 69 frames), while
``clean`` moves them by a median 2.6 px (95th percentile 9.7 px, max 23.8 px; 2 of 71 frames
found by only one of the two); numbers from the measurement in issue #12's closing note.

Options: ``backend`` = ``ir_se50`` (default) or ``insightface`` (an insightface ArcFace ONNX
model, default asset ``insightface_w600k_r50`` = buffalo_l's ``w600k_r50.onnx``, run with
onnxruntime; a different network, so its numbers are not the paper's IDS); ``weights`` = a local
weights file overriding the asset. The backend is recorded in the options and in ``extras``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from vfebench.assets import Asset
from vfebench.errors import InputError
from vfebench.metrics import reduced_precision
from vfebench.metrics.base import ClipResult, PaperColumn, ScoreContext
from vfebench.metrics.face_metric import FaceMetric
from vfebench.metrics.functional.face import cosine_rows
from vfebench.video import Clip

BFVR_FRAMES = 24
BACKEND_ASSETS = {"ir_se50": "arcface_ir_se50", "insightface": "insightface_w600k_r50"}


class IDS(FaceMetric):
    name: ClassVar[str] = "ids"
    display: ClassVar[str] = "IDS"
    value_range: ClassVar[tuple[float | None, float | None]] = (-1.0, 1.0)  # cosine similarity
    higher_is_better: ClassVar[bool] = True
    needs_reference: ClassVar[bool] = True
    version: ClassVar[str] = "2"  # 2: compat modes detect and align as the reference
    scale: ClassVar[float] = 1.0
    level: ClassVar[str] = "frame"
    assets: ClassVar[tuple[str, ...]] = ("arcface_ir_se50",)
    modes: ClassVar[tuple[str, ...]] = ("clean", "bfvr", "bfvr_bug")
    options_doc: ClassVar[dict[str, str]] = {
        "backend": "identity network: ir_se50 (default, the paper's) or insightface (ONNX)",
        "weights": "local weights file used instead of the catalogue asset (recorded by its sha256)",
        **reduced_precision.OPTION_DOC,
    }
    precision: ClassVar[int] = 4
    paper: ClassVar[tuple[PaperColumn, ...]] = (
        PaperColumn("table1", "Pose Consistency", 1),
        PaperColumn("table3", None, 4, precision=3),
    )
    description: ClassVar[str] = (
        "ArcFace IR-SE50 cosine similarity of MTCNN-aligned faces, restored vs GT, per frame → clip → "
        "set (BFVR-STC eval_ids.py; compat modes bfvr, bfvr_bug)"
    )

    def __init__(self, mode: str = "clean", **options: Any) -> None:
        super().__init__(mode, **options)
        backend = self.options.get("backend", "ir_se50")
        if backend not in BACKEND_ASSETS:
            raise InputError(f"ids: unknown backend {backend!r}; choose one of {', '.join(BACKEND_ASSETS)}")
        self.backend = backend
        reduced_precision.normalise_precision(self.options, self.name)
        if self.options.get("dtype") and backend != "ir_se50":
            raise InputError("ids: dtype=bf16/fp16 applies to the ir_se50 (torch) backend only")

    def weights_asset_name(self) -> str:
        """The ArcFace weights asset of the chosen backend."""
        return BACKEND_ASSETS[self.backend]

    def score_clip(self, pred: Clip, gt: Clip | None, ctx: ScoreContext) -> ClipResult:
        """Per-frame ArcFace cosine of restored vs GT face, mean over the frames the mode scores."""
        self._check(pred, gt)
        assert gt is not None  # needs_reference: _check raised otherwise
        self._ensure(ctx)
        w = self.resolve_weights()
        assert w is not None  # every IDS backend has weights
        recipe = "clean" if self.mode == "clean" else "bfvr"
        dt = self.options.get("dtype")
        ep = self.analysis.arcface(pred, ctx.features, w, self.backend, recipe, dtype=dt)
        eg = self.analysis.arcface(gt, ctx.features, w, self.backend, recipe, dtype=dt)
        per = cosine_rows(ep["emb"], eg["emb"])
        both = ep["found"] & eg["found"]
        per[~both] = np.nan
        extras: dict[str, Any] = {"backend": self.backend, "detect_align": recipe}
        if self.mode == "clean":
            n = ctx.max_frames or pred.num_frames
            per, both = per[:n], both[:n]
        elif self.mode == "bfvr":
            per, both = per[:BFVR_FRAMES], both[:BFVR_FRAMES]
            extras["frames"] = f"first {BFVR_FRAMES}"
        else:  # bfvr_bug: only frame 23 counts
            extras["frames"] = f"frame {BFVR_FRAMES - 1} only (BFVR-STC eval_ids.py loop bug)"
            if pred.num_frames < BFVR_FRAMES:
                return ClipResult(
                    pred.id,
                    float("nan"),
                    0,
                    0,
                    f"bfvr_bug scores frame {BFVR_FRAMES - 1}; the clip has {pred.num_frames} frames",
                    None,
                    extras,
                )
            per, both = per[BFVR_FRAMES - 1 : BFVR_FRAMES], both[BFVR_FRAMES - 1 : BFVR_FRAMES]
        return self._result(pred.id, per, int((~both).sum()), "frame", extras)


# ----------------------------------------------------------------------------- weights
# The pinned weights this metric needs (collected by vfebench.assets.catalog()).
# MTCNN (facenet-pytorch) and MediaPipe FaceMesh need no asset: their weights ship inside the
# pinned wheels (facenet-pytorch 2.5.3, mediapipe 0.10.21).

ASSETS: list[Asset] = [
    Asset(
        name="arcface_ir_se50",
        filename="model_ir_se50.pth",
        urls=(
            "https://huggingface.co/lithiumice/ArcFace_PyTorch/resolve/main/model_ir_se50.pth",
            "https://huggingface.co/lithiumice/insightface/resolve/main/InsightFace_Pytorch%2Bmodel_ir_se50.pth",
            "https://www.dropbox.com/s/kzo52d9neybjxsb/model_ir_se50.pth?dl=1",
        ),
        sha256="a035c768259b98ab1ce0e646312f48b9e1e218197a0f80ac6765e88f8b6ddf28",
        size=175_367_323,
        licence="MIT (TreB1eN/InsightFace_Pytorch)",
        users=("ids",),
        notes=(
            "TreB1eN/InsightFace_Pytorch IR-SE50 (ArcFace, MS1M), the file BFVR-STC eval_ids.py and pSp "
            "(eladrich/pixel2style2pixel README, Google Drive id 1KW7bjndL3QG3sxBbZxreGHigcCCpsDgn) use. "
            "sha256 + size from the Git LFS pointer of lithiumice/ArcFace_PyTorch (HF) and three "
            "independent public pins of the TreB1eN file (a OneDrive download checker, facexlib's "
            "recognition_arcface_ir_se50.pth checker, an AUR PKGBUILD); not hashed here. The URLs are "
            "third-party mirrors; the original is on pSp's Google Drive."
        ),
    ),
    Asset(
        name="insightface_w600k_r50",
        filename="w600k_r50.onnx",
        urls=(
            "https://huggingface.co/public-data/insightface/resolve/main/models/buffalo_l/w600k_r50.onnx",
            "https://huggingface.co/deepghs/insightface/resolve/main/buffalo_l/w600k_r50.onnx",
        ),
        sha256="4c06341c33c2ca1f86781dab0e829f88ad5b64be9fba56e56bc9ebdefc619e43",
        size=174_383_860,
        licence="non-commercial research only (insightface model zoo)",
        users=("ids:backend=insightface",),
        notes=(
            "ArcFace R50 (WebFace600K) ONNX recognition model of insightface's buffalo_l pack. Get "
            "https://github.com/deepinsight/insightface/releases/download/v0.7/buffalo_l.zip, unzip it and "
            "run `vfebench assets import DIR`. sha256 + size from Git LFS pointers of two HF copies (maze/faceX, OwlMaster/live_rope) and public pins of the buffalo_l file; not hashed here."
        ),
    ),
]
