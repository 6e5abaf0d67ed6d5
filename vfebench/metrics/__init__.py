"""Metric registry (lazy): ``METRICS.get("psnr")`` imports only that metric's module.

Each entry maps a metric name to ``"module:Class"``; see :mod:`vfebench.metrics.base` for the
interface. ``vfebench ls metrics`` lists them with direction, kind, extra and weights.
"""

from __future__ import annotations

from typing import Any

from vfebench.registry import Registry
from vfebench.spec import Spec, parse_spec, split_specs

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
        "tlp": "vfebench.metrics.tlp:TLP",
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
    """``NAME`` | ``NAME:MODE`` | ``NAME[:MODE]:key=value,...`` → ``(name, mode, options)``.

    The one spec grammar and value parser of :mod:`vfebench.spec` (values are JSON when they
    parse: ``window=16`` → int, else text: ``backend=insightface``). Examples:
    ``ids:backend=insightface``, ``fvd:dataset:window=10,eps=1e-6``.
    """
    s = _checked(parse_spec(spec, "metric"))
    return s.name, s.mode, dict(s.options)


def _checked(s: Spec) -> Spec:
    """A metric spec has at most one ``:MODE`` (``fvd:dataset:window`` lacks ``=VALUE``)."""
    if ":" in s.mode:
        from vfebench.errors import InputError

        extra = s.mode.partition(":")[2]
        raise InputError(
            f"metric spec {s.text!r}: {extra!r} is not an option (expected key=value: "
            "NAME[:MODE][:key=value,...])"
        )
    return s


def split_metric_specs(text: str) -> list[str]:
    """The spec texts of a comma-separated ``--metrics`` list (see :func:`vfebench.spec.split_specs`):
    ``"psnr,ids:backend=insightface,fvd:dataset:window=10,eps=1e-6"`` →
    ``["psnr", "ids:backend=insightface", "fvd:dataset:window=10,eps=1e-6"]``."""
    return [s.text for s in split_specs(text, "metric")]


def build_metric(spec: str | Spec, **options: Any):
    """Instantiate ``"name"``, ``"name:mode"`` (e.g. ``"fvd:dataset"``), a spec with options
    (``"ids:backend=insightface"``) or an already parsed :class:`~vfebench.spec.Spec`; keyword
    options win. Unknown names, modes and options raise with a did-you-mean."""
    s = _checked(spec if isinstance(spec, Spec) else parse_spec(spec, "metric"))
    cls = METRICS.get(s.name)
    opts = {**s.options, **options}
    return cls(mode=s.mode, **opts) if s.mode else cls(**opts)
