"""Runner overhead: a cold run vs a fully cached re-run, on a generated folder dataset.

    python benchmarks/bench_runner.py [--clips 4] [--frames 16] [--size 256]

Prints a table: wall seconds of a cold run (degrade + restore + score + record) and of the same
command re-run (everything cached), with the runner's own compute/reuse counters. Uses
bicubic + lanczos and PSNR/SSIM (no weights). Runs in a temporary cache.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=4)
    ap.add_argument("--frames", type=int, default=16)
    ap.add_argument("--size", type=int, default=256)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["VFEBENCH_CACHE"] = str(Path(tmp) / "cache")
        from vfebench.runner import RunConfig, run
        from vfebench.video import write_png_frames

        rng = np.random.default_rng(0)
        for i in range(a.clips):
            f = rng.integers(0, 256, (a.frames, a.size, a.size, 3), dtype=np.uint8)
            write_png_frames(f, Path(tmp) / "gt" / f"clip{i}")
        cfg = RunConfig(methods=["bicubic", "lanczos"], dataset=f"folder:{tmp}/gt", metrics=["psnr", "ssim"],
                        out=f"{tmp}/run", progress=False)  # fmt: skip
        rows = []
        for name in ("cold", "cached re-run"):
            t0 = time.perf_counter()
            o = run(cfg, log=lambda s: None)
            rows.append((name, time.perf_counter() - t0, o.stats))
        print(f"{a.clips} clips × {a.frames} frames × {a.size}², methods bicubic+lanczos, metrics psnr+ssim")
        print(f"{'pass':<15} {'seconds':>8} {'restored':>9} {'reused':>7} {'scored':>7} {'reused':>7}")
        for name, secs, s in rows:
            print(f"{name:<15} {secs:8.2f} {s['restored_computed']:9d} {s['restored_cached']:7d} "
                  f"{s['scores_computed']:7d} {s['scores_cached']:7d}")  # fmt: skip
        rec = o.record
        for lb, m in rec["methods"].items():
            t = m["timing"]
            print(f"restore {lb}: {t['seconds_mean']:.4f} s/clip, {t['fps_mean']:.1f} frames/s, "
                  f"peak {t['peak_mem_mb_max']:.0f} MB ({t['peak_mem_kind']})")  # fmt: skip


if __name__ == "__main__":
    main()
