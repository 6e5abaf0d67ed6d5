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
ap.add_argument("-s"); ap.add_argument("--max_length", type=int); a = ap.parse_args()
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
    "bfvr-stc": (
        # like scripts/infer_bfvr.py: one video in, at most 24 frames read, the 3-D VQ model needs a
        # multiple of 8 frames, the only writer is cv2.VideoWriter (MJPG .avi)
        "scripts/infer_bfvr.py",
        """
ap = argparse.ArgumentParser(); ap.add_argument("-i", "--input_path"); ap.add_argument("-o", "--output_base")
a = ap.parse_args()
fs = read_frames(a.input_path)[:24]
assert len(fs) % 8 == 0, f"{len(fs)} frames: temporal down/upsampling would change the length"
os.makedirs(a.output_base, exist_ok=True)
w = cv2.VideoWriter(os.path.join(a.output_base, os.path.basename(a.input_path).split(".")[0] + ".avi"),
                    cv2.VideoWriter_fourcc(*"MJPG"), 24.0, (fs[0].shape[1], fs[0].shape[0]))
for f in bright(fs):
    w.write(f)
w.release()
""",
    ),
    "svfr": (
        # like infer.py: output_dir joined as ./<dir>; writes the restored mp4, an LQ copy mp4 and,
        # with --restore_frames, lossless PNGs under result_frames/<name>_<seed>/
        "infer.py",
        """
ap = argparse.ArgumentParser(); ap.add_argument("--config"); ap.add_argument("--output_dir")
ap.add_argument("--seed", type=int, default=77); ap.add_argument("--task_ids"); ap.add_argument("--input_path")
ap.add_argument("--restore_frames", action="store_true"); a = ap.parse_args()
assert os.path.exists(a.config) and not os.path.isabs(a.output_dir)
save = f"./{a.output_dir}"; name = a.input_path.split("/")[-1][:-4]
fs = read_frames(a.input_path)
write_video(f"{save}/{name}_{a.seed}_gen.mp4", [np.zeros_like(f) for f in fs])  # stands for the lossy mp4
write_video(f"{save}/{name}_{a.seed}_ori.mp4", fs)
if a.restore_frames:
    d = os.path.join(save, "result_frames", f"{name}_{a.seed}"); os.makedirs(d)
    for i, f in enumerate(bright(fs)):
        cv2.imwrite(os.path.join(d, f"{i:08d}.png"), f)
""",
    ),
    "dicface": (
        # like scripts/inference.py: imports packages from the checkout root without touching sys.path
        "scripts/inference.py",
        """
import facelib  # noqa: F401  (lives at the checkout root)
ap = argparse.ArgumentParser(); ap.add_argument("-i"); ap.add_argument("-o"); ap.add_argument("--has_aligned", action="store_true")
ap.add_argument("--max_length", type=int, default=20); ap.add_argument("--ckpt_path"); a = ap.parse_args()
assert a.max_length == 10, a.max_length
d = os.path.join(a.o, os.path.basename(a.i), "restored_faces"); os.makedirs(d)
for i, img in enumerate(bright(read_frames(a.i))):
    cv2.imwrite(os.path.join(d, f"{i:08d}.png"), img)
""",
    ),
    "realbasicvsr": (
        # like inference_realbasicvsr.py: positionals, a dotted input name is taken for a video file,
        # VGG19 comes from $TORCH_HOME; PNGs keep the input names
        "inference_realbasicvsr.py",
        """
ap = argparse.ArgumentParser(); [ap.add_argument(k) for k in ("config", "checkpoint", "input_dir", "output_dir")]
ap.add_argument("--max_seq_len", type=int); ap.add_argument("--is_save_as_png", type=bool); a = ap.parse_args()
ext = os.path.splitext(a.input_dir)[1]
if ext != "":
    raise ValueError('"input_dir" can only be a video or a directory.')
assert os.environ["TORCH_HOME"] == os.path.join(os.getcwd(), "checkpoints", "torch"), os.environ["TORCH_HOME"]
os.makedirs(a.output_dir, exist_ok=True)
for p in sorted(Path(a.input_dir).glob("*")):
    f = cv2.resize(cv2.imread(str(p)), None, fx=4, fy=4, interpolation=cv2.INTER_NEAREST)
    cv2.imwrite(os.path.join(a.output_dir, p.name), bright([f])[0])
""",
    ),
}


def _fake_repo(tmp_path: Path, name: str, body_extra: str = "", files: dict[str, str] | None = None) -> Path:
    repo = tmp_path / f"repo-{name}"
    script, body = FAKES[name]
    f = repo / script
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(FAKE_COMMON + body + body_extra)
    for rel, text in (files or {}).items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
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
