"""The extras map is one table (vfebench.utils.OPTIONAL_MODULES); pyproject agrees with it."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib

from vfebench.utils import EXTRA_MODULES, EXTRA_OF, OPTIONAL_MODULES, missing_modules

ROOT = Path(__file__).resolve().parents[2]


def _extras() -> dict[str, set[str]]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    return {e: {re.split(r"[<>=!~\[; ]", d, maxsplit=1)[0].lower() for d in ds} for e, ds in deps.items()}


def test_pyproject_extras_install_what_the_table_says():
    extras = _extras()
    for mod, o in OPTIONAL_MODULES.items():
        for e in o.extras:
            assert e in extras, f"{mod}: extra {e!r} is not in pyproject"
            assert o.dist.lower() in extras[e], f"pyproject extra {e!r} lacks {o.dist} (for {mod})"


def test_every_metric_extra_is_a_pyproject_extra_with_a_check():
    from vfebench.metrics import METRICS

    extras = _extras()
    for name in METRICS.names():
        e = METRICS.get(name).extra
        if e:
            assert e in extras and EXTRA_MODULES.get(e), (name, e)


def test_derived_maps():
    assert EXTRA_OF["torch"] == "iqa" and EXTRA_OF["facenet_pytorch"] == "face"
    assert EXTRA_MODULES["face"] == ("torch", "facenet_pytorch", "mediapipe")
    assert "onnxruntime" not in EXTRA_MODULES["face"]  # needed by one backend only
    assert missing_modules("no-such-extra") == []
