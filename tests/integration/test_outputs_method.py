"""``outputs:``: export LQ → restore with an external script → score, equal to the in-process method.

The external "method" is ``tests/data/restore_bicubic_script.py``: a plain script (cv2 only)
that reads ``vfebench degrade``'s export and writes PNGs. Scored with
``--method outputs:dir=OUT,name=mine`` beside the in-process ``bicubic``, every per-clip value
must be identical (same frames → same numbers), and a changed folder must be a new method.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vfebench.cli import main as cli
from vfebench.errors import InputError
from vfebench.runner import RunConfig, run

SCRIPT = Path(__file__).resolve().parents[1] / "data" / "restore_bicubic_script.py"
DATASET = "demo,num_clips=2,num_frames=4,size=64"


def quiet(*_a, **_k):
    pass


@pytest.fixture(scope="module")
def restored(tmp_path_factory):
    """(LQ export, the script's outputs with timing.json) — the user's side of the loop."""
    root = tmp_path_factory.mktemp("own")
    lq, out = root / "lq", root / "mine"
    assert cli(["degrade", "--dataset", DATASET, "--preset", "vfhq-x4", "--seed", "3", "--out", str(lq), "--quiet"]) == 0  # fmt: skip
    subprocess.run([sys.executable, str(SCRIPT), str(lq), str(out), "--timing"], check=True, timeout=120)
    return lq, out


def _cfg(tmp: Path, methods: list[str], **kw) -> RunConfig:
    base = dict(
        methods=methods,
        dataset=DATASET,
        seed=3,
        metrics=["psnr", "ssim"],
        out=str(tmp / "run"),
        progress=False,
        overwrite=True,
    )
    base.update(kw)
    return RunConfig(**base)


def _values(rec, label):
    return {c["clip_id"]: c["values"] for c in rec["clips"] if c["method"] == label}


def test_outputs_score_equals_the_same_restoration_in_process(restored, tmp_path):
    lq, out = restored
    rec = run(_cfg(tmp_path, ["bicubic", f"outputs:dir={out},name=mine"]), log=quiet).record
    assert set(rec["methods"]) == {"bicubic", "mine"}  # the label is the name, never the path
    ours, theirs = _values(rec, "bicubic"), _values(rec, "mine")
    assert set(ours) == set(theirs) == {"astronaut_a", "astronaut_b"}
    for cid in ours:
        assert theirs[cid] == ours[cid]  # identical frames, so identical numbers
        assert np.isfinite(list(ours[cid].values())).all()
    ok = [c for c in rec["clips"] if c["method"] == "mine"]
    assert all(c["status"] == "ok" for c in ok)
    timing = json.loads((out / "timing.json").read_text())["clips"]
    assert {c["clip_id"]: c["seconds"] for c in ok} == {k: v["seconds"] for k, v in timing.items()}
    assert rec["methods"]["mine"]["timing_source"] == "reported"
    assert str(out) not in json.dumps(rec["methods"]["mine"]["fingerprint"])


def test_missing_clip_fails_alone_and_changed_folder_is_another_method(restored, tmp_path):
    _, out = restored
    mine = tmp_path / "mine2"
    shutil.copytree(out, mine)
    (mine / "timing.json").unlink()
    from vfebench.methods import build_method

    fp_full = build_method("outputs", dir=str(mine)).fingerprint_hash()
    shutil.rmtree(mine / "astronaut_b")
    fp_less = build_method("outputs", dir=str(mine)).fingerprint_hash()
    assert fp_full != fp_less
    rec = run(_cfg(tmp_path, [f"outputs:dir={mine}"]), log=quiet).record
    rows = {c["clip_id"]: c for c in rec["clips"]}
    assert rows["astronaut_a"]["status"] == "ok" and rows["astronaut_a"]["seconds"] is None
    assert rows["astronaut_b"]["status"] == "failed"
    assert "no restored clip 'astronaut_b'" in rows["astronaut_b"]["reason"]
    assert rec["methods"]["mine2"]["timing_source"] == "not measured"  # label: the folder's name
    from vfebench.report.tables import build_tables, render_md

    (t3,) = build_tables([rec], layouts=["table3"])
    assert "Time of mine2: not measured" in render_md(t3)
    # one changed pixel = a new fingerprint (content hashes, not paths or dates)
    f = sorted((mine / "astronaut_a").glob("*.png"))[0]
    import cv2

    img = cv2.imread(str(f))
    img[0, 0, 0] ^= 1
    cv2.imwrite(str(f), img)
    assert build_method("outputs", dir=str(mine)).fingerprint_hash() != fp_less


def test_outputs_checks_size_frames_and_layouts(restored, tmp_path):
    from vfebench.video import read_clip, write_video

    lq, out = restored
    mine = tmp_path / "vid"
    (mine / "_videos").mkdir(parents=True)
    a = read_clip(out / "astronaut_a", "astronaut_a")
    write_video(a, mine / "_videos" / "astronaut_a.mkv", fps=a.fps, codec="ffv1")  # lossless layout
    b = read_clip(out / "astronaut_b", "astronaut_b")
    (mine / "astronaut_b").mkdir()
    import cv2

    for i, fr in enumerate(b.frames[:-1]):  # one frame short
        cv2.imwrite(str(mine / "astronaut_b" / f"{i}.png"), cv2.cvtColor(fr, cv2.COLOR_RGB2BGR))
    rec = run(_cfg(tmp_path, ["bicubic", f"outputs:dir={mine},name=v"]), log=quiet).record
    rows = {(c["method"], c["clip_id"]): c for c in rec["clips"]}
    assert rows["v", "astronaut_a"]["values"] == rows["bicubic", "astronaut_a"]["values"]
    assert rows["v", "astronaut_b"]["status"] == "failed"
    assert "3 frames, the input has 4" in rows["v", "astronaut_b"]["reason"]
    (mine / "astronaut_a.mp4").write_bytes(b"")  # the same clip twice
    rec = run(_cfg(tmp_path, [f"outputs:dir={mine},name=v"]), log=quiet).record
    assert "is there twice" in {c["clip_id"]: c for c in rec["clips"]}["astronaut_a"]["reason"]


def test_outputs_bad_options_are_plan_errors(tmp_path):
    with pytest.raises(InputError, match="not a folder"):
        run(_cfg(tmp_path, [f"outputs:dir={tmp_path / 'nope'}"]), log=quiet)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="holds no restored clips"):
        run(_cfg(tmp_path, [f"outputs:dir={tmp_path / 'empty'}"]), log=quiet)
    (tmp_path / "t" / "c").mkdir(parents=True)
    (tmp_path / "t" / "c" / "0.png").write_bytes(b"x")
    (tmp_path / "t" / "timing.json").write_text('{"clips": {"c": -1}}')
    with pytest.raises(InputError, match="seconds must be a positive number"):
        run(_cfg(tmp_path, [f"outputs:dir={tmp_path / 't'}"]), log=quiet)
