"""Throughput of the video metrics (FasterVQA, FVD) on 33-frame 512×512 clips; prints a table.

Real-size networks with random weights (the official files are not needed for timing): FasterVQA
= Swin-T 3D + GRPB (28M parameters, one 32×224×224 sampling per clip); FVD = Inception-I3D
(12M parameters) through both backends (TorchScript and our PyTorch I3D), ``per_video_mean``
(first 24 frames of restored and GT → 2 windows per clip) and ``dataset`` (16-frame windows:
2 per 33-frame clip per side). Weights load and one warm-up clip are excluded.

    python benchmarks/bench_video_metrics.py [--clips 2] [--threads N] [--device cpu]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=2)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0 = default)")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from vfebench.metrics import build_metric
    from vfebench.metrics.base import ScoreContext
    from vfebench.metrics.nets.i3d import InceptionI3d
    from vfebench.metrics.nets.swin3d import FasterVQANet, to_official_state_dict
    from vfebench.video import Clip

    rng = np.random.default_rng(0)
    clips = [
        Clip(f"c{i}", rng.integers(0, 256, (33, 512, 512, 3), dtype=np.uint8)) for i in range(args.clips + 1)
    ]
    gts = [Clip(c.id, rng.integers(0, 256, (33, 512, 512, 3), dtype=np.uint8)) for c in clips]
    tmp = Path(tempfile.mkdtemp(prefix="vfebench-bench-"))
    torch.manual_seed(0)
    torch.save({"state_dict": to_official_state_dict(FasterVQANet())}, tmp / "FAST_VQA_3D_1_1.pth")
    torch.jit.save(torch.jit.script(InceptionI3d().eval()), str(tmp / "i3d_torchscript.pt"))

    rows = []
    specs = [
        ("fastervqa", "clean", {"weights": str(tmp / "FAST_VQA_3D_1_1.pth")}, False),
        (
            "fvd",
            "per_video_mean",
            {"weights": str(tmp / "i3d_torchscript.pt"), "backend": "torchscript"},
            True,
        ),
        ("fvd", "per_video_mean", {"weights": str(tmp / "i3d_torchscript.pt"), "backend": "pytorch"}, True),
        ("fvd", "dataset", {"weights": str(tmp / "i3d_torchscript.pt"), "backend": "torchscript"}, True),
    ]
    for name, mode, opts, ref in specs:
        m = build_metric(f"{name}:{mode}", **opts)
        m.setup(args.device)
        warm, rest = clips[0], clips[1:]
        gw, grest = gts[0], gts[1:]
        m.score_set([warm], [gw] if ref else None, ScoreContext(device=args.device))
        t0 = time.perf_counter()
        m.score_set(rest, grest if ref else None, ScoreContext(device=args.device))
        dt = time.perf_counter() - t0
        rows.append((name, mode, opts.get("backend", "-"), len(rest), dt / len(rest), len(rest) / dt))
    print(f"\n33-frame 512×512 clips, device={args.device}, torch threads={torch.get_num_threads()}")
    print(f"{'metric':<10} {'mode':<15} {'backend':<12} {'clips':>5} {'s/clip':>8} {'clips/s':>8}")
    for r in rows:
        print(f"{r[0]:<10} {r[1]:<15} {r[2]:<12} {r[3]:>5} {r[4]:>8.2f} {r[5]:>8.3f}")


if __name__ == "__main__":
    main()
