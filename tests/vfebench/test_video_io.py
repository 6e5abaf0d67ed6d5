"""Video I/O: every container/codec the benchmark meets, frame folders, conversions, writers, errors.

Test videos are encoded here with PyAV's bundled FFmpeg (no shared data needed). Lossy codecs are
checked against the source frames by PSNR on a smooth moving pattern; lossless paths bit-exactly.
Every error test asserts that the message names the offending file.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from vfebench.errors import InputError
from vfebench.video import (
    Clip,
    find_clip_paths,
    iter_frames,
    list_frame_files,
    natural_key,
    probe,
    read_clip,
    read_image,
    to_uint8,
    write_png_frames,
    write_video,
)

av = pytest.importorskip("av")


# ----------------------------------------------------------------------------- helpers
def pattern_frames(t: int = 12, h: int = 48, w: int = 64) -> np.ndarray:
    """Smooth gradients plus a moving bright square: compresses well, so PSNR checks are tight."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    out = np.empty((t, h, w, 3), np.uint8)
    for i in range(t):
        r = 40 + 160 * xx / w
        g = 40 + 160 * yy / h
        b = np.full_like(r, 60 + 8 * i)
        fr = np.stack([r, g, b], -1)
        x0 = 4 + 2 * i
        fr[12:28, x0 : x0 + 16] = (230, 230, 40)
        out[i] = np.clip(fr, 0, 255).astype(np.uint8)
    return out


def encode(
    path: Path,
    frames: np.ndarray,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    rate: Fraction | int = 25,
    options: dict | None = None,
    container_options: dict | None = None,
    rotation: int | None = None,
) -> Path:
    with av.open(str(path), "w", options=container_options or {}) as out:
        st = out.add_stream(codec, rate=rate)
        st.width, st.height = frames.shape[2], frames.shape[1]
        st.pix_fmt = pix_fmt
        opts = dict(options or {})
        if codec == "libx265":
            opts.setdefault("x265-params", "log-level=error")
        st.options = opts
        if rotation is not None:
            st.set_display_rotation(rotation)
        for fr in frames:
            out.mux(st.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(fr), format="rgb24")))
        out.mux(st.encode())
    return path


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def write_img(path: Path, img: np.ndarray, params: list[int] | None = None) -> Path:
    """cv2.imwrite with RGB(A) input (converted to OpenCV's BGR(A) order)."""
    if img.ndim == 3 and img.shape[2] == 3:
        img = img[:, :, ::-1]
    elif img.ndim == 3 and img.shape[2] == 4:
        img = img[:, :, [2, 1, 0, 3]]
    assert cv2.imwrite(str(path), np.ascontiguousarray(img), params or [])
    return path


def assert_names(exc: pytest.ExceptionInfo, path: Path) -> None:
    assert str(path) in str(exc.value) or path.name in str(exc.value), str(exc.value)


# ----------------------------------------------------------------------------- video formats
FORMATS = [
    ("h264.mp4", "libx264", "yuv420p"),
    ("h264.mov", "libx264", "yuv420p"),
    ("h264.mkv", "libx264", "yuv420p"),
    ("mpeg4.avi", "mpeg4", "yuv420p"),
    ("mpeg4.mp4", "mpeg4", "yuv420p"),
    ("hevc10.mkv", "libx265", "yuv420p10le"),
    ("hevc10.mp4", "libx265", "yuv420p10le"),
    ("vp9.webm", "libvpx-vp9", "yuv420p"),
]


