"""Decode throughput of vfebench.video, and of ``vfebench prepare``, in frames/s.

    python benchmarks/bench_io.py [--frames 24] [--repeat 2] [--sizes 512,1080] [--no-prepare]

Synthetic clips (a smooth moving pattern) are encoded once into a temp folder for every codec
the benchmark meets (H.264 mp4, MPEG-4 Part 2 avi, HEVC 10-bit mkv, VP9 webm, lossless
libx264rgb/FFV1) and as PNG / JPEG frame folders; each is then read with
:func:`vfebench.video.iter_frames` (RGB uint8 out, one frame at a time). The clips of
../shared/data/faces/hq are decoded too when present, and ``prepare_clip`` (MediaPipe detection
+ crop + Lanczos + PNG write) is timed on one of them. Best of ``--repeat`` runs. Prints a table;
nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from vfebench.video import iter_frames, probe, write_png_frames, write_video

SHARED_HQ = (
    Path(os.environ.get("VFEBENCH_SHARED_FACES", Path(__file__).resolve().parents[2] / "shared/data/faces"))
    / "hq"
)

CODECS = [  # label, file suffix, codec, pix_fmt, options
    ("H.264 (libx264)", ".mp4", "libx264", "yuv420p", {"crf": "20", "preset": "veryfast"}),
    ("MPEG-4 Part 2", ".avi", "mpeg4", "yuv420p", {"b": "6M"}),
    (
        "HEVC 10-bit",
        ".mkv",
        "libx265",
        "yuv420p10le",
        {"crf": "24", "preset": "ultrafast", "x265-params": "log-level=error"},
    ),
    (
        "VP9",
        ".webm",
        "libvpx-vp9",
        "yuv420p",
        {"crf": "32", "b": "0", "deadline": "realtime", "cpu-used": "8"},
    ),
]


def pattern(t: int, h: int, w: int) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    out = np.empty((t, h, w, 3), np.uint8)
    for i in range(t):
        phase = i * 0.15
        out[i, ..., 0] = (127 + 100 * np.sin(xx / 37.0 + phase)).astype(np.uint8)
        out[i, ..., 1] = (127 + 100 * np.sin(yy / 23.0 - phase)).astype(np.uint8)
        out[i, ..., 2] = ((xx + yy + 8 * i) % 256).astype(np.uint8)
    return out


def encode(path: Path, frames: np.ndarray, codec: str, pix_fmt: str, options: dict) -> Path:
    import av

    with av.open(str(path), "w") as out:
        st = out.add_stream(codec, rate=25)
        st.width, st.height = frames.shape[2], frames.shape[1]
        st.pix_fmt = pix_fmt
        st.options = dict(options)
        for fr in frames:
            out.mux(st.encode(av.VideoFrame.from_ndarray(fr, format="rgb24")))
        out.mux(st.encode())
    return path


def best_of(fn: Callable[[], int], repeat: int) -> tuple[int, float]:
    best, n = float("inf"), 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        n = fn()
        best = min(best, time.perf_counter() - t0)
    return n, best


def decode_count(path: Path) -> int:
    return sum(1 for _ in iter_frames(path))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=24, help="frames per synthetic clip")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--sizes", default="512,1080", help="synthetic heights: 512 → 512×512, 1080 → 1920×1080")
    ap.add_argument("--no-prepare", action="store_true", help="skip the prepare timing")
    ap.add_argument("--no-shared", action="store_true", help="skip the ../shared clips")
    args = ap.parse_args()

    import av

    rows: list[tuple[str, str, str, int, float]] = []
    with tempfile.TemporaryDirectory(prefix="vfebench-bench-io-") as tmp:
        root = Path(tmp)
        for h in (int(s) for s in args.sizes.split(",") if s):
            w = h if h <= 720 else h * 16 // 9
            frames = pattern(args.frames, h, w)
            size = f"{w}×{h}"
            for label, suffix, codec, pix_fmt, opts in CODECS:
                if codec not in av.codecs_available:
                    continue
                p = encode(root / f"{codec}_{h}{suffix}", frames, codec, pix_fmt, opts)
                n, s = best_of(lambda p=p: decode_count(p), args.repeat)
                rows.append((label, suffix, size, n, s))
            for codec, suffix in (("libx264rgb", ".mkv"), ("ffv1", ".mkv")):
                p = write_video(frames, root / f"{codec}_{h}{suffix}", fps=25, codec=codec)
                n, s = best_of(lambda p=p: decode_count(p), args.repeat)
                rows.append((f"lossless {codec}", suffix, size, n, s))
            d = write_png_frames(frames, root / f"png_{h}")
            n, s = best_of(lambda d=d: decode_count(d), args.repeat)
            rows.append(("PNG frames (level 1)", "folder", size, n, s))
            import cv2

            jd = root / f"jpg_{h}"
            jd.mkdir()
            for i, fr in enumerate(frames):
                cv2.imwrite(str(jd / f"{i:08d}.jpg"), fr[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 95])
            n, s = best_of(lambda jd=jd: decode_count(jd), args.repeat)
            rows.append(("JPEG frames (q95)", "folder", size, n, s))

            # write throughput of the lossless PNG writer, for reference
            n, s = best_of(
                lambda h=h, frames=frames: len(list(write_png_frames(frames, root / f"w{h}").iterdir())), 1
            )
            rows.append(("write PNG frames", "folder", size, n, s))

        if SHARED_HQ.is_dir() and not args.no_shared:
            for p in sorted(SHARED_HQ.glob("*.mp4")):
                info = probe(p)
                n, s = best_of(lambda p=p: decode_count(p), 1)
                rows.append(
                    (f"shared {p.stem[:22]} ({info.codec})", ".mp4", f"{info.width}×{info.height}", n, s)
                )

        prep = None
        if not args.no_prepare and SHARED_HQ.is_dir():
            from vfebench.faceregion import prepare_clip

            clip = SHARED_HQ / "liveportrait_d13.mp4"  # 720×1280 phone selfie, 352 frames
            if clip.exists():
                t0 = time.perf_counter()
                rec = prepare_clip(clip, root / "prep" / clip.stem, 512, max_frames=96)
                prep = (clip.name, rec["frames"], time.perf_counter() - t0)

    print(
        f"Decode throughput of vfebench.video.iter_frames (RGB uint8 out), best of {args.repeat}; "
        f"{os.cpu_count()} CPU cores visible"
    )
    print(f"{'source':<42} {'file':<7} {'size':<10} {'frames':>6} {'s':>7} {'frames/s':>9}")
    for label, suffix, size, n, s in rows:
        print(f"{label:<42} {suffix:<7} {size:<10} {n:>6} {s:7.3f} {n / s:9.1f}")
    if prep:
        name, n, s = prep
        print(
            f"\nprepare_clip({name}, 512, max_frames={n}): {s:.2f} s, {n / s:.1f} frames/s "
            "(2 decode passes + MediaPipe detection + crop + Lanczos + PNG write)"
        )


if __name__ == "__main__":
    main()
