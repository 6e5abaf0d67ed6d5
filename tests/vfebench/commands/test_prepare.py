"""Face-region extraction (vfebench.faceregion) and ``vfebench prepare``.

Most tests use a tiny stand-in detector that finds bright squares ("faces") in synthetic frames,
so the geometry can be checked exactly and without ../shared. The tests at the end run the real
MediaPipe / MTCNN detectors on the shared real clips and skip when ../shared is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from vfebench import facedetect as fd
from vfebench import faceregion as fr
from vfebench.cli import main as cli_main
from vfebench.errors import InputError
from vfebench.facedetect import Detection, FaceDetector
from vfebench.faceregion import NoFaceError, Window
from vfebench.video import iter_frames, read_clip, read_image, write_png_frames


# ----------------------------------------------------------------------------- helpers
class SquareDetector(FaceDetector):
    """Finds white (>= 250 on every channel) connected blobs; their bounding boxes are the faces."""

    name = "squares"

    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []
        self.closed = False

    def __call__(self, frame: np.ndarray) -> list[Detection]:
        self.calls.append(frame.shape[:2])
        mask = (frame >= 250).all(axis=2).astype(np.uint8)
        n, _, stats, _ = cv2.connectedComponentsWithStats(mask)
        return [
            Detection((float(x), float(y), float(x + w), float(y + h)), 1.0)
            for x, y, w, h, _area in stats[1:n]
        ]

    def close(self) -> None:
        self.closed = True


def face_frames(t: int, h: int, w: int, boxes: list[tuple[int, int, int, int] | None]) -> np.ndarray:
    """Grey frames with a white square at boxes[i] (x0, y0, x1, y1), or none."""
    out = np.full((t, h, w, 3), 90, np.uint8)
    out[..., 1] = np.linspace(40, 160, w, dtype=np.uint8)[None, None, :]  # some texture
    for i, b in enumerate(boxes):
        if b is not None:
            out[i, b[1] : b[3], b[0] : b[2]] = 255
    return out


def write_lossless_mp4(path: Path, frames: np.ndarray, fps: int = 25) -> Path:
    from vfebench.video import write_video

    return write_video(frames, path, fps=fps)


# ----------------------------------------------------------------------------- geometry
def test_clip_window_hand_computed():
    hw = (480, 640)
    # tight square around a 100×120 box centred at (150, 110)
    assert fr.clip_window((100, 50, 200, 170), hw) == Window(90, 50, 120, 120)
    # ×2 asks for side 240, which would start at y=-10:
    # shrink: the largest square centred on (150, 110) inside the frame has side 2·110 = 220
    w = fr.clip_window((100, 50, 200, 170), hw, scale=2.0)
    assert (w.x0, w.y0, w.side, w.requested_side, w.shifted, w.shrunk) == (40, 0, 220, 240, False, True)
    # shift: keep 240, move it down by 10
    w = fr.clip_window((100, 50, 200, 170), hw, scale=2.0, fit="shift")
    assert (w.x0, w.y0, w.side, w.shifted, w.shrunk) == (30, 0, 240, True, False)
    # pad: keep 240 at (30, -10)
    w = fr.clip_window((100, 50, 200, 170), hw, scale=2.0, fit="pad")
    assert (w.x0, w.y0, w.side, w.shifted, w.shrunk) == (30, -10, 240, False, False)
    assert not w.inside(hw)
    # a square taller than a landscape frame: cut to the frame height, still centred
    w = fr.clip_window((140, 20, 160, 80), (100, 300), scale=2.0)
    assert (w.x0, w.y0, w.side, w.requested_side, w.shrunk, w.shifted) == (100, 0, 100, 120, True, False)
    w = fr.clip_window((140, 20, 160, 80), (100, 300), scale=2.0, fit="pad")
    assert (w.x0, w.y0, w.side) == (90, -10, 120)
    # a face touching the left edge: never smaller than the tight face square, so shifted
    w = fr.clip_window((0, 40, 20, 60), (100, 160), scale=3.0)
    assert (w.x0, w.y0, w.side, w.shifted, w.shrunk) == (0, 40, 20, False, True)
    w = fr.clip_window((2, 40, 30, 60), (100, 160), scale=3.0)  # centre x=16: room 32 ≥ tight 28
    assert (w.x0, w.y0, w.side, w.shifted) == (0, 34, 32, False)
    w = fr.clip_window((0, 40, 30, 60), (100, 160), scale=3.0)  # centre x=15: room 30 = tight 30
    assert (w.x0, w.y0, w.side, w.shifted) == (0, 35, 30, False)
    w = fr.clip_window((0, 40, 30, 50), (100, 160), scale=1.0, fit="shrink")
    assert (w.x0, w.y0, w.side) == (0, 30, 30)
    w = fr.clip_window((1, 0, 5, 40), (100, 160), scale=1.0)  # tight 40 cannot be centred at x=3
    assert (w.x0, w.y0, w.side, w.shifted) == (0, 0, 40, True)
    # union over frames; None entries ignored
    w = fr.clip_window([(10, 10, 30, 30), None, (20, 20, 50, 40)], (100, 100))
    assert (w.x0, w.y0, w.side) == (10, 5, 40)


def test_union_box_drops_outliers():
    boxes = [(100, 100, 140, 150)] * 5 + [(400, 20, 420, 40)]  # one stray detection far away
    assert fr.union_box(boxes) == (100, 100, 140, 150)
    assert fr.union_box(boxes, outlier=None) == (100, 20, 420, 150)
    with pytest.raises(NoFaceError):
        fr.union_box([None, None])


def test_clip_window_rejects_bad_parameters():
    with pytest.raises(InputError, match="fit"):
        fr.clip_window((0, 0, 10, 10), (20, 20), fit="stretch")
    with pytest.raises(InputError, match="scale"):
        fr.clip_window((0, 0, 10, 10), (20, 20), scale=0)
    with pytest.raises(InputError, match="detector"):
        fd.get_detector("retinaface")


def test_crop_frame_inside_pad_and_resample(rng):
    frame = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
    win = Window(10, 5, 40)
    np.testing.assert_array_equal(fr.crop_frame(frame, win, size=40), frame[5:45, 10:50])
    # resampling matches PIL's LANCZOS / OpenCV's INTER_LANCZOS4 on the same crop
    ref_pil = np.asarray(Image.fromarray(frame[5:45, 10:50]).resize((24, 24), Image.LANCZOS))
    np.testing.assert_array_equal(fr.crop_frame(frame, win, size=24), ref_pil)
    ref_cv = cv2.resize(np.ascontiguousarray(frame[5:45, 10:50]), (64, 64), interpolation=cv2.INTER_LANCZOS4)
    np.testing.assert_array_equal(fr.crop_frame(frame, win, size=64, resample="lanczos4"), ref_cv)
    # a window past the top-left corner: black outside, frame pixels where they overlap
    out = fr.crop_frame(frame, Window(-5, -10, 30), size=30)
    assert (out[:10] == 0).all() and (out[:, :5] == 0).all()
    np.testing.assert_array_equal(out[10:, 5:], frame[0:20, 0:25])
    # entirely outside: all black, no crash
    assert (fr.crop_frame(frame, Window(200, 200, 16), size=16) == 0).all()
    crops = list(fr.crop_clip(iter([frame, frame]), win, size=32))
    assert len(crops) == 2 and crops[0].shape == (32, 32, 3) and crops[0].dtype == np.uint8


# ----------------------------------------------------------------------------- detection
def test_detect_boxes_downscales_and_maps_back():
    boxes = [(400, 300, 560, 500)] * 3
    frames = face_frames(3, 720, 1280, boxes)
    det = SquareDetector()
    got = fr.detect_boxes(iter(frames), det, detect_size=320)
    assert det.calls == [(180, 320)] * 3  # detected on the 4× smaller frame
    for b in got:
        assert b is not None and np.allclose(b, boxes[0], atol=4.0)  # ≤ one small-frame pixel
    full = fr.detect_boxes(iter(frames), SquareDetector(), detect_size=None)
    assert full == [tuple(float(v) for v in boxes[0])] * 3
    assert not det.closed  # a detector passed in is left open for the caller


def test_detect_boxes_every_k_tracking_and_misses():
    # two faces; the first pick is the larger one, then the one overlapping it is followed even
    # when the other one grows larger
    big = [(10, 10, 40, 40), (12, 10, 42, 40), (14, 10, 44, 40), None, (16, 10, 46, 40)]
    small = [(60, 10, 80, 30), (60, 10, 95, 45), (55, 5, 98, 48), (60, 10, 80, 30), (60, 10, 80, 30)]
    frames = face_frames(5, 60, 100, big)
    for i, b in enumerate(small):
        frames[i, b[1] : b[3], b[0] : b[2]] = 255
    got = fr.detect_boxes(frames, SquareDetector(), detect_size=None)
    assert got[0] == (10, 10, 40, 40) and got[1] == (12, 10, 42, 40) and got[2] == (14, 10, 44, 40)
    assert got[3] == (60, 10, 80, 30)  # main face missing: nothing overlaps, the largest is taken
    every2 = fr.detect_boxes(face_frames(5, 60, 100, big), SquareDetector(), detect_every=2, detect_size=None)
    assert every2[1] is None and every2[3] is None and every2[4] == (16, 10, 46, 40)
    with pytest.raises(InputError, match="detect_every"):
        fr.detect_boxes(frames, SquareDetector(), detect_every=0)


# ----------------------------------------------------------------------------- prepare_clip
def test_prepare_clip_end_to_end(tmp_path):
    # 12 frames of 320×240 with a face moving right; detection every 2nd frame
    boxes = [(100 + 4 * i, 80, 160 + 4 * i, 150) for i in range(12)]
    src = write_lossless_mp4(tmp_path / "talk.mp4", face_frames(12, 240, 320, boxes))
    progress: list[int] = []
    rec = fr.prepare_clip(
        src,
        tmp_path / "out" / "talk",
        size=64,
        scale=1.0,
        detector=SquareDetector(),
        detect_every=2,
        detect_size=None,
        progress=progress.append,
    )
    # union of examined frames (0, 2, ..., 10): x 100..200, y 80..150 → square side 100 at (100, 65)
    assert rec["window"] == {
        "x0": 100,
        "y0": 65,
        "side": 100,
        "requested_side": 100,
        "shifted": False,
        "shrunk": False,
    }
    assert rec["frames"] == 12 and rec["faces_found"] == 6 and rec["frames_examined"] == 6
    assert rec["fps"] == pytest.approx(25.0) and rec["source_size"] == [240, 320] and not rec["upscaled"]
    assert sum(progress) == 24  # two passes
    assert rec["params"]["detector"] == {"name": "squares"} and rec["params"]["scale"] == 1.0
    json.dumps(rec)  # JSON-ready
    out = read_clip(tmp_path / "out" / "talk")
    assert out.frames.shape == (12, 64, 64, 3)
    expect = fr.crop_frame(read_clip(src).frames[5], Window(100, 65, 100), size=64)
    np.testing.assert_array_equal(out.frames[5], expect)


def test_prepare_clip_streams_in_constant_memory(tmp_path):
    """80 frames of 240×320 (18 MB decoded) are never held together: peak numpy memory stays small."""
    import tracemalloc

    t, h, w = 80, 240, 320
    src = write_lossless_mp4(tmp_path / "long.mp4", face_frames(t, h, w, [(100, 60, 180, 160)] * t))
    tracemalloc.start()
    try:
        rec = fr.prepare_clip(src, tmp_path / "o", size=64, detector=SquareDetector(), detect_size=None)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rec["frames"] == t
    assert peak < 12 * h * w * 3, f"peak {peak / 1e6:.1f} MB: frames are being accumulated"


def test_prepare_clip_no_face_fails_and_writes_nothing(tmp_path):
    src = tmp_path / "noface"
    write_png_frames(face_frames(6, 40, 40, [None] * 6), src)
    with pytest.raises(NoFaceError, match="0 of the 6 frames") as exc:
        fr.prepare_clip(src, tmp_path / "out" / "noface", size=32, detector=SquareDetector())
    assert str(src) in str(exc.value)
    assert not (tmp_path / "out" / "noface").exists()
    # faces in 2 of 6 frames < min_face_ratio 0.5
    src2 = tmp_path / "rare"
    write_png_frames(face_frames(6, 40, 40, [(5, 5, 15, 15)] * 2 + [None] * 4), src2)
    with pytest.raises(NoFaceError, match="2 of the 6"):
        fr.prepare_clip(src2, tmp_path / "out" / "rare", size=32, detector=SquareDetector())
    rec = fr.prepare_clip(
        src2, tmp_path / "out" / "rare", size=32, detector=SquareDetector(), min_face_ratio=0.3
    )
    assert rec["faces_found"] == 2


def test_prepare_clip_fit_modes_near_the_edge(tmp_path):
    # face (20×20) near the left edge; a 3× window (60) would leave the frame
    src = tmp_path / "edge"
    write_png_frames(face_frames(3, 100, 160, [(2, 40, 22, 60)] * 3), src)
    rec = fr.prepare_clip(src, tmp_path / "o_pad", size=60, scale=3.0, fit="pad", detector=SquareDetector())
    assert rec["window"]["x0"] == -18 and rec["window"]["side"] == 60
    f = read_image(tmp_path / "o_pad" / "00000000.png")
    assert (f[:, :18] == 0).all() and (f[20:40, 20:40] == 255).all()  # face exactly in the middle
    # shrink: the largest square centred on the face, 24 px, resized to 60: centred, no black
    rec = fr.prepare_clip(src, tmp_path / "o_shrink", size=60, scale=3.0, detector=SquareDetector())
    assert rec["window"] == {
        "x0": 0,
        "y0": 38,
        "side": 24,
        "requested_side": 60,
        "shifted": False,
        "shrunk": True,
    }
    assert rec["upscaled"]
    f = read_image(tmp_path / "o_shrink" / "00000000.png")
    assert (f[10:50, 10:50] >= 250).all() and (f[:, :2] < 250).all()
    # shift: the full 60 px of context, moved inside the frame: the face sits off-centre
    rec = fr.prepare_clip(
        src, tmp_path / "o_shift", size=60, scale=3.0, fit="shift", detector=SquareDetector()
    )
    assert rec["window"]["x0"] == 0 and rec["window"]["side"] == 60 and rec["window"]["shifted"]
    f = read_image(tmp_path / "o_shift" / "00000000.png")
    assert (f[20:40, 2:22] == 255).all() and (f[20:40, 24:40] != 255).all()


# ----------------------------------------------------------------------------- the command
@pytest.fixture
def squares(monkeypatch):
    monkeypatch.setitem(fd.DETECTORS, "mediapipe", SquareDetector)


def test_cli_prepare_folder_continue_on_failure_skip_and_overwrite(tmp_path, squares, capsys):
    src = tmp_path / "raw"
    src.mkdir()
    write_lossless_mp4(src / "a.mp4", face_frames(5, 90, 120, [(40, 30, 70, 60)] * 5))
    write_png_frames(face_frames(4, 64, 64, [(20, 20, 40, 44)] * 4), src / "b_frames")
    write_png_frames(face_frames(4, 64, 64, [None] * 4), src / "c_noface")
    good = (src / "a.mp4").read_bytes()
    (src / "d_cut.mp4").write_bytes(good[: len(good) // 2])
    out = tmp_path / "gt"
    args = ["prepare", str(src), str(out), "--size", "32", "--quiet"]

    assert cli_main(args) == 1
    text = capsys.readouterr()
    assert "prepared 2, skipped 0 (already done), failed 2" in text.out
    assert "c_noface" in text.out and "d_cut" in text.out and "d_cut.mp4" in text.out
    assert sorted(p.name for p in out.iterdir()) == ["a", "b_frames", "prepare.json"]
    assert read_clip(out / "a").frames.shape == (5, 32, 32, 3)
    assert sorted(p.name for p in (out / "b_frames").iterdir()) == [f"{i:08d}.png" for i in range(4)]
    rec = json.loads((out / "prepare.json").read_text())
    status = {k: v["status"] for k, v in rec["clips"].items()}
    assert status == {"a": "ok", "b_frames": "ok", "c_noface": "failed", "d_cut": "failed"}
    assert "truncated" in rec["clips"]["d_cut"]["error"]
    assert rec["clips"]["a"]["params"]["size"] == 32 and len(rec["clips"]["a"]["boxes"]) == 5

    # second run: finished clips are skipped, failed ones retried (and fail again)
    mtime = (out / "a" / "00000000.png").stat().st_mtime_ns
    assert cli_main(args) == 1
    assert "prepared 0, skipped 2 (already done), failed 2" in capsys.readouterr().out
    assert (out / "a" / "00000000.png").stat().st_mtime_ns == mtime

    # other parameters: existing clips are reported, not silently replaced
    (src / "c_noface").rename(tmp_path / "c_noface")
    (src / "d_cut.mp4").unlink()
    assert cli_main(args[:-1] + ["--size", "16", "--quiet"]) == 1
    assert "prepared with other parameters" in capsys.readouterr().out
    assert read_clip(out / "a").frames.shape[1] == 32
    assert cli_main(args[:-1] + ["--size", "16", "--quiet", "--overwrite"]) == 0
    assert "prepared 2, skipped 0" in capsys.readouterr().out
    assert read_clip(out / "a").frames.shape == (5, 16, 16, 3)


def test_cli_prepare_single_file_max_frames_and_bad_args(tmp_path, squares, capsys):
    src = write_lossless_mp4(tmp_path / "one.mp4", face_frames(9, 50, 70, [(20, 10, 40, 30)] * 9))
    out = tmp_path / "o"
    assert cli_main(["prepare", str(src), str(out), "--size", "24", "--max-frames", "4", "--quiet"]) == 0
    assert read_clip(out / "one").frames.shape == (4, 24, 24, 3)
    assert cli_main(["prepare", str(src), str(out), "--size", "0"]) == 2
    assert "--size must be at least 1" in capsys.readouterr().err
    assert cli_main(["prepare", str(tmp_path / "missing"), str(out)]) == 2
    assert "missing" in capsys.readouterr().err


# ----------------------------------------------------------------------------- real detectors, real clips
def _face_centre_offset(frames_dir: Path, det: FaceDetector, idx: list[int]) -> list[float | None]:
    """Distance of the detected face-box centre from the image centre, as a fraction of the side."""
    files = sorted(frames_dir.glob("*.png"))
    out: list[float | None] = []
    for i in idx:
        img = read_image(files[i])
        dets = det(img)
        if not dets:
            out.append(None)
            continue
        b = max(dets, key=lambda d: (d.box[2] - d.box[0]) * (d.box[3] - d.box[1])).box
        s = img.shape[0]
        out.append(float(np.hypot((b[0] + b[2]) / 2 - s / 2, (b[1] + b[3]) / 2 - s / 2) / s))
    return out


@pytest.mark.shared
def test_prepare_every_shared_hq_clip(shared_faces, tmp_path, capsys):
    """Every clip of ../shared/data/faces/hq gives 512×512 frames with a face near the centre."""
    hq = shared_faces / "hq"
    clips = sorted(hq.glob("*.mp4"))
    assert clips, f"no clips in {hq}"
    out = tmp_path / "gt"
    rc = cli_main(["prepare", str(hq), str(out), "--max-frames", "12", "--detect-every", "2", "--quiet"])
    assert rc == 0, capsys.readouterr()
    rec = json.loads((out / "prepare.json").read_text())["clips"]
    det = fd.MediaPipeDetector()
    try:
        for c in clips:
            d = out / c.stem
            files = sorted(d.glob("*.png"))
            assert len(files) == 12, c.name
            assert read_image(files[0]).shape == (512, 512, 3)
            offsets = _face_centre_offset(d, det, [0, 11])
            assert all(o is not None for o in offsets), f"{c.name}: no face in the output"
            # the face centre lies within 10 % of the side from the middle (measured: at most
            # 8.3 %, liveportrait_d3)
            assert max(offsets) < 0.10, (c.name, offsets, rec[c.stem]["window"])
    finally:
        det.close()


@pytest.mark.shared
def test_prepare_1080p_still_as_video(shared_faces, tmp_path):
    """A 1920×1080 clip (Obama press photo panned a little): detection on the downscaled frame."""
    img = read_image(shared_faces / "images" / "face_recognition_obama_1080p.jpg")
    assert img.shape == (1080, 1920, 3)
    frames = np.stack([np.roll(img, 6 * i, axis=1) for i in range(4)])
    src = write_lossless_mp4(tmp_path / "obama1080.mp4", frames)
    rec = fr.prepare_clip(src, tmp_path / "out", size=256)
    assert rec["source_size"] == [1080, 1920] and rec["faces_found"] == 4
    det = fd.MediaPipeDetector()
    try:
        offsets = _face_centre_offset(tmp_path / "out", det, [0, 3])
    finally:
        det.close()
    assert all(o is not None and o < 0.1 for o in offsets), offsets


@pytest.mark.shared
def test_mtcnn_and_mediapipe_agree(shared_faces):
    pytest.importorskip("facenet_pytorch")
    import torch

    torch.set_num_threads(1)
    img = read_image(shared_faces / "images" / "face_recognition_obama_1080p.jpg")
    mp_boxes = fr.detect_boxes([img], fd.MediaPipeDetector())
    mt_boxes = fr.detect_boxes([img], fd.MTCNNDetector())
    assert mp_boxes[0] is not None and mt_boxes[0] is not None
    assert fr.box_iou(mp_boxes[0], mt_boxes[0]) > 0.5
    frames = list(iter_frames(shared_faces / "hq" / "tpsmm_driving.mp4", max_frames=2))
    assert all(b is not None for b in fr.detect_boxes(frames, fd.MTCNNDetector()))


# ----------------------------------------------------------------------------- frame rate end to end
def test_fps_from_prepare_reaches_the_dataset_and_the_run_record(tmp_path, squares, monkeypatch):
    from vfebench.datasets import build_source
    from vfebench.degrade.lq import materialize
    from vfebench.results import read_record
    from vfebench.runner import RunConfig, run

    monkeypatch.setenv("VFEBENCH_CACHE", str(tmp_path / "cache"))
    src = tmp_path / "raw"
    src.mkdir()
    write_lossless_mp4(src / "a30.mp4", face_frames(5, 90, 120, [(40, 30, 70, 60)] * 5), fps=30)
    write_lossless_mp4(src / "b12.mp4", face_frames(5, 90, 120, [(30, 20, 60, 50)] * 5), fps=12)
    write_png_frames(face_frames(4, 64, 64, [(20, 20, 40, 44)] * 4), src / "c_frames")
    out = tmp_path / "gt"
    assert cli_main(["prepare", str(src), str(out), "--size", "32", "--quiet"]) == 0
    rec = json.loads((out / "prepare.json").read_text())
    assert rec["clips"]["a30"]["fps"] == 30.0 and rec["clips"]["a30"]["fps_from"] == "video"
    assert rec["clips"]["c_frames"]["fps_from"] == "default (frame folder)"

    ds = build_source(f"folder:{out}")
    assert {c: ds.load(c).fps for c in ds.clip_ids()} == {"a30": 30.0, "b12": 12.0, "c_frames": 25.0}
    d = ds.describe()
    assert d["fps"] == {"a30": 30.0, "b12": 12.0, "c_frames": 25.0} and d["default_fps"] == 25.0
    assert d["fps_from"]["a30"] == "prepare.json"
    # the synthetic LQ carries it too
    assert materialize(ds, "vfhq-x4", 0, root=tmp_path / "lq", progress=False).load("a30").fps == 30.0

    o = run(RunConfig(methods=["bicubic"], dataset=f"folder:{out}", metrics=["psnr"], out=str(tmp_path / "run"), progress=False), log=lambda m: None)  # fmt: skip
    rr = read_record(o.out)
    assert rr["dataset"]["describe"]["fps"]["a30"] == 30.0
    assert rr["dataset"]["describe"]["fps"]["b12"] == 12.0

    # overrides: the dataset option beats everything; prepare --fps rewrites the record
    assert build_source(f"folder:{out},fps=29.97").load("a30").fps == 29.97
    assert build_source(f"folder:{out},fps=29.97").describe()["fps_from"]["b12"] == "fps option"
    assert cli_main(["prepare", str(src), str(out), "--size", "32", "--quiet", "--fps", "24"]) == 0
    assert build_source(f"folder:{out}").load("b12").fps == 24.0
    assert json.loads((out / "prepare.json").read_text())["clips"]["b12"]["fps_from"] == "--fps"


def test_fps_without_a_record_and_bad_values(tmp_path):
    from vfebench.datasets import build_source

    write_png_frames(face_frames(2, 16, 16, [None] * 2), tmp_path / "d" / "x")
    write_lossless_mp4(tmp_path / "d" / "y.mp4", face_frames(2, 16, 16, [None] * 2), fps=30)
    ds = build_source(f"folder:{tmp_path / 'd'}")
    assert ds.clip_fps("x") == (25.0, "default") and ds.clip_fps("y") == (30.0, "video")
    with pytest.raises(InputError, match="fps must be a positive number"):
        build_source(f"folder:{tmp_path / 'd'},fps=fast")
    (tmp_path / "d" / "prepare.json").write_text("{not json")
    with pytest.raises(InputError, match="prepare.json"):
        build_source(f"folder:{tmp_path / 'd'}")
