"""Degradation presets: determinism, parameter ranges, sizes, codec round trip, errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from vfebench.datasets.demo import DemoSource
from vfebench.degrade import build_preset, ops
from vfebench.degrade.lq import degrade_to_dir, materialize
from vfebench.errors import InputError, UnknownNameError
from vfebench.video import Clip


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory):
    return DemoSource(num_clips=3, num_frames=5, size=64, root=str(tmp_path_factory.mktemp("demo")))


def _tree_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_degrade_is_deterministic_and_order_independent(small_demo, tmp_path):
    ids = small_demo.clip_ids()
    degrade_to_dir(small_demo, "vfhq-x4", 7, tmp_path / "a", ids, progress=False)
    degrade_to_dir(small_demo, "vfhq-x4", 7, tmp_path / "b", list(reversed(ids)), progress=False)
    # one clip at a time, in yet another order, into the same folder
    for cid in [ids[1], ids[2], ids[0]]:
        degrade_to_dir(small_demo, "vfhq-x4", 7, tmp_path / "c", [cid], progress=False)
    a, b, c = (_tree_bytes(tmp_path / x) for x in "abc")
    assert a == b == c
    assert any(k.endswith(".png") for k in a) and "manifest.json" in a
    degrade_to_dir(small_demo, "vfhq-x4", 8, tmp_path / "d", ids, progress=False)
    d = _tree_bytes(tmp_path / "d")
    assert d.keys() == a.keys()
    pngs = [k for k in a if k.endswith(".png")]
    assert sum(a[k] != d[k] for k in pngs) == len(pngs)  # another seed: every frame differs
    assert a["manifest.json"] != d["manifest.json"]


def test_cli_degrade_twice_identical(small_demo, tmp_path, monkeypatch):
    from vfebench.cli import main

    spec = "demo,num_clips=2,num_frames=3,size=64"
    assert (
        main(
            [
                "degrade",
                "--dataset",
                spec,
                "--preset",
                "dicface",
                "--seed",
                "1",
                "--out",
                str(tmp_path / "x"),
                "--quiet",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "degrade",
                "--dataset",
                spec,
                "--preset",
                "dicface",
                "--seed",
                "1",
                "--out",
                str(tmp_path / "y"),
                "--quiet",
                "--clips",
                "astronaut_b,astronaut_a",
            ]
        )
        == 0
    )
    assert _tree_bytes(tmp_path / "x") == _tree_bytes(tmp_path / "y")


def test_manifest_records_every_parameter(small_demo, tmp_path):
    man = degrade_to_dir(small_demo, "keep", 0, tmp_path, progress=False)
    on_disk = json.loads((tmp_path / "manifest.json").read_text())
    assert on_disk["preset"] == "keep" and on_disk["version"] == "1" and on_disk["seed"] == 0
    for cid in small_demo.clip_ids():
        p = man["clips"][cid]["params"]
        assert {"blur", "interpolation", "crf", "scale", "frames"} <= set(p)
        assert len(p["frames"]) == 5
        for t, fr in enumerate(p["frames"]):
            assert set(fr) == {"delta", "gray", "delta2", "gray2"}  # KEEP: noise twice
            assert (fr["delta"], fr["gray"]) == build_preset("keep").first_noise_draw(cid, 0, t)


def test_parameter_ranges_statistically():
    """Over 300 clip ids the draws cover the protocol ranges with the protocol frequencies."""
    pr = build_preset("vfhq-x4")
    n = 300
    ps = [pr.sample_clip_params(f"Clip+id{i:04d}+P0+C0+F0-99", 0) for i in range(n)]
    sig = np.array([s for p in ps for s in (p["blur"]["sigma_x"], p["blur"]["sigma_y"])])
    assert sig.min() >= 0.1 and sig.max() <= 10.0 and sig.min() < 0.6 and sig.max() > 9.4
    iso = np.mean([p["blur"]["kind"] == "iso" for p in ps])
    assert abs(iso - 0.7) < 4 * math.sqrt(0.7 * 0.3 / n)
    thetas = np.array([p["blur"]["theta"] for p in ps if p["blur"]["kind"] == "aniso"])
    assert thetas.min() > -math.pi and thetas.max() < math.pi and thetas.min() < -2.5 and thetas.max() > 2.5
    interp = [p["interpolation"] for p in ps]
    for name, prob in zip(("area", "linear", "cubic"), (0.2, 0.4, 0.4)):
        assert abs(interp.count(name) / n - prob) < 4 * math.sqrt(prob * (1 - prob) / n)
    crfs = [p["crf"] for p in ps]
    assert set(crfs) == set(range(18, 25))  # randint[18, 25): 18..24, nothing else
    draws = [pr.first_noise_draw(f"c{i}", 0, t) for i in range(40) for t in range(10)]
    deltas = np.array([d for d, _ in draws])
    assert deltas.min() >= 0 and deltas.max() <= 10 and deltas.min() < 0.2 and deltas.max() > 9.8
    gray = np.mean([g for _, g in draws])
    assert abs(gray - 0.5) < 4 * math.sqrt(0.25 / len(draws))
    # δ is drawn per frame, the blur once per clip
    assert len({pr.first_noise_draw("c0", 0, t)[0] for t in range(10)}) == 10
    assert pr.sample_clip_params("c0", 0) == pr.sample_clip_params("c0", 0)


@pytest.mark.parametrize("preset,factor", [("vfhq-x4", 4), ("keep", 4), ("dicface", 1)])
def test_lq_sizes(small_demo, preset, factor):
    gt = small_demo.load("astronaut_a")
    lq, params = build_preset(preset).apply(gt, 0)
    assert lq.frames.shape == (5, 64 // factor, 64 // factor, 3)
    assert lq.id == gt.id and params["lq_size"] == [64 // factor, 64 // factor]


def test_codec_round_trip_really_happens(small_demo):
    pr = build_preset("vfhq-x4")
    gt = small_demo.load("astronaut_b")
    lq, p = pr.apply(gt, 0)
    b = p["blur"]
    kernel = ops.gaussian_kernel(b["size"], b["sigma_x"], b["sigma_y"], b["theta"])
    pre = np.stack(
        [
            ops.to_uint8(pr.degrade_frame(gt.frames[t], p, kernel, pr._rng(gt.id, 0, "frame", t))[0])
            for t in range(gt.num_frames)
        ]
    )
    assert pre.shape == lq.frames.shape
    assert np.abs(pre.astype(int) - lq.frames.astype(int)).mean() > 0.1  # the codec changed the frames
    # stronger compression → larger error
    base = DemoSource(num_clips=1, num_frames=6, size=128).load("astronaut_a").frames
    errs = [np.abs(ops.h264_roundtrip(base, crf).astype(int) - base).mean() for crf in (18, 24, 36)]
    assert 0 < errs[0] < errs[1] < errs[2]


def test_kernel_properties():
    k = ops.gaussian_kernel(21, 2.0, 2.0, 0.0)
    assert k.shape == (21, 21) and abs(k.sum() - 1) < 1e-12
    assert np.allclose(k, k.T) and np.allclose(k, k[::-1, ::-1])
    a = ops.gaussian_kernel(21, 4.0, 1.0, 0.0)  # wide along x
    assert a[10, :].sum() > a[:, 10].sum()
    r = ops.gaussian_kernel(21, 4.0, 1.0, math.pi / 2)  # rotated: wide along y
    assert np.allclose(r, a.T, atol=1e-12)
    with pytest.raises(InputError):
        ops.gaussian_kernel(20, 1, 1, 0)


def test_bad_inputs(small_demo, tmp_path):
    with pytest.raises(UnknownNameError, match="vfhq-x4"):
        build_preset("vfhq_x4")
    tiny = Clip("tiny", np.zeros((2, 8, 8, 3), np.uint8))
    with pytest.raises(InputError, match="tiny"):
        build_preset("vfhq-x4").apply(tiny, 0)
    with pytest.raises(InputError, match="nope"):
        degrade_to_dir(small_demo, "vfhq-x4", 0, tmp_path, ["nope"], progress=False)


def test_materialize_caches(small_demo, tmp_path):
    lq = materialize(small_demo, "vfhq-x4", 0, root=tmp_path / "lq", progress=False)
    f = tmp_path / "lq" / "astronaut_a" / "00000000.png"
    m0 = f.stat().st_mtime_ns
    lq2 = materialize(small_demo, "vfhq-x4", 0, root=tmp_path / "lq", progress=False)
    assert f.stat().st_mtime_ns == m0  # nothing recomputed
    assert lq.identity() == lq2.identity() and lq.manifest_hash == lq2.manifest_hash
    assert lq.load("astronaut_a").frames.shape == (5, 16, 16, 3)
    assert lq.params("astronaut_a")["preset"] == "vfhq-x4"
    other = materialize(small_demo, "vfhq-x4", 1, root=tmp_path / "lq1", progress=False)
    assert other.manifest_hash != lq.manifest_hash
    with pytest.raises(InputError, match="--preset"):
        materialize(small_demo, None)
