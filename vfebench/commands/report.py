"""``vfebench report RUN... --format md|tex|html``: the paper's tables, CIs, tests and plots."""

from __future__ import annotations

import argparse


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("runs", nargs="+", metavar="RUN", help="run folders, run.json files or glob patterns")
    p.add_argument("--format", choices=("md", "tex", "html"), default="md")
    p.add_argument("--out", default=None, metavar="FILE", help="write here instead of stdout")
    p.add_argument("--table", action="append", metavar="NAME",
                   help="table1 | table2 | table3 (repeatable; default: by dataset type, plus table3)")  # fmt: skip
    p.add_argument(
        "--reference", action="store_true", help="add the paper's published rows (results/reference)"
    )
    p.add_argument("--reference-dir", default=None, metavar="DIR", help="folder with reference CSVs")
    p.add_argument("--ci", action="store_true", help="add bootstrap 95%% CIs over clips (always in HTML)")
    p.add_argument("--compare", nargs=2, metavar=("A", "B"), help="paired test between two methods")
    p.add_argument(
        "--profile-clip", action="append", metavar="ID", help="clip(s) for temporal profiles (HTML)"
    )
    p.add_argument(
        "--profile-row", type=float, default=0.5, metavar="FRAC", help="row as a fraction of the height"
    )
    p.add_argument("--n-boot", type=int, default=2000, help="bootstrap resamples (default 2000)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")


def main(args: argparse.Namespace) -> int:
    import os
    import sys

    from vfebench.report import html as rhtml
    from vfebench.report import tables
    from vfebench.results import read_records
    from vfebench.utils import atomic_write_text

    if args.reference_dir:
        os.environ["VFEBENCH_REFERENCE_DIR"] = args.reference_dir
    records = read_records(args.runs)
    layouts = args.table or tables.auto_layouts(records)
    if args.format == "html":
        text = rhtml.build_html(records, layouts, reference=args.reference,
                                compare=tuple(args.compare) if args.compare else None,
                                profile_clips=args.profile_clip, profile_row=args.profile_row,
                                n_boot=args.n_boot, seed=args.seed)  # fmt: skip
    else:
        parts = [
            tables.render(tables.build_table(lay, records, reference=args.reference), args.format)
            for lay in layouts
        ]
        if args.ci:
            parts.append(rhtml.render_ci(rhtml.ci_rows(records, args.n_boot, args.seed), args.format))
        if args.compare:
            res = rhtml.paired_results(records, args.compare[0], args.compare[1], args.n_boot, args.seed)
            parts.append(rhtml.render_paired(res, args.format))
        text = "\n".join(parts)
    if args.out:
        atomic_write_text(args.out, text)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
