"""MUSIQ (KonIQ-10k) metric (no reference): per frame → mean per clip → mean over clips.

Backend: pyiqa 0.1.16's architecture class ``pyiqa.archs.musiq_arch.MUSIQ`` (the pyiqa
``musiq`` metric: KonIQ checkpoint, patch 32, hash grid 10, scales = full resolution + longer
side 224 and 384, input mapped to [−1, 1]). vfebench builds it **without** its own loading
(``pretrained=False``, so pyiqa never downloads) and loads the checkpoint itself: the pinned
asset ``musiq_koniq`` (sha256-verified), read with ``torch.load(weights_only=True)`` (pyiqa's
own loader unpickles with ``weights_only=False``; we do not), ``module.`` prefixes stripped,
loaded strictly. Numbers therefore equal ``pyiqa.create_metric('musiq')`` on the same frames.
Not a port: needs ``pip install 'vfebench[pyiqa]'``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from vfebench.assets import Asset
from vfebench.metrics import reduced_precision
from vfebench.metrics.base import FrameMetric, PaperColumn
from vfebench.metrics.frames import frames_to_tensor
from vfebench.utils import require


def strip_module_prefix(sd: dict[str, Any]) -> dict[str, Any]:
    return {(k[7:] if k.startswith("module.") else k): v for k, v in sd.items()}


class MUSIQ(FrameMetric):
    """MUSIQ trained on KonIQ-10k (higher is better; MOS scale ≈ 0–100).

    Input: ``B×H×W×3`` uint8 RGB frames of any size (the full-resolution scale makes cost grow
    with the frame area). Per-frame score = the network's predicted MOS.
    """

    name: ClassVar[str] = "musiq"
    display: ClassVar[str] = "MUSIQ"
    value_range: ClassVar[tuple[float | None, float | None]] = (0.0, 100.0)
    higher_is_better: ClassVar[bool] = True
    needs_reference: ClassVar[bool] = False
    version: ClassVar[str] = "1"
    extra: ClassVar[str] = "pyiqa"
    assets: ClassVar[tuple[str, ...]] = ("musiq_koniq",)
    precision: ClassVar[int] = 4  # the paper prints MUSIQ with 4 decimals (Table 2)
    paper: ClassVar[tuple[PaperColumn, ...]] = (PaperColumn("table2", "Quality and Fidelity", 2),)
    batch_size: ClassVar[int] = 1
    _device_batch_size: int | None = None  # per device, chosen in setup()
    options_doc: ClassVar[dict[str, str]] = {
        "weights": "local weights file used instead of the catalogue asset (recorded by its sha256)",
        **reduced_precision.OPTION_DOC,
    }
    description: ClassVar[str] = "MUSIQ KonIQ-10k (pyiqa musiq arch, verified weights, no download)"

    def __init__(self, mode: str = "clean", **options: Any) -> None:
        super().__init__(mode, **options)
        reduced_precision.normalise_precision(self.options, self.name)
        self._net: Any = None  # built on first use

    @staticmethod
    def build(state_dict: dict[str, Any]):
        """pyiqa's MUSIQ (KonIQ configuration) with ``state_dict`` loaded strictly."""
        require("pyiqa", extra="pyiqa", purpose="MUSIQ")
        from pyiqa.archs.musiq_arch import MUSIQ as _Arch

        from vfebench.metrics.meta_load import build_loaded

        # built on meta, weights assigned: no random init thrown away (about 1 s on a CPU)
        return build_loaded(
            lambda: _Arch(num_class=1, pretrained=False, pretrained_model_path=None),
            strip_module_prefix(state_dict),
            "MUSIQ weights",
            may_miss=(),
        )

    def setup(self, device: str = "cpu") -> None:
        from vfebench import assets

        path = self.weights_file()  # weights=PATH or the verified asset; fail fast, before torch
        require("torch", purpose="MUSIQ")
        sd = assets.load_torch_state_dict(path)
        self._net = self.build(sd).to(device)
        # batching only pays off on GPUs: on CPU one frame at a time was ~15% faster at 512×512
        # (benchmarks/bench_image_metrics.py); an explicit batch_size option wins
        self._device_batch_size = 1 if str(device) == "cpu" else 8
        super().setup(device)

    def default_batch_size(self) -> int:
        """1 frame per batch on CPU, 8 on a GPU (chosen in :meth:`setup`; the class default before)."""
        return self.batch_size if self._device_batch_size is None else self._device_batch_size

    def score_frames(self, pred: np.ndarray, gt: np.ndarray | None) -> np.ndarray:
        """MUSIQ score per frame of uint8 ``B×H×W×3`` RGB ``pred`` (0..255; ``gt`` unused): float64
        ``(B,)``, the network output as is (higher is better)."""
        import torch

        with torch.inference_mode(), reduced_precision.autocast(self.device, self.options.get("dtype")):
            s = self._net(frames_to_tensor(pred, self.device))
        return s.double().reshape(-1).cpu().numpy()


# ----------------------------------------------------------------------------- weights
# The pinned weights this metric needs (collected by vfebench.assets.catalog()).
# ``musiq_koniq``: pyiqa (chaofengc/IQA-PyTorch) names it ``musiq_koniq_ckpt-e95806b9.pth``; the full
# digest and size were read in several public projects pinning the Hugging Face file (one states
# it was taken from the Hugging Face LFS manifest); prefix agrees. Not hashed here.

_PYIQA_HF = "https://huggingface.co/chaofengc/IQA-PyTorch-Weights/resolve/main"
_PYIQA_GH = "https://github.com/chaofengc/IQA-PyTorch/releases/download/v0.1-weights"
ASSETS: list[Asset] = [
    Asset(
        name="musiq_koniq",
        filename="musiq_koniq_ckpt-e95806b9.pth",
        urls=(f"{_PYIQA_HF}/musiq_koniq_ckpt-e95806b9.pth", f"{_PYIQA_GH}/musiq_koniq_ckpt-e95806b9.pth"),
        sha256="e95806b9eae5f3814c410f574ba8e552362bd5bc63d758ed5b97860f5d6185aa",
        size=108_610_983,
        licence="Apache-2.0 (google-research MUSIQ weights, converted by pyiqa)",
        users=("musiq",),
        notes="pyiqa MUSIQ KonIQ-10k; full sha256 from public pins of the HF file, prefix matches file name",
    ),
]
