"""``vfebench run``: degrade (cached) → restore (timed, cached) → score (cached) → run record.

Example (the README demo, no weights needed)::

    vfebench run --method identity --method bicubic --method lanczos --dataset demo \\
        --preset vfhq-x4 --seed 0

prints the run folder and a Table-1 style Markdown table of what was measured. Re-running the
same command after an interruption recomputes nothing that finished.

Exit status: 0 complete, 1 partial (some clip failed; the others are recorded), 2 bad input,
3 storage (disk full / not writable: the message names the path and the fix), 130 interrupted
(re-run the same command to resume).
"""

from __future__ import annotations

import argparse
import sys


def configure(p: argparse.ArgumentParser) -> None:
    """Add the options of ``vfebench run`` to its sub-parser ``p``."""
    p.add_argument(
        "--method",
        action="append",
        required=True,
        metavar="M",
        help="method to run (repeatable): a name from `vfebench ls methods`, NAME:key=value,... for a "
        "config, package.module:Class, or outputs:dir=PATH,name=LABEL to score restored clips made "
        "elsewhere (docs/own-method.md)",
    )
    p.add_argument(
        "--dataset", required=True, metavar="D", help="demo | vfhq:PATH | folder:PATH | rfv:PATH | PATH"
    )
    p.add_argument(
        "--preset", default="vfhq-x4", help="degradation preset for synthetic LQ (default vfhq-x4)"
    )
    p.add_argument("--seed", type=int, default=0, help="degradation seed (default 0)")
    p.add_argument(
        "--metrics",
        action="append",
        metavar="LIST",
        help="comma-separated metric specs (name, name:mode, name[:mode]:key=value,... e.g. ids:backend=insightface); default: every metric whose weights are present",
    )
    p.add_argument(
        "--max-frames", type=int, default=None, metavar="N", help="use only the first N frames of each clip"
    )
    p.add_argument("--device", default="cpu", help="cpu | cuda | cuda:N (default cpu)")
    p.add_argument(
        "--out", default=None, metavar="DIR", help="run folder (default runs/<dataset>-<preset>-s<seed>-<id>)"
    )
    p.add_argument("--lq", default=None, metavar="PATH", help="folder of real LQ clips with the GT clip ids")
    p.add_argument("--clips", default=None, metavar="IDS", help="comma-separated subset of clip ids")
    p.add_argument(
        "--warmup", type=int, default=1, metavar="N", help="untimed warm-up restores per method (default 1)"
    )
    p.add_argument("--cache", default=None, metavar="DIR", help="run cache (default <cache root>/runs)")
    p.add_argument(
        "--timeout",
        type=float,
        default=3600.0,
        metavar="S",
        help="per-clip restore timeout in seconds (worker processes; default 3600); a clip past it fails",
    )
    p.add_argument(
        "--in-process",
        action="store_true",
        help="run methods in this process instead of a worker process each (debugging: no timeout, "
        "a crash ends the run)",
    )
    p.add_argument(
        "--overwrite", action="store_true", help="allow --out to be a folder that holds another run"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress output")
    p.add_argument(
        "--progress-every",
        type=float,
        default=30.0,
        metavar="S",
        help="when stderr is not a terminal, a progress line per stage every S seconds (default 30)",
    )
    p.add_argument("--quiet", action="store_true", help="do not print the summary table")
    g = p.add_argument_group("scale out (docs/scaling.md)")
    g.add_argument(
        "--shard",
        default=None,
        metavar="I/N",
        help="compute only slice I of N of the work units into the cache (no record); afterwards the "
        "same command without --shard merges them into the record",
    )
    g.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="N worker processes on this node, one device each (--device cuda: one GPU of "
        "CUDA_VISIBLE_DEVICES each; cpu: OMP_NUM_THREADS split), then the merge (default 1); with "
        "--executor ray: the number of Ray tasks",
    )
    g.add_argument(
        "--executor",
        choices=("local", "ray", "slurm"),
        default="local",
        help="local (default) | ray: shards as Ray tasks | slurm: a SLURM job array via submitit "
        "(ray and slurm need pip install 'vfebench[cluster]')",
    )
    g.add_argument("--address", default=None, metavar="ADDR", help="Ray cluster address (default: $RAY_ADDRESS or a local Ray)")  # fmt: skip
    g.add_argument("--slurm-partition", default=None, metavar="P", help="SLURM partition of the job array")
    g.add_argument("--array-size", type=int, default=None, metavar="N", help="SLURM array tasks (= shards)")
    g.add_argument(
        "--slurm-folder", default=None, metavar="DIR", help="submitit logs/pickles (default next to --out)"
    )
    g.add_argument(
        "--slurm-cluster",
        choices=("slurm", "local", "debug"),
        default="slurm",
        help="submitit backend: slurm (default); local runs the array as local processes (testing)",
    )
    g.add_argument(
        "--batch",
        default=None,
        metavar="N|auto",
        help="frames per forward pass of the network metrics: N, or auto (sized by free CUDA memory; "
        "each metric's default on CPU); default: each metric's own",
    )


