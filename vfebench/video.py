"""Clips and video I/O.

Canonical layout, used everywhere in vfebench: a clip's frames are one ``numpy.ndarray`` of
shape ``T×H×W×3``, dtype ``uint8``, channels RGB, values 0..255. Metrics that want tensors
convert at their own boundary.

Readers accept
- frame folders (png / jpg / jpeg / webp / bmp / tif), sorted naturally (``2.png`` < ``10.png``),
  with any naming;
- video files (mp4 / avi / mov / mkv / webm and anything else FFmpeg opens) through PyAV,
  including H.264, MPEG-4 Part 2, HEVC 10-bit and VP9.

Grayscale, RGBA (alpha dropped) and 16-bit frames are converted to RGB uint8 (16-bit values are
rounded from the 0..65535 range). Unreadable or truncated files, empty folders, zero frames and
frames of different sizes within one clip raise :class:`~vfebench.errors.InputError` naming the
file. Writers are lossless: PNG frame folders (written to a temp folder then renamed) and,
optionally, RGB-lossless H.264 (``libx264rgb``, crf 0) or FFV1 video.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vfebench.errors import InputError
from vfebench.utils import atomic_dir, atomic_path

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
VIDEO_EXTS = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".flv", ".wmv")


@dataclass
class Clip:
    """A video clip held in memory.

    Attributes:
        id: clip identifier (unique within its dataset).
        frames: ``T×H×W×3`` uint8 RGB array (see module docstring).
        fps: frames per second of the source (25.0 when unknown).
        meta: free-form metadata (source path, degradation parameters, ...).
    """

    id: str
    frames: np.ndarray
    fps: float = 25.0
    meta: dict[str, Any] = field(default_factory=dict)
    _hash: str | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        f = self.frames
        if not isinstance(f, np.ndarray) or f.ndim != 4 or f.shape[-1] != 3:
            shape = getattr(f, "shape", None)
            raise InputError(f"clip {self.id!r}: frames must be a T×H×W×3 array, got shape {shape}")
        if f.dtype != np.uint8:
            raise InputError(
                f"clip {self.id!r}: frames must be uint8 RGB 0..255, got dtype {f.dtype}; "
                "convert with vfebench.video.to_uint8()"
            )
        if f.shape[0] == 0:
            raise InputError(f"clip {self.id!r} has zero frames")

    @property
    def num_frames(self) -> int:
        return int(self.frames.shape[0])

    @property
    def size(self) -> tuple[int, int]:
        """``(H, W)``."""
        return int(self.frames.shape[1]), int(self.frames.shape[2])

    def content_hash(self) -> str:
        """sha256 over shape and frame bytes (cached; frames are treated as immutable)."""
        if self._hash is None:
            h = hashlib.sha256(f"{self.frames.shape}|uint8|rgb".encode())
            h.update(np.ascontiguousarray(self.frames).data)
            self._hash = h.hexdigest()
        return self._hash

    def with_frames(self, frames: np.ndarray, **meta: Any) -> Clip:
        """A new clip with the same id/fps, new frames and merged metadata."""
        return Clip(self.id, frames, self.fps, {**self.meta, **meta})

    def head(self, n: int | None) -> Clip:
        """The first ``n`` frames (all when ``n`` is None or larger than the clip)."""
        if n is None or n >= self.num_frames:
            return self
        return Clip(self.id, self.frames[:n], self.fps, dict(self.meta))


# ----------------------------------------------------------------------------- conversion
def to_uint8(img: np.ndarray, source: str = "frame") -> np.ndarray:
    """Convert one decoded image (H×W, H×W×1/2/3/4; uint8/uint16/float in [0,1]) to H×W×3 uint8.

    Channel order of the input must already be RGB(A).
    """
    a = np.asarray(img)
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3 or a.shape[2] not in (1, 2, 3, 4):
        raise InputError(f"{source}: unsupported image shape {a.shape}")
    if a.shape[2] in (2, 4):  # drop alpha
        a = a[:, :, :-1]
    if a.shape[2] == 1:
        a = np.repeat(a, 3, axis=2)
    if a.dtype == np.uint8:
        return np.ascontiguousarray(a)
    if a.dtype == np.uint16:
        return np.ascontiguousarray(np.round(a.astype(np.float64) / 257.0).astype(np.uint8))
    if np.issubdtype(a.dtype, np.floating):
        if not np.isfinite(a).all():
            raise InputError(f"{source}: image contains NaN or infinite values")
        if a.min() < 0.0 or a.max() > 1.0:
            raise InputError(
                f"{source}: float image values must be in [0, 1], got [{a.min():.4g}, {a.max():.4g}]"
            )
        return np.ascontiguousarray(np.round(a * 255.0).astype(np.uint8))
    raise InputError(f"{source}: unsupported image dtype {a.dtype}")


# ----------------------------------------------------------------------------- discovery
_NUM = re.compile(r"(\d+)")


def natural_key(name: str) -> list[Any]:
    """Sort key: ``frame2.png`` before ``frame10.png``; case-insensitive text parts."""
    return [int(t) if t.isdigit() else t.lower() for t in _NUM.split(name)]


def is_video_file(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in VIDEO_EXTS


def is_image_file(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in IMAGE_EXTS


def list_frame_files(folder: str | os.PathLike) -> list[Path]:
    """Image files directly inside ``folder``, naturally sorted (hidden files ignored)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a directory")
    files = [
        p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".") and is_image_file(p)
    ]
    if not files:
        raise InputError(
            f"{folder}: no frames found (expected {', '.join(IMAGE_EXTS)} files directly inside it)"
        )
    return sorted(files, key=lambda p: natural_key(p.name))


