"""Deterministic synthetic degradation: presets ``vfhq-x4``, ``keep``, ``dicface``.

``build_preset(name).apply(clip, seed) -> (lq_clip, params)`` depends only on (preset, preset
version, clip id, seed). :func:`vfebench.degrade.lq.materialize` writes / reuses a cached LQ set.
"""

from __future__ import annotations

from typing import Any

from vfebench.registry import Registry

PRESETS: Registry[Any] = Registry(
    "degradation preset",
    {
        "vfhq-x4": "vfebench.degrade.presets:VFHQx4",
        "keep": "vfebench.degrade.presets:KEEP",
        "dicface": "vfebench.degrade.presets:DicFace",
    },
    hint="vfebench ls presets",
)


def build_preset(name: str):
    return PRESETS.get(name)()
