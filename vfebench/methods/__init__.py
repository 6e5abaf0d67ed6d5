"""Method registry (lazy). Baseline adapters live in the top-level ``baselines`` package."""

from __future__ import annotations

from typing import Any

from vfebench.registry import Registry

METHODS: Registry[Any] = Registry(
    "method",
    {
        "identity": "vfebench.methods.trivial:Identity",
        "bicubic": "vfebench.methods.trivial:Bicubic",
        "lanczos": "vfebench.methods.trivial:Lanczos",
        "vividface": "vividface.method:VividFaceMethod",
    },
    hint="vfebench ls methods",
)


def build_method(name: str, **config: Any):
    return METHODS.get(name)(**config)
