"""``vfebench degrade --dataset D --preset P --seed S --out DIR [--video] [--upsample linear]``.

Writes the LQ set (``DIR/<clip>/%08d.png``, ``DIR/manifest.json`` with every clip's draws,
encoder settings and encoded size) and, on request, the layouts external methods take (see
:mod:`vfebench.degrade.export`): lossless videos and regime-A copies upsampled to the GT size.
"""

from __future__ import annotations

import argparse


def configure(p: argparse.ArgumentParser) -> None:
    """Add the options of ``vfebench degrade`` to its sub-parser ``p``."""
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
    p.add_argument(
        "--video",
        action="store_true",
        help="also write one lossless video per clip: <out>/_videos/<clip>.mp4 (libx264rgb crf 0)",
    )
    p.add_argument(
        "--video-codec",
        choices=("libx264rgb", "ffv1"),
        default="libx264rgb",
        help="lossless codec for --video",
    )
    p.add_argument(
        "--upsample",
        choices=("linear", "cubic", "lanczos", "area"),
        default=None,
        help="also write the LQ resized to the GT size (regime A; KEEP uses linear): "
        "<out>/_upsampled-<interp>/<clip>/%%08d.png",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def main(args: argparse.Namespace) -> int:
    """Run ``vfebench degrade`` with the parsed ``args``; returns the exit status."""
    from vfebench.datasets import build_source
    from vfebench.degrade.lq import degrade_to_dir
    from vfebench.degrade.presets import preset_label

    src = build_source(args.dataset)
    ids = [c.strip() for c in args.clips.split(",") if c.strip()] if args.clips else None
    man = degrade_to_dir(src, args.preset, args.seed, args.out, ids, args.max_frames, progress=not args.quiet)
    n = len(man["clips"]) if ids is None else len(ids)
    label = preset_label(man["preset"], man["version"])
    print(f"wrote {n} LQ clip(s) ({label}, seed {man['seed']}) to {args.out}")
    if args.video or args.upsample:
        from vfebench.degrade.export import export_lq

        ex = export_lq(args.out, video=args.video, video_codec=args.video_codec, upsample=args.upsample)
        for name, e in sorted(ex["layouts"].items()):
            if name != "frames":
                print(
                    f"  {name}: {args.out}/{e['folder']}"
                    + (f" ({e['interpolation']})" if "interpolation" in e else "")
                )
    return 0
