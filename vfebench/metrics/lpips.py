"""LPIPS metrics (full reference): ``lpips`` (AlexNet, v0.1) and ``lpips_vgg`` (VGG16, v0.1).

Per frame → mean per clip → mean over clips; lower is better. Equal to the ``lpips`` 0.1.4
package (``lpips.LPIPS(net=..., version='0.1')`` on RGB inputs in [−1, 1]) given the same
weights; the network is :class:`vfebench.metrics.nets.lpips.LPIPSNet`, loaded from verified
assets (torchvision ImageNet trunk + lpips v0.1 linear heads), never downloaded.

Mode ``bfvr`` reproduces Dixin-Lab/BFVR-STC ``evaluation/eval_lpips.py``: VGG trunk (whatever
the metric name), frames in **BGR** order (OpenCV decoding), mapped twice to [−1, 1]
(``2·x/255 − 1`` then torchvision ``Normalize(0.5, 0.5)``) so the network sees
``4·x/255 − 3`` ∈ [−3, 1] in float32, and only the first 24 frames unless ``--max-frames`` says
otherwise. (Its 512×512 ``INTER_LINEAR`` resize is the identity on 512×512 clips and is not
applied; other sizes are scored as they are.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from vfebench.errors import InputError
from vfebench.metrics import reduced_precision
from vfebench.metrics.base import ClipResult, FrameMetric, ScoreContext
from vfebench.utils import require
from vfebench.video import Clip

BFVR_FRAMES = 24


class LPIPS(FrameMetric):
    """LPIPS v0.1 with the AlexNet trunk (the protocol default).

    Input: ``B×H×W×3`` uint8 RGB frames (prediction and GT of the same size, ≥ 32×32 for
    AlexNet). Output per frame: the LPIPS distance (float, ≥ 0, typically 0–0.8).
    """

    name: ClassVar[str] = "lpips"
    display: ClassVar[str] = "LPIPS"
    higher_is_better: ClassVar[bool] = False
    needs_reference: ClassVar[bool] = True
    version: ClassVar[str] = "1"
    extra: ClassVar[str] = "iqa"
    assets: ClassVar[tuple[str, ...]] = ("tv_alexnet", "lpips_alex_v01")
    modes: ClassVar[tuple[str, ...]] = ("clean", "bfvr")
    precision: ClassVar[int] = 4
    batch_size: ClassVar[int] = 8
    net: ClassVar[str] = "alex"
    options_doc: ClassVar[dict[str, str]] = {
        "weights": "local LPIPS v0.1 linear-heads file (alex.pth / vgg.pth) instead of the asset",
        "trunk": "local torchvision backbone file (AlexNet / VGG16 state dict) instead of the asset",
        **reduced_precision.OPTION_DOC,
    }
    description: ClassVar[str] = (
        "LPIPS v0.1 AlexNet, RGB in [-1,1] (lpips 0.1.4); bfvr: BFVR-STC VGG/BGR/[-3,1]/24f"
    )

    _ASSETS = {"alex": ("tv_alexnet", "lpips_alex_v01"), "vgg": ("tv_vgg16", "lpips_vgg_v01")}

    def __init__(self, mode: str = "clean", **options: Any) -> None:
        super().__init__(mode, **options)
        reduced_precision.normalise_precision(self.options, self.name)
        self._net = None

    @property
    def backbone(self) -> str:
        return "vgg" if self.mode == "bfvr" else self.net

    def required_assets(self) -> tuple[str, ...]:
        trunk, heads = self._ASSETS[self.backbone]
        return tuple(a for a, opt in ((trunk, "trunk"), (heads, "weights")) if not self.options.get(opt))

    def identity(self) -> dict[str, Any]:
        ident = super().identity()
        if self.options.get("trunk"):  # like weights=: a local trunk is recorded by its own hash
            from vfebench.assets import file_sha256

            p = Path(self.options["trunk"]).expanduser()
            ident["trunk_sha256"] = file_sha256(p) if p.is_file() else None
        return ident

    def _local_or_asset(self, option: str, asset: str) -> Path:
        """The ``option=PATH`` file when given (it must exist), else the verified asset."""
        from vfebench import assets

        if self.options.get(option):
            p = Path(self.options[option]).expanduser()
            if not p.is_file():
                raise InputError(f"{self.name}: {option} file {p} does not exist (option {option}=...)")
            return p
        return assets.asset_path(asset)

    def setup(self, device: str = "cpu") -> None:
        from vfebench import assets

        trunk_asset, heads_asset = self._ASSETS[self.backbone]
        trunk = self._local_or_asset("trunk", trunk_asset)  # fail fast, before torch
        heads = self._local_or_asset("weights", heads_asset)
        torch = require("torch", purpose="LPIPS")  # torchvision is not needed: the trunk is ours
        from vfebench.metrics.nets.lpips import LPIPSNet

        net = LPIPSNet(self.backbone)
        net.load_weights(assets.load_torch_state_dict(trunk), assets.load_torch_state_dict(heads))
        self._net = net.to(torch.device(device))
        super().setup(device)

    def _to_input(self, frames: np.ndarray):
        from vfebench.metrics.frames import frames_to_tensor

        x = frames_to_tensor(frames, self.device, divide_by=None)
        if self.mode == "bfvr":
            x = x.flip(1)  # RGB -> BGR, as OpenCV decodes
            x = (2.0 * (x.double() / 255.0) - 1.0).float()
            return (x - 0.5) / 0.5
        return x / 127.5 - 1.0

    def score_frames(self, pred: np.ndarray, gt: np.ndarray | None) -> np.ndarray:
        import torch

        with torch.inference_mode(), reduced_precision.autocast(self.device, self.options.get("dtype")):
            d = self._net(self._to_input(pred), self._to_input(gt))
        return d.double().cpu().numpy()

    def score_clip(self, pred: Clip, gt: Clip | None, ctx: ScoreContext) -> ClipResult:
        if self.mode == "bfvr" and ctx.max_frames is None:
            from dataclasses import replace

            ctx = replace(ctx, max_frames=BFVR_FRAMES)
        return super().score_clip(pred, gt, ctx)


class LPIPSVGG(LPIPS):
    """LPIPS v0.1 with the VGG16 trunk (``lpips_vgg``)."""

    name: ClassVar[str] = "lpips_vgg"
    display: ClassVar[str] = "LPIPS-VGG"
    assets: ClassVar[tuple[str, ...]] = ("tv_vgg16", "lpips_vgg_v01")
    net: ClassVar[str] = "vgg"
    description: ClassVar[str] = (
        "LPIPS v0.1 VGG16, RGB in [-1,1] (lpips 0.1.4); bfvr: BFVR-STC BGR/[-3,1]/24f"
    )
