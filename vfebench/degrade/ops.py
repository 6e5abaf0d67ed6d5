"""Degradation operators (pure functions on float32 frames in [0, 1] unless stated).

Follows the KEEP / DicFace degradation code (basicsr-style): OpenCV ``filter2D`` for the blur
(BORDER_REFLECT_101, OpenCV's default), Gaussian noise on the 0–255 scale, OpenCV ``resize``
with AREA / LINEAR / CUBIC, and an H.264 round trip through an in-memory MP4 (libx264, yuv420p,
preset medium). Reference read: jnjaby/KEEP ``basicsr/data/vfhq_dataset.py`` +
``basicsr/data/degradations.py`` (kernels, noise), fudan-generative-vision/DicFace configs.
"""

from __future__ import annotations

import io
import math

import numpy as np

from vfebench.errors import InputError

INTERPOLATIONS = ("area", "linear", "cubic")


def gaussian_kernel(size: int, sigma_x: float, sigma_y: float, theta: float) -> np.ndarray:
    """Anisotropic Gaussian kernel ``size×size`` (float64, sums to 1).

    Covariance ``R(θ) diag(σx², σy²) R(θ)ᵀ``; isotropic when ``σx == σy``. ``size`` must be odd.
    """
    if size % 2 != 1:
        raise InputError(f"kernel size must be odd, got {size}")
    c, s = math.cos(theta), math.sin(theta)
    rot = np.array([[c, -s], [s, c]])
    cov = rot @ np.diag([sigma_x**2, sigma_y**2]) @ rot.T
    inv = np.linalg.inv(cov)
    r = np.arange(size, dtype=np.float64) - size // 2
    xx, yy = np.meshgrid(r, r)
    xy = np.stack([xx, yy], -1)
    k = np.exp(-0.5 * np.einsum("...i,ij,...j->...", xy, inv, xy))
    return k / k.sum()


def blur(frame: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Convolve an H×W×3 float32 frame with ``kernel`` (OpenCV filter2D, reflect-101 border)."""
    import cv2

    return cv2.filter2D(frame, -1, kernel.astype(np.float32))


def add_noise(frame: np.ndarray, delta: float, gray: bool, rng: np.random.Generator) -> np.ndarray:
    """Add Gaussian noise of std ``delta`` (0–255 scale); gray noise is shared by all channels.

    The result is clipped to [0, 1] and not rounded.
    """
    h, w, _ = frame.shape
    shape = (h, w, 1) if gray else (h, w, 3)
    noise = rng.standard_normal(shape, dtype=np.float32) * np.float32(delta / 255.0)
    return np.clip(frame + noise, 0.0, 1.0)


def resize(frame: np.ndarray, size_hw: tuple[int, int], interpolation: str) -> np.ndarray:
    """OpenCV resize to ``(H, W)`` with ``area`` / ``linear`` / ``cubic`` (or ``lanczos``)."""
    import cv2

    flags = {
        "area": cv2.INTER_AREA,
        "linear": cv2.INTER_LINEAR,
        "cubic": cv2.INTER_CUBIC,
        "lanczos": cv2.INTER_LANCZOS4,
    }
    if interpolation not in flags:
        raise InputError(f"unknown interpolation {interpolation!r}; use one of {', '.join(flags)}")
    h, w = size_hw
    return cv2.resize(frame, (w, h), interpolation=flags[interpolation])


def to_uint8(frame: np.ndarray) -> np.ndarray:
    """float [0,1] → uint8 with rounding (what any image writer does)."""
    return np.clip(np.round(frame * 255.0), 0, 255).astype(np.uint8)


def h264_roundtrip(frames: np.ndarray, crf: int, fps: float = 25.0, preset: str = "medium") -> np.ndarray:
    """Encode ``T×H×W×3`` uint8 RGB frames with libx264 (yuv420p, ``crf``) in memory and decode.

    Encoder defaults otherwise, except ``threads=1`` so the bytes do not depend on the machine's
    core count (x264 output varies with its thread count). Odd sizes are padded by edge
    replication to even for yuv420p and cropped back after decoding.
    """
    import av

    from vfebench.video import quiet_av_logging

    quiet_av_logging()
    t, h, w, _ = frames.shape
    ph, pw = h + (h % 2), w + (w % 2)
    if (ph, pw) != (h, w):
        frames = np.pad(frames, ((0, 0), (0, ph - h), (0, pw - w), (0, 0)), mode="edge")
    buf = io.BytesIO()
    from fractions import Fraction

    with av.open(buf, "w", format="mp4") as out:
        st = out.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        st.width, st.height, st.pix_fmt = pw, ph, "yuv420p"
        st.codec_context.options = {"crf": str(int(crf)), "preset": preset, "threads": "1"}
        for fr in frames:
            out.mux(st.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(fr), format="rgb24")))
        out.mux(st.encode())
    buf.seek(0)
    decoded = []
    with av.open(buf, "r", format="mp4") as inp:
        for fr in inp.decode(video=0):
            decoded.append(fr.to_ndarray(format="rgb24"))
    out_frames = np.stack(decoded)[:, :h, :w]
    if out_frames.shape[0] != t:
        raise RuntimeError(f"H.264 round trip returned {out_frames.shape[0]} frames for {t}")
    return np.ascontiguousarray(out_frames)