@pytest.mark.parametrize("name,codec,pix_fmt", FORMATS, ids=[f[0] for f in FORMATS])
def test_video_formats_decode_to_rgb_uint8(tmp_path, name, codec, pix_fmt):
    if codec not in av.codecs_available:
        pytest.skip(f"PyAV's FFmpeg has no {codec} encoder")
    src = pattern_frames()
    opts = {"crf": "10"} if codec in ("libx264", "libx265") else {}
    if codec == "mpeg4":
        opts = {"b": "4M"}
    if codec == "libvpx-vp9":
        opts = {"crf": "10", "b": "0"}
    path = encode(tmp_path / name, src, codec, pix_fmt, rate=Fraction(30000, 1001), options=opts)

    info = probe(path)
    assert info.kind == "video" and (info.height, info.width) == (48, 64)
    assert info.pix_fmt == pix_fmt  # the 10-bit case really is 10-bit
    clip = read_clip(path)
    assert clip.frames.shape == src.shape and clip.frames.dtype == np.uint8
    assert clip.id == Path(name).stem
    assert clip.fps == pytest.approx(30000 / 1001, abs=1e-3)
    assert psnr(clip.frames, src) > 30.0
    # the moving square is in the right frame: frame order is preserved
    for i in (0, 5, 11):
        x = 4 + 2 * i + 8
        assert clip.frames[i, 20, x, 0] > 180 and clip.frames[i, 20, x, 2] < 100


def test_iter_frames_streams_and_stops_early(tmp_path):
    src = pattern_frames(t=20)
    path = encode(tmp_path / "a.mp4", src)
    it = iter_frames(path)
    first = next(it)
    assert first.shape == (48, 64, 3)
    it.close()  # closing early releases the container and raises nothing
    assert len(list(iter_frames(path, max_frames=7))) == 7
    assert read_clip(path, max_frames=3).num_frames == 3
    assert read_clip(path, max_frames=100).num_frames == 20


def test_display_rotation_is_applied(tmp_path):
    src = pattern_frames(t=4)
    path = encode(tmp_path / "rot.mp4", src, options={"crf": "5"}, rotation=90)
    info = probe(path)
    assert info.rotation == 90 and (info.height, info.width) == (64, 48)
    clip = read_clip(path)
    assert clip.frames.shape == (4, 64, 48, 3)
    # display matrix = 90° counter-clockwise (FFmpeg's av_display_rotation_get convention)
    assert psnr(clip.frames, np.rot90(src, 1, axes=(1, 2))) > 30.0
    raw = np.stack(list(iter_frames(path, autorotate=False)))
    assert raw.shape == (4, 48, 64, 3)


def test_fps_kept_for_integer_and_ntsc_rates(tmp_path):
    a = encode(tmp_path / "a.mp4", pattern_frames(t=5), rate=24)
    b = encode(tmp_path / "b.mkv", pattern_frames(t=5), rate=Fraction(24000, 1001))
    assert read_clip(a).fps == pytest.approx(24.0)
    assert read_clip(b).fps == pytest.approx(23.976, abs=1e-3)


# ----------------------------------------------------------------------------- frame folders
def test_frame_folder_natural_sort_any_naming(tmp_path):
    d = tmp_path / "clip"
    d.mkdir()
    names = ["f10.png", "f2.png", "f1.png", "F3.png"]
    for i, n in enumerate(names):
        write_img(d / n, np.full((8, 8, 3), 10 * (i + 1), np.uint8))
    (d / "notes.txt").write_text("not a frame")
    (d / ".hidden.png").write_bytes(b"garbage")
    assert [p.name for p in list_frame_files(d)] == ["f1.png", "f2.png", "F3.png", "f10.png"]
    clip = read_clip(d)
    assert clip.id == "clip" and clip.fps == 25.0
    assert clip.frames[:, 0, 0, 0].tolist() == [30, 20, 40, 10]
    assert sorted(["img_010.jpg", "img_001.jpg", "img_2.jpg"], key=natural_key) == [
        "img_001.jpg",
        "img_2.jpg",
        "img_010.jpg",
    ]


