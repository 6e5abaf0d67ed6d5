"""Wall time of one run with 1 and with 2 workers (``vfebench run --workers N``), and the ratio.

Run: ``python benchmarks/bench_scaling.py [--clips 4] [--frames 24] [--size 256] [--reps 2]
[--metrics lpips] [--threads 2]``

The same work each time: the demo dataset (``--clips`` × ``--frames`` frames at ``--size``²), the
methods identity, bicubic and lanczos, and network-bound metrics (default LPIPS-Alex, whose
AlexNet trunk and heads get random weights here, passed as ``trunk=`` / ``weights=`` files:
speed does not depend on the values). The LQ inputs are made once before timing (they are shared
by every timed run); each timed run gets a fresh, empty run cache, so it restores and scores
everything. ``--workers 1`` is the plain run with all ``--threads`` threads; ``--workers 2``
splits them (``OMP_NUM_THREADS`` = threads / 2 per worker) and includes the merge. Runs
alternate 1, 2, 1, 2, … (``--reps`` pairs), so a machine shared with other jobs slows both
sides alike; the table gives every run and the median ratio. The records of both sides are
checked identical (apart from timings) before anything is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _weights(folder: Path) -> dict[str, Path]:
    """Random LPIPS-Alex trunk + heads in the real file formats (tests/helpers/integration_assets.py)."""
    from _testhelpers import integration_assets as _ia

    ia = _ia()

    out = {}
    for name, fn in (("tv_alexnet", "trunk.pth"), ("lpips_alex_v01", "heads.pth")):
        p = folder / fn
        ia.BUILDERS[name](p)
        out[name] = p
    return out


def _cmd(args, out: Path, cache: Path, workers: int, metrics: str) -> list[str]:
    c = [sys.executable, "-m", "vfebench", "run", "--dataset", f"demo,num_clips={args.clips},num_frames={args.frames},size={args.size}"]  # fmt: skip
    for m in ("identity", "bicubic", "lanczos"):
        c += ["--method", m]
    c += ["--metrics", metrics, "--out", str(out), "--cache", str(cache), "--no-progress", "--quiet"]
    return [*c, "--workers", str(workers), "--warmup", "0"]


# ----------------------------------------------------------------------------- the estimate
#: restore seconds per frame on one GPU. MEASURED BY THE PAPER, not by us (protocol.md, Table 3:
#: A100 80GB, 81-frame 512² clips): VividFace 7.43 s, SeedVR2-3B 19.98 s, SVFR 94.60 s, MGLD-VSR
#: 98.73 s, SeedVR-3B 151.43 s, STAR 456.83 s per clip.
PAPER_RESTORE_S_PER_FRAME = {
    "vividface": 7.43 / 81, "seedvr2": 19.98 / 81, "svfr": 94.60 / 81, "mgldvsr": 98.73 / 81,
    "seedvr": 151.43 / 81, "star": 456.83 / 81,
}  # fmt: skip
#: ASSUMED (no figure available): the 8 other methods; one-step CNN/transformer restorers at
#: 0.1 s/frame, the diffusion one (DifFace) at 1 s/frame
ASSUMED_RESTORE_S_PER_FRAME = {
    "basicvsrpp": 0.1, "realbasicvsr": 0.1, "codeformer": 0.1, "keep": 0.1, "pgtformer": 0.1,
    "bfvr_stc": 0.1, "dicface": 0.1, "difface": 1.0,
}  # fmt: skip
#: ASSUMED protocol size: VFHQ-test 50 clips of 100–300 frames (mean taken as 200), 3 seeds
CLIPS, FRAMES, SEEDS = 50, 200, 3
#: ASSUMED: metric cost on a GPU = the measured 2-thread CPU cost / this factor
GPU_OVER_CPU = 20.0
#: ASSUMED: loading one method's model on a GPU (seconds), paid once per method per shard
MODEL_LOAD_S = 60.0


def unit_costs(size: int = 512, frames: int = 8) -> dict[str, float]:
    """MEASURED here: seconds per frame of PSNR, SSIM and LPIPS-Alex (random weights) at size²."""
    import numpy as np

    from vfebench.metrics import build_metric
    from vfebench.metrics.base import FeatureStore, ScoreContext
    from vfebench.video import Clip

    rng = np.random.default_rng(0)
    gt = Clip("c", rng.integers(0, 256, (frames, size, size, 3), dtype=np.uint8), 25.0)
    pred = gt.with_frames(np.clip(gt.frames.astype(np.int16) + 5, 0, 255).astype(np.uint8))
    with tempfile.TemporaryDirectory() as tmp:
        w = _weights(Path(tmp))
        specs = {
            "psnr": "psnr",
            "ssim": "ssim",
            "lpips": f"lpips:trunk={w['tv_alexnet']},weights={w['lpips_alex_v01']}",
        }
        out = {}
        for key, spec in specs.items():
            m = build_metric(spec)
            m.score_clip(pred.head(1), gt.head(1), ScoreContext(features=FeatureStore(None)))  # setup
            t = time.perf_counter()
            m.score_clip(pred, gt, ScoreContext(features=FeatureStore(None)))
            out[key] = (time.perf_counter() - t) / frames
    return out


def estimate(cpu_metric_s: dict[str, float], gpus: int, shards_per_gpu: int) -> tuple[float, float]:
    """(wall hours, GPU-hours) of the paper protocol on ``gpus`` GPUs with ``gpus × shards_per_gpu``
    contiguous shards, each started on the first free GPU (a SLURM array throttled to ``gpus``
    tasks, or Ray tasks queued on ``gpus`` GPUs). 12 metrics are charged at the LPIPS cost (the
    costliest measured), divided by :data:`GPU_OVER_CPU`."""
    import heapq

    per_frame = {**PAPER_RESTORE_S_PER_FRAME, **ASSUMED_RESTORE_S_PER_FRAME}
    metric_s = 12 * max(cpu_metric_s.values()) / GPU_OVER_CPU
    pairs = [(m, c) for _ in range(SEEDS) for m in per_frame for c in range(CLIPS)]
    n = gpus * shards_per_gpu
    shards = [pairs[i * len(pairs) // n : (i + 1) * len(pairs) // n] for i in range(n)]
    cost = [
        len({m for m, _ in sh}) * MODEL_LOAD_S + sum(FRAMES * (per_frame[m] + metric_s) for m, _ in sh)
        for sh in shards
    ]
    free = [0.0] * gpus
    heapq.heapify(free)
    for c in cost:
        heapq.heappush(free, heapq.heappop(free) + c)
    return max(free) / 3600, sum(cost) / 3600


def _diff(a, b, at: str = ""):
    """(path, a, b) wherever two JSON values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            yield from _diff(a.get(k), b.get(k), f"{at}.{k}")
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            yield from _diff(x, y, f"{at}[{i}]")
    elif a != b:
        yield at, a, b


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=4)
    ap.add_argument("--frames", type=int, default=24)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--reps", type=int, default=2, help="pairs of (1 worker, 2 workers) runs")
    ap.add_argument("--metrics", default="lpips", help="lpips (random weights) and/or weight-free metrics")
    ap.add_argument("--threads", type=int, default=2, help="total CPU threads (split between workers)")
    ap.add_argument("--estimate", action="store_true", help="only the wall-time estimate (docs/scaling.md)")
    args = ap.parse_args()
    if args.estimate:
        costs = unit_costs()
        print(
            "MEASURED on this CPU (512², 2 threads, s/frame): "
            + ", ".join(f"{k} {v:.4f}" for k, v in costs.items())
        )
        print("\n| GPUs | shards | wall h | GPU-h |\n|---:|---:|---:|---:|")
        for g in (1, 8, 64):
            for k in (1, 8):
                wall, total = estimate(costs, g, k)
                print(f"| {g} | {g * k} | {wall:.1f} | {total:.1f} |")
        return

    from vfebench.runner.scale import comparable

    with tempfile.TemporaryDirectory(prefix="bench-scaling-") as tmp:
        tmp = Path(tmp)
        env = {**os.environ, "VFEBENCH_CACHE": str(tmp / "root"), "OMP_NUM_THREADS": str(args.threads)}
        env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
        metrics = []
        for m in args.metrics.split(","):
            if m == "lpips":
                w = _weights(tmp)
                m = f"lpips:trunk={w['tv_alexnet']},weights={w['lpips_alex_v01']}"
            metrics.append(m)
        spec = ",".join(metrics)
        # LQ once (shared by every timed run), with a weight-free metric
        warm = _cmd(args, tmp / "warm", tmp / "warm-cache", 1, "psnr")
        subprocess.run(warm, env=env, check=True, capture_output=True)
        rows, recs = [], {}
        for rep in range(args.reps):
            for workers in (1, 2):
                out, cache = tmp / f"o{rep}-{workers}", tmp / f"c{rep}-{workers}"
                t = time.perf_counter()
                r = subprocess.run(
                    _cmd(args, out, cache, workers, spec), env=env, capture_output=True, text=True
                )
                wall = time.perf_counter() - t
                if r.returncode != 0:
                    sys.exit(f"run with {workers} worker(s) failed:\n{r.stderr[-3000:]}")
                rows.append((rep, workers, wall))
                recs[(rep, workers)] = comparable(json.loads((out / "run.json").read_text()))
        ref = recs[(0, 1)]
        worst, where = 0.0, []
        for k, rec in recs.items():
            rec["config"].pop("out", None)
            rec.pop("code", None)  # the checkout may change while the benchmark runs
            for path, a, b in _diff(ref, rec):
                if isinstance(a, float) and isinstance(b, float):
                    worst = max(worst, abs(a - b))
                else:
                    where.append(f"run {k}: {path}: {a!r} != {b!r}")
        if where:
            sys.exit("records differ:\n" + "\n".join(where[:20]))
        same = "yes" if worst == 0 else (
            f"apart from float rounding, max |Δ| = {worst:.1e} (the per-worker thread count changes "
            "the order of float32 sums in the network)"
        )  # fmt: skip
        n_frames = 3 * args.clips * args.frames
        print(f"bench_scaling: {args.clips} clips × {args.frames} frames at {args.size}², 3 methods "
              f"({n_frames} restored frames), metrics {args.metrics}, {args.threads} threads in all, "
              f"os.cpu_count()={os.cpu_count()}; records identical: {same}\n")  # fmt: skip
        print("| rep | workers | wall s |")
        print("|---:|---:|---:|")
        for rep, w, wall in rows:
            print(f"| {rep} | {w} | {wall:.2f} |")
        ratios = [
            next(x for r, w, x in rows if r == rep and w == 1)
            / next(x for r, w, x in rows if r == rep and w == 2)
            for rep in range(args.reps)
        ]
        one = statistics.median(x for _, w, x in rows if w == 1)
        two = statistics.median(x for _, w, x in rows if w == 2)
        print(f"\nmedian wall: 1 worker {one:.2f} s, 2 workers {two:.2f} s; speed-up (1 / 2) per pair: "
              f"{', '.join(f'{r:.2f}×' for r in ratios)}; median {statistics.median(ratios):.2f}×")  # fmt: skip


if __name__ == "__main__":
    main()
