"""Face-region extraction: one stable square window per clip, cropped and resized.

Used by ``vfebench prepare`` (raw talking-head videos → VFHQ-style 512×512 GT clips) and by
vividface's curation pipeline (paper §3, "Face Region Extraction": per-frame face boxes, their
union over the clip, made square, every frame cropped with that one window and resized).

Pipeline (all coordinates are pixels of the full-resolution frame, ``x`` right, ``y`` down, boxes
``(x0, y0, x1, y1)`` with exclusive ``x1``/``y1``):

1. :func:`detect_boxes` streams frames, downscales each so its longer side is at most
   ``detect_size`` (INTER_AREA) for the detector, and maps the boxes back to full resolution.
   One face per frame is kept: in the first frame with faces the largest one, afterwards the one
   overlapping the previous pick most (largest face when none overlaps). Frames without a face,
   or skipped by ``detect_every``, get ``None``.
2. :func:`union_box` drops outliers (boxes whose centre lies more than ``outlier`` × the median
   box size away from the median centre: a stray detection in the background) and returns the
   union of the rest.
3. :func:`clip_window` turns the union into a square of side ``scale × max(w, h)`` centred on
   the union's centre, then fits it to the frame with ``fit``:

   - ``"shrink"`` (default): never invents pixels and keeps the face centred. The side is
     reduced to the largest square centred on the face that fits in the frame, but never below
     the union's longer side (the tight face square). Only when even that tight square cannot be
     centred (a face touching the frame edge) is it shifted inside the frame, and it is cut to
     the frame's shorter side when larger. The face is then framed tighter than asked
     (``shrunk``) and, in the rare last case, off-centre (``shifted``).
   - ``"shift"``: keep the requested side (cut to the frame's shorter side) and shift the square
     inside the frame: more context, but the face can sit off-centre.
   - ``"pad"``: keep the requested square even where it leaves the frame; the outside is filled
     with black (0) when cropping. The face stays centred at the requested scale.

4. :func:`crop_clip` crops every frame with the window and resizes it to ``size × size``.
   ``resample="lanczos"`` (default) is PIL's antialiased Lanczos (a=3, the kernel widens when
   downscaling); ``"lanczos4"`` is OpenCV's ``INTER_LANCZOS4`` (8×8 taps, no antialiasing when
   downscaling), which the VFHQ folder name ``Interval1_512x512_LANCZOS4`` suggests VFHQ used
   (an inference from the name; VFHQ published no crop code).

:func:`prepare_clip` runs the whole thing on one video file or frame folder in two streaming
passes (detect, then crop + write), so memory stays at a few frames whatever the clip length or
resolution, and writes ``OUT/%08d.png`` atomically.

Detectors come from :mod:`vfebench.facedetect` (the one owner of face models, shared with the
face metrics; weights ship inside the pip packages, nothing is downloaded):

- ``"mediapipe"`` (default): MediaPipe face detection (BlazeFace), ``model="auto"``: the
  full-range model (faces up to ~5 m, good for small faces), falling back to the short-range
  one on frames where it finds nothing (it misses some large close-ups).
  Boxes are tight (brows to chin); the default ``scale`` 1.8 widens them to head and some hair.
- ``"mtcnn"``: facenet-pytorch 2.5.3 MTCNN on CPU (bundled P/R/O-Net weights, its default
  thresholds), faces below probability 0.9 dropped.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np

from vfebench.errors import InputError
from vfebench.facedetect import Box, Detection, FaceDetector, get_detector

#: bump when the produced crops can change for the same input and parameters
VERSION = "1"

FITS = ("shrink", "shift", "pad")
RESAMPLES = ("lanczos", "lanczos4")


class NoFaceError(InputError):
    """No (or too few) faces were found in a clip; the message names the clip."""


# ----------------------------------------------------------------------------- boxes
def box_iou(a: Box, b: Box) -> float:
    """Intersection over union of two ``(x0, y0, x1, y1)`` pixel boxes (x0 ≤ x1, y0 ≤ y1), in [0, 1].

    0.0 when they do not overlap or when both have zero area.
    """
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _clamp_box(box: Box, h: int, w: int) -> Box | None:
    x0, y0 = max(0.0, box[0]), max(0.0, box[1])
    x1, y1 = min(float(w), box[2]), min(float(h), box[3])
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def _pick(dets: list[Detection], prev: Box | None) -> Box | None:
    if not dets:
        return None
    if prev is not None:
        best = max(dets, key=lambda d: box_iou(d.box, prev))
        if box_iou(best.box, prev) > 0:
            return best.box
    return max(dets, key=lambda d: (d.box[2] - d.box[0]) * (d.box[3] - d.box[1])).box


def detect_boxes(
    frames: Iterable[np.ndarray],
    detector: FaceDetector | Callable[[np.ndarray], list[Detection]] | None = None,
    detect_every: int = 1,
    detect_size: int | None = 640,
) -> list[Box | None]:
    """Main-face box of every frame of a stream, in full-resolution pixels.

    Args:
        frames: H×W×3 uint8 RGB frames (consumed once, one at a time).
        detector: a :class:`FaceDetector` (or any callable with its signature); default
            MediaPipe full-range. A detector created here is closed here.
        detect_every: run the detector on frames 0, K, 2K, ...; the others get ``None``.
        detect_size: downscale each frame (INTER_AREA) so its longer side is at most this
            before detection; ``None`` detects at full resolution.

    Returns:
        One entry per frame: ``(x0, y0, x1, y1)`` float pixels clamped to the frame, or ``None``
        (no face, or frame skipped).
    """
    import cv2

    if detect_every < 1:
        raise InputError(f"detect_every must be at least 1, got {detect_every}")
    if detect_size is not None and detect_size < 32:
        raise InputError(f"detect_size must be at least 32 pixels (or None), got {detect_size}")
    own = detector is None
    det = get_detector() if detector is None else detector
    boxes: list[Box | None] = []
    prev: Box | None = None
    try:
        for i, frame in enumerate(frames):
            if i % detect_every:
                boxes.append(None)
                continue
            h, w = frame.shape[:2]
            f = 1.0
            small = frame
            if detect_size is not None and max(h, w) > detect_size:
                f = detect_size / max(h, w)
                small = cv2.resize(
                    frame, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA
                )
            sh, sw = small.shape[:2]
            fx, fy = w / sw, h / sh
            dets = [
                Detection((d.box[0] * fx, d.box[1] * fy, d.box[2] * fx, d.box[3] * fy), d.score)
                for d in det(small)
            ]
            dets = [Detection(b, d.score) for d in dets if (b := _clamp_box(d.box, h, w)) is not None]
            box = _pick(dets, prev)
            boxes.append(box)
            prev = box if box is not None else prev
    finally:
        if own:
            assert isinstance(det, FaceDetector)  # created above by get_detector()
            det.close()
    return boxes


def union_box(boxes: Sequence[Box | None], outlier: float | None = 1.0) -> Box:
    """Union of the non-None boxes after dropping outliers.

    A box is an outlier when its centre is farther than ``outlier`` × (the median box's longer
    side) from the median centre (``None`` keeps every box). Raises :class:`NoFaceError` when
    no box is given.
    """
    arr = np.array([b for b in boxes if b is not None], dtype=np.float64).reshape(-1, 4)
    if len(arr) == 0:
        raise NoFaceError("no face box in any frame")
    if outlier is not None and len(arr) >= 3:
        centres = (arr[:, :2] + arr[:, 2:]) / 2
        med_c = np.median(centres, axis=0)
        med_side = np.median(np.maximum(arr[:, 2] - arr[:, 0], arr[:, 3] - arr[:, 1]))
        keep = np.linalg.norm(centres - med_c, axis=1) <= outlier * med_side
        arr = arr[keep]
    return (float(arr[:, 0].min()), float(arr[:, 1].min()), float(arr[:, 2].max()), float(arr[:, 3].max()))


@dataclass(frozen=True)
class Window:
    """Square crop window in full-resolution pixels: columns x0..x0+side, rows y0..y0+side.

    With ``fit="pad"`` it may reach outside the frame (negative x0/y0 or past the far edge);
    those pixels are black in the crop. ``shifted``: moved off the face centre to fit the
    frame; ``shrunk``: side smaller than requested (neither happens with ``fit="pad"``).
    ``requested_side``: the side before fitting.
    """

    x0: int
    y0: int
    side: int
    requested_side: int = 0
    shifted: bool = False
    shrunk: bool = False

    def inside(self, frame_hw: tuple[int, int]) -> bool:
        """Whether the whole window lies within a frame of ``frame_hw`` = (height, width) pixels."""
        h, w = frame_hw
        return self.x0 >= 0 and self.y0 >= 0 and self.x0 + self.side <= w and self.y0 + self.side <= h

    def as_dict(self) -> dict[str, Any]:
        """The fields as a JSON-ready dict (ints and bools), for records."""
        return asdict(self)


def clip_window(
    boxes: Sequence[Box | None] | Box,
    frame_hw: tuple[int, int],
    scale: float = 1.0,
    fit: str = "shrink",
    outlier: float | None = 1.0,
) -> Window:
    """The clip's square window: union of ``boxes`` (or one box), × ``scale``, fitted to the frame.

    Args:
        boxes: per-frame boxes (``None`` entries ignored) or a single ``(x0, y0, x1, y1)``.
        frame_hw: ``(H, W)`` of the full-resolution frames.
        scale: side = ``ceil(scale × max(union width, union height))``; 1.0 is the tight square
            (vividface curation), 1.8 the default of ``vfebench prepare``.
        fit: ``"shrink"``, ``"shift"`` or ``"pad"`` (see the module docstring).
        outlier: passed to :func:`union_box`.
    """
    if fit not in FITS:
        raise InputError(f"fit must be one of {FITS}, got {fit!r}")
    if not (scale > 0 and math.isfinite(scale)):
        raise InputError(f"scale must be a positive number, got {scale}")
    h, w = int(frame_hw[0]), int(frame_hw[1])
    if h < 1 or w < 1:
        raise InputError(f"frame size must be positive, got {h}×{w}")
    if len(boxes) == 4 and all(isinstance(v, (int, float, np.floating, np.integer)) for v in boxes):
        u: Box = cast(Box, tuple(float(v) for v in cast("Sequence[float]", boxes)))  # a single box
    else:
        u = union_box(boxes, outlier=outlier)  # type: ignore[arg-type]
    cx, cy = (u[0] + u[2]) / 2, (u[1] + u[3]) / 2
    longer = max(u[2] - u[0], u[3] - u[1])
    req = max(1, math.ceil(scale * longer - 1e-9))
    side = req
    shifted = False
    if fit != "pad":
        side = min(side, h, w)
        if fit == "shrink":
            room = math.floor(2 * min(cx, w - cx, cy, h - cy) + 1e-9)  # largest centred square
            tight = min(max(1, math.ceil(longer - 1e-9)), h, w)
            side = max(min(side, room), tight)
    x0 = int(math.floor(cx - side / 2 + 0.5))
    y0 = int(math.floor(cy - side / 2 + 0.5))
    if fit != "pad":
        nx0, ny0 = min(max(x0, 0), w - side), min(max(y0, 0), h - side)
        shifted = (nx0, ny0) != (x0, y0)
        x0, y0 = nx0, ny0
    return Window(x0, y0, side, req, shifted, side < req)


# ----------------------------------------------------------------------------- cropping
def crop_frame(frame: np.ndarray, window: Window, size: int = 512, resample: str = "lanczos") -> np.ndarray:
    """Crop one H×W×3 uint8 frame with ``window`` (black outside the frame) and resize to size×size."""
    if resample not in RESAMPLES:
        raise InputError(f"resample must be one of {RESAMPLES}, got {resample!r}")
    h, w = frame.shape[:2]
    x0, y0, s = window.x0, window.y0, window.side
    if window.inside((h, w)):
        crop = frame[y0 : y0 + s, x0 : x0 + s]
    else:
        crop = np.zeros((s, s, 3), np.uint8)
        sx0, sy0 = max(x0, 0), max(y0, 0)
        sx1, sy1 = min(x0 + s, w), min(y0 + s, h)
        if sx1 > sx0 and sy1 > sy0:
            crop[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = frame[sy0:sy1, sx0:sx1]
    if s == size:
        return np.ascontiguousarray(crop)
    return resize_square(crop, size, resample)


def resize_square(img: np.ndarray, size: int, resample: str = "lanczos") -> np.ndarray:
    """Resize a whole H×W×3 uint8 image to size×size (``lanczos``: PIL antialiased; ``lanczos4``: OpenCV)."""
    img = np.ascontiguousarray(img)
    if img.shape[:2] == (size, size):
        return img
    if resample == "lanczos4":
        import cv2

        return cv2.resize(img, (size, size), interpolation=cv2.INTER_LANCZOS4)
    from PIL import Image

    return np.asarray(
        Image.fromarray(np.ascontiguousarray(img)).resize((size, size), Image.Resampling.LANCZOS)
    )


def crop_clip(
    frames: Iterable[np.ndarray], window: Window, size: int = 512, resample: str = "lanczos"
) -> Iterator[np.ndarray]:
    """Lazily crop + resize every frame (size×size×3 uint8 RGB out, one frame at a time)."""
    if size < 1:
        raise InputError(f"size must be a positive number of pixels, got {size}")
    for fr in frames:
        yield crop_frame(fr, window, size, resample)


# ----------------------------------------------------------------------------- one clip
def clip_params(
    size: int = 512,
    *,
    scale: float = 1.8,
    fit: str = "shrink",
    detector: FaceDetector | Callable | None = None,
    detect_every: int = 1,
    detect_size: int | None = 640,
    max_frames: int | None = None,
    min_face_ratio: float = 0.5,
    resample: str = "lanczos",
) -> dict[str, Any]:
    """The parameters that determine :func:`prepare_clip`'s output (validated), as a JSON-ready dict.

    Two runs with equal ``clip_params`` produce the same frames from the same source.
    """
    if size < 1:
        raise InputError(f"size must be a positive number of pixels, got {size}")
    if not (scale > 0 and math.isfinite(scale)):
        raise InputError(f"scale must be a positive number, got {scale}")
    if fit not in FITS:
        raise InputError(f"fit must be one of {FITS}, got {fit!r}")
    if resample not in RESAMPLES:
        raise InputError(f"resample must be one of {RESAMPLES}, got {resample!r}")
    if detect_every < 1:
        raise InputError(f"detect_every must be at least 1, got {detect_every}")
    if detect_size is not None and detect_size < 32:
        raise InputError(f"detect_size must be at least 32 pixels (or None), got {detect_size}")
    if max_frames is not None and max_frames < 1:
        raise InputError(f"max_frames must be at least 1, got {max_frames}")
    if not 0.0 <= min_face_ratio <= 1.0:
        raise InputError(f"min_face_ratio must be in [0, 1], got {min_face_ratio}")
    if detector is None:
        described: dict[str, Any] = get_detector().describe()
    elif isinstance(detector, FaceDetector):
        described = detector.describe()
    else:
        described = {"name": getattr(detector, "__name__", type(detector).__name__)}
    return {
        "faceregion_version": VERSION,
        "size": size,
        "scale": scale,
        "fit": fit,
        "resample": resample,
        "detect_every": detect_every,
        "detect_size": detect_size,
        "max_frames": max_frames,
        "min_face_ratio": min_face_ratio,
        "detector": described,
    }


def prepare_clip(
    path: str | os.PathLike,
    out_dir: str | os.PathLike,
    size: int = 512,
    *,
    scale: float = 1.8,
    fit: str = "shrink",
    detector: FaceDetector | None = None,
    detect_every: int = 1,
    detect_size: int | None = 640,
    max_frames: int | None = None,
    min_face_ratio: float = 0.5,
    resample: str = "lanczos",
    clip_id: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Turn one video file or frame folder into ``out_dir/%08d.png`` size×size face frames.

    Two streaming passes over the source (detect, then crop + write), so memory does not grow
    with clip length or resolution. ``out_dir`` appears atomically once every frame is written.

    Raises :class:`NoFaceError` when faces are found in fewer than ``min_face_ratio`` of the
    frames the detector looked at, and InputError for unreadable sources. ``progress`` is called
    with the number of frames processed in each pass (for progress bars: 2 × frames in total).

    Returns a JSON-ready record: source, frames, fps, source size, the window, the union box,
    per-frame boxes (``None`` = no face / not examined), counts and every parameter.
    """
    from vfebench.video import clip_id_of, iter_frames, probe, write_png_frames

    path = Path(path)
    cid = clip_id or clip_id_of(path)
    params = clip_params(
        size,
        scale=scale,
        fit=fit,
        detector=detector,
        detect_every=detect_every,
        detect_size=detect_size,
        max_frames=max_frames,
        min_face_ratio=min_face_ratio,
        resample=resample,
    )
    info = probe(path)

    def counted(it: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        for fr in it:
            yield fr
            if progress is not None:
                progress(1)

    shapes: list[tuple[int, ...]] = []

    def first_shape(it: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        for fr in it:
            if not shapes:
                shapes.append(fr.shape)
            yield fr

    own = detector is None
    det = get_detector() if detector is None else detector
    try:
        boxes = detect_boxes(
            first_shape(counted(iter_frames(path, max_frames=max_frames))),
            det,
            detect_every=detect_every,
            detect_size=detect_size,
        )
    finally:
        if own:
            det.close()
    n = len(boxes)
    examined = len(range(0, n, detect_every))
    found = sum(b is not None for b in boxes)
    if found == 0 or found < min_face_ratio * examined:
        raise NoFaceError(
            f"{path}: a face was found in {found} of the {examined} frames examined "
            f"(need {min_face_ratio:.0%}); is this a talking-head clip? "
            "try the mtcnn detector or a lower min_face_ratio, or drop the clip"
        )
    hw = (int(shapes[0][0]), int(shapes[0][1]))
    win = clip_window(boxes, hw, scale=scale, fit=fit)

    def same_count(it: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        k = 0
        for fr in it:
            k += 1
            yield fr
        if k != n:  # the source changed between the passes; nothing is written
            raise InputError(f"{path}: read {n} frames while detecting but {k} while cropping")

    write_png_frames(
        same_count(crop_clip(counted(iter_frames(path, max_frames=max_frames)), win, size, resample)), out_dir
    )
    u = union_box(boxes)
    return {
        "clip": cid,
        "status": "ok",
        "source": str(path),
        "frames": n,
        "fps": info.fps,
        "source_size": list(hw),
        "size": size,
        "window": win.as_dict(),
        "upscaled": win.side < size,
        "union_box": [round(v, 2) for v in u],
        "faces_found": found,
        "frames_examined": examined,
        "boxes": [None if b is None else [round(v, 2) for v in b] for b in boxes],
        "params": params,
    }


# ----------------------------------------------------------------------------- aligned inputs
#: a crop upscaled by more than this factor is reported by ``vfebench prepare``
UPSCALE_WARN = 1.10
#: ``--aligned`` accepts frames this close to square (|H - W| ≤ tol × max side), resized whole
ASPECT_TOL = 0.02


def aligned_params(
    size: int = 512, *, max_frames: int | None = None, resample: str = "lanczos"
) -> dict[str, Any]:
    """The parameters of :func:`prepare_aligned` (validated), as a JSON-ready dict."""
    if size < 1:
        raise InputError(f"size must be a positive number of pixels, got {size}")
    if resample not in RESAMPLES:
        raise InputError(f"resample must be one of {RESAMPLES}, got {resample!r}")
    if max_frames is not None and max_frames < 1:
        raise InputError(f"max_frames must be at least 1, got {max_frames}")
    return {
        "faceregion_version": VERSION,
        "mode": "aligned",
        "size": size,
        "resample": resample,
        "max_frames": max_frames,
    }


def prepare_aligned(
    path: str | os.PathLike,
    out_dir: str | os.PathLike,
    size: int = 512,
    *,
    max_frames: int | None = None,
    resample: str = "lanczos",
    clip_id: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Already-aligned square faces (HDTF, most talking-head sets) → ``out_dir/%08d.png``.

    No detection, never a crop: a square source of side ``size`` is written as it decodes
    (PNG, lossless: the frames read back are the decoded input frames, bit for bit); another
    side is resized whole to ``size`` (``resample``). Sources within :data:`ASPECT_TOL` of square
    (410×412 crops exist) are resized whole too (their aspect ratio changes by that little; the
    record keeps ``source_size``). A source further from square is an InputError (it is not
    aligned; prepare it without ``--aligned``). Returns a record like :func:`prepare_clip`'s
    (``window`` = the frame's shorter side, for the upscale factor; ``aligned: true``).
    """
    from vfebench.video import clip_id_of, iter_frames, probe, write_png_frames

    path = Path(path)
    cid = clip_id or clip_id_of(path)
    params = aligned_params(size, max_frames=max_frames, resample=resample)
    info = probe(path)
    h, w = info.height, info.width
    if abs(h - w) > ASPECT_TOL * max(h, w):
        raise InputError(
            f"{path}: frames are {w}×{h}, not square, so not an aligned face clip; drop --aligned to detect "
            "and crop the face, or crop it yourself first"
        )
    n = 0

    def frames() -> Iterator[np.ndarray]:
        nonlocal n
        for fr in iter_frames(path, max_frames=max_frames):
            if fr.shape[:2] != (h, w):
                raise InputError(f"{path}: frame {n} is {fr.shape[1]}×{fr.shape[0]}, the first is {w}×{h}")
            n += 1
            if progress is not None:
                progress(2)
            yield fr if (h, w) == (size, size) else resize_square(fr, size, resample)

    write_png_frames(frames(), out_dir)
    return {
        "clip": cid,
        "status": "ok",
        "source": str(path),
        "frames": n,
        "fps": info.fps,
        "source_size": [h, w],
        "size": size,
        "aligned": True,
        "resized": (h, w) != (size, size),
        "window": {"x0": 0, "y0": 0, "side": min(h, w)},
        "upscaled": min(h, w) < size,
        "params": params,
    }


def upscale_factor(rec: dict[str, Any]) -> float | None:
    """Output side / source window side of a prepare record (None when unknown)."""
    side = (rec.get("window") or {}).get("side")
    return rec["size"] / side if side and rec.get("size") else None
