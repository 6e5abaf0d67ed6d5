"""Every baseline adapter's command line against the recorded CLI summary of its real repository.

``tests/data/baseline_cli/<module>.json`` is written by reading the method's repository at the
commit it names (its entry point's argparse, the files the command relies on); see TEAM notes /
``docs/baselines.md`` for the format. For each module of the ``baselines`` package the adapter's
argv is built with dummy paths (a fake, empty checkout; nothing is run) and must agree with the
summary: same pinned commit and entry point, only flags the entry point defines, every required
flag present, every recorded repository file named by the adapter. A module without a summary
fails: an adapter nobody checked against its repository is not "done".
"""

from __future__ import annotations

import json
import pkgutil
import re
from importlib import import_module
from pathlib import Path

import numpy as np
import pytest

import baselines
from baselines.base import ExternalMethod
from vfebench.video import Clip

DATA = Path(__file__).resolve().parents[1] / "data" / "baseline_cli"
MODULES = sorted(
    m.name
    for m in pkgutil.iter_modules(baselines.__path__)
    if not m.ispkg and m.name not in ("base", "__init__")
)
OPTION = re.compile(r"^--?[A-Za-z]")
HEX40 = re.compile(r"^[0-9a-f]{40}$")


def _adapter(module: str) -> type[ExternalMethod]:
    mod = import_module(f"baselines.{module}")
    found = [
        c
        for c in vars(mod).values()
        if isinstance(c, type) and issubclass(c, ExternalMethod) and c.__module__ == mod.__name__
    ]
    assert len(found) == 1, f"baselines/{module}.py should define exactly one adapter, found {found}"
    return found[0]


def _summary(module: str) -> dict:
    p = DATA / f"{module}.json"
    assert p.is_file(), (
        f"no CLI summary {p.relative_to(DATA.parents[1])}: read the real repository at its HEAD "
        f"(fetch + git show) and record it (format: docs/baselines.md)"
    )
    return json.loads(p.read_text())


def _argv(cls: type[ExternalMethod], tmp_path: Path) -> list[str]:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    m = cls(repo=str(checkout), python="/env/bin/python")
    lq = Clip("clip-01", np.zeros((3, 32, 32, 3), np.uint8), 25.0)
    inp = tmp_path / "input" / ("clip-01.mp4" if cls.input_kind == "video" else "clip-01")
    return m.command(inp, tmp_path / "output", lq)


def test_modules_are_listed_from_the_package():
    assert len(MODULES) == 13 and "basicvsrpp" in MODULES and "base" not in MODULES


@pytest.mark.parametrize("module", MODULES)
def test_summary_is_well_formed(module):
    s = _summary(module)
    assert s["module"] == module
    assert HEX40.match(s["commit"]), f"{module}: commit must be 40 hex, got {s['commit']!r}"
    for key in ("repo", "entry_point", "flags", "required_flags", "files", "read_from", "notes"):
        assert key in s, f"{module}.json: missing {key!r}"
    assert s["entry_point"] in s["read_from"] and set(s["required_flags"]) <= set(s["flags"])
    assert all(OPTION.match(f) for f in s["flags"]), f"{module}: flags must be option strings"


@pytest.mark.parametrize("module", MODULES)
def test_adapter_matches_the_recorded_cli(module, tmp_path):
    s = _summary(module)
    cls = _adapter(module)
    assert cls.repo_url == s["repo"], f"{module}: repo_url {cls.repo_url!r} != summary {s['repo']!r}"
    assert cls.pinned_commit == s["commit"], (
        f"{module}: pinned_commit {cls.pinned_commit!r} != {s['commit']!r}"
    )
    assert cls.entry_point == s["entry_point"]
    argv = _argv(cls, tmp_path)
    assert all(isinstance(a, str) for a in argv), argv
    assert cls.entry_point in argv, f"{module}: entry point {cls.entry_point!r} not in {argv}"
    tail = argv[argv.index(cls.entry_point) + 1 :]  # the entry point's own arguments
    options = [a.split("=", 1)[0] for a in tail if OPTION.match(a)]
    unknown = [o for o in options if o not in s["flags"]]
    assert not unknown, f"{module}: {unknown} are not flags of {cls.entry_point} at {s['commit'][:12]}"
    missing = [f for f in s["required_flags"] if f not in options]
    assert not missing, f"{module}: required flags {missing} not passed"
    setup_tokens = {t for step in cls.env_setup for t in step.split()}  # `pip install -r requirements.txt`
    named = set(tail) | set(cls.checkout_files) | {w.path for w in cls.weights} | setup_tokens
    unnamed = [f for f in s["files"] if f not in named]
    assert not unnamed, (
        f"{module}: repository files {unnamed} are recorded but the adapter does not name them"
    )
    unrecorded = [f for f in cls.checkout_files if f not in s["files"]]
    assert not unrecorded, f"{module}: checkout_files {unrecorded} were not checked against the repository"


@pytest.mark.parametrize("module", MODULES)
def test_adapter_declares_setup(module):
    cls = _adapter(module)
    assert cls.env_setup, f"{module}: no env_setup steps (how is its own environment built?)"
    for w in cls.weights:
        assert not Path(w.path).is_absolute() and ".." not in Path(w.path).parts, w
        assert w.url, w
        assert w.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", w.sha256), w
    assert not Path(cls.entry_point).is_absolute()
