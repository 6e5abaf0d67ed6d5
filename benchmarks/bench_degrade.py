"""Degradation throughput: frames/s from 512×512 GT for each preset (and per stage).

    python benchmarks/bench_degrade.py [--frames 33] [--repeat 2]

Prints a table. Stage timings isolate blur+noise+resize (per frame, in Python/OpenCV) from the
libx264 round trip (per clip).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from vfebench.datasets.demo import DemoSource
from vfebench.degrade import PRESETS, build_preset, ops


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--frames", type=int, default=33)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    clip = DemoSource(num_clips=1, num_frames=args.frames, size=512).load("astronaut_a")
    rows = []
    for name in PRESETS.names():
        pr = build_preset(name)
        best = float("inf")
        for r in range(args.repeat):
            t0 = time.perf_counter()
            lq, p = pr.apply(clip, r)
            best = min(best, time.perf_counter() - t0)
        rows.append((name, f"{lq.size[1]}×{lq.size[0]}", best, clip.num_frames / best))
    # stage split for vfhq-x4
    pr = build_preset("vfhq-x4")
    p = pr.sample_clip_params(clip.id, 0)
    b = p["blur"]
    k = ops.gaussian_kernel(b["size"], b["sigma_x"], b["sigma_y"], b["theta"])
    t0 = time.perf_counter()
    pre = np.stack(
        [
            ops.to_uint8(pr.degrade_frame(f, p, k, pr._rng(clip.id, 0, "frame", t))[0])
            for t, f in enumerate(clip.frames)
        ]
    )
    t_pix = time.perf_counter() - t0
    t0 = time.perf_counter()
    ops.h264_roundtrip(pre, p["crf"])
    t_codec = time.perf_counter() - t0
    print(f"Degradation throughput, {args.frames} frames of 512×512 GT (best of {args.repeat})")
    print(f"{'preset':<10} {'LQ size':<9} {'s/clip':>8} {'frames/s':>9}")
    for name, size, s, fps in rows:
        print(f"{name:<10} {size:<9} {s:8.2f} {fps:9.1f}")
    print(
        f"\nvfhq-x4 stages: blur+noise+resize {args.frames / t_pix:.1f} frames/s, "
        f"H.264 round trip at 128² {args.frames / t_codec:.1f} frames/s"
    )


if __name__ == "__main__":
    main()
