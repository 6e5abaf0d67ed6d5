"""Dataset registry and ``--dataset`` spec parsing.

A dataset spec is ``NAME`` (``demo``), ``NAME:PATH`` (``vfhq:/data/VFHQ-test``,
``folder:/data/RFV-LQ``) or a bare existing path (treated as ``folder:PATH``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vfebench.errors import InputError
from vfebench.registry import Registry

DATASETS: Registry[Any] = Registry(
    "dataset",
    {
        "demo": "vfebench.datasets.demo:DemoSource",
        "vfhq": "vfebench.datasets.vfhq:VFHQSource",
        "folder": "vfebench.datasets.folder:FolderSource",
    },
    hint="vfebench ls datasets",
)


def build_source(spec: str, **options: Any):
    """Build a Source from a dataset spec (see module docstring)."""
    name, sep, path = spec.partition(":")
    if not sep and name not in DATASETS and Path(spec).exists():
        name, path = "folder", spec
    cls = DATASETS.get(name)
    if path:
        options["root"] = path
    try:
        return cls(**options)
    except TypeError as exc:
        raise InputError(f"dataset {name!r}: bad options {options} ({exc})") from exc
