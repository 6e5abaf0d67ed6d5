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

from vfebench.metrics import reduced_precision
from vfebench.metrics.base import FrameMetric
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
    higher_is_better: ClassVar[bool] = True
    needs_reference: ClassVar[bool] = False
    version: ClassVar[str] = "1"
    extra: ClassVar[str] = "pyiqa"
    assets: ClassVar[tuple[str, ...]] = ("musiq_koniq",)
    precision: ClassVar[int] = 2
    batch_size: ClassVar[int] = 1
    options_doc: ClassVar[dict[str, str]] = {
        "weights": "local weights file used instead of the catalogue asset (recorded by its sha256)",
        **reduced_precision.OPTION_DOC,
    }
    description: ClassVar[str] = "MUSIQ KonIQ-10k (pyiqa musiq arch, verified weights, no download)"

    def __init__(self, mode: str = "clean", **options: Any) -> None:
        super().__init__(mode, **options)
        reduced_precision.normalise_precision(self.options, self.name)
        self._net = None

    @staticmethod
    def build(state_dict: dict[str, Any]):
        """pyiqa's MUSIQ (KonIQ configuration) with ``state_dict`` loaded strictly."""
        require("pyiqa", extra="pyiqa", purpose="MUSIQ")
        from pyiqa.archs.musiq_arch import MUSIQ as _Arch

        net = _Arch(num_class=1, pretrained=False, pretrained_model_path=None)
        net.load_state_dict(strip_module_prefix(state_dict), strict=True)
        return net.eval()

    def setup(self, device: str = "cpu") -> None:
        from vfebench import assets

        path = self.weights_file()  # weights=PATH or the verified asset; fail fast, before torch
        require("torch", purpose="MUSIQ")
        sd = assets.load_torch_state_dict(path)
        self._net = self.build(sd).to(device)
        # batching only pays off on GPUs: on CPU one frame at a time was ~15% faster at 512×512
        # (benchmarks/bench_image_metrics.py); an explicit batch_size option wins
        self.batch_size = 1 if str(device) == "cpu" else 8
        super().setup(device)

    def score_frames(self, pred: np.ndarray, gt: np.ndarray | None) -> np.ndarray:
        import torch

        with torch.inference_mode(), reduced_precision.autocast(self.device, self.options.get("dtype")):
            s = self._net(frames_to_tensor(pred, self.device))
        return s.double().reshape(-1).cpu().numpy()
