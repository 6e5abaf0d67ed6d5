"""Baseline adapters, exercised against fake checkouts that mimic each tool's CLI and writer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers.fake_checkouts import fake_repo as _fake_repo

from baselines.base import ExternalMethodError
from vfebench.errors import InputError
from vfebench.methods import METHODS, build_method
from vfebench.video import Clip

# fake checkouts are never at the pinned commit
pytestmark = pytest.mark.filterwarnings("ignore::baselines.base.BaselinePinWarning")


def _lq(size: int = 16, t: int = 3) -> Clip:
    rng = np.random.default_rng(0)
    return Clip("clip+a", rng.integers(0, 250, (t, size, size, 3), dtype=np.uint8))


def test_all_adapters_registered_and_describe_themselves():
    names = [
        "basicvsr++",
        "realbasicvsr",
        "mgld-vsr",
        "star",
        "seedvr2-3b",
        "seedvr-3b",
        "pgtformer",
        "bfvr-stc",
        "keep",
        "svfr",
        "dicface",
        "codeformer",
        "difface",
    ]
    for n in names:
        cls = METHODS.get(n)
        assert cls.name == n and cls.repo_url and cls.regime in "AB" and cls.steps
        m = cls(repo="/nonexistent")
        argv = m.command(Path("/in/x"), Path("/out"), _lq())
        assert argv and all(isinstance(a, str) for a in argv)


def test_regime_a_frames_adapter(tmp_path):
    m = build_method("codeformer", repo=str(_fake_repo(tmp_path, "codeformer")), python=sys.executable, w=0.7)
    lq = _lq()
    out = m.restore(lq, (64, 64))
    assert out.frames.shape == (3, 64, 64, 3) and out.id == lq.id
    import cv2

    up = np.stack([cv2.resize(f, (64, 64), interpolation=cv2.INTER_CUBIC) for f in lq.frames])
    assert np.array_equal(out.frames.astype(int), np.clip(up.astype(int) + 1, 0, 255))
    fp = m.fingerprint()
    assert fp["config"]["w"] == 0.7 and len(fp["commit"]) == 40 and "repo" not in fp["config"]


def test_keep_layout_and_bilinear_upsample(tmp_path):
    m = build_method("keep", repo=str(_fake_repo(tmp_path, "keep")), python=sys.executable)
    lq = _lq()
    out = m.restore(lq, (64, 64))
    import cv2

    up = np.stack([cv2.resize(f, (64, 64), interpolation=cv2.INTER_LINEAR) for f in lq.frames])
    assert np.array_equal(out.frames.astype(int), np.clip(up.astype(int) + 1, 0, 255))
    assert m.fingerprint()["upsample"] == "bilinear"


def test_regime_b_video_adapter(tmp_path):
    m = build_method("star", repo=str(_fake_repo(tmp_path, "star")), python=sys.executable)
    lq = _lq(size=16)
    out = m.restore(lq, (64, 64))
    assert out.frames.shape == (3, 64, 64, 3)
    ref = np.clip(np.repeat(np.repeat(lq.frames, 4, 1), 4, 2).astype(int) + 1, 0, 255)
    assert np.abs(out.frames.astype(int) - ref).max() <= 1  # lossless round trips both ways


def test_failures_are_clear(tmp_path):
    with pytest.raises(InputError, match="git"):
        build_method("codeformer", repo=str(tmp_path / "missing")).restore(_lq(), (64, 64))
    bad = _fake_repo(tmp_path, "keep", body_extra="\nos.remove(os.path.join(d, '00000001.png'))\n")
    with pytest.raises(ExternalMethodError, match="2 output frames for 3"):
        build_method("keep", repo=str(bad), python=sys.executable).restore(_lq(), (64, 64))
    crash = _fake_repo(tmp_path / "c", "codeformer", body_extra="\nraise SystemExit('CUDA out of memory')\n")
    with pytest.raises(ExternalMethodError, match="CUDA out of memory"):
        build_method("codeformer", repo=str(crash), python=sys.executable).restore(_lq(), (64, 64))
    star = build_method("star", repo=str(_fake_repo(tmp_path / "e", "star")), python=sys.executable)
    with pytest.raises(ExternalMethodError, match="never resizes"):
        star.restore(_lq(), (60, 60))


# ------------------------------------------------------------------ the six adapters' workarounds


def _nearest4_bright(lq: Clip, times: int = 1) -> np.ndarray:
    up = np.repeat(np.repeat(lq.frames, 4, 1), 4, 2).astype(int)
    return np.clip(up + times, 0, 255)


def test_basicvsrpp_passes_a_relative_input_folder(tmp_path):
    m = build_method("basicvsr++", repo=str(_fake_repo(tmp_path, "basicvsr++")), python=sys.executable)
    lq = _lq()
    out = m.restore(lq, (64, 64))
    assert np.array_equal(out.frames.astype(int), _nearest4_bright(lq))
    argv = m.command(Path("/tmp/x/input/c"), Path("/tmp/x/output"), lq)
    assert not Path(argv[4]).is_absolute() and argv[argv.index("--max-seq-len") + 1] == "30"
    assert m.fingerprint()["params"] == {"config": "configs/basicvsr_plusplus_reds4.py", "max_seq_len": 30}


def test_basicvsrpp_fake_reproduces_the_leading_slash_bug(tmp_path):
    """The fake really drops a leading '/', so the test above would fail with an absolute path."""
    repo = _fake_repo(tmp_path, "basicvsr++")
    frames = tmp_path / "in" / "c"
    from vfebench.video import write_png_frames

    write_png_frames(_lq().frames, frames)
    (tmp_path / "o").mkdir()
    argv = [
        sys.executable,
        "demo/restoration_video_demo.py",
        "configs/basicvsr_plusplus_reds4.py",
        "ck",
        str(frames),
    ]
    r = subprocess.run(
        argv + [str(tmp_path / "o"), "--max-seq-len", "2"],
        cwd=repo,
        env={**__import__("os").environ, "TORCH_HOME": "x/chkpts/torch"},
        capture_output=True,
        text=True,
    )
    assert r.returncode != 0 and "No such file" in r.stderr


def test_mgld_prerun_rewrites_both_configs_and_sets_pythonpath(tmp_path):
    repo = _fake_repo(tmp_path, "mgld-vsr")
    m = build_method("mgld-vsr", repo=str(repo), python=sys.executable)
    lq = _lq()
    out = m.restore(lq, (64, 64))
    assert np.array_equal(out.frames.astype(int), _nearest4_bright(lq))
    vae = (repo / "configs/video_autoencoder/video_autoencoder_kl_64x64x4_resi.yaml").read_text()
    assert "load_path: checkpoints/flownets/raft-things.pth" in vae
    argv = m.command(Path("/i/c"), Path("/o"), lq)
    for flag, value in (
        ("--dec_w", "1.0"),
        ("--colorfix_type", "adain"),
        ("--ckpt", "checkpoints/stablevsr_025.ckpt"),
    ):
        assert argv[argv.index(flag) + 1] == value


def _torchrun_shim(tmp_path: Path) -> str:
    """Stands in for ``python -m torch.distributed.run --standalone --nproc-per-node=1``."""
    shim = tmp_path / "torchrun-python"
    shim.write_text(
        f'#!/bin/sh\n[ "$1 $2" = "-m torch.distributed.run" ] || exit 3\nshift 4\nexec {sys.executable} "$@"\n'
    )
    shim.chmod(0o755)
    return str(shim)


def test_seedvr_pythonpath_x4_resolution_and_colour_fix_state(tmp_path):
    repo = _fake_repo(tmp_path, "seedvr2-3b")
    m = build_method("seedvr2-3b", repo=str(repo), python=_torchrun_shim(tmp_path))
    lq = _lq(size=12)
    out = m.restore(lq, (48, 48))
    assert np.abs(out.frames.astype(int) - _nearest4_bright(lq)).max() <= 1
    argv = m.command(Path("/i/c.mp4"), Path("/o"), lq)
    assert argv[argv.index("--res_h") + 1] == "48" and "--sample_steps" not in argv
    fp_off = m.fingerprint_hash()
    assert m.fingerprint()["params"]["color_fix"] is None
    (repo / "projects/video_diffusion_sr").mkdir(parents=True)
    (repo / "projects/video_diffusion_sr/color_fix.py").write_text("# wavelet fix\n")
    m2 = build_method("seedvr2-3b", repo=str(repo), python=_torchrun_shim(tmp_path))
    assert m2.fingerprint()["params"]["color_fix"].startswith("sha256:") and m2.fingerprint_hash() != fp_off
    assert np.abs(m2.restore(lq, (48, 48)).frames.astype(int) - _nearest4_bright(lq, 2)).max() <= 1
    with pytest.raises(InputError, match="color_fix.py"):
        build_method("seedvr2-3b", repo=str(repo), color_fix=False).setup()
    assert "--sample_steps" in build_method("seedvr-3b", repo=str(repo)).command(
        Path("/i/c.mp4"), Path("/o"), lq
    )


def test_pgtformer_sets_the_exec_bit_of_its_bundled_ffmpeg(tmp_path):
    import os

    repo = _fake_repo(tmp_path, "pgtformer")
    assert not os.access(repo / "ffmpeg_lib/ffmpeg", os.X_OK)
    m = build_method("pgtformer", repo=str(repo), python=sys.executable)
    lq = _lq(size=16)
    out = m.restore(lq, (16, 16))
    assert np.abs(out.frames.astype(int) - np.clip(lq.frames.astype(int) + 1, 0, 255)).max() <= 1
    assert os.access(repo / "ffmpeg_lib/ffmpeg", os.X_OK)


def test_star_records_weights_and_mode(tmp_path):
    m = build_method("star", repo="/nonexistent")
    argv = m.command(Path("/i/c.mp4"), Path("/o"), _lq())
    assert argv[argv.index("--file_name") + 1] == "clip+a.mp4"
    assert argv[argv.index("--model_path") + 1] == "pretrained_weight/heavy_deg.pt"
    assert m.effective_params()["solver_mode"] == "fast"
    light = build_method("star", repo="/nonexistent", weights="light", steps=30)
    assert light.effective_params()["solver_mode"] == "normal" and light.effective_params()["steps"] == 30
    assert [w.path for w in light.required_weights()] == ["pretrained_weight/light_deg.pt"]
    assert light.fingerprint_hash() != m.fingerprint_hash()
    with pytest.raises(InputError, match="15 steps"):
        build_method("star", repo="/nonexistent", solver_mode="fast", steps=30).effective_params()


# ------------------------------------------------------------------ checkout identity
def _plain_copy(tmp_path: Path, name: str, extra: str = "") -> Path:
    """A non-git checkout (a copy of the fake tool's files, no .git)."""
    import shutil

    src = _fake_repo(tmp_path / f"src-{name}", "keep", body_extra=extra)
    dst = tmp_path / name
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".git"))
    return dst


