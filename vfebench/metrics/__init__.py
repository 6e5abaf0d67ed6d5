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
        "ids_dlib_vr": "vfebench.metrics.ids_dlib:IDSDlibVR",
        "akd": "vfebench.metrics.akd:AKD",
        "tlme": "vfebench.metrics.tlme:TLME",
        "tlme_ref": "vfebench.metrics.tlme:TLMERef",
        "facecons": "vfebench.metrics.facecons:FaceCons",
        "fastervqa": "vfebench.metrics.fastervqa:FasterVQA",
        "fvd": "vfebench.metrics.fvd:FVD",
    },
    hint="vfebench ls metrics",
    group="vfebench.metrics",
    base="vfebench.metrics.base:Metric",
)


def available_metric_names() -> list[str]:
    """Registered metrics whose module exists in this checkout."""
    import importlib.util

    out = []
    for n in METRICS.names():
        target = METRICS.target(n)
        if target.startswith("<object "):  # registered as an object (a plugin): always available
            out.append(n)
            continue
        mod = target.split(":")[0]
        if importlib.util.find_spec(mod) is not None:
            out.append(n)
    return out


def parse_metric_spec(spec: str) -> tuple[str, str, dict[str, Any]]:
    """``NAME`` | ``NAME:MODE`` | ``NAME[:MODE]:key=value,key=value`` → ``(name, mode, options)``.

    Options use the method spec's syntax (``--method NAME:key=value,...``); values are parsed as
    JSON when possible (``window=16`` → int), else kept as strings (``backend=insightface``).
    Only the first two colons are structural, so an option value may contain ``:``.
    Examples: ``ids:backend=insightface``, ``fvd:dataset:window=10,eps=1e-6``.
    """
    import json

    from vfebench.errors import InputError

    name, _, rest = spec.strip().partition(":")
    mode, _, opt_text = rest.partition(":")
    if "=" in mode:  # no mode, options only
        mode, opt_text = "", rest
    options: dict[str, Any] = {}
    for item in opt_text.split(",") if opt_text else []:
        k, eq, v = item.partition("=")
        if not eq or not k.strip():
            raise InputError(f"metric spec {spec!r}: bad option {item!r} (expected key=value)")
        try:
            options[k.strip()] = json.loads(v.strip())
        except ValueError:
            options[k.strip()] = v.strip()
    return name.strip(), mode.strip(), options


def split_metric_specs(text: str) -> list[str]:
    """Split a comma-separated ``--metrics`` list, keeping ``key=value`` options with their metric.

    ``"psnr,ids:backend=insightface,fvd:dataset:window=10,eps=1e-6"`` →
    ``["psnr", "ids:backend=insightface", "fvd:dataset:window=10,eps=1e-6"]``: a piece whose text
    before its first ``:`` holds ``=`` is another option of the previous spec.
    """
    out: list[str] = []
    for piece in str(text).split(","):
        piece = piece.strip()
        if not piece:
            continue
        if out and "=" in piece.partition(":")[0] and "=" in out[-1]:
            out[-1] += "," + piece
        else:
            out.append(piece)
    return out


def build_metric(spec: str, **options: Any):
    """Instantiate ``"name"``, ``"name:mode"`` (e.g. ``"fvd:dataset"``) or a spec with options
    (``"ids:backend=insightface"``, see :func:`parse_metric_spec`); keyword options win."""
    name, mode, opts = parse_metric_spec(spec)
    cls = METRICS.get(name)
    opts.update(options)
    return cls(mode=mode, **opts) if mode else cls(**opts)
