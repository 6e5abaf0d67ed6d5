"""Metric registry (lazy): ``METRICS.get("psnr")`` imports only that metric's module.

Each entry maps a metric name to ``"module:Class"``; see :mod:`vfebench.metrics.base` for the
interface. ``vfebench ls metrics`` lists them with direction, kind, extra and weights.
"""

from __future__ import annotations

from typing import Any

from vfebench.registry import Registry

METRICS: Registry[Any] = Registry(
    "metric",
    {
        "psnr": "vfebench.metrics.psnr:PSNR",
        "ssim": "vfebench.metrics.ssim:SSIM",
        "lpips": "vfebench.metrics.lpips:LPIPS",
        "lpips_vgg": "vfebench.metrics.lpips:LPIPSVGG",
        "niqe": "vfebench.metrics.niqe:NIQE",
        "musiq": "vfebench.metrics.musiq:MUSIQ",
        "clipiqa": "vfebench.metrics.clipiqa:CLIPIQA",
        "ids": "vfebench.metrics.ids:IDS",
        "ids_dlib": "vfebench.metrics.ids_dlib:IDSDlib",
        "akd": "vfebench.metrics.akd:AKD",
        "tlme": "vfebench.metrics.tlme:TLME",
        "tlme_ref": "vfebench.metrics.tlme:TLMERef",
        "facecons": "vfebench.metrics.facecons:FaceCons",
        "fastervqa": "vfebench.metrics.fastervqa:FasterVQA",
        "fvd": "vfebench.metrics.fvd:FVD",
    },
    hint="vfebench ls metrics",
)


def available_metric_names() -> list[str]:
    """Registered metrics whose module exists in this checkout."""
    import importlib.util

    out = []
    for n in METRICS.names():
        mod = METRICS.target(n).split(":")[0]
        if importlib.util.find_spec(mod) is not None:
            out.append(n)
    return out


def build_metric(spec: str, **options: Any):
    """Instantiate ``"name"`` or ``"name:mode"`` (e.g. ``"fvd:dataset"``)."""
    name, _, mode = spec.partition(":")
    cls = METRICS.get(name)
    return cls(mode=mode, **options) if mode else cls(**options)