def test_non_git_checkouts_are_fingerprinted_by_their_source(tmp_path):
    a = build_method("keep", repo=str(_plain_copy(tmp_path, "a")))
    b = build_method("keep", repo=str(_plain_copy(tmp_path, "b")))  # same code, other place
    c = build_method("keep", repo=str(_plain_copy(tmp_path, "c", extra="\n# patched\n")))
    fa = a.fingerprint()
    assert (
        fa["commit"] is None and fa["source_hash"].startswith("sha256:") and fa["commit_matches_pin"] is None
    )
    assert a.fingerprint_hash() == b.fingerprint_hash() != c.fingerprint_hash()
    # weights, outputs and hidden folders do not count
    for junk in ("weights/x.json", "results/out.txt", ".venv/lib.py", "x.pth"):
        (Path(a.repo) / junk).parent.mkdir(parents=True, exist_ok=True)
        (Path(a.repo) / junk).write_text("junk")
    assert build_method("keep", repo=str(a.repo)).fingerprint_hash() == b.fingerprint_hash()


def test_fingerprint_has_no_local_paths(tmp_path):
    import json

    repo = _fake_repo(tmp_path, "keep")
    m = build_method("keep", repo=str(repo), python=sys.executable, timeout=5)
    text = json.dumps(m.fingerprint())
    assert str(tmp_path) not in text and sys.executable not in text


