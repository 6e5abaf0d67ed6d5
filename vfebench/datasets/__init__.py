"""Dataset registry and ``--dataset`` spec parsing.

A dataset spec is ``NAME`` (``demo``), ``NAME:PATH`` (``vfhq:/data/VFHQ-test``,
``folder:/data/my-hq-clips``, ``rfv:/data/RFV-LQ``) or a bare existing path (treated as
``folder:PATH``). Extra options follow as ``,key=value`` pairs:
``vfhq:/data/VFHQ-test,lq=LQ`` or ``demo,num_clips=2,num_frames=9,size=64``.
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
        "rfv": "vfebench.datasets.folder:RealLQSource",
    },
    hint="vfebench ls datasets",
    group="vfebench.datasets",
    base="vfebench.datasets.base:Source",
)


def build_source(spec: str, **options: Any):
    """Build a Source from a dataset spec (see module docstring)."""
    head, *opts = spec.split(",")
    for o in opts:
        k, eq, v = o.partition("=")
        if not eq:
            raise InputError(f"dataset spec {spec!r}: option {o!r} must be key=value")
        options.setdefault(k.strip(), int(v) if v.strip().isdigit() else v.strip())
    name, sep, path = head.partition(":")
    if not sep and name not in DATASETS and Path(head).exists():
        name, path = "folder", head
    cls = DATASETS.get(name)
    if path:
        options["root"] = path
    try:
        return cls(**options)
    except TypeError as exc:
        raise InputError(f"dataset {name!r}: bad options {options} ({exc})") from exc
