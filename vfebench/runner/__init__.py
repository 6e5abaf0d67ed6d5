"""The runner: plan → LQ → restore → score → record, one stage per module. Resumable.

:func:`run` takes a :class:`RunConfig` and

1. **plan** (:mod:`~vfebench.runner.plan`): resolves the dataset, the methods (registry names,
   ``module:Class`` targets, optional ``:key=value,...`` config) and the metrics into a frozen
   :class:`~vfebench.runner.plan.Plan` — every user error is raised here, before any work;
2. **LQ** (:mod:`~vfebench.runner.lq`): the LQ inputs (synthetic, cached per clip by preset +
   version, seed, max_frames and GT content; shipped; or the source clips when there is no GT)
   and the GT content hashes, both made when a clip is first reached, from the one decode that
   also gives its references; an unreadable GT or LQ clip fails that clip only;
3. **restore** (:mod:`~vfebench.runner.restore`): each method in its own worker process
   (:mod:`~vfebench.runner.worker`; model loaded once, per-clip timeout, a crash/exit/signal/
   timeout fails that clip and restarts the worker), timed per clip, validated, stored as PNG;
4. **score** (:mod:`~vfebench.runner.engine`, the same engine ``vfebench score`` uses): each
   clip right after it is restored, from the frames in memory and the GT decoded once; a metric
   that cannot run on a clip is recorded for that clip with its reason;
5. **record** (:mod:`~vfebench.runner.record`): ``run.json`` and ``per_clip.csv``, atomically.

Everything computed lives in the run cache (:class:`~vfebench.runner.cache.RunCache`), keyed
by the full identity of what produced it and written under a per-entry lock, so a killed run
re-run with the same command recomputes nothing that finished, two runs sharing a cache never
compute one entry twice, and changing a method's config or version, the preset, the seed or a
metric's mode recomputes exactly what depends on it. Failed clips are retried on the next run.

Scaling out (``docs/scaling.md``): the plan's work units (:mod:`~vfebench.runner.units`) are
exactly these cache entries, so ``RunConfig.shard = "I/N"`` computes a deterministic slice of
them and writes no record, and the plain run afterwards (the merge) finds them cached;
:mod:`~vfebench.runner.scale` fans shards out over local workers, Ray or a SLURM array.

Extending: ``--method package.module:Class`` runs any :class:`~vfebench.methods.base.Method`
subclass without registering it; modules listed in ``$VFEBENCH_PLUGINS`` (comma-separated) are
imported before planning (and in every worker) so they can register methods and metrics.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from vfebench.errors import InputError
from vfebench.runner.cache import RunCache, StorageError, is_storage_error, read_json, storage_error
from vfebench.runner.engine import ClipItem, ScoringEngine
from vfebench.runner.lq import LQView, References, build_lq
from vfebench.runner.plan import (
    MethodSpec,
    Plan,
    RunConfig,
    build_method,
    default_out,
    load_method_class,
    load_plugins,
    make_plan,
    metric_record,
    parse_method_spec,
    parse_metric_specs,
    resolve_metrics,
)
from vfebench.runner.progress import Progress, progress_mode
from vfebench.runner.record import build_record, environment, write_record
from vfebench.runner.restore import failed_row, now, restore_method, validate_output
from vfebench.runner.units import Unit, parse_batch, parse_shard, shard_pairs, work_units
from vfebench.utils import atomic_write_json, safe_name
from vfebench.video import Clip, read_clip

__all__ = [
    "ClipItem", "LQView", "MethodSpec", "Plan", "References", "RunCache", "RunConfig", "RunOutcome",
    "ScoringEngine", "StorageError", "build_method", "default_out", "environment", "load_method_class",
    "load_plugins", "make_plan", "metric_record", "parse_method_spec", "parse_metric_specs",
    "resolve_metrics", "run", "safe_name", "validate_output", "Unit", "work_units", "shard_pairs",
]  # fmt: skip


@dataclass
class RunOutcome:
    """What :func:`run` returns: the record, its folder and the cache counters."""

    record: dict[str, Any]
    out: Path
    stats: dict[str, int]


def check_out_dir(out: Path, run_id: str, overwrite: bool) -> None:
    """Refuse to write into a folder that holds another run (or other files) unless ``overwrite``."""
    from vfebench.results import CONFIG_FILE, RUN_FILE

    if overwrite or not out.exists():
        return
    if not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a folder; choose another --out")
    ids = {
        rid
        for f in (CONFIG_FILE, RUN_FILE)
        if (d := read_json(out / f)) is not None and (rid := d.get("run_id")) is not None
    }
    if ids and ids != {run_id}:
        raise InputError(
            f"--out {out}: holds another run (run id {sorted(ids)[0]}, this run is {run_id}); choose "
            "another --out, or pass --overwrite to replace it"
        )
    if not ids and any(out.iterdir()):
        raise InputError(
            f"--out {out}: is not empty and holds no vfebench run; choose another --out, or pass "
            "--overwrite to write into it"
        )


class _Run:
    """One invocation: owns the stages' shared state (stats, failures, rows)."""

    def __init__(self, plan: Plan, log: Callable[[str], None]) -> None:
        self.plan = plan
        self.log = log
        self.cache = RunCache(plan.cfg.cache)
        self.stats = {"restored_computed": 0, "restored_cached": 0}
        self.failures: list[dict[str, Any]] = []
        self.set_results: dict[tuple[str, str], dict[str, Any]] = {}

    def fail(self, label: str, cid: str, stage: str, metric: str | None, reason: str, tb: str):
        self.failures.append(
            {
                "method": label,
                "clip_id": cid,
                "stage": stage,
                "metric": metric,
                "reason": reason,
                "traceback": tb,
            }
        )
        where = f"{label} / {cid}" + (f" / {metric}" if metric else "")
        self.log(f"FAILED {stage} {where}: {reason}")
        return failed_row(label, cid, stage, reason, self.lq.path(cid) if stage != "lq" else None)

    def execute(self) -> RunOutcome:
        plan, cfg = self.plan, self.plan.cfg
        shard = parse_shard(cfg.shard)
        started = now()
        if shard is None:
            check_out_dir(plan.out, plan.run_id, cfg.overwrite)
            plan.out.mkdir(parents=True, exist_ok=True)
            atomic_write_json(
                plan.out / "config.json",
                {
                    "run_id": plan.run_id,
                    "config": asdict(cfg),
                    "started": started,
                    "metrics": list(plan.metrics),
                },
            )
            todo = {lb: list(plan.clip_ids) for lb in plan.methods}
        else:  # a shard: its (method, clip) pairs into the cache, no record (runner.units)
            todo = {}
            for lb, cid in shard_pairs(plan, *shard):
                todo.setdefault(lb, []).append(cid)
        clip_ids = list(dict.fromkeys(c for cids in todo.values() for c in cids))
        for name, why in plan.skipped.items():
            self.log(f"skipping metric {name}: {why}")
        mode = progress_mode(cfg.progress)
        # nothing is read up front: each clip is decoded once when first reached (hash, LQ, GT)
        self.refs = References(plan.source, cfg.max_frames, plan.has_gt)
        self.lq = build_lq(plan, self.log, self.refs, clip_ids=clip_ids)
        if cfg.isolation == "process" and self._anything_to_restore():
            from vfebench.runner.worker import prestart

            prestart()  # the fork server imports numpy/OpenCV while the first clips are read
        feats = Path(cfg.features) if cfg.features else None
        if feats is None:
            from vfebench.utils import cache_root

            feats = cache_root() / "features"
        self.engine = ScoringEngine(
            plan.metrics, cfg.device, cfg.seed, feats, None, self.cache, batch=parse_batch(cfg.batch)
        )
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        method_info: dict[str, dict[str, Any]] = {}
        for label, method in plan.methods.items():
            if label not in todo:
                continue
            prog = Progress(f"restore+score {label}", len(todo[label]), mode, cfg.progress_every, self.log)

            def on_clip(row, pred, gt, label=label, prog=prog):
                rows[(label, row["clip_id"])] = row
                if row["status"] == "ok":
                    self._score_row(row, pred, gt)
                prog.step()

            method_info[label] = restore_method(self, label, method, on_clip, self.fail, todo[label])
            prog.close()
            if shard is None:
                self._score_sets(label, rows)
        self.refs.reader.release()
        self.lq.finish()
        if shard is not None:
            summary = {
                "run_id": plan.run_id,
                "shard": f"{shard[0]}/{shard[1]}",
                "status": "complete" if not self.failures else "partial",
                "units": len(work_units(plan, shard)),
                "pairs": [[lb, cid] for lb, cids in todo.items() for cid in cids],
                "failures": self.failures,
            }
            return RunOutcome(summary, plan.out, {**self.stats, **self.engine.stats})
        ordered = [rows[(lb, cid)] for lb in plan.methods for cid in plan.clip_ids]
        record = build_record(self, ordered, method_info, started)
        write_record(plan.out, record)
        return RunOutcome(record, plan.out, {**self.stats, **self.engine.stats})

    def _anything_to_restore(self) -> bool:
        """Whether some (method, clip) has no complete restoration in the cache yet (cheap stats;
        a clip whose GT or LQ hash is not known without decoding counts as to be restored)."""
        for method in self.plan.methods.values():
            fp = method.fingerprint_hash()
            for cid in self.plan.clip_ids:
                lq_hash = self.lq.known_hash(cid)
                ref = self.refs.known_key(cid) if self.plan.has_gt else None
                if lq_hash is None or (self.plan.has_gt and ref is None):
                    return True
                if not (self.cache.restored_dir(fp, lq_hash, ref, cid) / "meta.json").is_file():
                    return True
        return False

    # -- score stage glue ----------------------------------------------------------------
    def _pred_loader(self, row: dict[str, Any]):
        def load() -> Clip:
            c = read_clip(row["restored_path"], row["clip_id"])
            return c

        return load

    def _score_row(self, row: dict[str, Any], pred: Clip | None, gt: Clip | None) -> None:
        cid = row["clip_id"]
        item = ClipItem(
            cid,
            (lambda: pred) if pred is not None else self._pred_loader(row),
            (lambda: gt) if gt is not None else (lambda: self.refs.load(cid)),
            row["restored_hash"],
            self.refs.key(cid),
        )
        results = self.engine.score_clip(item)
        row["_results"] = {}
        for key, o in results.items():
            if o.result is not None:
                row["values"][key] = o.result.get("value")
                det = {
                    "n_frames": o.result.get("n_frames"),
                    "n_skipped": o.result.get("n_skipped"),
                    "cached": o.cached,
                }
                if o.result.get("reason"):
                    det["reason"] = o.result["reason"]
                row["details"][key] = det
                row["_results"][key] = o.result
            else:
                assert o.failed is not None  # an Outcome without a result carries its reason
                self.fail(row["method"], cid, "score", key, o.failed, o.tb)
                row["values"][key] = None
                row["details"][key] = {"reason": f"failed: {o.failed}", "cached": False}

    def _score_sets(self, label: str, rows: dict) -> None:
        ok = [rows[(label, cid)] for cid in self.plan.clip_ids if rows[(label, cid)]["status"] == "ok"]
        if not ok:
            return

        def ref_loader(cid: str) -> Callable[[], Clip | None]:
            return lambda: self.refs.load(cid)

        for key in self.engine.set_keys:
            items = [
                ClipItem(
                    r["clip_id"],
                    self._pred_loader(r),
                    ref_loader(r["clip_id"]),
                    r["restored_hash"],
                    self.refs.key(r["clip_id"]),
                )
                for r in ok
            ]
            res = self.engine.score_set(key, items)
            if res["failed"]:
                self.fail(label, "*", "score", key, res["failed"], res.get("tb", ""))
                continue
            self.set_results[(label, key)] = res
            for r in ok:
                d = res["clips"].get(r["clip_id"])
                if d is None:
                    continue
                r.setdefault("_results", {})[key] = d
                r["values"][key] = d.get("value")
                det = {"n_frames": d.get("n_frames"), "n_skipped": d.get("n_skipped"), "cached": True}
                if d.get("reason"):
                    det["reason"] = d["reason"]
                r["details"][key] = det


def run(cfg: RunConfig, log: Callable[[str], None] | None = None) -> RunOutcome:
    """Run ``cfg`` (see module docstring); returns the record, its folder and cache counters.

    Raises :class:`StorageError` (one line naming the path and the fix) when the disk is full or
    a folder is not writable; every other per-clip problem is recorded, not raised.
    """
    log = log or (lambda s: print(s, file=sys.stderr))
    plan = make_plan(cfg)
    for w in plan.warnings:
        log(f"warning: {w}")
    try:
        return _Run(plan, log).execute()
    except StorageError:
        raise
    except OSError as exc:
        if is_storage_error(exc):
            raise storage_error(exc) from exc
        raise
