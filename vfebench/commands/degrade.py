"""``vfebench degrade --dataset D --preset P --seed S --out DIR``."""

from __future__ import annotations

import argparse


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--dataset", required=True, help="dataset spec: demo, vfhq:PATH, folder:PATH (vfebench ls datasets)"
    )
    p.add_argument("--preset", required=True, help="vfhq-x4, keep or dicface (vfebench ls presets)")
    p.add_argument("--seed", type=int, default=0, help="degradation seed (default 0)")
    p.add_argument("--out", required=True, help="output folder: <out>/<clip>/%%08d.png + manifest.json")
    p.add_argument("--clips", default=None, help="comma-separated clip ids (default: all)")
    p.add_argument(
        "--max-frames", type=int, default=None, help="degrade only the first N frames of each clip"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def main(args: argparse.Namespace) -> int:
    from vfebench.datasets import build_source
    from vfebench.degrade.lq import degrade_to_dir

    src = build_source(args.dataset)
    ids = [c.strip() for c in args.clips.split(",") if c.strip()] if args.clips else None
    man = degrade_to_dir(src, args.preset, args.seed, args.out, ids, args.max_frames, progress=not args.quiet)
    n = len(man["clips"]) if ids is None else len(ids)
    print(f"wrote {n} LQ clip(s) ({man['preset']} v{man['version']}, seed {man['seed']}) to {args.out}")
    return 0
