"""Opt-in reduced precision for network metrics: metric option ``dtype=bf16`` or ``dtype=fp16``.

``lpips``, ``lpips_vgg``, ``musiq``, ``ids`` (IR-SE50 backend) and ``facecons`` accept the metric
option ``dtype`` (``fp32`` default, ``bf16``, ``fp16``; named ``dtype`` because a metric's
``precision`` class attribute already means the decimals shown in reports); the network forward then runs under
``torch.autocast`` with that dtype (meant for GPUs; bf16 autocast also runs on CPU, where it is
usually slower and only useful to measure the deviation). The option is part of the metric's
options, hence of its identity, cache key and record fingerprint, so a reduced-precision score
is never compared with or served as an fp32 one; the face features computed under it are stored
under their own feature version. ``dtype=fp32`` is normalised away (same identity as no
option). Measured deviations from fp32 are in ``docs/reduced_precision.md``.
"""

from __future__ import annotations

import contextlib
from typing import Any

from vfebench.errors import InputError

PRECISIONS = ("fp32", "bf16", "fp16")
OPTION_DOC = {"dtype": "network arithmetic: fp32 (default), bf16 or fp16 autocast (GPU; recorded)"}


def normalise_precision(options: dict[str, Any], metric: str) -> None:
    """Validate ``options['dtype']`` in place; drop it when it is the default fp32."""
    p = options.get("dtype")
    if p is None:
        return
    p = str(p).lower()
    if p not in PRECISIONS:
        raise InputError(
            f"{metric}: dtype must be one of {', '.join(PRECISIONS)}, got {options['dtype']!r} (e.g. dtype=bf16)"
        )
    if p == "fp32":
        del options["dtype"]
    else:
        options["dtype"] = p


def autocast(device: str, precision: str | None):
    """``torch.autocast`` for ``precision`` on ``device`` (a no-op context for fp32/None)."""
    if precision in (None, "fp32"):
        return contextlib.nullcontext()
    import torch

    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type=str(device).split(":")[0], dtype=dtype)


def tag(precision: str | None) -> str:
    """Suffix of a stored feature's version for ``precision`` ("" for fp32)."""
    return "" if precision in (None, "fp32") else f"-{precision}"
