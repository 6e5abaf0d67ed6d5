"""Runner: resumability (kill a real subprocess), cache keys, failures, bad input, records."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import runner_plugin as _runner_plugin
from helpers.runs import make_folder, plugin_env, quiet
from helpers.runs import run_config as cfg

from vfebench.errors import InputError, MissingAssetError, UnknownNameError
from vfebench.runner import parse_method_spec, run, validate_output
from vfebench.video import Clip, write_png_frames

pytestmark = pytest.mark.usefixtures("runner_plugin")


@pytest.fixture
def data(tmp_path) -> Path:
    return make_folder(tmp_path / "gt")


def test_record_schema_and_values(data, tmp_path):
    from vfebench import results

    o = run(cfg(data, tmp_path, methods=["identity", "bicubic"]), log=quiet)
    rec = results.read_record(o.out)
    assert rec["status"] == "complete" and rec["schema_version"] == results.SCHEMA_VERSION
    assert rec["degradation"]["preset"] == "vfhq-x4" and rec["degradation"]["seed"] == 0
    assert rec["metrics"]["t_mae"]["mode"] == "clean" and rec["metrics"]["t_mae"]["version"] == "1"
    assert set(rec["methods"]) == {"identity", "bicubic"}
    # the recorded value is the hand-computed MAE of the stored restored clip against the GT
    from vfebench.datasets import build_source
    from vfebench.video import read_clip

    src = build_source(f"folder:{data}")
    for c in rec["clips"]:
        pred = read_clip(c["restored_path"]).frames.astype(float)
        gt = src.load(c["clip_id"]).frames.astype(float)
        assert c["values"]["t_mae"] == pytest.approx(np.abs(pred - gt).mean(axis=(1, 2, 3)).mean(), rel=1e-12)
        assert c["n_frames"] == 4 and (c["height"], c["width"]) == (64, 64)
        assert c["seconds"] > 0 and c["fps"] > 0 and c["peak_mem_mb"] > 0
    agg = rec["methods"]["bicubic"]["aggregates"]["t_mae"]
    assert agg == pytest.approx(
        np.mean([c["values"]["t_mae"] for c in rec["clips"] if c["method"] == "bicubic"])
    )
    df = results.load([o.out])
    assert len(df) == 4 and set(df["metric"]) == {"t_mae"}
    assert (o.out / "per_clip.csv").read_text().splitlines()[0].endswith("t_mae")
    assert rec["methods"]["bicubic"]["steps"] == 0 and rec["methods"]["bicubic"]["warmup"]["clip_id"] == "c0"


def test_cache_keys_recompute_exactly_what_depends(data, tmp_path):
    out = str(tmp_path / "r")
    c = lambda **kw: cfg(data, tmp_path, out=out, **kw)  # noqa: E731
    s = run(c(methods=["t_shift:amount=1", "bicubic"]), log=quiet).stats
    assert (s["restored_computed"], s["scores_computed"]) == (4, 4)
    s = run(c(methods=["t_shift:amount=1", "bicubic"]), log=quiet).stats
    assert (s["restored_computed"], s["restored_cached"], s["scores_computed"], s["scores_cached"]) == (
        0,
        4,
        0,
        4,
    )
    # method config: only that method's clips (and their scores)
    s = run(c(methods=["t_shift:amount=2", "bicubic"]), log=quiet).stats
    assert (s["restored_computed"], s["restored_cached"], s["scores_computed"], s["scores_cached"]) == (
        2,
        2,
        2,
        2,
    )
    # method version
    from vfebench.methods import METHODS

    class Shift2(_runner_plugin.Shift):
        version = "2"

    METHODS.register("t_shift_v", Shift2)
    try:
        s = run(c(methods=["t_shift:amount=2", "bicubic"]), log=quiet).stats
        assert s["restored_computed"] == 0
        a = parse_method_spec("t_shift:amount=2")
        from vfebench.runner import build_method

        assert build_method(a.target, **a.config).fingerprint_hash() != Shift2(amount=2).fingerprint_hash()
    finally:
        METHODS._targets.pop("t_shift_v")
        METHODS._loaded.pop("t_shift_v")
    # metric mode: no restore, only the new mode's scores
    s = run(c(methods=["t_shift:amount=2", "bicubic"], metrics=["t_mae", "t_mae:alt"]), log=quiet).stats
    assert (s["restored_computed"], s["scores_computed"], s["scores_cached"]) == (0, 4, 4)
    # seed and preset: new LQ → everything downstream recomputed
    s = run(c(methods=["bicubic"], seed=1), log=quiet).stats
    assert (s["restored_computed"], s["scores_computed"]) == (2, 2)
    s = run(c(methods=["bicubic"], preset="keep"), log=quiet).stats
    assert (s["restored_computed"], s["scores_computed"]) == (2, 2)
    s = run(c(methods=["bicubic"]), log=quiet).stats  # back to the first inputs: all cached
    assert (s["restored_computed"], s["scores_computed"]) == (0, 0)


def test_version_bump_recomputes_that_method_only(data, tmp_path, monkeypatch):
    s = run(cfg(data, tmp_path, methods=["t_shift:amount=1", "bicubic"]), log=quiet).stats
    assert s["restored_computed"] == 4
    monkeypatch.setattr(_runner_plugin.Shift, "version", "99")
    s = run(cfg(data, tmp_path, methods=["t_shift:amount=1", "bicubic"]), log=quiet).stats
    assert (s["restored_computed"], s["restored_cached"]) == (2, 2)


def test_set_level_metric(data, tmp_path):
    o = run(cfg(data, tmp_path, metrics=["t_mae", "t_setmae"]), log=quiet)
    rec = o.record
    per = [c["values"]["t_setmae"] for c in rec["clips"]]
    assert per == [c["values"]["t_mae"] for c in rec["clips"]]
    assert rec["methods"]["bicubic"]["aggregates"]["t_setmae"] == pytest.approx(max(per))
    assert rec["metrics"]["t_setmae"]["level"] == "set"
    s = run(cfg(data, tmp_path, metrics=["t_mae", "t_setmae"]), log=quiet).stats
    assert (s["scores_computed"], s["scores_cached"]) == (0, 3)


def test_no_gt_dataset_uses_the_clips_as_lq(data, tmp_path):
    from vfebench.report.tables import auto_layouts, render_run_summary

    o = run(cfg(data, tmp_path, dataset=f"rfv:{data}", metrics=["t_bright"], methods=["bicubic"]), log=quiet)
    rec = o.record
    assert rec["lq"]["kind"] == "real" and rec["degradation"] is None and not rec["dataset"]["has_gt"]
    # real LQ: bicubic keeps the input size unless asked (issue 14), and the record says so
    assert {(c["height"], c["width"]) for c in rec["clips"]} == {(64, 64)}
    assert rec["methods"]["bicubic"]["fingerprint"]["output_size"] == "GT size; without GT x1 (input size)"
    o4 = run(
        cfg(data, tmp_path, dataset=f"rfv:{data}", metrics=["t_bright"], methods=["bicubic:scale=4"]),
        log=quiet,
    )
    assert {(c["height"], c["width"]) for c in o4.record["clips"]} == {(256, 256)}
    o5 = run(
        cfg(data, tmp_path, dataset=f"rfv:{data}", metrics=["t_bright"], methods=["bicubic:size=96x80"]),
        log=quiet,
    )
    assert {(c["height"], c["width"]) for c in o5.record["clips"]} == {(80, 96)}
    assert auto_layouts([rec]) == ["table2", "table3"]
    assert "Bright" in render_run_summary([rec])
    with pytest.raises(InputError, match="needs a ground-truth reference"):
        run(cfg(data, tmp_path, dataset=f"rfv:{data}", metrics=["t_mae"]), log=quiet)
    o = run(cfg(data, tmp_path, dataset=f"rfv:{data}", metrics=None, methods=["identity"]), log=quiet)
    assert "ground-truth" in o.record["skipped_metrics"]["t_mae"]


def test_failures_are_recorded_and_the_rest_continue(tmp_path):
    data = make_folder(tmp_path / "gt", n=5)
    spec = "t_bad:c0=crash,c1=small,c2=nan,c3=short"
    o = run(cfg(data, tmp_path, methods=[spec, "bicubic"]), log=quiet)
    rec = o.record
    assert rec["status"] == "partial"
    by = {f["clip_id"]: f["reason"] for f in rec["failures"] if f["stage"] == "restore"}
    assert "boom on purpose" in by["c0"]
    assert "expected the GT size 64×64" in by["c1"]
    assert "NaN" in by["c2"]
    assert "3 frames, the input has 4" in by["c3"]
    label = parse_method_spec(spec).label
    ok = [c for c in rec["clips"] if c["status"] == "ok"]
    assert {(c["method"], c["clip_id"]) for c in ok} == {(label, "c4")} | {
        ("bicubic", f"c{i}") for i in range(5)
    }
    assert all(c["values"]["t_mae"] is not None for c in ok)


def test_validate_output_accepts_good_clip():
    lq = Clip("a", np.zeros((3, 8, 8, 3), np.uint8))
    out = validate_output(Clip("a", np.zeros((3, 32, 32, 3), np.uint8)), lq, (32, 32), "m")
    assert out.num_frames == 3


def test_bad_input_errors(data, tmp_path, monkeypatch):
    with pytest.raises(UnknownNameError, match="Did you mean 'bicubic'"):
        run(cfg(data, tmp_path, methods=["bicubc"]), log=quiet)
    with pytest.raises(UnknownNameError, match="Did you mean 't_mae'"):
        run(cfg(data, tmp_path, metrics=["t_mea"]), log=quiet)
    # a metric whose weights are missing names the assets command
    from vfebench.assets import Asset, register_asset

    register_asset(
        Asset("t_weights", "t_weights.pth", ("https://example.invalid/t.pth",), "0" * 64, users=("t_w",))
    )
    monkeypatch.setattr(_runner_plugin.MAE, "assets", ("t_weights",))
    with pytest.raises(MissingAssetError, match="vfebench assets fetch t_weights"):
        run(cfg(data, tmp_path), log=quiet)
    o = run(cfg(data, tmp_path, metrics=None, methods=["identity"]), log=quiet)  # default set skips it
    assert "vfebench assets" in o.record["skipped_metrics"]["t_mae"]
    monkeypatch.setattr(_runner_plugin.MAE, "assets", ())
    # method weights missing
    monkeypatch.setattr(_runner_plugin.Shift, "assets", ("t_weights",))
    with pytest.raises(MissingAssetError, match="vfebench assets"):
        run(cfg(data, tmp_path, methods=["t_shift"]), log=quiet)


def test_gt_and_lq_sets_must_match(tmp_path):
    gt = make_folder(tmp_path / "gt", n=2, t=4)
    lq = tmp_path / "lq"
    write_png_frames(np.zeros((4, 16, 16, 3), np.uint8), lq / "c0")
    with pytest.raises(InputError, match=r"LQ clips missing for GT clips \['c1'\]"):
        run(cfg(gt, tmp_path, lq=str(lq)), log=quiet)
    write_png_frames(np.zeros((3, 16, 16, 3), np.uint8), lq / "c1")  # one frame short
    rec = run(cfg(gt, tmp_path, lq=str(lq)), log=quiet).record  # that clip fails, c0 is scored
    assert rec["status"] == "partial"
    (f,) = rec["failures"]
    assert (
        f["clip_id"] == "c1" and f["stage"] == "gt" and "GT and LQ do not match for clip 'c1'" in f["reason"]
    )
    ok = {c["clip_id"]: c["values"]["t_mae"] for c in rec["clips"] if c["status"] == "ok"}
    assert list(ok) == ["c0"] and ok["c0"] is not None


def _cli(args, env, **kw):
    return subprocess.run(
        [sys.executable, "-m", "vfebench", *args], env=env, capture_output=True, text=True, **kw
    )


def test_cli_errors(data, tmp_path):
    env = {**os.environ}
    r = _cli(["run", "--method", "bicubc", "--dataset", f"folder:{data}", "--metrics", "psnr"], env)
    assert r.returncode == 2 and "Did you mean 'bicubic'" in r.stderr and "Traceback" not in r.stderr
    r = _cli(["run", "--method", "bicubic", "--dataset", f"folder:{data}", "--metrics", "idss"], env)
    assert r.returncode == 2 and "Did you mean 'ids'" in r.stderr
    r = _cli(
        [
            "run",
            "--method",
            "bicubic",
            "--dataset",
            f"folder:{data}",
            "--metrics",
            "ids",
            "--out",
            str(tmp_path / "x"),
        ],
        env,
    )
    assert r.returncode == 2 and "vfebench assets" in r.stderr


def _meta_files(cache: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in (cache / "restored").rglob("meta.json")}


def test_killed_run_resumes_without_recomputing(tmp_path):
    """Kill a real `vfebench run` mid-run; the re-run reuses every finished clip and matches."""
    data = make_folder(tmp_path / "gt", n=6, t=3, size=32)
    cache = tmp_path / "runcache"
    env = plugin_env()
    args = ["run", "--method", "t_slow:delay=0.6", "--method", "bicubic", "--dataset", f"folder:{data}",
            "--metrics", "t_mae", "--out", str(tmp_path / "run"), "--cache", str(cache), "--warmup", "0", "--quiet"]  # fmt: skip
    p = subprocess.Popen(
        [sys.executable, "-m", "vfebench", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.time() + 120
    while time.time() < deadline and len(_meta_files(cache) if cache.exists() else {}) < 2:
        time.sleep(0.05)
    p.send_signal(signal.SIGKILL)
    p.wait()
    done = _meta_files(cache)
    assert 2 <= len(done) < 12, "the kill should land mid-run"
    assert not (tmp_path / "run" / "run.json").exists()
    r = _cli(args, env, timeout=300)
    assert r.returncode == 0, r.stderr
    rec = json.loads((tmp_path / "run" / "run.json").read_text())
    assert rec["cache"]["restored_cached"] == len(done)
    assert rec["cache"]["restored_computed"] == 12 - len(done)
    after = _meta_files(cache)
    assert all(after[f] == m for f, m in done.items()), "a finished clip was rewritten"
    # identical results to an uninterrupted run in a fresh cache
    args2 = [a if a != str(cache) else str(tmp_path / "fresh") for a in args]
    args2[args2.index("--out") + 1] = str(tmp_path / "run2")
    r2 = _cli(args2, env, timeout=300)
    assert r2.returncode == 0, r2.stderr
    rec2 = json.loads((tmp_path / "run2" / "run.json").read_text())

    def key(rr):
        return sorted(
            (c["method"], c["clip_id"], c["restored_hash"], c["values"]["t_mae"]) for c in rr["clips"]
        )

    assert key(rec) == key(rec2)
    assert rec["methods"]["bicubic"]["aggregates"] == rec2["methods"]["bicubic"]["aggregates"]


def test_metrics_with_missing_optional_dependencies(monkeypatch):
    """Default set: skipped with the pip command; asked for explicitly: a clear error."""
    from vfebench import utils
    from vfebench.errors import MissingDependencyError
    from vfebench.runner import resolve_metrics

    monkeypatch.setitem(utils.EXTRA_MODULES, "dlib", ("surely_not_installed_xyz",))
    chosen, skipped = resolve_metrics(None, has_gt=True)
    assert "ids_dlib" not in chosen and "vfebench[dlib]" in skipped["ids_dlib"]
    assert "psnr" in chosen
    with pytest.raises(MissingDependencyError, match=r"vfebench\[dlib\]"):
        resolve_metrics(["psnr", "ids_dlib"], has_gt=True)