def is_clip_path(path: str | os.PathLike) -> bool:
    """True for a video file or a folder that directly holds image files."""
    p = Path(path)
    if p.is_file():
        return is_video_file(p)
    if p.is_dir():
        return any(c.is_file() and is_image_file(c) for c in p.iterdir())
    return False


def clip_id_of(path: str | os.PathLike) -> str:
    """Default clip id: folder name, or file name without its video extension."""
    p = Path(path)
    return p.stem if p.is_file() and is_video_file(p) else p.name


# ----------------------------------------------------------------------------- reading
def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read one image file as H×W×3 uint8 RGB (gray, RGBA, 16-bit handled)."""
    import cv2

    path = Path(path)
    try:
        buf = np.fromfile(str(path), dtype=np.uint8)
    except OSError as exc:
        raise InputError(f"{path}: cannot read file ({exc})") from exc
    img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED) if buf.size else None
    if img is None:
        raise InputError(f"{path}: not a readable image (corrupt, truncated or unsupported format)")
    if img.ndim == 3:
        if img.shape[2] == 3:
            img = img[:, :, ::-1]
        elif img.shape[2] == 4:
            img = img[:, :, [2, 1, 0, 3]]
    return to_uint8(img, source=str(path))


def _open_video(path: Path):
    import av

    try:
        container = av.open(str(path))
    except Exception as exc:  # av raises many error types
        raise InputError(f"{path}: cannot open video ({exc})") from exc
    if not container.streams.video:
        container.close()
        raise InputError(f"{path}: file has no video stream")
    return container


def video_fps(path: str | os.PathLike) -> float:
    container = _open_video(Path(path))
    try:
        s = container.streams.video[0]
        rate = s.average_rate or s.guessed_rate or s.base_rate
        return float(rate) if rate else 25.0
    finally:
        container.close()


def _iter_video(path: Path, max_frames: int | None) -> Iterator[np.ndarray]:
    container = _open_video(path)
    n = 0
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        try:
            for frame in container.decode(stream):
                yield frame.to_ndarray(format="rgb24")
                n += 1
                if max_frames is not None and n >= max_frames:
                    return
        except InputError:
            raise
        except Exception as exc:
            raise InputError(f"{path}: decoding failed after {n} frames ({exc}); the file may be truncated") from exc
    finally:
        container.close()
    if n == 0:
        raise InputError(f"{path}: video has zero decodable frames")


def iter_frames(path: str | os.PathLike, max_frames: int | None = None) -> Iterator[np.ndarray]:
    """Stream frames (H×W×3 uint8 RGB) from a video file or frame folder.

    Raises InputError when a frame's size differs from the first one, naming the file.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file or directory")
    first: tuple[int, ...] | None = None
    if p.is_dir():
        files = list_frame_files(p)
        if max_frames is not None:
            files = files[:max_frames]
        source: Iterable[tuple[str, np.ndarray]] = ((str(f), read_image(f)) for f in files)
    else:
        source = ((f"{p} (frame {i})", fr) for i, fr in enumerate(_iter_video(p, max_frames)))
    for name, frame in source:
        if first is None:
            first = frame.shape
        elif frame.shape != first:
            raise InputError(
                f"{name}: frame size {frame.shape[1]}×{frame.shape[0]} differs from the clip's first "
                f"frame {first[1]}×{first[0]}; all frames of a clip must have one size"
            )
        yield frame


