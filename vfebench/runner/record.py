"""Record stage: the run record (``run.json``), ``per_clip.csv`` and the environment they name.

:func:`build_record` assembles the record from the plan, the per-(method, clip) rows, the
per-method info and the failures; per-method aggregates use each metric's own ``aggregate``
over the clips that have a result (set-level metrics store their own value). The fields are
documented in ``docs/run-record.md`` and typed in :mod:`vfebench.results`.
"""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from vfebench.metrics.base import json_value
from vfebench.runner.plan import metric_record
from vfebench.runner.restore import now


def _git_info() -> dict[str, Any]:
    root = Path(__file__).resolve().parents[2]
    out: dict[str, Any] = {"git_sha": None, "git_dirty": None}
    try:
        sha = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
        if sha.returncode == 0:
            out["git_sha"] = sha.stdout.strip()
            st = subprocess.run(
                ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                capture_output=True,
                text=True,
                timeout=10,
            )
            out["git_dirty"] = bool(st.stdout.strip()) if st.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        pass
    return out


_PACKAGES = (
    "numpy", "torch", "torchvision", "opencv-python-headless", "av", "scipy", "scikit-image",
    "mediapipe", "facenet-pytorch", "lpips", "pyiqa", "diffusers", "pandas",
)  # fmt: skip


def environment(device: str) -> dict[str, Any]:
    """The ``environment`` block of the run record for a run on ``device``.

    Keys: ``python``, ``platform``, ``machine``, ``cpu_count``, ``device``, ``device_name`` and
    ``packages`` (``{distribution: version}`` for those of a fixed list that are installed).
    For a ``cuda`` device ``device_name`` is the GPU's name and ``cuda`` torch's CUDA version;
    when that cannot be queried ``device_name`` says ``unavailable (<reason>)``. Elsewhere
    ``device_name`` is the processor (or machine) string.
    """
    from importlib import metadata

    pk = {}
    for p in _PACKAGES:
        try:
            pk[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            continue
    env: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "device": device,
        "device_name": platform.processor() or platform.machine(),
        "packages": pk,
    }
    if device.startswith("cuda"):
        try:
            import torch

            env["device_name"] = torch.cuda.get_device_name(torch.device(device))
            env["cuda"] = torch.version.cuda
        except (ImportError, RuntimeError, AssertionError, ValueError) as exc:  # no torch / CUDA
            env["device_name"] = f"unavailable ({exc})"
    return env


