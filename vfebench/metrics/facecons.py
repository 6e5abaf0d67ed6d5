"""FaceCons — face consistency: CLIP ViT-B/32 similarity of every frame to the first.

Reference: EvalCrafter ``metrics/Scores_with_CLIP/Scores_with_CLIP.py``
(``calculate_face_consistency_score``). CLIP ViT-B/32 image features of whole frames
(network :mod:`vfebench.metrics.nets.clip_vit`, preprocessing
:mod:`vfebench.metrics.features.clip_vit`), L2-normalised; clip value
``mean_{t≥1} cos(f_t, f_0)``; set = mean over clips. No reference needed; higher is steadier
(paper: VividFace 0.8111 on VFHQ-test, 0.7665 on RFV-LQ). A one-frame clip is NaN.

Modes:
- ``clean`` (default): CLIP's own preprocessing (shorter side → 224 bicubic with antialias,
  centre crop, /255, CLIP mean/std).
- ``evalcrafter``: EvalCrafter's input: frames as float **0–255**, resized to 224×224 bilinear,
  no /255 and no mean/std (the network sees out-of-range inputs, so scores sit near 1). The
  resize does not antialias, as torchvision 0.15.2 (EvalCrafter's pin) did for tensors; option
  ``antialias=True`` gives torchvision ≥ 0.17's behaviour instead.

Option ``weights``: a local CLIP file overriding the ``clip_vit_b32`` asset (OpenAI TorchScript
release, or a state dict in OpenAI or 🤗 layout).
"""

from __future__ import annotations

from typing import Any, ClassVar

from vfebench.assets import Asset
from vfebench.metrics import reduced_precision
from vfebench.metrics.base import ClipResult, PaperColumn, ScoreContext
from vfebench.metrics.face_metric import FaceMetric
from vfebench.metrics.functional.face import first_frame_consistency
from vfebench.video import Clip


class FaceCons(FaceMetric):
    name: ClassVar[str] = "facecons"
    display: ClassVar[str] = "FaceCons"
    value_range: ClassVar[tuple[float | None, float | None]] = (-1.0, 1.0)  # cosine similarity
    higher_is_better: ClassVar[bool] = True
    needs_reference: ClassVar[bool] = False
    version: ClassVar[str] = "1"
    scale: ClassVar[float] = 1.0
    level: ClassVar[str] = "clip"
    assets: ClassVar[tuple[str, ...]] = ("clip_vit_b32",)
    weights_asset: ClassVar[str] = "clip_vit_b32"
    modes: ClassVar[tuple[str, ...]] = ("clean", "evalcrafter")
    options_doc: ClassVar[dict[str, str]] = {
        "antialias": "evalcrafter mode: true = antialiased resize (torchvision >= 0.17); default false",
        "weights": "local weights file used instead of the catalogue asset (recorded by its sha256)",
        **reduced_precision.OPTION_DOC,
    }
    precision: ClassVar[int] = 4
    paper: ClassVar[tuple[PaperColumn, ...]] = (
        PaperColumn("table1", "Pose Consistency", 3),
        PaperColumn("table2", "Pose Consistency", 2),
    )
    description: ClassVar[str] = (
        "CLIP ViT-B/32 cosine of every frame to the first, mean per clip → set (EvalCrafter "
        "face_consistency_score; compat mode evalcrafter)"
    )

    def __init__(self, mode: str = "clean", **options: Any) -> None:
        super().__init__(mode, **options)
        reduced_precision.normalise_precision(self.options, self.name)

    def score_clip(self, pred: Clip, gt: Clip | None, ctx: ScoreContext) -> ClipResult:
        """Cosine similarity of each frame's CLIP embedding to the first frame's; NaN for a one-frame clip."""
        self._check(pred, None)
        self._ensure(ctx)
        n = ctx.max_frames or pred.num_frames
        extras: dict[str, Any] = {"preprocess": self.mode}
        if self.mode == "evalcrafter":
            extras["antialias"] = bool(self.options.get("antialias", False))
        if min(n, pred.num_frames) < 2:
            return ClipResult(pred.id, float("nan"), 0, 0, "FaceCons needs at least 2 frames", None, extras)
        e = self.analysis.clip_embed(
            pred,
            ctx.features,
            self.require_weights(),
            preprocess=self.mode,
            antialias=bool(self.options.get("antialias", False)),
            dtype=self.options.get("dtype"),
        )
        per = first_frame_consistency(e["emb"][:n])
        return self._result(pred.id, per, 0, "frame", extras)


# ----------------------------------------------------------------------------- weights
# The pinned weights this metric needs (collected by vfebench.assets.catalog()).

ASSETS: list[Asset] = [
    Asset(
        name="clip_vit_b32",
        filename="ViT-B-32.pt",
        urls=(
            "https://openaipublic.azureedge.net/clip/models/"
            "40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af/ViT-B-32.pt",
        ),
        sha256="40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af",
        size=353_976_522,
        licence="MIT (openai/CLIP)",
        users=("facecons",),
        notes=(
            "OpenAI CLIP ViT-B/32 release (TorchScript archive); the sha256 is the one OpenAI's clip.load "
            "checks (it is part of the URL; same URL in open_clip's pretrained table). Same weights as "
            "openai/clip-vit-base-patch32 on the HF hub (EvalCrafter's checkpoint)."
        ),
    ),
]
