"""Degradation throughput: frames/s per preset, before (v1) and after (v2) the codec fix.

    python benchmarks/bench_degrade.py [--frames 33] [--size 512] [--repeat 3] [--before 4637a59]

"before" runs the v1 presets exactly as they were at git revision ``--before`` (loaded from git
into a temporary module); "after" runs the current presets. Runs alternate before/after and the
best of ``--repeat`` is kept (the machine may be shared). A second table splits the H.264 round
trip at the LQ size into its settings: v1's call, v2's call, v2 with x264's own CPU choice
(AVX-512 where present: the unstable one), and with assembly off (``asm=0``, the issue's
first workaround).
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from vfebench.datasets.demo import DemoSource
from vfebench.degrade import PRESETS, build_preset, ops

ROOT = Path(__file__).resolve().parents[1]


def load_v1(rev: str):
    """The presets module at ``rev`` with its own ops module (both from ``git show``)."""
    tmp = Path(tempfile.mkdtemp())
    mods = {}
    for name in ("ops", "presets"):
        src = subprocess.run(
            ["git", "show", f"{rev}:vfebench/degrade/{name}.py"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        src = src.replace("from vfebench.degrade import ops", "import bench_v1_ops as ops")
        (tmp / f"bench_v1_{name}.py").write_text(src)
    sys.path.insert(0, str(tmp))
    for name in ("ops", "presets"):
        spec = importlib.util.spec_from_file_location(f"bench_v1_{name}", tmp / f"bench_v1_{name}.py")
        m = importlib.util.module_from_spec(spec)
        sys.modules[f"bench_v1_{name}"] = m
        spec.loader.exec_module(m)
        mods[name] = m
    return mods["presets"], mods["ops"]


def encode_with(
    frames: np.ndarray, crf: int, asm: str | None, rate: int = 1, threads: int | None = None
) -> None:
    """An encode-only call like v2's with other settings (``asm`` None: x264's own CPU choice)."""
    import av

    t, h, w, _ = frames.shape
    with av.open(io.BytesIO(), "w", format="mp4") as out:
        st = out.add_stream("libx264", rate=rate)
        st.width, st.height, st.pix_fmt = w, h, "yuv420p"
        st.codec_context.thread_count = ops.x264_slice_threads(h) if threads is None else threads
        opts = {"crf": str(crf), "preset": "medium"}
        if asm is not None:
            opts["x264-params"] = f"asm={asm}"
        st.codec_context.options = opts
        for i, fr in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(fr, format="rgb24")
            vf.pts = i
            for p in st.encode(vf):
                out.mux(p)
        for p in st.encode():
            out.mux(p)


def best(fn, repeat: int) -> float:
    b = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        b = min(b, time.perf_counter() - t0)
    return b


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--frames", type=int, default=33)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--before", default="4637a59", help="git revision with the v1 presets")
    args = ap.parse_args()
    clip = DemoSource(num_clips=1, num_frames=args.frames, size=args.size).load("astronaut_a")
    v1, v1_ops = load_v1(args.before)
    v1_classes = {"vfhq-x4": v1.VFHQx4, "keep": v1.KEEP, "dicface": v1.DicFace}
    rows = []
    for name in PRESETS.names():
        old, new = v1_classes[name](), build_preset(name)
        tb = ta = float("inf")
        for r in range(args.repeat):  # alternate A/B
            tb = min(tb, best(lambda o=old, r=r: o.apply(clip, r), 1))
            ta = min(ta, best(lambda n=new, r=r: n.apply(clip, r), 1))
        lq = new.apply(clip, 0)[0]
        rows.append((name, f"{lq.size[1]}×{lq.size[0]}", tb, ta))
    print(f"Degradation, {args.frames} frames of {args.size}² GT, best of {args.repeat} (shared machine)")
    print(
        f"{'preset':<9} {'LQ':<8} {'v1 s/clip':>9} {'v1 fr/s':>8} {'v2 s/clip':>9} {'v2 fr/s':>8} {'change':>7}"
    )
    for name, size, tb, ta in rows:
        n = args.frames
        print(
            f"{name:<9} {size:<8} {tb:9.2f} {n / tb:8.1f} {ta:9.2f} {n / ta:8.1f} {100 * (ta / tb - 1):+6.0f}%"
        )

    pr = build_preset("vfhq-x4")
    p = pr.sample_clip_params(clip.id, 0)
    pre, _ = pr.pre_codec(clip, 0, p)
    t_pix = best(lambda: pr.pre_codec(clip, 0, p), args.repeat)
    crf = p["crf"]
    cases = {
        "round trip, v1 call (1/25, 1 thread, x264's CPU choice)": lambda: v1_ops.h264_roundtrip(pre, crf),
        "round trip, v2 call (1/1, pinned slices, asm=SSSE3)": lambda: ops.h264_roundtrip(pre, crf),
        "encode only, v1 settings": lambda: encode_with(pre, crf, None, rate=25, threads=1),
        "encode only, v2 settings, x264's CPU choice (unstable)": lambda: encode_with(pre, crf, None),
        "encode only, v2 settings, asm=SSSE3 (the fix)": lambda: encode_with(pre, crf, ops.X264_ASM_X86),
        "encode only, v2 settings, asm=0 (x264's C code)": lambda: encode_with(pre, crf, "0"),
    }
    times = {k: float("inf") for k in cases}
    for _ in range(args.repeat):
        for k, fn in cases.items():
            times[k] = min(times[k], best(fn, 1))
    h, w = pre.shape[1:3]
    print(f"\nvfhq-x4 stages, {args.frames} frames: blur+noise+resize {args.frames / t_pix:.1f} frames/s")
    print(f"H.264 at {w}×{h}:")
    for k, s in times.items():
        print(f"  {k:<58} {s:6.3f} s  {args.frames / s:7.1f} frames/s")


if __name__ == "__main__":
    main()
