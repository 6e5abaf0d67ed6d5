"""Runner failure catalogue: every bad input / misbehaving method fails its clip, the rest survive."""

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
from helpers.runs import make_folder, plugin_env, quiet
from helpers.runs import run_config as runner_cfg

from vfebench.runner import RunConfig, parse_method_spec, run
from vfebench.video import read_clip, write_png_frames

pytestmark = pytest.mark.usefixtures("runner_plugin")


def cfg(data: Path, tmp: Path, **kw) -> RunConfig:
    """The runner tests' config with a cache inside ``tmp`` and no warm-up clip."""
    return runner_cfg(data, tmp, **{"cache": str(tmp / "cache"), "warmup": 0, **kw})


def test_misbehaving_methods_fail_their_clip_only(tmp_path):
    """raise / NaN / wrong size / wrong count / wrong id / segfault / exit / sys.exit / hang."""
    data = make_folder(tmp_path / "gt", n=10, t=2, size=32)
    modes = ["crash", "small", "nan", "short", "wrongid", "segv", "exit", "sysexit", "hang"]
    spec = "t_bad:" + ",".join(f"c{i}={m}" for i, m in enumerate(modes))
    t0 = time.perf_counter()
    rec = run(cfg(data, tmp_path, methods=["bicubic", spec, "identity"], timeout=4), log=quiet).record
    assert time.perf_counter() - t0 < 120
    assert rec["status"] == "partial"
    label = parse_method_spec(spec).label
    by = {f["clip_id"]: f for f in rec["failures"] if f["method"] == label}
    assert set(by) == {f"c{i}" for i in range(9)} and all(f["stage"] == "restore" for f in by.values())
    want = {
        "c0": "boom on purpose",
        "c1": "expected the GT size 32×32",
        "c2": "NaN",
        "c3": "1 frames, the input has 2",
        "c4": "returned the clip id 'someone-else'",
        "c5": "killed by SIGSEGV",
        "c6": "exited with code 3",
        "c7": "exited with code 4",
        "c8": "timed out after 4 s",
    }
    for cid, text in want.items():
        assert text in by[cid]["reason"], (cid, by[cid]["reason"])
    info = rec["methods"][label]
    assert info["isolation"] == "process" and info["timeout_s"] == 4
    assert info["worker_restarts"] >= 4  # after segv, exit, sys.exit and the timeout
    ok = {(c["method"], c["clip_id"]): c for c in rec["clips"] if c["status"] == "ok"}
    assert set(ok) == {(label, "c9")} | {(m, f"c{i}") for m in ("bicubic", "identity") for i in range(10)}
    assert all(c["values"]["t_mae"] is not None for c in ok.values())
    # the record stays consistent: the failing method's aggregate is over its one good clip
    assert info["n_ok"] == 1 and info["aggregates"]["t_mae"] == pytest.approx(
        ok[(label, "c9")]["values"]["t_mae"]
    )
    assert rec["methods"]["identity"]["n_ok"] == 10


def test_in_process_mode_gives_the_same_values(tmp_path):
    data = make_folder(tmp_path / "gt", n=2, t=2, size=32)
    a = run(cfg(data, tmp_path, methods=["t_shift:amount=3"]), log=quiet).record
    b = run(cfg(data, tmp_path / "b", methods=["t_shift:amount=3"], isolation="inprocess"), log=quiet).record
    assert b["methods"]["t_shift[amount=3]"]["isolation"] == "inprocess"
    assert a["methods"]["t_shift[amount=3]"]["isolation"] == "process"
    key = lambda r: [(c["clip_id"], c["restored_hash"], c["values"]) for c in r["clips"]]  # noqa: E731
    assert key(a) == key(b)


def _bad_gt_folder(root: Path) -> Path:
    make_folder(root, n=2, t=3, size=32)  # c0, c1 good
    (root / "corrupt.mp4").write_bytes(os.urandom(3000))
    write_png_frames(np.full((3, 32, 32, 3), 90, np.uint8), root / "truncated")
    f = root / "truncated" / "00000001.png"
    f.write_bytes(f.read_bytes()[:40])
    (root / "textpng").mkdir()
    for i in range(3):
        (root / "textpng" / f"{i:08d}.png").write_text("not a png\n")
    write_png_frames(np.zeros((2, 32, 32, 3), np.uint8), root / "mixed")
    write_png_frames(np.zeros((1, 16, 16, 3), np.uint8), root / "mixedb")
    (root / "mixedb" / "00000000.png").rename(root / "mixed" / "00000002.png")
    (root / "mixedb").rmdir()
    (root / "empty").mkdir()
    return root