def test_frame_folder_formats_and_conversions(tmp_path, rng):
    d = tmp_path / "mixed"
    d.mkdir()
    rgb = rng.integers(0, 256, (16, 12, 3), dtype=np.uint8)
    gray = rng.integers(0, 256, (16, 12), dtype=np.uint8)
    rgba = np.concatenate([rgb, rng.integers(0, 256, (16, 12, 1), dtype=np.uint8)], -1)
    rgb16 = rng.integers(0, 65536, (16, 12, 3), dtype=np.uint16)
    gray16 = rng.integers(0, 65536, (16, 12), dtype=np.uint16)
    smooth = pattern_frames(t=1, h=16, w=12)[0]
    write_img(d / "img_001.png", rgb)
    write_img(d / "img_002.png", gray)
    write_img(d / "img_003.png", rgba)
    write_img(d / "img_004.png", rgb16)
    write_img(d / "img_005.png", gray16)
    write_img(d / "img_006.jpg", smooth, [cv2.IMWRITE_JPEG_QUALITY, 100])
    write_img(d / "img_007.webp", rgb, [cv2.IMWRITE_WEBP_QUALITY, 101])  # lossless webp
    write_img(d / "img_008.bmp", rgb)
    f = read_clip(d).frames
    assert f.shape == (8, 16, 12, 3) and f.dtype == np.uint8
    np.testing.assert_array_equal(f[0], rgb)
    np.testing.assert_array_equal(f[1], np.repeat(gray[:, :, None], 3, 2))
    np.testing.assert_array_equal(f[2], rgb)  # alpha dropped, colours kept (not premultiplied)
    np.testing.assert_array_equal(f[3], np.round(rgb16 / 257.0).astype(np.uint8))
    np.testing.assert_array_equal(
        f[4], np.repeat(np.round(gray16 / 257.0).astype(np.uint8)[:, :, None], 3, 2)
    )
    assert psnr(f[5], smooth) > 28  # jpg: lossy (4:2:0), but RGB order right (BGR gives ~10 dB)
    assert psnr(f[5][:, :, ::-1], smooth) < 20
    np.testing.assert_array_equal(f[6], rgb)
    np.testing.assert_array_equal(f[7], rgb)


def test_to_uint8_hand_computed():
    a16 = np.array([[0, 128, 129, 257, 65535]], np.uint16)
    assert to_uint8(a16)[0, :, 0].tolist() == [0, 0, 1, 1, 255]  # round(v / 257)
    fl = np.array([[0.0, 0.5, 1.0, 0.001, 0.999]], np.float32)
    assert to_uint8(fl)[0, :, 0].tolist() == [0, 128, 255, 0, 255]
    ga = np.zeros((2, 2, 2), np.uint8)
    ga[..., 0] = 7
    ga[..., 1] = 200
    assert to_uint8(ga).tolist() == np.full((2, 2, 3), 7).tolist()
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        to_uint8(np.full((2, 2), 1.5))
    with pytest.raises(InputError, match="NaN"):
        to_uint8(np.full((2, 2), np.nan))
    with pytest.raises(InputError, match="dtype"):
        to_uint8(np.zeros((2, 2), np.int32))


# ----------------------------------------------------------------------------- errors
def test_error_empty_folder(tmp_path):
    d = tmp_path / "empty"
    d.mkdir()
    with pytest.raises(InputError, match="no frames found") as exc:
        read_clip(d)
    assert_names(exc, d)
    (d / "readme.txt").write_text("x")
    with pytest.raises(InputError) as exc:
        list(iter_frames(d))
    assert_names(exc, d)


def test_error_missing_path_and_bad_max_frames(tmp_path):
    with pytest.raises(InputError, match="no such file") as exc:
        read_clip(tmp_path / "nope.mp4")
    assert_names(exc, tmp_path / "nope.mp4")
    path = encode(tmp_path / "ok.mp4", pattern_frames(t=3))
    with pytest.raises(InputError, match="max_frames") as exc:
        read_clip(path, max_frames=0)
    assert_names(exc, path)


@pytest.mark.parametrize("ext", [".png", ".jpg", ".webp"])
def test_error_truncated_or_garbage_image(tmp_path, rng, ext):
    d = tmp_path / "frames"
    d.mkdir()
    img = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    write_img(d / f"000{ext}", img)
    bad = write_img(d / f"001{ext}", img)
    data = bad.read_bytes()
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="not a readable image") as exc:
        read_clip(d)
    assert_names(exc, bad)
    bad.write_bytes(b"this is not an image at all")
    with pytest.raises(InputError) as exc:
        read_image(bad)
    assert_names(exc, bad)
    bad.write_bytes(b"")
    with pytest.raises(InputError) as exc:
        list(iter_frames(d))
    assert_names(exc, bad)