def build_record(run, rows: list[dict], method_info: dict, started: str) -> dict[str, Any]:
    """The run record (the ``run.json`` dict, schema in ``docs/run-record.md``) of a finished run.

    ``run``: the runner's run object (its plan, engine, LQ source, references, cache, failures,
    set-level results and cache stats). ``rows``: one dict per (method, clip), in record order,
    with ``method``, ``status``, timing fields and ``_results`` (``{metric key: result dict}``).
    ``method_info``: ``{method label: info dict}``. ``started``: the run's ISO-8601 start time.

    Updates its arguments in place: each ``method_info`` entry gains ``n_clips``, ``n_ok``,
    ``n_failed``, ``timing``, ``aggregates`` (per metric: its own aggregate over the clips with a
    result, or the stored set value for set-level metrics), ``n_scored`` and, when there are any,
    ``set_results``; ``_results`` is removed from every row. ``status`` is ``complete`` without
    failures, else ``partial``; ``finished`` is the time of this call.
    """
    from vfebench import __version__
    from vfebench.results import SCHEMA, SCHEMA_VERSION

    plan, cfg, engine = run.plan, run.plan.cfg, run.engine
    for label, info in method_info.items():
        mine = [r for r in rows if r["method"] == label]
        ok = [r for r in mine if r["status"] == "ok"]
        secs = [r["seconds"] for r in ok if r["seconds"] is not None]
        fps = [r["fps"] for r in ok if r["fps"] is not None]
        mem = [r["peak_mem_mb"] for r in ok if r["peak_mem_mb"] is not None]
        info["n_clips"] = len(mine)
        info["n_ok"] = len(ok)
        info["n_failed"] = len(mine) - len(ok)
        info["timing"] = {
            "seconds_mean": float(np.mean(secs)) if secs else None,
            "seconds_median": float(np.median(secs)) if secs else None,
            "fps_mean": float(np.mean(fps)) if fps else None,
            "peak_mem_mb_max": float(max(mem)) if mem else None,
            "peak_mem_kind": ok[0]["peak_mem_kind"] if ok else None,
            "frames_per_clip_mean": float(np.mean([r["n_frames"] for r in ok])) if ok else None,
        }
        aggs: dict[str, Any] = {}
        sets: dict[str, Any] = {}
        n_scored: dict[str, int] = {}
        for key, m in plan.metrics.items():
            results = [r["_results"][key] for r in ok if key in r.get("_results", {})]
            n_scored[key] = sum(1 for d in results if d.get("value") is not None)
            if m.level == "set":
                s = run.set_results.get((label, key))
                aggs[key] = s["value"] if s else None
                if s:  # e.g. FVD dataset mode: n_samples, window, eps
                    sets[key] = {"value": s["value"], "extras": s["extras"]}
            else:
                aggs[key] = json_value(engine.aggregate(key, results))  # ±inf as "inf"
        info["aggregates"] = aggs
        info["n_scored"] = n_scored
        if sets:
            info["set_results"] = sets
    for r in rows:
        r.pop("_results", None)
    lq = run.lq
    ident = lq.identity()
    synthetic = lq.kind == "synthetic"
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "run_id": plan.run_id,
        "status": "complete" if not run.failures else "partial",
        "started": started,
        "finished": now(),
        "code": {"vfebench_version": __version__, **_git_info()},
        "environment": environment(cfg.device),
        "config": {**asdict(cfg), "metrics": list(plan.metrics)},
        "dataset": {
            "spec": cfg.dataset,
            "name": plan.source.name,
            "version": plan.source.version,
            "has_gt": plan.has_gt,
            "manifest_hash": run.refs.manifest_hash,
            "clip_ids": list(plan.clip_ids),
            "n_clips": len(plan.clip_ids),
            "describe": plan.source.describe(),
            "unreadable": dict(run.refs.failed),
        },
        "lq": {
            "kind": lq.kind,
            "identity": ident,
            "manifest_hash": lq.manifest_hash,
            "root": str(lq.root) if lq.root else None,
            "failed": dict(lq.failed),
        },
        "degradation": (
            {
                "preset": ident.get("preset", cfg.preset),
                "version": ident.get("version", ident.get("preset_version")),
                "seed": ident.get("seed", cfg.seed),
            }
            if synthetic
            else None
        ),
        "metrics": {k: metric_record(m) for k, m in plan.metrics.items()},
        "skipped_metrics": dict(plan.skipped),
        "plan_warnings": list(getattr(plan, "warnings", ())),
        "methods": method_info,
        "clips": rows,
        "failures": run.failures,
        "cache": {"root": str(run.cache.root), **run.stats, **engine.stats},
    }


def write_record(out: Path, record: dict[str, Any]) -> None:
    """Write ``record`` into the run folder ``out``: ``run.json`` and ``per_clip.csv``.

    The record goes through :class:`vfebench.results.RunRecord` (so the file has the typed
    field order and unknown fields are kept); the CSV has one row per entry of ``clips``, i.e.
    per (method, clip). Both files are written atomically; ``out`` is created when missing.
    """
    from vfebench.results import CSV_FILE, RUN_FILE, RunRecord, write_per_clip_csv
    from vfebench.utils import atomic_write_json

    atomic_write_json(out / RUN_FILE, RunRecord.from_dict(record).to_dict())
    write_per_clip_csv(record, out / CSV_FILE)
