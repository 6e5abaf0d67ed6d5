"""Baseline adapters, exercised against fake checkouts that mimic each tool's CLI and writer."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from baselines.base import ExternalMethodError
from vfebench.errors import InputError
from vfebench.methods import METHODS, build_method
from vfebench.video import Clip

# A fake tool: reads frames (folder or video), brightens them by 1, writes them the way the real
# tool does. It imports only numpy/cv2/av, which the test interpreter has.
FAKE_COMMON = textwrap.dedent("""
    import sys, os, argparse
    from pathlib import Path
    import numpy as np, cv2
    def read_frames(p):
        p = Path(p)
        if p.is_dir():
            return [cv2.imread(str(f)) for f in sorted(p.glob("*.png"))]
        import av
        with av.open(str(p)) as c:
            return [f.to_ndarray(format="bgr24") for f in c.decode(video=0)]
    def bright(fs):
        return [np.clip(f.astype(int) + 1, 0, 255).astype(np.uint8) for f in fs]
    def write_video(path, fs):
        import av
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with av.open(path, "w") as o:
            s = o.add_stream("libx264rgb", rate=25); s.width = fs[0].shape[1]; s.height = fs[0].shape[0]
            s.pix_fmt = "rgb24"; s.codec_context.options = {"crf": "0"}
            for f in fs:
                o.mux(s.encode(av.VideoFrame.from_ndarray(f[:, :, ::-1].copy(), format="rgb24")))
            o.mux(s.encode())
""")

FAKES = {
    "codeformer": (
        "inference_codeformer.py",
        """
ap = argparse.ArgumentParser(); ap.add_argument("-w"); ap.add_argument("--has_aligned", action="store_true")
ap.add_argument("--input_path"); ap.add_argument("-o"); a = ap.parse_args()
os.makedirs(os.path.join(a.o, "restored_faces"))
for f, img in zip(sorted(Path(a.input_path).glob("*.png")), bright(read_frames(a.input_path))):
    cv2.imwrite(os.path.join(a.o, "restored_faces", f.name), img)
""",
    ),
    "keep": (
        "inference_keep.py",
        """
ap = argparse.ArgumentParser(); ap.add_argument("-i"); ap.add_argument("-o"); ap.add_argument("--has_aligned", action="store_true")
ap.add_argument("-s"); a = ap.parse_args()
d = os.path.join(a.o, Path(a.i).name, "restored_faces"); os.makedirs(d)
for i, img in enumerate(bright(read_frames(a.i))):
    cv2.imwrite(os.path.join(d, f"{i:08d}.png"), img)
""",
    ),
    "star": (
        "video_super_resolution/scripts/inference_sr.py",
        """
ap = argparse.ArgumentParser(); ap.add_argument("--input_path"); ap.add_argument("--save_dir")
ap.add_argument("--upscale", type=int); ap.add_argument("--steps"); a = ap.parse_args()
fs = [cv2.resize(f, None, fx=a.upscale, fy=a.upscale, interpolation=cv2.INTER_NEAREST) for f in read_frames(a.input_path)]
write_video(os.path.join(a.save_dir, "out.mp4"), bright(fs))
""",
    ),
}


def _fake_repo(tmp_path: Path, name: str, body_extra: str = "") -> Path:
    repo = tmp_path / f"repo-{name}"
    script, body = FAKES[name]
    f = repo / script
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(FAKE_COMMON + body + body_extra)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", "add", "-A"], check=True
    )
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"],
        check=True,
    )
    return repo


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
