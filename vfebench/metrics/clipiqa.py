"""CLIP-IQA metric (no reference): per frame → mean per clip → mean over clips.

What is computed (pyiqa 0.1.16 ``clipiqa``, ``pyiqa/archs/clipiqa_arch.py``): OpenAI CLIP RN50
image features of the whole frame at its native resolution (no resize, **no** positional
embedding interpolation), CLIP mean/std normalisation, cosine logits against five antonym
prompt pairs (Good/bad image, Sharp/blurry image, sharp/blurry edges, High/low resolution
image, Noise-free/noisy image); score = mean over pairs of softmax P(positive) ∈ [0, 1].

Backend (:mod:`vfebench.metrics.nets.clipiqa`): pyiqa's ``CLIPIQA`` forward and CLIP definition, fed by vfebench's loading path: the
pinned asset ``clip_rn50`` (sha256-verified) is read by
:func:`vfebench.assets.load_torch_state_dict` (OpenAI's TorchScript archive via
``torch.jit.load``, or a plain state dict with ``weights_only=True``) and given to pyiqa's
``build_model``, which rounds the weights to fp16 and back to fp32 exactly as pyiqa's own
loader does. pyiqa's constructor (which would download ``RN50``) is never called. Not a port:
needs ``pip install 'vfebench[pyiqa]'``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from vfebench.assets import Asset
from vfebench.metrics.base import FrameMetric, PaperColumn
from vfebench.utils import require

PROMPTS = (
    ("Good image", "bad image"),
    ("Sharp image", "blurry image"),
    ("sharp edges", "blurry edges"),
    ("High resolution image", "low resolution image"),
    ("Noise-free image", "noisy image"),
)


class CLIPIQA(FrameMetric):
    """CLIP-IQA (``clipiqa``; higher is better, in [0, 1]).

    Input: ``B×H×W×3`` uint8 RGB frames, at least 32×32.
    """

    name: ClassVar[str] = "clipiqa"
    display: ClassVar[str] = "CLIP-IQA"
    value_range: ClassVar[tuple[float | None, float | None]] = (0.0, 1.0)
    higher_is_better: ClassVar[bool] = True
    needs_reference: ClassVar[bool] = False
    version: ClassVar[str] = "1"
    extra: ClassVar[str] = "pyiqa"
    assets: ClassVar[tuple[str, ...]] = ("clip_rn50",)
    precision: ClassVar[int] = 4
    paper: ClassVar[tuple[PaperColumn, ...]] = (PaperColumn("table2", "Quality and Fidelity", 3),)
    batch_size: ClassVar[int] = 4
    options_doc: ClassVar[dict[str, str]] = {
        "weights": "local weights file used instead of the catalogue asset (recorded by its sha256)",
    }
    description: ClassVar[str] = "CLIP-IQA (clipiqa: RN50, 5 antonym prompts; pyiqa arch, verified weights)"

    def __init__(self, mode: str = "clean", **options: Any) -> None:
        super().__init__(mode, **options)
        self._net: Any = None  # built on first use

    def setup(self, device: str = "cpu") -> None:
        """Load the CLIP-IQA weights (``weights=`` file or the verified asset) and build the network on
        ``device``."""
        from vfebench import assets

        path = self.weights_file()  # weights=PATH or the verified asset; fail fast, before torch
        require("torch", purpose="CLIP-IQA")
        from vfebench.metrics.nets.clipiqa import build_clipiqa

        sd = assets.load_torch_state_dict(path)
        self._net = build_clipiqa(sd, PROMPTS)
        self._net.clip_model[0].to(device)
        super().setup(device)

    def score_frames(self, pred: np.ndarray, gt: np.ndarray | None) -> np.ndarray:
        """CLIP-IQA score per frame of uint8 ``B×H×W×3`` RGB ``pred`` (0..255; ``gt`` unused):
        float64 ``(B,)``, the network output as is (higher is better)."""
        import torch

        from vfebench.metrics.frames import frames_to_tensor

        with torch.inference_mode():
            s = self._net(frames_to_tensor(pred, self.device))
        return s.double().reshape(-1).cpu().numpy()


# ----------------------------------------------------------------------------- weights
# The pinned weights this metric needs (collected by vfebench.assets.catalog()).
# ``clip_rn50``: OpenAI publishes the sha256 as a component of the download URL and the
# ``clip`` package checks it after download (openai/CLIP ``clip/clip.py``); pyiqa 0.1.16 uses
# the same URL. Size 255,827,503 bytes from several public download scripts that check it.

ASSETS: list[Asset] = [
    Asset(
        name="clip_rn50",
        filename="RN50.pt",
        urls=(
            "https://openaipublic.azureedge.net/clip/models/"
            "afeb0e10f9e5a86da6080e35cf09123aca3b358a0c3e3b6c78a7b63bc04b6762/RN50.pt",
        ),
        sha256="afeb0e10f9e5a86da6080e35cf09123aca3b358a0c3e3b6c78a7b63bc04b6762",
        size=255_827_503,
        licence="MIT (openai/CLIP)",
        users=("clipiqa",),
        notes="OpenAI CLIP RN50 (TorchScript archive); sha256 is OpenAI's, part of the URL; size unconfirmed",
    ),
]
