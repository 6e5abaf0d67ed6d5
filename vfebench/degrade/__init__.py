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


def build_preset(spec: str):
    """A preset from its spec (:mod:`vfebench.spec`): ``NAME`` or ``NAME:key=value,...`` with the
    preset class's keyword options (the shipped presets take none: their parameters are the
    versioned protocol)."""
    from vfebench.errors import InputError
    from vfebench.spec import check_options, parse_spec, signature_options

    s = parse_spec(spec, "preset")
    cls = PRESETS.get(s.name)
    if s.mode:
        raise InputError(f"preset spec {spec!r}: presets have no mode (write {s.name!r})")
    known = signature_options(cls)
    if known is not None:
        check_options(f"preset {s.name!r}", s.options, known, "vfebench ls presets")
    return cls(**s.options)