#: exit status when a write failed for a storage reason (disk full, permissions, read-only);
#: 0 = complete, 1 = partial (some clip failed), 2 = bad input, 130 = interrupted
EXIT_STORAGE = 3


def _execute(cfg, args: argparse.Namespace):
    """The plain run, or the chosen executor's fan-out + merge (:mod:`vfebench.runner.scale`)."""
    from vfebench.errors import InputError
    from vfebench.runner import run, scale

    fan = args.executor != "local" or (args.workers or 1) > 1
    if fan and cfg.shard is not None:
        raise InputError("--shard is one slice of a run: it cannot be combined with --workers/--executor")
    if args.executor == "ray":
        return scale.run_ray(cfg, args.workers or 2, args.address)
    if args.executor == "slurm":
        if not args.array_size:
            raise InputError("--executor slurm needs --array-size N (the number of array tasks = shards)")
        return scale.run_slurm(
            cfg, args.array_size, args.slurm_partition, args.slurm_folder, args.slurm_cluster
        )
    if (args.workers or 1) > 1:
        return scale.run_workers(cfg, args.workers)
    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers must be >= 1, got {args.workers}")
    return run(cfg)


def main(args: argparse.Namespace) -> int:
    """Run ``vfebench run`` with the parsed ``args``; returns the exit status."""
    from vfebench.runner import RunConfig, StorageError

    if args.device.startswith("cuda"):
        from vfebench.utils import require

        torch = require("torch", purpose="--device cuda")
        if not torch.cuda.is_available():
            from vfebench.errors import InputError

            raise InputError("--device cuda: no CUDA device is available (use --device cpu)")
    cfg = RunConfig(
        methods=args.method,
        dataset=args.dataset,
        preset=args.preset,
        seed=args.seed,
        metrics=args.metrics,
        max_frames=args.max_frames,
        device=args.device,
        out=args.out,
        lq=args.lq,
        clips=[c for c in args.clips.split(",") if c] if args.clips else None,
        warmup=args.warmup,
        cache=args.cache,
        progress=not args.no_progress,
        timeout=args.timeout,
        isolation="inprocess" if args.in_process else "process",
        overwrite=args.overwrite,
        progress_every=args.progress_every,
        shard=args.shard,
        batch=args.batch,
    )
    try:
        outcome = _execute(cfg, args)
    except StorageError as exc:
        print(f"vfebench run: error: {exc}", file=sys.stderr)
        return EXIT_STORAGE
    except KeyboardInterrupt:
        print(
            "vfebench run: interrupted; finished clips are kept in the cache: re-run the same command "
            "to resume",
            file=sys.stderr,
        )
        return 130
    rec = outcome.record
    s = outcome.stats
    if cfg.shard is not None:
        print(
            f"run {rec['run_id']} shard {rec['shard']} ({rec['status']}): {rec['units']} unit(s) in the cache\n"
            f"  restored {s['restored_computed']} clip(s), reused {s['restored_cached']}; "
            f"scored {s['scores_computed']}, reused {s['scores_cached']}\n"
            "  (merge: the same command without --shard writes the record)",
            file=sys.stderr,
        )
        for f in rec["failures"]:
            print(f"  FAILED {f['stage']} {f['method']} / {f['clip_id']}: {f['reason']}", file=sys.stderr)
        return 0 if rec["status"] == "complete" else 1
    print(
        f"run {rec['run_id']} ({rec['status']}): {outcome.out}\n"
        f"  restored {s['restored_computed']} clip(s), reused {s['restored_cached']}; "
        f"scored {s['scores_computed']}, reused {s['scores_cached']}",
        file=sys.stderr,
    )
    if rec["skipped_metrics"]:
        names = ", ".join(rec["skipped_metrics"])
        print(f"  skipped metrics (reasons above and in run.json): {names}", file=sys.stderr)
    for f in rec["failures"]:
        print(f"  FAILED {f['stage']} {f['method']} / {f['clip_id']}: {f['reason']}", file=sys.stderr)
    if not args.quiet:
        from vfebench.report.tables import render_run_summary

        print(render_run_summary([rec], fmt="md"))
        print(
            f"(full report: vfebench report {outcome.out} --format html --out report.html)", file=sys.stderr
        )
    return 0 if rec["status"] == "complete" else 1
