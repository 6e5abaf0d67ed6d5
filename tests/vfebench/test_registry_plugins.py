"""Entry-point plugins: a test-only distribution (a ``*.dist-info`` folder on ``sys.path``).

The plugin package ``vfeplug_demo`` declares one method and one metric in the
``vfebench.methods`` / ``vfebench.metrics`` groups of its ``entry_points.txt``, exactly what
``pip install`` of a package with ``[project.entry-points."vfebench.methods"]`` writes. In a
fresh process both appear in ``vfebench ls`` with the distribution's name as origin, and both
run in ``vfebench run``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from vfebench.errors import InputError
from vfebench.registry import Registry

ROOT = Path(__file__).resolve().parents[2]

PLUGIN = '''
import numpy as np
from vfebench.methods.trivial import Bicubic
from vfebench.metrics.base import FrameMetric


class Darken(Bicubic):
    """Bicubic, then minus ``amount`` (default 10) on every pixel."""

    name = "plug_darken"
    description = "test plugin method"

    def restore(self, lq, target_size=None):
        out = super().restore(lq, target_size)
        a = int(self.config.get("amount", 10))
        return out.with_frames(np.clip(out.frames.astype(np.int16) - a, 0, 255).astype(np.uint8))


class MeanAbs(FrameMetric):
    name = "plug_mae"
    display = "PlugMAE"
    higher_is_better = False

    def score_frames(self, pred, gt):
        return np.abs(pred.astype(np.float64) - gt.astype(np.float64)).mean(axis=(1, 2, 3))


class NotAMethod:
    pass


from vfebench.datasets.demo import DemoSource


class TinyDemo(DemoSource):
    """Two 3-frame 32² demo clips (test plugin dataset)."""

    name = "plug_tiny"

    def __init__(self, **kw):
        super().__init__(**{"num_clips": 2, "num_frames": 3, "size": 32, **kw})
'''


def make_dist(root: Path, extra_entries: str = "") -> Path:
    """Write ``vfeplug_demo`` + ``vfeplug_demo-0.1.dist-info`` under ``root`` (a sys.path entry)."""
    (root / "vfeplug_demo").mkdir(parents=True)
    (root / "vfeplug_demo" / "__init__.py").write_text(PLUGIN)
    info = root / "vfeplug_demo-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: vfeplug-demo\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        textwrap.dedent(
            """\
            [vfebench.methods]
            plug_darken = vfeplug_demo:Darken

            [vfebench.metrics]
            plug_mae = vfeplug_demo:MeanAbs

            [vfebench.datasets]
            plug_tiny = vfeplug_demo:TinyDemo
            """
        )
        + extra_entries
    )
    return root


def _vfebench(args, site: Path, tmp: Path) -> subprocess.CompletedProcess:
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(site)]), VFEBENCH_CACHE=str(tmp / "cache")
    )
    env.pop("VFEBENCH_PLUGINS", None)
    return subprocess.run(
        [sys.executable, "-m", "vfebench", *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_entry_point_plugin_is_listed_and_runs(tmp_path):
    site = make_dist(tmp_path / "site")
    ls = _vfebench(["ls", "methods", "--json"], site, tmp_path)
    assert ls.returncode == 0, ls.stderr
    rows = {r["name"]: r for r in json.loads(ls.stdout)}
    assert rows["plug_darken"]["from"] == "entry point vfeplug-demo"
    assert rows["plug_darken"]["about"] == "test plugin method"
    assert rows["bicubic"]["from"] == "builtin"
    assert rows["keep"]["from"].startswith("entry point vfebench")  # baselines: entry points too
    assert rows["vividface"]["from"].startswith("entry point vfebench")
    ls = _vfebench(["ls", "metrics", "--json"], site, tmp_path)
    rows = {r["name"]: r for r in json.loads(ls.stdout)}
    assert rows["plug_mae"]["from"] == "entry point vfeplug-demo"
    ls = _vfebench(["ls", "datasets", "--json"], site, tmp_path)
    rows = {r["name"]: r for r in json.loads(ls.stdout)}
    assert rows["plug_tiny"]["from"] == "entry point vfeplug-demo" and rows["demo"]["from"] == "builtin"
    out = tmp_path / "run"
    r = _vfebench(
        ["run", "--method", "plug_darken", "--method", "bicubic", "--dataset", "plug_tiny",
         "--metrics", "plug_mae", "--out", str(out), "--no-progress", "--quiet", "--in-process"],
        site, tmp_path,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    rec = json.loads((out / "run.json").read_text())
    val = {m: rec["methods"][m]["aggregates"]["plug_mae"] for m in ("plug_darken", "bicubic")}
    assert val["plug_darken"] > val["bicubic"] > 0  # darker than bicubic: a larger error
    assert rec["dataset"]["n_clips"] == 2


def test_entry_point_of_the_wrong_type_is_a_clear_error(tmp_path):
    site = make_dist(tmp_path / "site", "\n[vfebench.methods]\nplug_bad = vfeplug_demo:NotAMethod\n")
    r = _vfebench(
        ["run", "--method", "plug_bad", "--dataset", "demo,num_clips=1,num_frames=3,size=32", "--metrics", "psnr",
         "--out", str(tmp_path / "run"), "--no-progress"],
        site, tmp_path,
    )  # fmt: skip
    assert r.returncode == 2
    assert (
        "'plug_bad' (entry point vfeplug-demo) is NotAMethod, not a subclass of vfebench.methods.base.Method"
        in r.stderr
    )
    assert "Traceback" not in r.stderr
    ls = _vfebench(["ls", "methods", "--json"], site, tmp_path)  # listed as unavailable, not fatal
    rows = {x["name"]: x for x in json.loads(ls.stdout)}
    assert (
        "not a subclass" in rows["plug_bad"]["about"]
        and rows["plug_darken"]["from"] == "entry point vfeplug-demo"
    )


def test_register_checks_the_base_class_and_records_the_origin(monkeypatch):
    from vfebench.methods.trivial import Bicubic

    reg: Registry = Registry(
        "method", {"a": "vfebench.methods.trivial:Bicubic"}, base="vfebench.methods.base:Method"
    )
    with pytest.raises(
        InputError, match="'x' .* is int instance, not a subclass of vfebench.methods.base.Method"
    ):
        reg.register("x", 3)
    with pytest.raises(InputError, match="is dict, not a subclass"):
        reg.register("y", dict)
    reg.register("b", Bicubic)
    assert reg.origin("a") == "builtin"
    assert reg.origin("b") == f"register() in {__name__}"
    assert reg.get("b") is Bicubic and reg.get("a") is Bicubic
    with pytest.raises(ValueError, match="already registered"):
        reg.register("b", Bicubic)


def test_vfebench_plugins_env_still_works_and_is_named(tmp_path, monkeypatch):
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "tests")]),
        VFEBENCH_PLUGINS="helpers.runner_plugin_autoload",
    )
    r = subprocess.run([sys.executable, "-m", "vfebench", "ls", "methods", "--json"], env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert r.returncode == 0, r.stderr
    rows = {x["name"]: x for x in json.loads(r.stdout)}
    assert rows["t_shift"]["from"] == "VFEBENCH_PLUGINS helpers.runner_plugin_autoload"


def test_core_registry_names_nothing_outside_vfebench():
    from vfebench.datasets import DATASETS
    from vfebench.methods import METHODS
    from vfebench.metrics import METRICS

    for reg in (METHODS, METRICS, DATASETS):
        for n in reg:
            if reg.origin(n) == "builtin":
                assert reg.target(n).startswith("vfebench."), (reg.kind, n, reg.target(n))


def test_an_entry_point_cannot_take_a_core_name(monkeypatch, capsys):
    import vfebench.registry as R

    monkeypatch.setattr(
        R,
        "entry_point_targets",
        lambda group: [("a", "other.mod:Thing", "entry point other"), ("z", "m:Z", "entry point other")],
    )
    reg: Registry = Registry("method", {"a": "vfebench.methods.trivial:Bicubic"}, group="vfebench.methods")
    assert reg.names() == ["a", "z"]
    assert reg.origin("a") == "builtin" and reg.origin("z") == "entry point other"
    assert "'a' from entry point other (other.mod:Thing) ignored" in capsys.readouterr().err
