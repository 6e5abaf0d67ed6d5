"""Dataset registry and ``--dataset`` spec parsing.

A dataset spec is ``NAME`` (``demo``), ``NAME:PATH`` (``vfhq:/data/VFHQ-test``,
``folder:/data/my-hq-clips``, ``rfv:/data/RFV-LQ``) or a bare existing path (treated as
``folder:PATH``). Options follow in the one spec grammar (:mod:`vfebench.spec`):
``vfhq:/data/VFHQ-test:lq=LQ`` or ``demo:num_clips=2,num_frames=9,size=64``; the older
``demo,num_clips=2`` / ``vfhq:/data/VFHQ-test,lq=LQ`` spelling still reads the same.
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
    """Build a Source from a dataset spec (see module docstring); keyword options win over the
    spec's. An unknown dataset or option is an InputError with a did-you-mean."""
    from vfebench.spec import check_options, parse_spec, signature_options

    text = str(spec).strip()
    if text not in DATASETS and ":" not in text and "," not in text and Path(text).exists():
        text = f"folder:{text}"  # a bare existing path
    s = parse_spec(text, "dataset")
    cls = DATASETS.get(s.name)
    opts = {**s.options, **options}
    if s.mode:
        opts["root"] = s.mode
    known = signature_options(cls)
    if known is not None:
        check_options(f"dataset {s.name!r}", opts, known, "vfebench ls datasets")
    try:
        return cls(**opts)
    except TypeError as exc:
        raise InputError(f"dataset {s.name!r}: bad options {opts} ({exc})") from exc