def test_error_mixed_sizes_in_folder(tmp_path):
    d = tmp_path / "sizes"
    d.mkdir()
    write_img(d / "1.png", np.zeros((8, 8, 3), np.uint8))
    write_img(d / "2.png", np.zeros((8, 8, 3), np.uint8))
    odd = write_img(d / "10.png", np.zeros((8, 9, 3), np.uint8))
    with pytest.raises(InputError, match="differs from the clip's first frame") as exc:
        read_clip(d)
    assert_names(exc, odd)
    assert len(list(iter_frames(d, max_frames=2))) == 2  # the first two are fine


def test_error_mixed_sizes_in_video(tmp_path):
    """Two MPEG-TS files concatenated byte-wise: the resolution changes mid-stream."""
    a = encode(tmp_path / "a.ts", pattern_frames(t=6, h=48, w=64))
    b = encode(tmp_path / "b.ts", pattern_frames(t=6, h=32, w=32))
    joined = tmp_path / "joined.mpg"
    joined.write_bytes(a.read_bytes() + b.read_bytes())
    with pytest.raises(InputError, match="differs from the clip's first frame") as exc:
        read_clip(joined)
    assert_names(exc, joined)


def test_error_truncated_mp4_without_index(tmp_path):
    """PyAV writes the moov atom last: cutting the file loses the index."""
    path = encode(tmp_path / "cut.mp4", pattern_frames(t=30))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated") as exc:
        read_clip(path)
    assert_names(exc, path)


def test_error_truncated_faststart_mp4(tmp_path):
    """moov at the front (faststart): the header announces more frames than can be decoded."""
    path = encode(tmp_path / "cut_fs.mp4", pattern_frames(t=40), container_options={"movflags": "faststart"})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated") as exc:
        read_clip(path)
    assert_names(exc, path)


@pytest.mark.parametrize(
    "name,codec", [("cut.mkv", "libx264"), ("cut.webm", "libvpx-vp9"), ("cut.avi", "mpeg4")]
)
def test_error_truncated_other_containers(tmp_path, name, codec):
    if codec not in av.codecs_available:
        pytest.skip(f"no {codec}")
    path = encode(tmp_path / name, np.repeat(pattern_frames(t=10), 5, axis=0), codec)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated") as exc:
        read_clip(path)
    assert_names(exc, path)


def test_error_not_a_video_and_empty_file(tmp_path):
    fake = tmp_path / "fake.mp4"
    fake.write_text("hello, I am a text file")
    with pytest.raises(InputError, match="cannot open video") as exc:
        read_clip(fake)
    assert_names(exc, fake)
    empty = tmp_path / "empty.mkv"
    empty.write_bytes(b"")
    with pytest.raises(InputError) as exc:
        read_clip(empty)
    assert_names(exc, empty)


def test_error_zero_frame_video(tmp_path):
    path = encode(tmp_path / "zero.mkv", np.zeros((0, 48, 64, 3), np.uint8))
    with pytest.raises(InputError, match="zero") as exc:
        read_clip(path)
    assert_names(exc, path)


def test_error_audio_only_file(tmp_path):
    path = tmp_path / "audio.mka"
    with av.open(str(path), "w") as out:
        st = out.add_stream("pcm_s16le", rate=8000)
        fr = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), format="s16", layout="mono")
        fr.sample_rate = 8000
        out.mux(st.encode(fr))
        out.mux(st.encode())
    with pytest.raises(InputError, match="no video stream") as exc:
        read_clip(path)
    assert_names(exc, path)


