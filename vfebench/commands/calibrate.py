"""``vfebench calibrate [--metrics niqe,psnr,...] [--inputs DIR]``: our metrics vs published values.

Computes each metric on pyiqa's five calibration image pairs (fetched by URL at a pinned commit
and checked by sha256, or read from ``--inputs DIR``), prints our value beside the officially
published one and pyiqa's own, with the tolerance the metric is held to. Weighted metrics fetch
their pinned weights on a connected machine (``--no-fetch-weights`` to skip).

Exit status: 0 all within tolerance; 1 a value is out of tolerance; 2 something asked for could
not be checked (inputs, weights or an extra missing; the message says which and how to fix it).
See :mod:`vfebench.metrics.calibration`.
"""

from __future__ import annotations

import argparse
import json
import sys


def configure(p: argparse.ArgumentParser) -> None:
    """Add the options of ``vfebench calibrate`` to its sub-parser ``p``."""
    p.add_argument(
        "--metrics",
        default="",
        help="comma-separated metrics to calibrate (default: every metric with published values)",
    )
    p.add_argument("--inputs", default=None, help="local folder with dist_dir/ and ref_dir/ (no download)")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--no-fetch-weights", action="store_true", help="never download weights")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def main(args: argparse.Namespace) -> int:
    """Run ``vfebench calibrate`` with the parsed ``args``; returns the exit status."""
    from vfebench.metrics import calibration as cal

    names = [n.strip() for n in args.metrics.split(",") if n.strip()] or cal.metric_names()
    inputs = cal.calibration_inputs(args.inputs)
    results = cal.calibrate(names, inputs, args.device, fetch_weights=not args.no_fetch_weights)
    src = cal.table()["source"]
    if args.json:
        doc = {
            "source": src,
            "metrics": {
                r.name: {
                    "images": r.images,
                    "ours": r.ours,
                    "official": r.official,
                    "pyiqa": r.pyiqa,
                    "tolerance": r.tolerance,
                    "ok": r.ok,
                    **({"skipped": r.skipped} if r.skipped else {}),
                }
                for r in results
            },
        }
        print(json.dumps(doc, indent=2, allow_nan=False, default=str))
    else:
        print(f"Calibration against {src['repo']} @ {src['commit'][:12]} (ResultsCalibra), inputs {inputs}\n")
        print(cal.format_table(results))
    out = [r.name for r in results if r.ok is False]
    skipped = [r.name for r in results if r.skipped]
    say = (lambda t: print(t, file=sys.stderr)) if args.json else print  # keep --json output pure
    if out:
        say(f"OUT OF TOLERANCE: {', '.join(out)}")
        return 1
    if skipped:
        say(f"not checked: {', '.join(skipped)} (see above)")
        return 2
    say("all checked metrics within tolerance")
    return 0