def test_commit_differing_from_the_pin_warns_once(tmp_path, monkeypatch):
    import baselines.base as base
    from baselines.keep import KEEP

    monkeypatch.setattr(base, "_WARNED", set())
    monkeypatch.setattr(KEEP, "pinned_commit", "f" * 40)
    repo = _fake_repo(tmp_path, "keep")
    head = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    with pytest.warns(base.BaselinePinWarning, match="not the pinned"):
        fp = build_method("keep", repo=str(repo)).fingerprint()
    assert fp["commit"] == head and fp["commit_matches_pin"] is False
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        build_method("keep", repo=str(repo)).fingerprint()  # second time: silent
    monkeypatch.setattr(KEEP, "pinned_commit", head)
    assert build_method("keep", repo=str(repo)).fingerprint()["commit_matches_pin"] is True


def test_missing_checkout_message_names_the_real_options(tmp_path):
    with pytest.raises(InputError) as e:
        build_method("star", repo=str(tmp_path / "nope")).setup()
    msg = str(e.value)
    assert "--method star:repo=PATH" in msg and "VFEBENCH_STAR_REPO" in msg
    assert "vfebench baselines setup star" in msg and "--method-opt" not in msg


def _up(lq: Clip, size: int, interp: int) -> np.ndarray:
    import cv2

    return np.stack([cv2.resize(f, (size, size), interpolation=interp) for f in lq.frames])


