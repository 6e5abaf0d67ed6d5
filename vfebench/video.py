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
rounded from the 0..65535 range). Video frames are converted to RGB24 by FFmpeg's swscale (10-bit
sources included) and turned upright when the container carries a display rotation (multiples
of 90°, the same rule as the ``ffmpeg`` command line's autorotate). Unreadable or truncated
files, empty folders, zero frames and frames of different sizes within one clip raise
:class:`~vfebench.errors.InputError` naming the file. A video counts as truncated when it decodes
clearly fewer frames than its header announces (more than 2 frames and 2 % short), or, for
containers without a frame count (mkv/webm), when the decoded frames cover clearly less of the
video stream's duration than stated (more than 2 frames and 10 % short).

Videos are streamed (:func:`iter_frames`): only one decoded frame is held at a time, so long
1080p clips can be processed in constant memory. Writers are lossless: PNG frame folders
(written to a temp folder then renamed, from an array or a stream of frames) and, optionally,
RGB-lossless H.264 (``libx264rgb``, crf 0) or FFV1 video.
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


#: the layout every clip's frames have (see the module docstring)
FRAMES_LAYOUT = "T×H×W×3"


def _check_float01(a: np.ndarray, what: str) -> None:
    """Raise InputError naming ``what`` when float values are NaN/inf or leave [0, 1]."""
    if not np.isfinite(a).all():
        raise InputError(f"{what}: contains NaN or infinite values")
    lo, hi = float(np.min(a)), float(np.max(a))
    if lo < 0.0 or hi > 1.0:
        raise InputError(f"{what}: float values must be in [0, 1], got [{lo:.4g}, {hi:.4g}]")


def check_frames(
    frames: Any, what: str, *, allow_float: bool = False, layout: str = FRAMES_LAYOUT
) -> np.ndarray:
    """The one validator of a clip's frames; returns ``frames`` unchanged (no copy).

    Used by :class:`Clip` (every clip), :func:`vfebench.metrics.base.as_clip` (arrays handed to
    the metrics' Python API, ``allow_float=True``),
    :func:`vfebench.runner.restore.validate_output` (what a method returned) and the writers
    :func:`write_png_frames` (whole arrays) and :func:`write_video`. The checks, in
    order, each an :class:`~vfebench.errors.InputError` starting with ``what`` (who the frames
    belong to, e.g. ``"clip 'a'"``) and naming the value and the fix:

    1. a ``numpy.ndarray`` (not a list, tensor or None);
    2. 4 dimensions, the last of size 3: ``T×H×W×3`` RGB (``layout`` is the accepted layout
       named in the message);
    3. floating point frames: finite, and with ``allow_float`` in [0, 1];
    4. dtype ``uint8`` (0..255), or any float dtype with ``allow_float``;
    5. at least one frame (``T ≥ 1``) of at least 1×1 pixels.

    Memory layout is not checked: non-contiguous views (``frames[:, ::2]``) are valid frames.
    """
    if not isinstance(frames, np.ndarray):
        raise InputError(f"{what}: frames must be a {layout} uint8 numpy array, got {type(frames).__name__}")
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise InputError(
            f"{what}: frames must be {layout} RGB (frames × height × width × 3 channels), "
            f"got shape {tuple(frames.shape)}"
        )
    is_float = np.issubdtype(frames.dtype, np.floating)
    if is_float and allow_float:
        _check_float01(frames, what)
    elif is_float and not np.isfinite(frames).all():
        raise InputError(
            f"{what}: frames contain NaN or infinite values (dtype {frames.dtype}); frames must be "
            "finite uint8 RGB 0..255"
        )
    elif frames.dtype != np.uint8:
        accepted = "uint8 0..255 or float in [0, 1]" if allow_float else "uint8 RGB 0..255"
        raise InputError(
            f"{what}: frames must be {accepted}, got dtype {frames.dtype}; convert each frame with "
            "vfebench.video.to_uint8()"
        )
    if frames.shape[0] == 0:
        raise InputError(f"{what}: zero frames (shape {tuple(frames.shape)}); a clip needs at least one")
    if frames.shape[1] == 0 or frames.shape[2] == 0:
        raise InputError(f"{what}: frames of zero size (shape {tuple(frames.shape)}); H and W must be ≥ 1")
    return frames


@dataclass
class Clip:
    """A video clip held in memory.

    Attributes:
        id: clip identifier (unique within its dataset).
        frames: ``T×H×W×3`` uint8 RGB array, values 0..255, T, H, W ≥ 1 (checked by
            :func:`check_frames`; see the module docstring).
        fps: frames per second of the source (25.0 when unknown).
        meta: free-form metadata (source path, degradation parameters, ...).
    """

    id: str
    frames: np.ndarray
    fps: float = 25.0
    meta: dict[str, Any] = field(default_factory=dict)
    _hash: str | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_frames(self.frames, f"clip {self.id!r}")

    @property
    def num_frames(self) -> int:
        """``T``, the number of frames (≥ 1)."""
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
        """A new clip with the same id/fps, new uint8 ``T×H×W×3`` ``frames`` and merged metadata."""
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
        _check_float01(a, source)
        return np.ascontiguousarray(np.round(a * 255.0).astype(np.uint8))
    raise InputError(f"{source}: unsupported image dtype {a.dtype}")


# ----------------------------------------------------------------------------- discovery
_NUM = re.compile(r"(\d+)")


def natural_key(name: str) -> list[Any]:
    """Sort key: ``frame2.png`` before ``frame10.png``; case-insensitive text parts."""
    return [int(t) if t.isdigit() else t.lower() for t in _NUM.split(name)]


def is_video_file(path: str | os.PathLike) -> bool:
    """Whether ``path``'s extension (any case) is one of :data:`VIDEO_EXTS`; the file is not read."""
    return Path(path).suffix.lower() in VIDEO_EXTS


def is_image_file(path: str | os.PathLike) -> bool:
    """Whether ``path``'s extension (any case) is one of :data:`IMAGE_EXTS`; the file is not read."""
    return Path(path).suffix.lower() in IMAGE_EXTS


def list_frame_files(folder: str | os.PathLike) -> list[Path]:
    """Image files directly inside ``folder``, naturally sorted (hidden files ignored)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a directory")
    files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".") and is_image_file(p)]
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


def _is_empty_clip_dir(p: Path) -> bool:
    """A folder with no frames and no sub-folders: listed as a clip (reading it fails with a
    reason), so an emptied clip folder is a visible failure instead of silently vanishing."""
    try:
        return p.is_dir() and not any(c.is_dir() for c in p.iterdir())
    except OSError:
        return True


def find_clip_paths(src: str | os.PathLike) -> list[tuple[str, Path]]:
    """``(clip_id, path)`` for every clip under ``src``, sorted naturally by id.

    ``src`` may be one video file, one frame folder (a folder that directly holds images), or a
    folder whose direct children are video files and/or frame folders (hidden entries and other
    files are ignored; a child folder with no frames and no sub-folders is listed, so that
    reading it reports the empty clip). Raises InputError when nothing is found or two entries map to one id
    (``a.mp4`` next to ``a/``).
    """
    p = Path(src)
    if not p.exists():
        raise InputError(f"{p}: no such file or directory")
    if p.is_file():
        if not is_video_file(p):
            raise InputError(f"{p}: not a video file (expected one of {', '.join(VIDEO_EXTS)})")
        return [(clip_id_of(p), p)]
    if is_clip_path(p):
        return [(clip_id_of(p), p)]
    found: dict[str, Path] = {}
    for c in p.iterdir():
        if c.name.startswith(".") or not (is_clip_path(c) or _is_empty_clip_dir(c)):
            continue
        cid = clip_id_of(c)
        if cid in found:
            raise InputError(f"{p}: two clips share the id {cid!r} ({found[cid].name}, {c.name}); rename one")
        found[cid] = c
    if not found:
        raise InputError(
            f"{p}: no clips found (expected video files {', '.join(VIDEO_EXTS)} or folders of frames "
            "directly inside it)"
        )
    return sorted(found.items(), key=lambda kv: natural_key(kv[0]))


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


def quiet_av_logging() -> None:
    """Keep PyAV's Python-level FFmpeg log callback off.

    Importing torchvision calls ``av.logging.set_level(ERROR)``, which routes FFmpeg's log lines
    through a Python callback. FFmpeg's frame-threaded decoders log from worker threads, and
    freeing such a decoder while a worker waits for the GIL deadlocks (seen here in
    ``avcodec_free_context`` when a clip was closed early). With the level back at ``None``
    (PyAV's default) FFmpeg's logs are dropped in C and no worker ever needs the GIL.
    """
    import av.logging

    if av.logging.get_level() is not None:
        av.logging.set_level(None)


def _open_video(path: Path):
    import av

    quiet_av_logging()
    try:
        container = av.open(str(path))
    except Exception as exc:  # broad on purpose: PyAV raises many error types
        raise InputError(
            f"{path}: cannot open video ({exc}); the file may be truncated or not a video"
        ) from exc
    if not container.streams.video:
        container.close()
        raise InputError(f"{path}: file has no video stream")
    return container


def _stream_fps(stream) -> float:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    return float(rate) if rate else 25.0


def video_fps(path: str | os.PathLike) -> float:
    """Frame rate of a video file's first video stream (25.0 when the file states none)."""
    container = _open_video(Path(path))
    try:
        return _stream_fps(container.streams.video[0])
    finally:
        container.close()


@dataclass(frozen=True)
class ClipInfo:
    """What :func:`probe` learns from a clip's header and first frame.

    ``height``/``width`` are those of the frames :func:`iter_frames` yields (after rotation);
    ``frames`` is the header's frame count (videos; an estimate from duration × fps when the
    container stores none, 0 when unknown) or the number of image files (frame folders).
    """

    path: Path
    kind: str  # "video" | "frames"
    height: int
    width: int
    frames: int
    fps: float
    codec: str = ""
    pix_fmt: str = ""
    rotation: int = 0


def probe(path: str | os.PathLike) -> ClipInfo:
    """Size, frame count and fps of a video file or frame folder (reads one frame at most)."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file or directory")
    if p.is_dir():
        files = list_frame_files(p)
        h, w = read_image(files[0]).shape[:2]
        return ClipInfo(p, "frames", h, w, len(files), 25.0)
    container = _open_video(p)
    try:
        s = container.streams.video[0]
        fps = _stream_fps(s)
        n = int(s.frames or 0)
        if n == 0:
            dur = _stream_duration(s, container)
            n = int(round(dur * fps)) if dur else 0
        rot = 0
        try:
            frame = next(container.decode(s))
            rot = _quarter_turns(frame) * 90
        except Exception:  # broad on purpose: PyAV; an undecodable file is reported by iter_frames
            pass
        h, w = s.codec_context.height, s.codec_context.width
        if rot in (90, 270):
            h, w = w, h
        return ClipInfo(p, "video", h, w, n, fps, s.codec_context.name, s.codec_context.pix_fmt or "", rot)
    finally:
        container.close()


def _stream_duration(stream, container) -> float | None:
    """Seconds of the video stream: its own duration, or the container's if it is the only stream."""
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration and len(container.streams) == 1:
        return container.duration / 1_000_000  # av.time_base
    return None


def _quarter_turns(frame) -> int:
    """Counter-clockwise quarter turns that make a decoded frame upright (its display matrix)."""
    rot = getattr(frame, "rotation", 0) or 0
    return int(round(rot / 90.0)) % 4


def _iter_video(
    path: Path, max_frames: int | None, autorotate: bool = True, info: dict | None = None
) -> Iterator[np.ndarray]:
    """Decoded frames of a video file; ``info["fps"]`` is set from the open stream (no reopen)."""
    container = _open_video(path)
    n = 0
    first_t = last_t = None
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        fps = _stream_fps(stream)
        if info is not None:
            info["fps"] = fps
        try:
            for frame in container.decode(stream):
                if frame.time is not None:
                    first_t = frame.time if first_t is None else first_t
                    last_t = frame.time
                arr = frame.to_ndarray(format="rgb24")
                k = _quarter_turns(frame) if autorotate else 0
                if k:
                    # np.rot90 turns counter-clockwise, like the display matrix's rotation
                    arr = np.ascontiguousarray(np.rot90(arr, k))
                yield arr
                n += 1
                if max_frames is not None and n >= max_frames:
                    return
        except Exception as exc:  # broad on purpose: PyAV decoders raise many error types
            raise InputError(
                f"{path}: decoding failed after {n} frames ({exc}); the file may be truncated or corrupt"
            ) from exc
        if n == 0:
            raise InputError(f"{path}: video has zero decodable frames")
        expected = int(stream.frames or 0)
        if expected > 0:
            if expected - n > max(2, 0.02 * expected):
                raise InputError(
                    f"{path}: decoded only {n} of the {expected} frames its header announces; "
                    "the file is truncated or corrupt (re-download or re-encode it)"
                )
        else:
            dur = _stream_duration(stream, container)
            if dur and first_t is not None and last_t is not None:
                covered = last_t - first_t + 1.0 / fps
                if dur - covered > max(2.0 / fps, 0.1 * dur):
                    raise InputError(
                        f"{path}: decoded frames cover {covered:.2f} s of the {dur:.2f} s the file "
                        "announces; the file is truncated or corrupt (re-download or re-encode it)"
                    )
    finally:
        container.close()


def iter_frames(
    path: str | os.PathLike, max_frames: int | None = None, autorotate: bool = True, info: dict | None = None
) -> Iterator[np.ndarray]:
    """Stream frames (H×W×3 uint8 RGB) from a video file or frame folder.

    Only one frame is decoded at a time. ``max_frames`` keeps the first N frames (a truncation
    check is then skipped for the rest of the file). ``autorotate`` applies a video's display
    rotation. Raises InputError, naming the file, for unreadable/truncated input, zero frames and
    a frame whose size differs from the first one. ``info`` (a dict), when given, receives the
    video's ``fps`` once decoding starts.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file or directory")
    if max_frames is not None and max_frames < 1:
        raise InputError(f"{p}: max_frames must be at least 1, got {max_frames}")
    first: tuple[int, ...] | None = None
    if p.is_dir():
        files = list_frame_files(p)
        if max_frames is not None:
            files = files[:max_frames]
        source: Iterable[tuple[str, np.ndarray]] = ((str(f), read_image(f)) for f in files)
    elif not p.is_file():
        raise InputError(f"{p}: not a regular file or folder")
    else:
        source = (
            (f"{p} (frame {i})", fr) for i, fr in enumerate(_iter_video(p, max_frames, autorotate, info))
        )
    for name, frame in source:
        if first is None:
            first = frame.shape
        elif frame.shape != first:
            raise InputError(
                f"{name}: frame size {frame.shape[1]}×{frame.shape[0]} differs from the clip's first "
                f"frame {first[1]}×{first[0]}; all frames of a clip must have one size"
            )
        yield frame


def read_clip(path: str | os.PathLike, clip_id: str | None = None, max_frames: int | None = None) -> Clip:
    """Read a whole clip (video file or frame folder) into memory."""
    p = Path(path)
    info: dict = {}
    frames = list(iter_frames(p, max_frames=max_frames, info=info))
    if not frames:
        raise InputError(f"{p}: zero frames")
    fps = float(info.get("fps", 25.0))  # read from the stream while decoding (no second open)
    return Clip(clip_id or clip_id_of(p), np.stack(frames), fps, {"source": str(p)})


# ----------------------------------------------------------------------------- writing
def write_png_frames(
    frames: np.ndarray | Clip | Iterable[np.ndarray],
    out_dir: str | os.PathLike,
    pattern: str = "{:08d}.png",
    level: int = 1,
) -> Path:
    """Write frames as PNG files into ``out_dir`` atomically (temp folder + rename).

    ``frames`` is a T×H×W×3 uint8 RGB array, a :class:`Clip`, or any iterable of H×W×3 uint8
    RGB frames (consumed one at a time, so a generator streams in constant memory). ``pattern``
    is formatted with the 0-based frame index. ``out_dir`` appears only once every frame is
    written; an existing ``out_dir`` is replaced. Returns ``out_dir``.
    """
    import cv2

    out = Path(out_dir)
    if isinstance(frames, Clip):
        frames = frames.frames
    if isinstance(frames, np.ndarray):
        check_frames(frames, f"write_png_frames({out})")  # a stream is checked frame by frame below
    n = 0
    first: tuple[int, ...] | None = None
    with atomic_dir(out) as tmp:
        for i, fr in enumerate(frames):
            fr = np.asarray(fr)
            if fr.ndim != 3 or fr.shape[-1] != 3 or fr.dtype != np.uint8:
                raise InputError(
                    f"write_png_frames({out}): frame {i} must be H×W×3 uint8 RGB, got {fr.shape} {fr.dtype}"
                )
            if first is None:
                first = fr.shape
            elif fr.shape != first:
                raise InputError(f"write_png_frames({out}): frame {i} is {fr.shape}, frame 0 is {first}")
            ok, enc = cv2.imencode(".png", fr[:, :, ::-1], [cv2.IMWRITE_PNG_COMPRESSION, level])
            if not ok:
                raise OSError(f"PNG encoding failed for frame {i} of {out}")
            enc.tofile(str(tmp / pattern.format(i)))
            n += 1
        if n == 0:
            raise InputError(f"write_png_frames({out}): zero frames to write")
    return out


def write_video(
    frames: np.ndarray | Clip, path: str | os.PathLike, fps: float | None = None, codec: str = "libx264rgb"
) -> Path:
    """Write uint8 ``T×H×W×3`` RGB frames (or a :class:`Clip`) as a lossless video (``libx264rgb``
    crf 0 in .mp4/.mkv, or ``ffv1`` in .mkv/.avi).

    Written to a temp file and renamed on success.
    """
    import av

    arr = check_frames(
        frames.frames if isinstance(frames, Clip) else np.asarray(frames), f"write_video({path})"
    )
    if codec not in ("libx264rgb", "ffv1"):
        raise InputError(f"write_video({path}): codec {codec!r} is not lossless; use 'libx264rgb' or 'ffv1'")
    if fps is None:
        fps = frames.fps if isinstance(frames, Clip) else 25.0
    path = Path(path)
    from fractions import Fraction

    rate = Fraction(fps).limit_denominator(1001)
    with atomic_path(path, suffix=path.suffix) as tmp:
        quiet_av_logging()
        with av.open(str(tmp), "w") as out:
            st = out.add_stream(codec, rate=rate)
            st.width, st.height = arr.shape[2], arr.shape[1]
            if codec == "libx264rgb":
                st.pix_fmt = "rgb24"
                st.options = {"crf": "0", "preset": "medium"}
            else:
                st.pix_fmt = "bgr0"
            for fr in arr:
                out.mux(st.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(fr), format="rgb24")))
            out.mux(st.encode())
    return path