def test_bad_gt_clips_among_good_ones(tmp_path):
    data = _bad_gt_folder(tmp_path / "gt")
    bad = {"corrupt", "truncated", "textpng", "mixed", "empty"}
    rec = run(cfg(data, tmp_path, methods=["bicubic", "identity"]), log=quiet).record
    assert rec["status"] == "partial" and set(rec["dataset"]["clip_ids"]) == bad | {"c0", "c1"}
    assert set(rec["dataset"]["unreadable"]) == bad
    failed = {(f["method"], f["clip_id"]): f for f in rec["failures"]}
    assert set(failed) == {(m, c) for m in ("bicubic", "identity") for c in bad}
    assert all(f["stage"] == "gt" for f in failed.values())
    assert "differs from the clip's first frame" in failed[("bicubic", "mixed")]["reason"]
    ok = [c for c in rec["clips"] if c["status"] == "ok"]
    assert {(c["method"], c["clip_id"]) for c in ok} == {
        (m, c) for m in ("bicubic", "identity") for c in ("c0", "c1")
    }
    assert all(c["values"]["t_mae"] is not None for c in ok)
    # the LQ manifest lists the clips it could not make, with their reasons
    man = json.loads((Path(rec["lq"]["root"]) / "manifest.json").read_text())
    assert set(man["failed"]) == bad and set(man["clips"]) == {"c0", "c1"}
    # the CLI says "partial" (exit 1), no traceback
    env = plugin_env()
    r = subprocess.run(
        [sys.executable, "-m", "vfebench", "run", "--method", "bicubic", "--dataset", f"folder:{data}",
         "--metrics", "t_mae", "--out", str(tmp_path / "cli"), "--cache", str(tmp_path / "cache"), "--quiet"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr and "FAILED gt bicubic / corrupt" in r.stderr


def test_clip_ids_that_are_layout_names_or_paths(tmp_path, monkeypatch):
    """A clip folder named manifest.json works; ids like ../x never reach paths outside the cache."""
    from vfebench.datasets import DATASETS
    from vfebench.datasets.base import Source
    from vfebench.video import Clip

    data = tmp_path / "gt"
    frames = np.random.default_rng(1).integers(0, 256, (2, 32, 32, 3), dtype=np.uint8)
    write_png_frames(frames, data / "manifest.json")
    write_png_frames(frames[:, ::-1].copy(), data / "plain")
    rec = run(cfg(data, tmp_path), log=quiet).record
    assert rec["status"] == "complete" and {c["clip_id"] for c in rec["clips"]} == {"manifest.json", "plain"}
    man = json.loads((Path(rec["lq"]["root"]) / "manifest.json").read_text())
    assert set(man["clips"]) == {"manifest.json", "plain"}

    class Evil(Source):
        name = "t_evil"
        has_gt = True

        def clip_ids(self):
            return ["../escape", "a/b", ".hidden"]

        def load(self, clip_id, max_frames=None):
            return Clip(clip_id, frames.copy(), 25.0)

    monkeypatch.setitem(DATASETS._targets, "t_evil", "<test>")
    monkeypatch.setitem(DATASETS._loaded, "t_evil", Evil)
    monkeypatch.setenv("VFEBENCH_CACHE", str(tmp_path / "vc" / "inner"))
    rec = run(cfg(data, tmp_path / "vc" / "inner", dataset="t_evil"), log=quiet).record
    assert rec["status"] == "complete" and len(rec["clips"]) == 3
    assert not (tmp_path / "vc" / "escape").exists() and not (tmp_path / "vc" / "inner" / "escape").exists()
    for c in rec["clips"]:
        p = Path(c["restored_path"]).resolve()
        assert (tmp_path / "vc" / "inner" / "cache").resolve() in p.parents
        assert read_clip(p).content_hash() == c["restored_hash"]


def _meta_files(cache: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in (cache / "restored").rglob("meta.json")}


def test_keyboard_interrupt_leaves_a_resumable_state(tmp_path):
    data = make_folder(tmp_path / "gt", n=5, t=2, size=32)
    cache = tmp_path / "cache"
    env = plugin_env(VFEBENCH_CACHE=str(tmp_path / "vc"))
    args = [sys.executable, "-m", "vfebench", "run", "--method", "t_slow:delay=1.5", "--dataset", f"folder:{data}",
            "--metrics", "t_mae", "--out", str(tmp_path / "run"), "--cache", str(cache), "--warmup", "0", "--quiet"]  # fmt: skip
    p = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and len(_meta_files(cache) if cache.exists() else {}) < 2:
        time.sleep(0.05)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    done = _meta_files(cache)
    assert 2 <= len(done) < 5 and not (tmp_path / "run" / "run.json").exists()
    assert (tmp_path / "run" / "config.json").is_file()
    r = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    rec = json.loads((tmp_path / "run" / "run.json").read_text())
    assert rec["cache"]["restored_cached"] == len(done) and rec["cache"]["restored_computed"] == 5 - len(done)
    assert all(_meta_files(cache)[f] == m for f, m in done.items())


def test_unreadable_lq_clips_fail_alone(tmp_path):
    """Shipped LQ (folder:GT,lq=LQ) and real LQ (rfv:) with one unreadable clip each."""
    gt = make_folder(tmp_path / "gt", n=3, t=2, size=32)
    lq = tmp_path / "lq"
    for i in range(3):
        write_png_frames(read_clip(gt / f"c{i}").frames[:, ::4, ::4].copy(), lq / f"c{i}")
    for f in (lq / "c1").iterdir():
        f.write_text("garbage")
    rec = run(cfg(gt, tmp_path, lq=str(lq)), log=quiet).record
    assert rec["lq"]["kind"] == "shipped" and set(rec["lq"]["failed"]) == {"c1"}
    (f,) = rec["failures"]
    assert (f["clip_id"], f["stage"]) == ("c1", "lq") and "c1" in f["reason"]
    assert {c["clip_id"] for c in rec["clips"] if c["status"] == "ok"} == {"c0", "c2"}
    rec = run(cfg(lq, tmp_path, dataset=f"rfv:{lq}", metrics=["t_bright"]), log=quiet).record
    (f,) = rec["failures"]
    assert f["clip_id"] == "c1" and "cannot read the clip" in f["reason"]
    assert {c["clip_id"] for c in rec["clips"] if c["status"] == "ok"} == {"c0", "c2"}
