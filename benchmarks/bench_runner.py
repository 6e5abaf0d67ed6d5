"""Runner overhead: cold vs cached runs, methods in worker processes vs in the runner's process.

    python benchmarks/bench_runner.py [--reps 3] [--max-frames N] [--metrics psnr,ssim]

Times the real CLI (``python -m vfebench run``, a fresh process each time, so start-up costs
count the same for both modes) on the demo dataset (3 clips × 33 frames × 512², methods
identity + bicubic + lanczos, no weights): a *cold* run (fresh run cache and LQ cache) then the
same command again (*cached*: everything reused). "before" is ``--in-process`` (the runner's
previous execution model: every method in the runner's process), "after" the default worker
process per method. The modes alternate A/B/A/B so that a shared machine's load drifts hit both
alike; the table gives the median and min over the repetitions and the cold-run overhead of
the worker processes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _run(args: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    r = subprocess.run(
        [sys.executable, "-m", "vfebench", "run", *args], env=env, capture_output=True, text=True
    )
    secs = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"vfebench run failed ({r.returncode}):\n{r.stderr}")
    return secs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--max-frames", type=int, default=None)
    ap.add_argument("--metrics", default="psnr,ssim")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        demo = Path(tmp) / "demo"
        env = {**os.environ, "VFEBENCH_CACHE": str(Path(tmp) / "warm")}
        base = ["--method", "identity", "--method", "bicubic", "--method", "lanczos", "--dataset", f"demo:{demo}",
                "--metrics", a.metrics, "--quiet", "--no-progress", "--overwrite"]  # fmt: skip
        if a.max_frames:
            base += ["--max-frames", str(a.max_frames)]
        _run(
            [*base, "--out", f"{tmp}/render", "--cache", f"{tmp}/render-cache"], env
        )  # renders the demo once
        times: dict[tuple[str, str], list[float]] = {}
        for rep in range(a.reps):
            order = ("before", "after") if rep % 2 == 0 else ("after", "before")
            for mode in order:
                d = Path(tmp) / f"{mode}{rep}"
                e = {**env, "VFEBENCH_CACHE": str(d / "vc")}  # fresh LQ cache: degradation counts as cold
                args = [*base, "--out", str(d / "run"), "--cache", str(d / "cache")]
                if mode == "before":
                    args.append("--in-process")
                times.setdefault((mode, "cold"), []).append(_run(args, e))
                times.setdefault((mode, "cached"), []).append(_run(args, e))
        frames = a.max_frames or 33
        print(f"demo 3 clips × {frames} frames × 512², identity+bicubic+lanczos, metrics {a.metrics}, "
              f"{a.reps} reps alternating, wall seconds of `python -m vfebench run` (fresh process)")  # fmt: skip
        print(f"{'mode':<28} {'pass':<7} {'median':>7} {'min':>7}  runs")
        label = {"before": "before (--in-process)", "after": "after (worker process)"}
        for mode in ("before", "after"):
            for kind in ("cold", "cached"):
                t = times[(mode, kind)]
                print(
                    f"{label[mode]:<28} {kind:<7} {statistics.median(t):7.2f} {min(t):7.2f}  "
                    + " ".join(f"{x:.2f}" for x in t)
                )
        for kind in ("cold", "cached"):
            b, w = statistics.median(times[("before", kind)]), statistics.median(times[("after", kind)])
            print(
                f"worker-process overhead, {kind}: {w - b:+.2f} s ({(w / b - 1) * 100:+.1f} % of the median)"
            )


if __name__ == "__main__":
    main()
