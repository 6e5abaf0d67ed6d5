"""Degradation operators (pure functions on float frames in [0, 1] unless stated).

Follows the KEEP / DicFace degradation code (basicsr-style): OpenCV ``filter2D`` for the blur
(BORDER_REFLECT_101, OpenCV's default), Gaussian noise on the 0–255 scale, OpenCV ``resize``
with AREA / LINEAR / CUBIC, and an H.264 round trip through an in-memory MP4 made the way the
reference code makes it (PyAV, ``add_stream('libx264', rate=1)``, yuv420p, crf, libx264's
default preset medium, PyAV's default slice threading). References read:
jnjaby/KEEP@5c7c4721 ``basicsr/data/vfhq_real_degradation2_dataset.py`` and
``basicsr/data/degradations.py``; fudan-generative-vision/DicFace@df08bb76
``basicsr/data/vfhq_dataset.py`` and ``options/clip5_bs2_512_align_nofix_multiscale.yaml``.
See ``docs/degradation.md`` for every place we deviate from them on purpose.
"""

from __future__ import annotations

import io
import math

import numpy as np

from vfebench.errors import CodecError, InputError

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
    """Convolve an H×W×3 float32 or float64 frame with ``kernel`` (OpenCV filter2D, reflect-101).

    The kernel is cast to the frame's dtype (basicsr passes float64 frames and kernels).
    """
    import cv2

    return cv2.filter2D(frame, -1, kernel.astype(frame.dtype))


def add_noise(frame: np.ndarray, delta: float, gray: bool, rng: np.random.Generator) -> np.ndarray:
    """Add Gaussian noise of std ``delta`` (0–255 scale) to an ``(H, W, 3)`` float frame in [0, 1].

    Gray noise is one ``(H, W, 1)`` draw shared by all channels. The result is clipped to [0, 1]
    and not rounded.
    """
    h, w, _ = frame.shape
    shape = (h, w, 1) if gray else (h, w, 3)
    noise = rng.standard_normal(shape, dtype=np.float32) * np.float32(delta / 255.0)
    return np.clip(frame + noise, 0.0, 1.0)


def add_noise_basicsr(frame: np.ndarray, delta: float, gray: bool, z: np.ndarray) -> np.ndarray:
    """basicsr's ``random_add_gaussian_noise(..., clip=True, rounds=False)`` with given draws.

    ``z`` holds standard normals of shape ``H×W`` (grey: one value for all channels) or
    ``H×W×3``. As in basicsr the normals are cast to float32 and scaled in float32
    (``float32(z) * δ / 255``), then added to the (float64) frame and clipped to [0, 1].
    """
    noise = z.astype(np.float32) * np.float32(delta) / np.float32(255.0)
    if gray:
        noise = np.repeat(noise[:, :, None], 3, axis=2)
    return np.clip(frame + noise, 0.0, 1.0)


def resize(frame: np.ndarray, size_hw: tuple[int, int], interpolation: str) -> np.ndarray:
    """OpenCV resize of one ``H×W[×C]`` frame (float in [0, 1] from the degradation, uint8
    from the export; any dtype ``cv2.resize`` takes, values keep their scale) to ``size_hw = (H, W)`` with ``area`` /
    ``linear`` / ``cubic`` (or ``lanczos``); the same dtype comes back."""
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
    """Float frame in [0, 1] (any shape) → uint8 0..255 with rounding (what any image writer does)."""
    return np.clip(np.round(frame * 255.0), 0, 255).astype(np.uint8)


def truncate_uint8(frame: np.ndarray) -> np.ndarray:
    """Float frame in [0, 1] (any shape) → uint8 the reference way: ``clip(x·255, 0, 255).astype(uint8)``
    (truncates)."""
    return np.clip(frame * 255.0, 0, 255).astype(np.uint8)


# ----------------------------------------------------------------------------- H.264
#: x264 instruction sets we let it use on x86-64 (the ``asm`` x264 parameter), see
#: :func:`x264_asm`. SSSE3, SSE4.2, AVX and AVX2 give the same bytes (tests/vfebench/degrade/test_degrade.py).
X264_ASM_X86 = "SSSE3"


def x264_asm() -> str | None:
    """The x264 ``asm`` setting that makes libx264 byte-stable; None = x264's own choice.

    Root cause of the v1 presets' nondeterminism (found here, x264 core 165 in PyAV 18): on a
    CPU with AVX-512, x264 runs ``x264_mbtree_propagate_list_internal_avx512``
    (common/x86/mc-a2.asm), which handles the macroblocks of a row 8 at a time and scatters its
    results into the reference frames' propagate costs without masking the lanes past the end
    of the row. When the frame width is not a multiple of 128 px (8 macroblocks) those lanes
    take their propagate amounts from ``mbtree_propagate_cost`` run past the row, and for a
    non-referenced B-frame x264 zeroes only one row of ``i_propagate_cost`` and reuses it
    (encoder/slicetype.c, ``macroblock_tree_propagate``): the lanes read heap memory that was
    never written. Whatever it holds is added into the mb-tree costs, so the QP offsets and the
    bitstream change from call to call. Evidence: with default settings a 96² clip gave 11
    distinct encodes in 20; widths of 128/256 px gave 1; ``mbtree=0``, ``bframes=0``,
    ``asm=0`` or any instruction set list without AVX512 gave 1. Neither pts, the time base
    nor zeroing the input frames' padding changed it.

    The fix: never give x264 its AVX-512 code. We pin one instruction-set level, SSSE3, on
    every x86-64 CPU (not x264's autodetection) so that machines with and without AVX2 or
    AVX-512 run code that gives the same bytes; it costs nothing measurable (x264's AVX-512
    paths are a few small kernels). Plain SSE2 and x264's C code give *other* (equally stable)
    bytes, which is why the level is pinned rather than left at "no AVX-512". On other
    architectures x264 has no AVX-512 code and keeps its own choice.
    """
    import platform

    if platform.machine().lower() not in ("x86_64", "amd64", "i386", "i686", "x86"):
        return None
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as feats  # type: ignore[attr-defined]  # numpy >= 2
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core._multiarray_umath import __cpu_features__ as feats
    if not feats.get("SSSE3", False):
        return "SSE2"  # ancient x86-64: stable, but not the same bytes as every other machine
    return X264_ASM_X86


