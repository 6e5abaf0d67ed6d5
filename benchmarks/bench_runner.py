"""Runner overhead: cold vs cached runs, methods in worker processes vs in the runner's process.

    python benchmarks/bench_runner.py [--reps 3] [--max-frames N] [--metrics psnr,ssim] [--orig DIR]

Times the real CLI (``python -m vfebench run``, a fresh process each time, so start-up costs
count the same for both modes) on the demo dataset (3 clips × 33 frames × 512², methods
identity + bicubic + lanczos, no weights): a *cold* run (fresh run cache and LQ cache) then the
same command again (*cached*: everything reused). Modes: ``in-process`` (``--in-process``, the
previous execution model: every method in the runner's process), ``worker`` (the default: a
worker process per method) and, with ``--orig DIR`` (a source tree of the code before the
runner rebuild, e.g. ``git archive 4637a59 | tar -x -C DIR``), ``orig`` (that code). The modes
rotate (A/B/C, B/C/A, ...) so that a shared machine's load drifts hit all alike; the table gives
the median and min over the repetitions and the worker processes' cold-run overhead.
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
    ap.add_argument("--orig", default=None, help="source tree of the pre-rebuild code (adds mode 'orig')")
    a = ap.parse_args()
    modes = ["in-process", "worker"] + (["orig"] if a.orig else [])
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
            order = modes[rep % len(modes) :] + modes[: rep % len(modes)]
            for mode in order:
                d = Path(tmp) / f"{mode}{rep}"
                e = {**env, "VFEBENCH_CACHE": str(d / "vc")}  # fresh LQ cache: degradation counts as cold
                args = [*base, "--out", str(d / "run"), "--cache", str(d / "cache")]
                if mode == "in-process":
                    args.append("--in-process")
                if mode == "orig":
                    args.remove("--overwrite")
                    e["PYTHONPATH"] = a.orig
                for kind in ("cold", "cached"):
                    times.setdefault((mode, kind), []).append(_run(args, e))
                    print(
                        f"  rep {rep} {mode:<10} {kind:<6} {times[(mode, kind)][-1]:7.2f} s",
                        file=sys.stderr,
                        flush=True,
                    )
        frames = a.max_frames or 33
        print(f"demo 3 clips × {frames} frames × 512², identity+bicubic+lanczos, metrics {a.metrics}, "
              f"{a.reps} reps, modes rotated, wall seconds of `python -m vfebench run` (fresh process)")  # fmt: skip
        print(f"{'mode':<12} {'pass':<7} {'median':>7} {'min':>7}  runs")
        for mode in modes:
            for kind in ("cold", "cached"):
                t = times[(mode, kind)]
                runs = " ".join(f"{x:.2f}" for x in t)
                print(f"{mode:<12} {kind:<7} {statistics.median(t):7.2f} {min(t):7.2f}  {runs}")
        for ref in [m for m in modes if m != "worker"]:
            for kind in ("cold", "cached"):
                b, w = statistics.median(times[(ref, kind)]), statistics.median(times[("worker", kind)])
                print(f"worker vs {ref}, {kind}: {w - b:+.2f} s ({(w / b - 1) * 100:+.1f} % of the median)")
    micro(max(5, a.reps), a.max_frames or 33)


def micro(reps: int, frames: int) -> None:
    """Executor overhead alone: start + set up + restore 3 clips (128² → 512²) + close, per method."""
    import numpy as np

    from vfebench.methods.trivial import Bicubic
    from vfebench.runner.worker import InProcessExecutor, ProcessExecutor
    from vfebench.video import Clip

    rng = np.random.default_rng(0)
    clips = [
        Clip(f"c{i}", rng.integers(0, 256, (frames, 128, 128, 3), dtype=np.uint8), 25.0) for i in range(3)
    ]
    t: dict[str, list[float]] = {"in-process": [], "worker": []}
    for rep in range(reps):
        for name in ("in-process", "worker") if rep % 2 == 0 else ("worker", "in-process"):
            cls = InProcessExecutor if name == "in-process" else ProcessExecutor
            t0 = time.perf_counter()
            ex = cls(Bicubic(), "cpu", 600)
            ex.setup()
            for c in clips:
                ex.restore(c, (512, 512))
            ex.close()
            t[name].append(time.perf_counter() - t0)
    b, w = statistics.median(t["in-process"]), statistics.median(t["worker"])
    print(f"executor alone (1 method, 3 clips × {frames} frames 128²→512², {reps} reps alternating; the first "
          f"worker run also starts the fork server): in-process {b:.3f} s, worker {w:.3f} s (min {min(t['worker']):.3f}), "
          f"overhead {w - b:+.3f} s per method")  # fmt: skip


if __name__ == "__main__":
    main()