# ----------------------------------------------------------------------------- writers
def test_png_writer_roundtrip_and_streaming(tmp_path, rng):
    frames = rng.integers(0, 256, (5, 17, 23, 3), dtype=np.uint8)
    out = write_png_frames(Clip("c", frames), tmp_path / "o" / "c")
    assert sorted(p.name for p in out.iterdir()) == [f"{i:08d}.png" for i in range(5)]
    np.testing.assert_array_equal(read_clip(out).frames, frames)
    # a generator is consumed frame by frame
    out2 = write_png_frames((f for f in frames), tmp_path / "gen")
    np.testing.assert_array_equal(read_clip(out2).frames, frames)


def test_png_writer_is_atomic(tmp_path, rng):
    frames = rng.integers(0, 256, (3, 8, 8, 3), dtype=np.uint8)

    def failing():
        yield frames[0]
        yield frames[1]
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_png_frames(failing(), tmp_path / "x")
    assert list(tmp_path.iterdir()) == []  # neither the folder nor its temp folder is left
    write_png_frames(frames, tmp_path / "x")
    with pytest.raises(InputError, match="frame 1"):
        write_png_frames([frames[0], frames[1, :4]], tmp_path / "x")
    np.testing.assert_array_equal(read_clip(tmp_path / "x").frames, frames)  # old content kept
    with pytest.raises(InputError, match="uint8"):
        write_png_frames([frames[0].astype(np.float32)], tmp_path / "y")
    with pytest.raises(InputError, match="zero frames"):
        write_png_frames([], tmp_path / "z")
    assert not (tmp_path / "y").exists() and not (tmp_path / "z").exists()


@pytest.mark.parametrize("codec,ext", [("libx264rgb", ".mp4"), ("libx264rgb", ".mkv"), ("ffv1", ".mkv")])
def test_lossless_video_writer_roundtrip(tmp_path, rng, codec, ext):
    frames = rng.integers(0, 256, (6, 18, 22, 3), dtype=np.uint8)
    path = write_video(Clip("v", frames, fps=30000 / 1001), tmp_path / f"v{ext}", codec=codec)
    clip = read_clip(path)
    np.testing.assert_array_equal(clip.frames, frames)
    assert clip.fps == pytest.approx(30000 / 1001, abs=1e-3)
    assert [p.name for p in tmp_path.iterdir()] == [f"v{ext}"]


def test_video_writer_rejects_lossy_codec_and_bad_frames(tmp_path):
    with pytest.raises(InputError, match="lossless"):
        write_video(np.zeros((2, 8, 8, 3), np.uint8), tmp_path / "a.mp4", codec="libx264")
    with pytest.raises(InputError, match="uint8"):
        write_video(np.zeros((2, 8, 8, 3), np.float32), tmp_path / "a.mp4")
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- discovery
def test_find_clip_paths(tmp_path):
    root = tmp_path / "src"
    root.mkdir()
    encode(root / "b10.mp4", pattern_frames(t=2))
    encode(root / "b2.mkv", pattern_frames(t=2))
    (root / "a_frames").mkdir()
    write_img(root / "a_frames" / "0.png", np.zeros((4, 4, 3), np.uint8))
    (root / "empty_dir").mkdir()  # listed (reading it fails with a reason), not silently dropped
    (root / "nested").mkdir()
    (root / "nested" / "sub").mkdir()  # a folder of folders is not a clip
    (root / "notes.txt").write_text("x")
    found = find_clip_paths(root)
    assert [cid for cid, _ in found] == ["a_frames", "b2", "b10", "empty_dir"]
    with pytest.raises(InputError, match="empty_dir"):
        read_clip(root / "empty_dir")
    assert find_clip_paths(root / "b2.mkv") == [("b2", root / "b2.mkv")]
    assert find_clip_paths(root / "a_frames") == [("a_frames", root / "a_frames")]
    (root / "b2").mkdir()
    write_img(root / "b2" / "0.png", np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(InputError, match="share the id 'b2'") as exc:
        find_clip_paths(root)
    assert_names(exc, root)
    with pytest.raises(InputError, match="no clips found") as exc:
        find_clip_paths(root / "empty_dir")
    assert_names(exc, root / "empty_dir")
    with pytest.raises(InputError, match="not a video file"):
        find_clip_paths(root / "notes.txt")
