"""MUSIQ (KonIQ-10k configuration): pyiqa 0.1.16's ``pyiqa.archs.musiq_arch.MUSIQ`` built without
its own loading (``pretrained=False``: pyiqa never downloads) and given a state dict that vfebench
loaded from a verified asset (``weights_only``).

Input of the built module: ``B×3×H×W`` float32 RGB in [0, 1] (the arch maps it to [−1, 1] and
builds its own multi-scale patches); output: ``B×1`` float32 predicted MOS (≈ 0–100).
"""

from __future__ import annotations

from typing import Any

from vfebench.utils import require


def strip_module_prefix(sd: dict[str, Any]) -> dict[str, Any]:
    """``sd`` with a leading ``module.`` (DataParallel) removed from every key; tensors reused."""
    return {(k[7:] if k.startswith("module.") else k): v for k, v in sd.items()}


def build_musiq(state_dict: dict[str, Any]) -> Any:
    """pyiqa's MUSIQ (KonIQ configuration) with ``state_dict`` loaded strictly; eval mode, CPU.

    Needs ``pip install 'vfebench[pyiqa]'``.
    """
    require("pyiqa", extra="pyiqa", purpose="MUSIQ")
    from pyiqa.archs.musiq_arch import MUSIQ as _Arch

    from vfebench.metrics.nets.meta_load import build_loaded

    # built on meta, weights assigned: no random init thrown away (about 1 s on a CPU)
    return build_loaded(
        lambda: _Arch(num_class=1, pretrained=False, pretrained_model_path=None),
        strip_module_prefix(state_dict),
        "MUSIQ weights",
        may_miss=(),
    )
