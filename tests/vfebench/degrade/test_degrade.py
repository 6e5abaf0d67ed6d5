"""Degradation presets: determinism, parameter ranges, sizes, codec round trip, errors."""

from __future__ import annotations

import hashlib
import io
import json
import math
import warnings
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
    assert on_disk["preset"] == "keep" and on_disk["version"] == "2" and on_disk["seed"] == 0
    for cid in small_demo.clip_ids():
        p = man["clips"][cid]["params"]
        assert {"blur", "interpolation", "crf", "scale", "frames", "codec", "pipeline"} <= set(p)
        c = p["codec"]
        # the encoder settings actually used and the encoded size
        assert c["codec"] == "libx264" and c["pix_fmt"] == "yuv420p" and c["preset"] == "medium"
        assert c["crf"] == p["crf"] and c["time_base"] == "1/1" and c["coded_size"] == [16, 16]
        assert c["encoded_bytes"] > 0
        assert c["bits_per_pixel"] == pytest.approx(8 * c["encoded_bytes"] / (5 * 16 * 16))
        assert c["bytes_per_frame"] == pytest.approx(c["encoded_bytes"] / 5)
        assert p["pipeline"]["channels"].startswith("BGR") and p["pipeline"]["to_uint8"] == "truncate"
        assert len(p["frames"]) == 5
        for t, fr in enumerate(p["frames"]):
            assert set(fr) == {"delta", "gray", "delta2", "gray2"}  # KEEP: noise twice
            assert (fr["delta"], fr["gray"]) == build_preset("keep").first_noise_draw(cid, 0, t)


@pytest.mark.parametrize("preset", ["vfhq-x4", "keep", "dicface"])
def test_parameter_ranges_statistically(preset):
    """Over 300 clip ids the draws cover the protocol ranges with the protocol frequencies (v2)."""
    pr = build_preset(preset)
    assert pr.version == "2"
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
    pre, draws = pr.pre_codec(gt, 0)
    assert draws == p["frames"]
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


