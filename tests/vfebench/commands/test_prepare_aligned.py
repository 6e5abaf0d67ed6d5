"""``vfebench prepare --aligned``: already-aligned square faces pass through, never cropped;
upscaled crops are named in a warning."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vfebench.cli import main as cli_main
from vfebench.video import read_clip, write_png_frames, write_video


def _frames(n: int, side: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, side, side, 3), dtype=np.uint8)


def test_aligned_512_is_byte_identical_frames_and_other_sides_are_resized(tmp_path, capsys):
    src = tmp_path / "raw"
    a = _frames(4, 512)
    write_png_frames(a, src / "hdtf_a")  # an HDTF-style 512² clip as frames
    write_video(read_clip(src / "hdtf_a", "v"), src / "hdtf_v.mkv", fps=25.0, codec="ffv1")
    write_png_frames(_frames(3, 400, 1), src / "small")  # ×1.28: upscaled, named in the warning
    write_png_frames(_frames(3, 600, 2), src / "big")  # downscaled: no warning
    out = tmp_path / "gt"
    assert cli_main(["prepare", str(src), str(out), "--aligned", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert np.array_equal(read_clip(out / "hdtf_a").frames, a)  # decoded input == decoded output
    assert np.array_equal(read_clip(out / "hdtf_v").frames, read_clip(src / "hdtf_v.mkv").frames)
    small, big = read_clip(out / "small").frames, read_clip(out / "big").frames
    assert small.shape == big.shape == (3, 512, 512, 3)
    rec = json.loads((out / "prepare.json").read_text())["clips"]
    assert (
        rec["hdtf_a"]["aligned"] and not rec["hdtf_a"]["resized"] and rec["hdtf_a"]["window"]["side"] == 512
    )
    assert rec["small"]["resized"] and rec["small"]["upscaled"] and not rec["big"]["upscaled"]
    assert "warning: 1 clip(s) upscaled by more than 10%" in err and "small (×1.28: 400 px → 512)" in err
    assert "big" not in err.split("warning:")[1]
    # a second run skips (same parameters); without --aligned the parameters differ
    assert cli_main(["prepare", str(src), str(out), "--aligned", "--quiet"]) == 0
    assert "skipped 4" in capsys.readouterr().out


def test_aligned_rejects_non_square_and_keeps_the_others(tmp_path, capsys):
    src = tmp_path / "raw"
    write_png_frames(np.zeros((2, 48, 64, 3), np.uint8), src / "wide")
    write_png_frames(np.full((2, 100, 99, 3), 7, np.uint8), src / "near")  # 1 % off square: resized whole
    write_png_frames(_frames(2, 32), src / "ok")
    out = tmp_path / "gt"
    assert cli_main(["prepare", str(src), str(out), "--aligned", "--size", "32", "--quiet"]) == 1
    text = capsys.readouterr().out
    assert "FAILED wide" in text and "64×48, not square" in text and "drop --aligned" in text
    assert read_clip(out / "ok").frames.shape == (2, 32, 32, 3)
    near = read_clip(out / "near").frames
    assert near.shape == (2, 32, 32, 3) and (near == 7).all()  # resized, not cropped nor padded


def test_crop_upscale_warning_names_the_clips(tmp_path, capsys, monkeypatch):
    from test_prepare import SquareDetector, face_frames

    import vfebench.facedetect as fd

    monkeypatch.setitem(fd.DETECTORS, "mediapipe", SquareDetector)
    src = tmp_path / "raw"
    write_png_frames(face_frames(3, 64, 64, [(20, 20, 40, 44)] * 3), src / "tiny_face")
    assert cli_main(["prepare", str(src), str(tmp_path / "gt"), "--size", "128", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "upscaled by more than 10%" in err and "tiny_face (×" in err and "--aligned" in err


@pytest.mark.shared
def test_aligned_real_hdtf_clip_is_byte_identical(shared_faces, tmp_path):
    src = shared_faces / "hq" / "vexpress_RD_Radio10_0_clip_0.mp4"  # HDTF, 512² aligned
    if not src.is_file():
        pytest.skip(f"{src} absent")
    out = tmp_path / "gt"
    assert cli_main(["prepare", str(src), str(out), "--aligned", "--max-frames", "12", "--quiet"]) == 0
    assert np.array_equal(read_clip(out / src.stem).frames, read_clip(src, max_frames=12).frames)
