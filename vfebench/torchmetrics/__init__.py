"""torchmetrics objects for every vfebench metric, for training and validation loops.

``pip install 'vfebench[torchmetrics]'`` (plus the metric's own extra, e.g. ``[face]`` for IDS/AKD).
One ``torchmetrics.Metric`` subclass per registered metric, named like the vfebench class and
generated from the registry (:data:`vfebench.metrics.METRICS`), so a metric added there gets one
too::

    from vfebench.torchmetrics import AKD, IDS, LPIPS, build

    lpips, ids, akd = LPIPS(), IDS(), AKD()
    fvd = build("fvd:dataset:window=16")      # any `vfebench score --metrics` spec
    for restored, gt in loader:                # B×T×3×H×W, float in [0, 1] or uint8
        for m in (lpips, ids, akd, fvd):
            m.update(restored, gt)
    lpips.compute()                            # == `vfebench score ... --metrics lpips` mean

Input (documented once, :mod:`vfebench.torchmetrics.inputs`): ``B×T×3×H×W`` uint8 0..255 or
float in ``[0, 1]`` (rounded to 8 bits like the CLI's frames). No-reference metrics (NIQE,
MUSIQ, CLIP-IQA, FasterVQA, TLME, FaceCons) take ``update(preds)``.

Each class wraps the vfebench metric itself (:class:`~vfebench.torchmetrics.base.VFEBenchMetric`):
states are the per-clip values (list states, ``dist_reduce_fx="cat"``) or, for ``fvd:dataset``,
the window-feature sums (``"sum"``), so ``compute()`` equals ``vfebench score`` on the same clips
on one process or under DDP. Class attributes follow torchmetrics: ``higher_is_better`` (from
the vfebench metric), ``is_differentiable = False``, ``full_state_update = False``,
``plot_lower_bound`` / ``plot_upper_bound`` (the value range, raw units: the metric class's ``value_range``).
"""

from __future__ import annotations

from typing import Any

from vfebench.utils import require

require("torchmetrics", "torchmetrics", "vfebench.torchmetrics")

from vfebench.torchmetrics.base import VFEBenchMetric  # noqa: E402

#: raw-value range ``(lower, upper)`` per registered metric (None = unbounded), as torchmetrics'
#: plot bounds; read from each metric class's ``value_range`` (derived, not a second table)
VALUE_RANGES: dict[str, tuple[float | None, float | None]] = {}

_CLASSES: dict[str, type[VFEBenchMetric]] = {}


def _class_name(name: str) -> str:
    """The vfebench class name of registered metric ``name``, from its ``"module:Class"`` target
    (nothing imported), or from the class itself when an object was registered."""
    from vfebench.metrics import METRICS

    target = METRICS.target(name)
    if ":" in target and not target.startswith("<"):
        return target.rpartition(":")[2]
    return METRICS.get(name).__name__


def _class_names() -> dict[str, str]:
    """``{class name: registry name}`` of every registered metric."""
    from vfebench.metrics import METRICS

    return {_class_name(n): n for n in METRICS.names()}


def metric_class(name: str) -> type[VFEBenchMetric]:
    """The torchmetrics class of registered metric ``name`` (e.g. ``"lpips"`` → ``LPIPS``)."""
    from vfebench.metrics import METRICS

    if name in _CLASSES:
        return _CLASSES[name]
    vcls = METRICS.get(name)  # raises UnknownNameError with a did-you-mean
    lo, hi = VALUE_RANGES.setdefault(name, tuple(getattr(vcls, "value_range", (None, None))))
    cls_name = _class_name(name)
    doc = (
        f"torchmetrics face of vfebench's ``{name}`` ({vcls.display or name}): "
        f"{vcls.description or vcls.__doc__ or ''}\n\n"
        f"Wraps :class:`{vcls.__module__}.{vcls.__qualname__}`; see "
        ":class:`vfebench.torchmetrics.base.VFEBenchMetric` for the arguments and "
        ":mod:`vfebench.torchmetrics.inputs` for the ``B×T×3×H×W`` input."
    )
    cls = type(
        cls_name,
        (VFEBenchMetric,),
        {
            "__doc__": doc,
            "__module__": __name__,
            "__qualname__": cls_name,
            "vfe_name": name,
            "higher_is_better": bool(vcls.higher_is_better),
            "needs_reference": bool(vcls.needs_reference),
            "plot_lower_bound": lo,
            "plot_upper_bound": hi,
            "plot_legend_name": vcls.display or name,
        },
    )
    _CLASSES[name] = cls
    return cls


def build(spec: str, **kwargs: Any) -> VFEBenchMetric:
    """A metric from a ``vfebench score --metrics`` spec (``"ids:backend=insightface"``,
    ``"fvd:dataset:window=16"``); keyword arguments (options, ``max_frames``, ``seed``,
    ``features``, torchmetrics arguments) win over the spec's options."""
    from vfebench.metrics import parse_metric_spec

    name, mode, opts = parse_metric_spec(spec)
    opts.update(kwargs)
    return metric_class(name)(mode or None, **opts)


def __getattr__(attr: str) -> type[VFEBenchMetric]:
    names = _class_names()
    if attr in names:
        return metric_class(names[attr])
    raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_class_names()])


__all__ = ["VALUE_RANGES", "VFEBenchMetric", "build", "metric_class", *sorted(_class_names())]
