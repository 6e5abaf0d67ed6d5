"""Dataset sources: demo, vfhq, folder/rfv, spec parsing, LQ materialisation for each kind."""

from __future__ import annotations

import numpy as np
import pytest

from vfebench.datasets import build_source
from vfebench.datasets.demo import DemoSource, render_demo_clip
from vfebench.datasets.vfhq import parse_clip_name
from vfebench.degrade.lq import materialize
from vfebench.errors import InputError, UnknownNameError
from vfebench.video import write_png_frames, write_video


def _frames(seed: int, t: int = 3, size: int = 32) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (t, size, size, 3), dtype=np.uint8)


def test_demo_is_deterministic_and_moves(tmp_path):
    a = DemoSource(num_clips=2, num_frames=6, size=64, root=str(tmp_path / "a"))
    b = DemoSource(num_clips=2, num_frames=6, size=64, root=str(tmp_path / "b"))
    assert a.clip_ids() == ["astronaut_a", "astronaut_b"]
    ca, cb = a.load("astronaut_a"), b.load("astronaut_a")
    assert ca.frames.shape == (6, 64, 64, 3) and ca.content_hash() == cb.content_hash()
    assert a.manifest_hash() == b.manifest_hash()
    # head motion: consecutive frames differ, clips differ from each other
    assert np.abs(np.diff(ca.frames.astype(int), axis=0)).mean() > 1.0
    assert ca.content_hash() != a.load("astronaut_b").content_hash()
    # cached: a second load reads the same PNGs
    assert np.array_equal(a.load("astronaut_a").frames, ca.frames)
    assert np.array_equal(render_demo_clip("astronaut_a", 6, 64), ca.frames)  # PNG is lossless
    with pytest.raises(InputError, match="astronaut_z"):
        a.load("astronaut_z")


def test_default_demo_shape():
    d = build_source("demo")
    assert len(d.clip_ids()) == 3 and d.num_frames == 33 and d.size == 512


def test_vfhq_tree(tmp_path):
    clip_dir = tmp_path / "VFHQ-test" / "GT" / "Interval1_512x512_LANCZOS4"
    names = ["Clip+-aB_c+P0+C1+F10-20", "Clip+_x-Y+P2+C0+F5-9"]
    for i, n in enumerate(names):
        write_png_frames(_frames(i), clip_dir / n)
    lq_dir = tmp_path / "VFHQ-test" / "LQ"
    lq_dir.mkdir()
    for i, n in enumerate(names):
        write_video(_frames(10 + i, size=16), lq_dir / f"{n}.mp4", fps=25)
    src = build_source(f"vfhq:{tmp_path / 'VFHQ-test'},lq=LQ")
    assert src.clip_ids() == sorted(names)
    c = src.load(names[0])
    assert (
        c.meta["ytid"] == "-aB_c"
        and c.meta["person"] == "P0"
        and (c.meta["first"], c.meta["last"]) == (10, 20)
    )
    assert src.load_lq(names[1]).frames.shape == (3, 16, 16, 3)
    # pointing directly at the clip folder works too
    assert build_source(f"vfhq:{clip_dir}").clip_ids() == sorted(names)
    # missing LQ for a clip names it
    (lq_dir / f"{names[1]}.mp4").unlink()
    with pytest.raises(InputError, match="Clip"):
        build_source(f"vfhq:{tmp_path / 'VFHQ-test'},lq=LQ")


def test_parse_clip_name_splits_on_plus_only():
    p = parse_clip_name("Clip+--Z_9+P12+C3+F100-250")
    assert p["ytid"] == "--Z_9" and p["clip"] == "C3" and p["first"] == 100
    assert parse_clip_name("whatever") == {"name": "whatever"}


def test_folder_and_rfv(tmp_path):
    root = tmp_path / "clips"
    write_png_frames(_frames(0), root / "b_frames")
    write_video(_frames(1), root / "a.mp4", fps=30)
    (root / "notes.txt").write_text("ignored")
    src = build_source(str(root))  # bare path → folder
    assert src.name == "folder" and src.has_gt and src.clip_ids() == ["a", "b_frames"]
    assert src.load("a").frames.shape == (3, 32, 32, 3)
    rfv = build_source(f"rfv:{root}")
    assert not rfv.has_gt
    lq = materialize(rfv, None)
    assert lq.identity()["kind"] == "real" and lq.load("b_frames").num_frames == 3
    with pytest.raises(InputError, match="no ground truth"):
        materialize(rfv, "vfhq-x4")
    write_video(_frames(2), root / "b_frames.mp4")
    with pytest.raises(InputError, match="b_frames"):
        build_source(str(root))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no clips found"):
        build_source(f"folder:{empty}")
    with pytest.raises(InputError, match="does not exist"):
        build_source(f"folder:{tmp_path / 'missing'}")


def test_shipped_lq(tmp_path):
    gt, lq = tmp_path / "gt", tmp_path / "lq"
    write_png_frames(_frames(0), gt / "x")
    write_png_frames(_frames(1, size=8), lq / "x")
    src = build_source(f"folder:{gt},lq={lq}")
    s = materialize(src, None)
    assert s.identity()["kind"] == "shipped" and s.load("x").frames.shape == (3, 8, 8, 3)


def test_unknown_dataset_did_you_mean():
    with pytest.raises(UnknownNameError, match="demo"):
        build_source("dmeo")
    with pytest.raises(InputError, match="key=value"):
        build_source("demo,oops")
