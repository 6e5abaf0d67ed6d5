"""ArcFace IR-SE50: the identity network of IDS (definition and weight loader).

The network is the IR-SE ResNet used by BFVR-STC's ``eval_ids.py`` for IDS (TreB1eN/
InsightFace_Pytorch ``model.py`` ``Backbone(50, 0.6, 'ir_se')``; the same layout and parameter
names as pSp's ``models/encoders/model_irse.py``), written from its description so that the
published ``model_ir_se50.pth`` state dict loads unchanged:

- stem: 3×3 conv (64) → BN → PReLU;
- body: bottleneck units (BN → 3×3 conv → PReLU → 3×3 conv(stride) → BN → squeeze-excitation
  with reduction 16) with a max-pool(1, stride) or 1×1 conv+BN shortcut; 3/4/14/3 units of
  64/128/256/512 channels, the first unit of each stage with stride 2;
- head: BN2d → dropout → flatten → linear(512·7·7 → 512) → BN1d, then L2 normalisation.

Input: ``B×3×112×112`` float32 RGB in [−1, 1] (``(x/255 − 0.5)/0.5``, made by
:func:`vfebench.metrics.features.arcface.to_arcface_input` from the aligned faces). Output:
``B×512`` unit-norm float32 embeddings. Convolutions run channels-last
(:mod:`vfebench.metrics.nets.layout`; equal within float32 rounding, 1.9e-7 measured).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from vfebench.errors import InputError
from vfebench.metrics.nets.layout import convs_channels_last, nhwc

IR_SE50_WIDTHS = (64, 128, 256, 512)
IR_SE50_UNITS = (3, 4, 14, 3)


class SqueezeExcite(nn.Module):
    """Channel gate ``x · σ(W₂ ReLU(W₁ avgpool(x)))`` with reduction ``r`` (no biases)."""

    def __init__(self, c: int, r: int = 16) -> None:
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(c, max(1, c // r), 1, bias=False)
        self.relu = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(max(1, c // r), c, 1, bias=False)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``B×C×H×W`` → the same shape, each channel scaled by its gate in (0, 1)."""
        return x * self.sigmoid(self.fc2(self.relu(self.fc1(self.avg_pool(x)))))


class BottleneckIRSE(nn.Module):
    """One IR-SE unit: ``res_layer(x) + shortcut_layer(x)`` (``B×cin×H×W`` → ``B×cout×H/s×W/s``)."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.shortcut_layer: nn.Module
        if cin == cout:
            self.shortcut_layer = nn.MaxPool2d(1, stride)
        else:
            self.shortcut_layer = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
            )
        self.res_layer = nn.Sequential(
            nn.BatchNorm2d(cin),
            nn.Conv2d(cin, cout, 3, 1, 1, bias=False),
            nn.PReLU(cout),
            nn.Conv2d(cout, cout, 3, stride, 1, bias=False),
            nn.BatchNorm2d(cout),
            SqueezeExcite(cout, 16),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``B×cin×H×W`` → ``B×cout×H'×W'`` with ``H' = ⌈H/stride⌉``, ``W' = ⌈W/stride⌉``."""
        return self.res_layer(x) + self.shortcut_layer(x)


class IRSE(nn.Module):
    """The IR-SE backbone: ``B×3×112×112`` float32 in [−1, 1] → ``B×512`` unit-norm float32."""

    def __init__(self, widths: Sequence[int], units: Sequence[int], drop: float = 0.6) -> None:
        super().__init__()
        self.input_layer = nn.Sequential(
            nn.Conv2d(3, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.PReLU(widths[0])
        )
        mods = []
        cin = widths[0]
        for w, n in zip(widths, units):
            for k in range(n):
                mods.append(BottleneckIRSE(cin, w, 2 if k == 0 else 1))
                cin = w
        self.body = nn.Sequential(*mods)
        self.output_layer = nn.Sequential(
            nn.BatchNorm2d(cin),
            nn.Dropout(drop),
            nn.Flatten(),
            nn.Linear(cin * 7 * 7, 512),
            nn.BatchNorm1d(512),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``B×3×112×112`` float in [−1, 1] → ``B×512`` embeddings of L2 norm 1 (the head's
        linear layer expects 7×7 after the 4 stages, so other input sizes fail in it)."""
        x = self.output_layer(self.body(self.input_layer(nhwc(x))))
        return torch.nn.functional.normalize(x, p=2, dim=1)


def build_ir_se(
    widths: Sequence[int] = IR_SE50_WIDTHS, units: Sequence[int] = IR_SE50_UNITS, drop: float = 0.6
) -> IRSE:
    """The IR-SE network (IR-SE50 by default) as a ``torch.nn.Module`` (random init, train mode).

    ``widths``/``units``: channels and unit count per stage (4 stages, each halving the side, so a
    112×112 input leaves 7×7 before the head). Input/output as :class:`IRSE`.
    """
    return IRSE(widths, units, drop)


def infer_ir_se_arch(sd: dict[str, Any]) -> tuple[list[int], list[int]]:
    """Stage widths and unit counts from an IR-SE state dict (so small test nets load too).

    Raises :class:`~vfebench.errors.InputError` when ``sd`` has no IR-SE keys.
    """
    idx = sorted({int(k.split(".")[1]) for k in sd if k.startswith("body.")})
    if not idx or "input_layer.0.weight" not in sd:
        raise InputError("not an IR-SE state dict (no input_layer.0.weight / body.* keys)")
    widths: list[int] = []
    units: list[int] = []
    for i in idx:
        w = int(sd[f"body.{i}.res_layer.1.weight"].shape[0])
        # a stage starts with the first unit or with a 1×1-conv shortcut (channel change); the
        # first stage keeps the stem's width and uses a max-pool shortcut
        if not widths or f"body.{i}.shortcut_layer.0.weight" in sd:
            widths.append(w)
            units.append(1)
        else:
            units[-1] += 1
    return widths, units


def load_ir_se(path: str | os.PathLike, device: str = "cpu") -> IRSE:
    """Load an IR-SE state dict (``model_ir_se50.pth`` layout) into :func:`build_ir_se`; eval mode.

    Loads with ``weights_only=True`` (or safetensors). Stage widths/units are read from the
    state dict, so the real IR-SE50 and tiny test networks go through the same code. Raises
    :class:`~vfebench.errors.InputError` naming ``path`` when keys are missing or unexpected.
    """
    from vfebench.assets import load_torch_state_dict

    sd = load_torch_state_dict(path)
    if isinstance(sd, dict) and "state_dict" in sd and isinstance(sd["state_dict"], dict):
        sd = sd["state_dict"]
    sd = {k.removeprefix("module."): v for k, v in sd.items()}
    widths, units = infer_ir_se_arch(sd)
    from vfebench.metrics.nets.meta_load import build_loaded

    try:  # built on meta, weights assigned: no random init of 44 M parameters thrown away
        net = build_loaded(lambda: build_ir_se(widths, units), sd, f"{path}")
    except InputError as exc:
        raise InputError(
            f"{exc}; not an IR-SE50 state dict (expected TreB1eN/pSp model_ir_se50.pth)"
        ) from None
    return convs_channels_last(net).to(device)