# ----------------------------------------------------------------------------- byte stability
def _textured(t: int, h: int, w: int, seed: int = 0) -> np.ndarray:
    """Smooth gradients + noise: enough motion and detail for x264's B-frames and mb-tree."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([(xx * 3 + yy) % 256, (yy * 2) % 256, (xx + yy * 5) % 256], -1).astype(np.float32)
    return np.stack(
        [np.clip(base + rng.normal(0, 8, (h, w, 3)) + 2 * i, 0, 255).astype(np.uint8) for i in range(t)]
    )


def _hash(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).data).hexdigest()


def _encoded(frames: np.ndarray, asm: str | None, crf: int = 23) -> bytes:
    """libx264 as :func:`ops.h264_encode` opens it, with another ``asm`` setting (None = x264's)."""
    import av

    from vfebench.video import quiet_av_logging

    quiet_av_logging()
    buf = io.BytesIO()
    t, h, w, _ = frames.shape
    with av.open(buf, "w", format="mp4") as out:
        st = out.add_stream("libx264", rate=1)
        st.width, st.height, st.pix_fmt = w, h, "yuv420p"
        st.codec_context.thread_count = ops.x264_slice_threads(h)
        opts = {"crf": str(crf), "preset": "medium"}
        if asm is not None:
            opts["x264-params"] = f"asm={asm}"
        st.codec_context.options = opts
        for i, fr in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(fr, format="rgb24")
            vf.pts = i
            for pkt in st.encode(vf):
                out.mux(pkt)
        for pkt in st.encode():
            out.mux(pkt)
    return buf.getvalue()


def _cpu() -> dict:
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as f
    except ImportError:
        from numpy.core._multiarray_umath import __cpu_features__ as f
    return f


@pytest.mark.skipif(not _cpu().get("AVX512BW"), reason="the x264 AVX-512 bug needs an AVX-512 CPU")
def test_root_cause_x264_avx512_mbtree():
    """The diagnosis, checked: x264's own CPU choice is unstable at 96 px wide, not at 128.

    What x264's AVX-512 mb-tree code reads past a row is heap garbage, so how often it changes
    depends on the heap; encodes of another size in between stir it.
    """
    f96, f128, other = _textured(12, 96, 96), _textured(12, 64, 128), _textured(4, 48, 80)

    def distinct(frames, asm, n):
        out = set()
        for _ in range(n):
            out.add(_encoded(frames, asm))
            _encoded(other, asm)
        return len(out)

    assert distinct(f96, ops.X264_ASM_X86, 16) == 1  # the pinned level: no AVX-512
    assert distinct(f128, None, 6) == 1  # 8 macroblocks per row: no tail, no garbage
    # x264's own choice at 96 px reads heap garbage past the row, so whether 16 encodes differ
    # depends on the process's heap (seen: 11 of 20 distinct, and also 1 under another load).
    # The bug showing is evidence, not a requirement: the fix must hold either way.
    n = distinct(f96, None, 16)
    if n == 1:
        warnings.warn("x264 AVX-512 mb-tree instability did not show in this process's heap", stacklevel=1)


def test_instruction_set_levels_give_the_same_bytes():
    """SSSE3 … AVX2 (what x86-64 machines run) encode identically, so pinning SSSE3 loses nothing."""
    f = _cpu()
    levels = [
        n for n, k in (("SSSE3", "SSSE3"), ("SSE4.2", "SSE42"), ("AVX", "AVX"), ("AVX2", "AVX2")) if f.get(k)
    ]
    if len(levels) < 2:
        pytest.skip("needs a CPU with at least SSSE3 and SSE4.2")
    for t, h, w in ((20, 96, 96), (10, 98, 130), (12, 128, 128)):
        fr = _textured(t, h, w)
        assert len({_encoded(fr, a) for a in levels}) == 1, (t, h, w, levels)


#: (GT height, GT width, frames): codec sees GT/4 — 24², 32², 24×32, 64², 128², 50² — and the
#: codec-level cases below see 96², 130×98 and 256² directly
APPLY_CASES = [(96, 96, 6), (128, 128, 6), (98, 130, 6), (256, 256, 3), (512, 512, 2), (200, 200, 1)]
CODEC_CASES = [(96, 96, 8), (98, 130, 6), (256, 256, 4), (128, 128, 1)]


def _clip(h: int, w: int, t: int) -> Clip:
    return Clip(f"c{h}x{w}x{t}", _textured(t, h, w, seed=h * w + t))


def _stable_hashes() -> dict[str, str]:
    """One hash per case: every preset's ``apply`` and the bare codec round trip."""
    out = {}
    for h, w, t in APPLY_CASES[:3]:
        for name in ("vfhq-x4", "keep", "dicface"):
            out[f"{name}/{h}x{w}x{t}"] = build_preset(name).apply(_clip(h, w, t), 3)[0].content_hash()
    for h, w, t in CODEC_CASES:
        out[f"codec/{h}x{w}x{t}"] = _hash(ops.h264_roundtrip(_textured(t, h, w), 21))
    return out


@pytest.mark.slow  # ~25 s on 2 cores (50 repetitions)
def test_apply_50_times_gives_one_hash_per_case():
    pr = build_preset("vfhq-x4")
    for h, w, t in APPLY_CASES:
        c = _clip(h, w, t)
        hashes = {pr.apply(c, 5)[0].content_hash() for _ in range(50)}
        assert len(hashes) == 1, (h, w, t, len(hashes))
    for h, w, t in CODEC_CASES:
        f = _textured(t, h, w)
        assert len({_hash(ops.h264_roundtrip(f, 22)) for _ in range(50)}) == 1, (h, w, t)


def test_same_bytes_in_other_processes_thread_and_core_counts():
    import os
    import shutil
    import subprocess
    import sys

    here = _stable_hashes()
    code = "import json, tests.vfebench.degrade.test_degrade as t; print(json.dumps(t._stable_hashes()))"
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    runs = [([], {"OMP_NUM_THREADS": "1"}), ([], {"OMP_NUM_THREADS": "8", "OPENCV_FOR_THREADS_NUM": "3"})]
    if shutil.which("taskset") and len(os.sched_getaffinity(0)) > 1:
        runs.append((["taskset", "-c", str(min(os.sched_getaffinity(0)))], {}))  # one core
    for prefix, extra in runs:
        res = subprocess.run(
            [*prefix, sys.executable, "-c", code],
            cwd=root,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert res.returncode == 0, res.stderr[-2000:]
        assert json.loads(res.stdout.strip().splitlines()[-1]) == here, (prefix, extra)


def test_codec_settings_follow_the_reference():
    s = ops.h264_settings(128, 128, 21)
    assert s["time_base"] == "1/1" and s["pix_fmt"] == "yuv420p" and s["preset"] == "medium"
    assert s["threads"] == 2 and s["sliced_threads"]  # what PyAV + x264 pick for 128-px frames
    assert ops.h264_settings(64, 64, 21)["threads"] == 1
    assert ops.h264_settings(512, 512, 21)["threads"] == 8
    assert ops.h264_settings(33, 47, 21)["coded_size"] == [34, 48]  # odd sizes padded to even
    # the time base changes x264's CRF rate control: the reference's 1/1 spends more bits than 1/25
    f = _textured(12, 64, 64)
    a, b = {}, {}
    ops.h264_roundtrip(f, 23, rate=1, info=a)
    ops.h264_roundtrip(f, 23, rate=25, info=b)
    assert a["encoded_bytes"] > 1.5 * b["encoded_bytes"]


def test_odd_sizes_and_one_frame():
    for name in ("vfhq-x4", "keep", "dicface"):
        lq, p = build_preset(name).apply(_clip(70, 54, 1), 0)
        assert lq.num_frames == 1 and list(lq.size) == p["lq_size"]
    assert build_preset("keep").apply(_clip(70, 54, 2), 0)[0].size == (17, 13)  # odd LQ, padded
    assert build_preset("dicface").lq_size(70, 54) == (16, 12)  # DicFace's even LQ size


def test_preset_labels_and_gate_treats_versions_as_incomparable():
    from vfebench.degrade.presets import preset_label
    from vfebench.gate import INCOMPARABLE, compare

    assert preset_label("keep", "1") == "keep v1 (pre-fix)" and preset_label("keep", 2) == "keep v2"
    assert build_preset("vfhq-x4").label == "vfhq-x4 v2"

    def record(version: str) -> dict:
        return {
            "dataset": {"manifest_hash": "m", "clip_ids": ["a"]},
            "lq": {"identity": {"kind": "synthetic", "preset": "vfhq-x4", "version": version, "seed": 0}},
            "config": {"max_frames": None},
            "metrics": {"psnr": {"name": "psnr", "version": "1", "higher_is_better": True}},
            "methods": {"bicubic": {"aggregates": {"psnr": 30.0}}},
            "clips": [{"method": "bicubic", "clip_id": "a", "status": "ok", "values": {"psnr": 30.0}}],
        }

    assert compare(record("2"), record("2")).status == "pass"
    res = compare(record("1"), record("2"))
    assert res.status == INCOMPARABLE and any("preset version" in r for r in res.reasons)


def test_cli_degrade_export_layouts(tmp_path, capsys):
    from vfebench.cli import main
    from vfebench.video import read_clip

    out = tmp_path / "lq"
    spec = "demo,num_clips=2,num_frames=3,size=64"
    args = ["degrade", "--dataset", spec, "--preset", "keep", "--seed", "2", "--out", str(out), "--quiet"]
    assert main([*args, "--video", "--upsample", "linear"]) == 0
    assert "keep v2" in capsys.readouterr().out
    ex = json.loads((out / "exports.json").read_text())
    man = json.loads((out / "manifest.json").read_text())
    assert ex["preset"] == "keep" and ex["version"] == "2"
    up = ex["layouts"]["upsampled-linear"]
    assert "INTER_LINEAR" in up["interpolation"] and up["size"] == "GT"
    for cid, e in man["clips"].items():
        lq = read_clip(out / cid)
        assert lq.content_hash() == e["lq_hash"] == ex["layouts"]["videos"]["content_hashes"][cid]
        vid = read_clip(out / "_videos" / f"{cid}.mp4")
        assert np.array_equal(vid.frames, lq.frames)  # lossless
        big = read_clip(out / "_upsampled-linear" / cid)
        assert big.size == (64, 64) and big.content_hash() == up["content_hashes"][cid]
        expect = np.stack([ops.resize(f, (64, 64), "linear") for f in lq.frames])
        assert np.array_equal(big.frames, expect)
        assert np.array_equal(read_clip(out / "_upsampled-linear" / "_videos" / f"{cid}.mp4").frames, expect)
    # dicface's LQ is already at the GT size: a clear error, exit status 2
    assert (
        main(
            [*args[:3], "--preset", "dicface", "--out", str(tmp_path / "d"), "--quiet", "--upsample", "cubic"]
        )
        == 2
    )
    assert "already at the GT size" in capsys.readouterr().err


def test_v2_keeps_the_v1_draws():
    """Only the pipeline changed in v2: the draws are v1's (values from the v1 code, git 4637a59)."""
    p = build_preset("vfhq-x4").sample_clip_params("astronaut_a", 0)
    assert p["crf"] == 19 and p["interpolation"] == "linear" and p["blur"]["kind"] == "iso"
    assert p["blur"]["sigma_x"] == pytest.approx(4.020836773911369, abs=1e-15)
