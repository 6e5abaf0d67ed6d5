"""Time VividFace one-step inference per frame with the tiny random config on CPU.

Prints a table: frames × size, chunking, seconds per clip, ms per frame (median of repeats,
one warm-up excluded). Tiny config only: the numbers measure our pipeline overhead (resize,
pad, VAE, DiT, blend), not the real 1.3B model (see gpu_time_vividface.py for that).

    python benchmarks/bench_vividface.py [--repeats 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    import torch

    torch.set_num_threads(a.threads)
    from vividface import wan
    from vividface.pipeline import InferenceConfig, OneStepPipeline

    dit, vae = wan.build_dit("tiny", seed=0), wan.build_vae("tiny", seed=1)
    emb = wan.random_prompt_embedding(dit.config.text_dim)
    cases = [(9, 32, 0), (17, 64, 0), (33, 64, 17), (81, 64, 33), (17, 128, 0)]
    rows = []
    for t, size, chunk in cases:
        pipe = OneStepPipeline(
            dit, vae, emb, InferenceConfig(size=size, chunk_frames=chunk, chunk_overlap=4 if chunk else 0)
        )
        frames = (np.random.default_rng(0).random((t, size, size, 3)) * 255).astype(np.uint8)
        pipe.restore_frames(frames)  # warm-up
        times = []
        for _ in range(a.repeats):
            t0 = time.perf_counter()
            pipe.restore_frames(frames)
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        rows.append((f"{t}×{size}×{size}", chunk or "whole", f"{med:.3f}", f"{1000 * med / t:.1f}"))
    print(f"VividFace tiny config, CPU, {a.threads} thread(s), median of {a.repeats}")
    print(f"{'clip':<14} {'chunk':>6} {'s/clip':>8} {'ms/frame':>9}")
    for r in rows:
        print(f"{r[0]:<14} {r[1]!s:>6} {r[2]:>8} {r[3]:>9}")


if __name__ == "__main__":
    main()
