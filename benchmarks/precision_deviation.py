"""Deviation of ``dtype=bf16`` / ``dtype=fp16`` from fp32 per network metric (issue 18).

Uses the stand-in weights and the restored/GT pair of ``benchmarks/bench_suite.py`` (full-size
random networks: deviations of trained weights may differ) and scores the pair through
``vfebench score`` once per dtype. On CPU only bf16 is measured by default (CPU autocast is a
proxy for the GPU's; fp16 autocast on CPU covers few ops). Run::

    python benchmarks/precision_deviation.py [--frames 8] [--size 256] [--device cpu|cuda]
        [--dtypes bf16] [--work DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_suite  # noqa: E402

METRICS = ("lpips_vgg", "ids", "facecons", "musiq")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dtypes", default="bf16")
    ap.add_argument("--metrics", default=",".join(METRICS))
    ap.add_argument("--work", help="reuse/keep weights and clips here (default: a temp folder)")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    tmp = tempfile.TemporaryDirectory() if not args.work else None
    work = Path(args.work or tmp.name)
    os.environ["VFEBENCH_ASSETS"] = str(work / "assets")
    os.environ["VFEBENCH_CACHE"] = str(work / "cache")
    if not (work / "weights").is_dir():
        bench_suite._build_weights(work / "weights")
    if not (work / "gt" / "clip.mp4").is_file():
        print("pair:", bench_suite._make_pair(work, args.frames, args.size))
    bench_suite._register(work / "weights")
    from vfebench.commands.score import score

    metrics = [m for m in args.metrics.split(",") if m]
    pred, gt = work / "pred" / "clip.mp4", work / "gt" / "clip.mp4"
    base = score(pred, gt, ",".join(metrics), device=args.device, per_frame=True)["metrics"]
    print(
        f"{'metric':<12} {'dtype':<6} {'fp32 mean':>12} {'mean':>12} {'|Δ mean|':>10} {'max |Δ frame|':>13}"
    )
    for dt in args.dtypes.split(","):
        specs = ",".join(f"{m}:dtype={dt}" for m in metrics)
        got = score(pred, gt, specs, device=args.device, per_frame=True)["metrics"]
        for m in metrics:
            a, b = base[m], got[f"{m}:dtype={dt}"]
            pa = [c.get("per_frame") or [] for c in a["clips"]][0]
            pb = [c.get("per_frame") or [] for c in b["clips"]][0]
            dmax = max(
                (abs(x - y) for x, y in zip(pa, pb) if x is not None and y is not None), default=float("nan")
            )
            print(
                f"{m:<12} {dt:<6} {a['mean']:12.6g} {b['mean']:12.6g} "
                f"{abs(a['mean'] - b['mean']):10.3g} {dmax:13.3g}"
            )
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
