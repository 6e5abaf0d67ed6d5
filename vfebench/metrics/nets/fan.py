"""FAN (2DFAN-4) landmark network for AKD's ``fan68`` backend: the weight loader.

The network *definition* is the pinned ``face-alignment`` package's ``face_alignment.models.FAN``
(1adrianb/face-alignment 1.5.0); this module builds it and loads the weights
``2DFAN4-11f355bf06.pth.tar`` from our asset cache with ``weights_only=True`` — the package's own
constructor would download them. The per-face crop and heat-map decoding that use it are
:mod:`vfebench.metrics.features.fan`.

Input of the loaded module: ``B×3×256×256`` float32 RGB in [0, 1]; output: the hour-glass
heat-maps (a list, the last is used), each ``B×68×64×64`` float32.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from vfebench.errors import InputError
from vfebench.utils import require


def fan_stacks(state: dict[str, Any]) -> int:
    """Number of hour-glass stacks in a FAN state dict (2DFAN-4 has 4).

    Raises :class:`~vfebench.errors.InputError` when ``state`` has no ``m<i>.`` keys.
    """
    idx = [int(m.group(1)) for k in state for m in [re.match(r"m(\d+)\.", k)] if m]
    if not idx:
        raise InputError("not a FAN state dict: no 'm<i>.' hour-glass keys found")
    return max(idx) + 1


def load_fan(path: str | Path, device: str = "cpu") -> Any:
    """Build ``face_alignment.models.FAN`` and load a plain-tensor state dict (no unpickling).

    Loaded strictly (a wrong file fails with torch's key listing); eval mode on ``device``.
    Needs ``pip install 'vfebench[face]'`` (face-alignment).
    """
    require("face_alignment", "face", "AKD fan68 backend")
    from face_alignment.models import FAN

    from vfebench.assets import load_torch_state_dict

    state = load_torch_state_dict(path)
    if "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    net = FAN(fan_stacks(state))
    net.load_state_dict(state, strict=True)
    return net.to(device).eval()
