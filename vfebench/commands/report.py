"""``vfebench report RUN... --format md|tex|html``: the paper's tables, CIs, tests and plots.

Runs are grouped by what they measured on; each layout prints one table per group (see
:mod:`vfebench.report.tables`).
"""

from __future__ import annotations

import argparse


def configure(p: argparse.ArgumentParser) -> None:
    """Add the options of ``vfebench report`` to its sub-parser ``p``."""
    from vfebench.report.tables import COLUMN_MODES, DEFAULT_COLUMNS

    p.add_argument("runs", nargs="+", metavar="RUN", help="run folders, run.json files or glob patterns")
    p.add_argument("--format", choices=("md", "tex", "html"), default="md")
    p.add_argument("--out", default=None, metavar="FILE", help="write here instead of stdout")
    p.add_argument("--table", action="append", metavar="NAME",
                   help="table1 | table2 | table3 (repeatable; default: by dataset type, plus table3)")  # fmt: skip
    p.add_argument(
        "--columns",
        choices=COLUMN_MODES,
        default=DEFAULT_COLUMNS,
        help=f"measured: hide layout columns nothing was measured for; paper: show them as '–' "
        f"(default {DEFAULT_COLUMNS}, as in the table `vfebench run` prints)",
    )
    p.add_argument(
        "--reference", action="store_true", help="add the paper's published rows beside runs on their dataset"
    )
    p.add_argument("--reference-dir", default=None, metavar="DIR", help="folder with reference CSVs")
    p.add_argument("--ci", action="store_true", help="add bootstrap 95%% CIs over clips (always in HTML)")
    p.add_argument("--compare", nargs=2, metavar=("A", "B"), help="paired test between two methods")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level of --compare (default 0.05)")
    p.add_argument(
        "--profile-clip", action="append", metavar="ID", help="clip(s) for temporal profiles (HTML)"
    )
    p.add_argument(
        "--profile-row", type=float, default=0.5, metavar="FRAC", help="row as a fraction of the height"
    )
    p.add_argument(
        "--show",
        action="append",
        metavar="CLIP[@FRAME]",
        help="clip (and frame) for the qualitative grid and videos (HTML; repeatable; default: the clips "
        "where methods differ most on the headline metric)",
    )
    p.add_argument(
        "--n-show", type=int, default=2, help="how many clips to show by default (HTML, default 2)"
    )
    p.add_argument(
        "--single-file",
        action="store_true",
        help="HTML: one self-contained file (thumbnails embedded, no videos or full-size frames); "
        "the default when the page goes to stdout",
    )
    p.add_argument("--n-boot", type=int, default=2000, help="bootstrap resamples (default 2000)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")


def main(args: argparse.Namespace) -> int:
    """Run ``vfebench report`` with the parsed ``args``; returns the exit status."""
    import os
    import sys

    from vfebench.errors import InputError
    from vfebench.report import html as rhtml
    from vfebench.report import tables
    from vfebench.results import read_records
    from vfebench.utils import atomic_write_text

    if args.reference_dir:
        os.environ["VFEBENCH_REFERENCE_DIR"] = args.reference_dir
    if not 0 < args.alpha < 1:
        raise InputError(f"--alpha must be between 0 and 1, got {args.alpha}")
    if not 0 <= args.profile_row <= 1:
        raise InputError(f"--profile-row is a fraction of the height (0..1), got {args.profile_row}")
    records = read_records(args.runs)
    if args.format == "html":
        text = rhtml.build_html(records, args.table, reference=args.reference,
                                compare=tuple(args.compare) if args.compare else None,
                                profile_clips=args.profile_clip, profile_row=args.profile_row,
                                n_boot=args.n_boot, seed=args.seed, columns=args.columns, alpha=args.alpha,
                                show=args.show, n_show=args.n_show, out=args.out,
                                single_file=args.single_file or not args.out)  # fmt: skip
    else:
        parts = [
            tables.render(t, args.format)
            for t in tables.build_tables(records, args.table, reference=args.reference, columns=args.columns)
        ]
        if args.ci:
            for g in tables.group_records(records):
                rows = rhtml.ci_rows(g.records, args.n_boot, args.seed)
                parts.append(rhtml.render_ci(rows, args.format, tables.describe_inputs(g.records[0])))
        if args.compare:
            res = rhtml.paired_results(records, args.compare[0], args.compare[1], args.n_boot, args.seed)
            parts.append(rhtml.render_paired(res, args.format, args.alpha))
        text = "\n".join(parts)
    if args.out:
        atomic_write_text(args.out, text)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