def x264_slice_threads(height: int) -> int:
    """Slice threads the reference gets from PyAV for frames ``height`` px high.

    PyAV opens every codec with ``thread_count = 0`` (auto) and slice threading; x264 then uses
    ``min(cores, max(1, mb_rows // 4))`` slice threads (encoder/encoder.c), i.e. that many
    slices per frame, so the reference's bitstream depends on the machine's core count. We pin
    the value a machine with enough cores gets (2 for 128-px LQ), so the bytes do not depend on
    the core count and match the reference on any machine with at least that many cores.
    """
    return max(1, ((height + 15) // 16) // 4)


def h264_settings(height: int, width: int, crf: int, rate: int = 1, preset: str = "medium") -> dict:
    """The libx264 settings :func:`h264_encode` uses for a ``height×width`` clip (recorded per clip)."""
    ph, pw = height + (height % 2), width + (width % 2)
    threads = x264_slice_threads(ph)
    asm = x264_asm()
    return {
        "codec": "libx264",
        "container": "mp4 (in memory)",
        "pix_fmt": "yuv420p",
        "crf": int(crf),
        "preset": preset,
        "time_base": f"1/{int(rate)}",
        "pts": "frame index",
        "threads": threads,
        "sliced_threads": threads > 1,
        "x264_params": f"asm={asm}" if asm else "",
        "coded_size": [ph, pw],
    }


def h264_encode(frames: np.ndarray, crf: int, rate: int = 1, preset: str = "medium") -> tuple[bytes, dict]:
    """Encode ``T×H×W×3`` uint8 frames with libx264 into an in-memory MP4.

    The frames are handed to PyAV as ``rgb24`` (swscale converts them to yuv420p, as in the
    reference code), one frame per tick of a ``1/rate`` time base with pts = frame index.
    Odd sizes are padded by edge replication to even (yuv420p needs it; the reference code
    would fail there). Returns the MP4 bytes and the settings (:func:`h264_settings`) plus
    ``encoded_bytes`` (sum of the H.264 packets, container excluded), ``bytes_per_frame`` and
    ``bits_per_pixel`` (over the unpadded pixels).
    """
    import av

    from vfebench.video import quiet_av_logging

    quiet_av_logging()
    t, h, w, _ = frames.shape
    settings = h264_settings(h, w, crf, rate, preset)
    ph, pw = settings["coded_size"]
    if (ph, pw) != (h, w):
        frames = np.pad(frames, ((0, 0), (0, ph - h), (0, pw - w), (0, 0)), mode="edge")
    buf = io.BytesIO()
    n_bytes = 0
    with av.open(buf, "w", format="mp4") as out:
        st = out.add_stream("libx264", rate=int(rate))
        st.width, st.height, st.pix_fmt = pw, ph, "yuv420p"
        cc = st.codec_context
        cc.thread_count = settings["threads"]
        cc.thread_type = "SLICE"
        opts = {"crf": str(int(crf)), "preset": preset}
        if settings["x264_params"]:
            opts["x264-params"] = settings["x264_params"]
        cc.options = opts
        for i, fr in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(fr), format="rgb24")
            vf.pts = i
            for pkt in st.encode(vf):
                n_bytes += pkt.size
                out.mux(pkt)
        for pkt in st.encode():
            n_bytes += pkt.size
            out.mux(pkt)
    info = {
        **settings,
        "encoded_bytes": int(n_bytes),
        "bytes_per_frame": n_bytes / t,
        "bits_per_pixel": 8.0 * n_bytes / (t * h * w),
    }
    return buf.getvalue(), info


def h264_decode(data: bytes, height: int, width: int) -> np.ndarray:
    """Decode an MP4 from :func:`h264_encode` to ``T×height×width×3`` uint8 (swscale to rgb24)."""
    import av

    from vfebench.video import quiet_av_logging

    quiet_av_logging()
    decoded = []
    with av.open(io.BytesIO(data), "r", format="mp4") as inp:
        for fr in inp.decode(video=0):
            decoded.append(fr.to_ndarray(format="rgb24"))
    return np.ascontiguousarray(np.stack(decoded)[:, :height, :width])


def h264_roundtrip(
    frames: np.ndarray, crf: int, rate: int = 1, preset: str = "medium", info: dict | None = None
) -> np.ndarray:
    """Encode ``T×H×W×3`` uint8 frames (:func:`h264_encode`) and decode them back.

    Byte-stable for the same input on any core count, CPU and process (see :func:`x264_asm`
    and :func:`x264_slice_threads`). ``info``, when given, receives the encoder settings and
    the encoded size.
    """
    t, h, w, _ = frames.shape
    data, settings = h264_encode(frames, crf, rate, preset)
    out = h264_decode(data, h, w)
    if out.shape[0] != t:
        raise CodecError(f"H.264 round trip returned {out.shape[0]} frames for {t}")
    if info is not None:
        info.update(settings)
    return out