def read_clip(
    path: str | os.PathLike, clip_id: str | None = None, max_frames: int | None = None
) -> Clip:
    """Read a whole clip (video file or frame folder) into memory."""
    p = Path(path)
    frames = list(iter_frames(p, max_frames=max_frames))
    if not frames:
        raise InputError(f"{p}: zero frames")
    fps = video_fps(p) if p.is_file() else 25.0
    return Clip(clip_id or clip_id_of(p), np.stack(frames), fps, {"source": str(p)})


# ----------------------------------------------------------------------------- writing
def write_png_frames(
    frames: np.ndarray | Clip, out_dir: str | os.PathLike, pattern: str = "{:08d}.png", level: int = 1
) -> Path:
    """Write frames as PNG files into ``out_dir`` atomically (temp folder + rename).

    ``pattern`` is formatted with the 0-based frame index. Returns ``out_dir``.
    """
    import cv2

    arr = frames.frames if isinstance(frames, Clip) else np.asarray(frames)
    if arr.ndim != 4 or arr.shape[-1] != 3 or arr.dtype != np.uint8:
        raise InputError(f"write_png_frames: expected T×H×W×3 uint8, got {arr.shape} {arr.dtype}")
    out = Path(out_dir)
    with atomic_dir(out) as tmp:
        for i, fr in enumerate(arr):
            ok, enc = cv2.imencode(".png", fr[:, :, ::-1], [cv2.IMWRITE_PNG_COMPRESSION, level])
            if not ok:
                raise OSError(f"PNG encoding failed for frame {i} of {out}")
            enc.tofile(str(tmp / pattern.format(i)))
    return out


def write_video(
    frames: np.ndarray | Clip, path: str | os.PathLike, fps: float | None = None, codec: str = "libx264rgb"
) -> Path:
    """Write a lossless video (``libx264rgb`` crf 0 in .mp4/.mkv, or ``ffv1`` in .mkv/.avi).

    Written to a temp file and renamed on success.
    """
    import av

    arr = frames.frames if isinstance(frames, Clip) else np.asarray(frames)
    if fps is None:
        fps = frames.fps if isinstance(frames, Clip) else 25.0
    path = Path(path)
    from fractions import Fraction

    rate = Fraction(fps).limit_denominator(1001)
    with atomic_path(path, suffix=path.suffix) as tmp:
        with av.open(str(tmp), "w") as out:
            st = out.add_stream(codec, rate=rate)
            st.width, st.height = arr.shape[2], arr.shape[1]
            if codec == "libx264rgb":
                st.pix_fmt = "rgb24"
                st.options = {"crf": "0", "preset": "medium"}
            elif codec == "ffv1":
                st.pix_fmt = "bgr0"
            for fr in arr:
                out.mux(st.encode(av.VideoFrame.from_ndarray(fr, format="rgb24")))
            out.mux(st.encode())
    return path
