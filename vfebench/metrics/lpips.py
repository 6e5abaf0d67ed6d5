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

from vfebench.assets import Asset
from vfebench.errors import InputError
from vfebench.metrics import reduced_precision
from vfebench.metrics.base import ClipResult, FrameMetric, PaperColumn, ScoreContext
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
    value_range: ClassVar[tuple[float | None, float | None]] = (0.0, None)
    higher_is_better: ClassVar[bool] = False
    needs_reference: ClassVar[bool] = True
    version: ClassVar[str] = "1"
    extra: ClassVar[str] = "iqa"
    assets: ClassVar[tuple[str, ...]] = ("tv_alexnet", "lpips_alex_v01")
    modes: ClassVar[tuple[str, ...]] = ("clean", "bfvr")
    precision: ClassVar[int] = 4
    paper: ClassVar[tuple[PaperColumn, ...]] = (
        PaperColumn("table1", "Quality and Fidelity", 3),
        PaperColumn("table3", None, 3, precision=3),
    )
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
        self._net: Any = None  # built on first use

    @property
    def backbone(self) -> str:
        """The trunk actually used: ``vgg`` in mode ``bfvr`` (whatever the metric name), else the metric's
        own."""
        return "vgg" if self.mode == "bfvr" else self.net

    def required_assets(self) -> tuple[str, ...]:
        """The trunk and linear-head assets not replaced by local ``trunk=`` / ``weights=`` files."""
        trunk, heads = self._ASSETS[self.backbone]
        return tuple(a for a, opt in ((trunk, "trunk"), (heads, "weights")) if not self.options.get(opt))

    def identity(self) -> dict[str, Any]:
        """The base identity plus ``trunk_sha256`` when a local ``trunk=`` file is given."""
        ident = super().identity()
        if self.options.get("trunk"):  # like weights=: a local trunk is recorded by its own hash
            from vfebench.assets import file_sha256

            ident["trunk_sha256"] = file_sha256(self._local_or_asset("trunk", ""))  # must exist
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
        """Load trunk and linear heads (local files or verified assets) into our LPIPS network on
        ``device``."""
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
        """LPIPS distance per frame of uint8 ``B×H×W×3`` RGB ``pred`` / ``gt`` (0..255): float64
        ``(B,)``, 0 for identical frames (lower is better)."""
        import torch

        assert gt is not None  # a reference metric: FrameMetric passes the GT frames

        with torch.inference_mode(), reduced_precision.autocast(self.device, self.options.get("dtype")):
            d = self._net(self._to_input(pred), self._to_input(gt))
        return d.double().cpu().numpy()

    def score_clip(self, pred: Clip, gt: Clip | None, ctx: ScoreContext) -> ClipResult:
        """Mean per-frame LPIPS; mode ``bfvr`` caps the clip at its first 24 frames unless ``max_frames`` is
        set."""
        if self.mode == "bfvr" and ctx.max_frames is None:
            from dataclasses import replace

            ctx = replace(ctx, max_frames=BFVR_FRAMES)
        return super().score_clip(pred, gt, ctx)


class LPIPSVGG(LPIPS):
    """LPIPS v0.1 with the VGG16 trunk (``lpips_vgg``)."""

    name: ClassVar[str] = "lpips_vgg"
    display: ClassVar[str] = "LPIPS-VGG"
    paper: ClassVar[tuple[PaperColumn, ...]] = ()  # not a paper column (LPIPS is AlexNet)
    assets: ClassVar[tuple[str, ...]] = ("tv_vgg16", "lpips_vgg_v01")
    net: ClassVar[str] = "vgg"
    description: ClassVar[str] = (
        "LPIPS v0.1 VGG16, RGB in [-1,1] (lpips 0.1.4); bfvr: BFVR-STC BGR/[-3,1]/24f"
    )


# ----------------------------------------------------------------------------- weights
# The pinned weights this metric needs (collected by vfebench.assets.catalog()).
# ``lpips_alex_v01`` / ``lpips_vgg_v01``: hashed here from the files inside the ``lpips`` 0.1.4
# wheel from PyPI (``lpips/weights/v0.1/{alex,vgg}.pth``), which are the files of
# richzhang/PerceptualSimilarity at the URL below. Users can import them from their own
# ``lpips`` install: ``vfebench assets import $(python -c "import lpips,os;print(os.path.dirname(lpips.__file__))")``.
# ``tv_alexnet`` / ``tv_vgg16``: torchvision names its files by the first 8 hex digits of the
# sha256 (``alexnet-owt-7be5be79``, ``vgg16-397923af``); the full digests and sizes were read in
# several independent public projects that pin these exact files, and they agree with the
# prefixes. Not hashed here.

_LPIPS_GH = "https://github.com/richzhang/PerceptualSimilarity/raw/master/lpips/weights/v0.1"
ASSETS: list[Asset] = [
    Asset(
        name="tv_alexnet",
        filename="alexnet-owt-7be5be79.pth",
        urls=("https://download.pytorch.org/models/alexnet-owt-7be5be79.pth",),
        sha256="7be5be791159472b1fbf3c69796f7cb30dca7ad8466c2df70058c37116cdee02",
        size=244_408_911,
        licence="BSD-3-Clause (torchvision)",
        users=("lpips",),
        notes="torchvision AlexNet IMAGENET1K_V1; full sha256 from public pins, prefix matches file name",
    ),
    Asset(
        name="tv_vgg16",
        filename="vgg16-397923af.pth",
        urls=("https://download.pytorch.org/models/vgg16-397923af.pth",),
        sha256="397923af8e79cdbb6a7127f12361acd7a2f83e06b05044ddf496e83de57a5bf0",
        size=553_433_881,
        licence="BSD-3-Clause (torchvision)",
        users=("lpips_vgg",),
        notes="torchvision VGG16 IMAGENET1K_V1; full sha256 from public pins, prefix matches file name",
    ),
    Asset(
        name="lpips_alex_v01",
        filename="alex.pth",
        urls=(f"{_LPIPS_GH}/alex.pth",),
        sha256="df73285e35b22355a2df87cdb6b70b343713b667eddbda73e1977e0c860835c0",
        size=6009,
        licence="BSD-2-Clause (lpips)",
        users=("lpips",),
        notes="LPIPS v0.1 AlexNet linear heads; hashed here from the lpips 0.1.4 wheel (PyPI)",
    ),
    Asset(
        name="lpips_vgg_v01",
        filename="vgg.pth",
        urls=(f"{_LPIPS_GH}/vgg.pth",),
        sha256="a78928a0af1e5f0fcb1f3b9e8f8c3a2a5a3de244d830ad5c1feddc79b8432868",
        size=7289,
        licence="BSD-2-Clause (lpips)",
        users=("lpips_vgg",),
        notes="LPIPS v0.1 VGG linear heads; hashed here from the lpips 0.1.4 wheel (PyPI)",
    ),
]
