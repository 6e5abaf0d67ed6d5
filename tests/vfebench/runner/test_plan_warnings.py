"""Plan-time warnings (vfebench.runner.sanity): mixed GT sizes, a bare path that looks like real LQ."""

from __future__ import annotations

import json

import numpy as np

from vfebench.runner import RunConfig, make_plan, run
from vfebench.video import write_png_frames


def _clip(folder, side_hw, n=3, seed=0):
    h, w = side_hw
    write_png_frames(np.random.default_rng(seed).integers(0, 256, (n, h, w, 3), dtype=np.uint8), folder)


def _cfg(dataset, tmp_path, **kw):
    base = dict(
        methods=["bicubic"], dataset=dataset, metrics=["psnr"], out=str(tmp_path / "run"), progress=False
    )
    return RunConfig(**{**base, "overwrite": True, **kw})


def test_mixed_gt_sizes_are_named(tmp_path):
    root = tmp_path / "gt"
    _clip(root / "a", (64, 64))
    _clip(root / "b", (48, 80))
    _clip(root / "c", (64, 64))
    (w,) = make_plan(_cfg(f"folder:{root}", tmp_path)).warnings
    assert "2 different sizes" in w and "64×64: 2 clip(s) (a, c)" in w and "80×48: 1 clip(s) (b)" in w
    assert "vfebench prepare" in w
    lines = []
    rec = run(_cfg(f"folder:{root}", tmp_path), log=lines.append).record
    assert rec["plan_warnings"] == [w] and any(x.startswith("warning: dataset") for x in lines)


def test_bare_path_of_small_clips_says_rfv(tmp_path):
    root = tmp_path / "lq"
    _clip(root / "a", (64, 64))
    _clip(root / "b", (64, 64), seed=1)
    (w,) = make_plan(_cfg(str(root), tmp_path)).warnings
    assert "bare path" in w and "degraded again with preset vfhq-x4" in w
    assert f"--dataset rfv:{root}" in w and f"--dataset folder:{root}" in w
    # said explicitly: no warning either way
    assert make_plan(_cfg(f"folder:{root}", tmp_path)).warnings == ()
    assert make_plan(_cfg(f"rfv:{root}", tmp_path, metrics=["niqe"])).warnings == ()
    # a prepared folder (prepare.json) is GT by construction
    (root / "prepare.json").write_text(json.dumps({"schema": 1, "clips": {}}))
    assert make_plan(_cfg(str(root), tmp_path)).warnings == ()


def test_bare_path_of_large_uniform_clips_is_quiet(tmp_path):
    root = tmp_path / "hq"
    _clip(root / "a", (400, 400), n=1)
    assert make_plan(_cfg(str(root), tmp_path)).warnings == ()