def _bright(x: np.ndarray) -> np.ndarray:
    return np.clip(x.astype(int) + 1, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("t", [50, 48, 10])
def test_bfvr_stc_windows_cover_the_clip_losslessly(tmp_path, t):
    """The script reads 24 frames and writes MJPG; the adapter runs 24-frame windows and captures PNGs."""
    import cv2

    m = build_method("bfvr-stc", repo=str(_fake_repo(tmp_path, "bfvr-stc")), python=sys.executable)
    lq = _lq(t=t)
    out = m.restore(lq, (64, 64))
    assert out.frames.shape == (t, 64, 64, 3) and out.id == lq.id
    assert np.array_equal(out.frames, _bright(_up(lq, 64, cv2.INTER_CUBIC)))  # no JPEG loss, frames in order
    assert m.fingerprint()["window"] == 24 and m.fingerprint()["version"] == "2"


def test_bfvr_stc_window_plan():
    m = build_method("bfvr-stc", repo="/nonexistent")
    assert m.windows(24) == [(0, 0)] and m.windows(5) == [(0, 0)]
    assert m.windows(50) == [
        (0, 0),
        (24, 0),
        (26, 22),
    ]  # the last window ends at frame 50, keeps 2 new frames
    for n in (25, 47, 48, 49, 100, 121):
        kept = [s + k for s, k in m.windows(n)]
        ends = [min(s + 24, n) for s, _ in m.windows(n)]
        assert kept[0] == 0 and all(a == b for a, b in zip(kept[1:], ends[:-1])) and ends[-1] == n


def test_svfr_reads_the_restored_pngs_not_the_lq_copy(tmp_path):
    import cv2

    cfg = {"config/infer.yaml": "data:\n  n_sample_frames: 16\nnum_inference_steps: 30 # steps\n"}
    m = build_method("svfr", repo=str(_fake_repo(tmp_path, "svfr", files=cfg)), python=sys.executable)
    lq = _lq()
    out = m.restore(lq, (64, 64))
    assert np.array_equal(out.frames, _bright(_up(lq, 64, cv2.INTER_CUBIC)))
    assert m.fingerprint()["steps"] == {"reference_window": 50, "clip": 30}
    argv = m.command(Path("/in/x.mp4"), Path("/out"), lq)
    assert argv[argv.index("--seed") + 1] == "77"


def test_difface_records_its_real_sampling_steps():
    m = build_method("difface", repo="/nonexistent")
    assert m.steps == 100 and m.fingerprint()["sampling"]["ddim_steps"] == 100
    argv = m.command(Path("/in/x"), Path("/out"), _lq())
    assert "--use_fp16" in argv and argv[argv.index("--seed") + 1] == "12345"
    assert "--use_fp16" not in build_method("difface", repo="/x", fp16=False).command(
        Path("/i"), Path("/o"), _lq()
    )


def test_dicface_runs_with_the_checkout_on_pythonpath_and_readme_window(tmp_path):
    import cv2

    repo = _fake_repo(tmp_path, "dicface", files={"facelib/__init__.py": ""})
    out = build_method("dicface", repo=str(repo), python=sys.executable).restore(_lq(), (64, 64))
    assert np.array_equal(out.frames, _bright(_up(_lq(), 64, cv2.INTER_CUBIC)))


def test_realbasicvsr_accepts_clip_ids_with_dots(tmp_path):
    m = build_method("realbasicvsr", repo=str(_fake_repo(tmp_path, "realbasicvsr")), python=sys.executable)
    lq = Clip("id00017.mp4_0", _lq().frames)
    out = m.restore(lq, (64, 64))
    assert out.id == "id00017.mp4_0" and out.frames.shape == (3, 64, 64, 3)
    assert np.array_equal(out.frames, _bright(np.repeat(np.repeat(lq.frames, 4, 1), 4, 2)))


def test_codeformer_silent_fallback_is_rejected(tmp_path):
    # CodeFormer writes the input face when inference raises (exit 0); here: every frame
    body = "\nfor f in sorted(Path(a.input_path).glob('*.png')):\n    import shutil; shutil.copy(f, os.path.join(a.o, 'restored_faces', f.name))\n"
    repo = _fake_repo(tmp_path, "codeformer", body_extra=body)
    with pytest.raises(ExternalMethodError, match="input unchanged"):
        build_method("codeformer", repo=str(repo), python=sys.executable).restore(_lq(), (64, 64))


def test_pinned_adapters_declare_weights_and_setup():
    for n in ("bfvr-stc", "svfr", "difface", "dicface", "realbasicvsr", "keep", "codeformer"):
        cls = METHODS.get(n)
        assert len(cls.pinned_commit) == 40 and cls.entry_point and cls.env_setup and cls.weights, n
        assert all(not Path(w.path).is_absolute() and w.url.startswith("https://") for w in cls.weights), n
