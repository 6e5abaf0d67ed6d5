"""``vfebench gate``: candidate run vs baseline → exit 0 pass / 1 fail / 2 incomparable or bad record."""

from __future__ import annotations

import argparse


def configure(p: argparse.ArgumentParser) -> None:
    """Add the options of ``vfebench gate`` to its sub-parser ``p``."""
    p.add_argument("--baseline", required=True, metavar="RUN_OR_FILE", help="baseline run folder or run.json")
    p.add_argument("--candidate", required=True, metavar="RUN", help="candidate run folder or run.json")
    p.add_argument("--tolerances", default=None, metavar="FILE", help="JSON tolerances (see vfebench.gate)")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.add_argument(
        "--explain",
        action="store_true",
        help="also print every (method, metric): baseline, candidate, delta, allowed, verdict",
    )
    p.add_argument(
        "--bless",
        action="store_true",
        help="instead of gating, write the candidate's record (local paths removed) to --baseline",
    )


def main(args: argparse.Namespace) -> int:
    """Run ``vfebench gate`` with the parsed ``args``; returns the exit status."""
    import json
    import math
    from dataclasses import asdict

    from vfebench.gate import bless, gate

    if args.bless:
        print(f"blessed {args.candidate} -> {bless(args.candidate, args.baseline)}")
        return 0
    res = gate(args.baseline, args.candidate, args.tolerances)
    if args.json:

        def clean(v):  # strict JSON: NaN/inf as strings
            if isinstance(v, float) and not math.isfinite(v):
                return "NaN" if math.isnan(v) else ("inf" if v > 0 else "-inf")
            if isinstance(v, dict):
                return {k: clean(x) for k, x in v.items()}
            if isinstance(v, (list, tuple)):
                return [clean(x) for x in v]
            return v

        out = {"status": res.status, "exit_code": res.exit_code, "reasons": res.reasons,
               "findings": [asdict(f) for f in res.findings]}  # fmt: skip
        print(json.dumps(clean(out), indent=2))
    else:
        print(res.summary())
        if args.explain:
            print()
            print(res.explain())
    return res.exit_code
