"""Run records: the schema, reading and writing, and a tidy pandas view across runs.

A run directory (written by :func:`vfebench.runner.run`) holds

- ``run.json``: the run record (this module's schema, written atomically at the end of a run);
- ``per_clip.csv``: one row per (method, clip) with timing and the raw value of every metric;
- ``config.json``: the resolved configuration, written when the run starts (so even a killed
  run's folder says what it was).

Schema (``schema_version`` 2; every field is documented in ``docs/run-record.md``; typed as
:class:`RunRecord` / :class:`MethodRecord` / :class:`ClipRecord` / :class:`Failure`, and
version-1 records are still read, upgraded with neutral values for the new fields)::

    schema            "vfebench.run"
    schema_version    2
    run_id            16 hex: hash of the resolved config (same config → same id → same folder)
    status            "complete" | "partial" (some clip failed to restore or score)
    started, finished ISO-8601 UTC timestamps
    code              {vfebench_version, git_sha, git_dirty}
    environment       {python, platform, machine, cpu_count, device, device_name, packages{}}
    config            {methods[], dataset, preset, seed, metrics[], max_frames, device, warmup, lq}
    dataset           {spec, name, version, has_gt, manifest_hash, clip_ids[], n_clips, describe{},
                       unreadable{clip id: reason} (v2)}
    lq                {kind: synthetic|shipped|real, identity{}, manifest_hash, root,
                       failed{clip id: reason} (v2)}
    degradation       {preset, version, seed} or null when the LQ is not synthetic
    metrics           {key: {name, mode, version, options, assets{name: sha256}, display,
                        higher_is_better, needs_reference, level, scale, precision, recon}}
    skipped_metrics   {name: reason}
    plan_warnings     [text] inputs that are probably not what was meant (mixed GT sizes, a bare
                       path that looks like real LQ; vfebench.runner.sanity); may be absent
    methods           {label: {name, fingerprint{}, fingerprint_hash, steps, n_clips, n_ok,
                        n_failed, warmup{}, timing{seconds_mean, seconds_median, fps_mean,
                        peak_mem_mb_max, peak_mem_kind}, aggregates{metric key: raw value},
                        n_scored{metric key: clips with a value} (v2), isolation (v2),
                        timeout_s (v2), worker_restarts (v2), set_results{},
                        timing_source: measured|reported|not measured (may be absent)}}
    clips             [{method, clip_id, status, n_frames, height, width, seconds, fps,
                        peak_mem_mb, peak_mem_kind, restored_hash, restored_path, lq_path,
                        restore_cached, values{metric key: raw|null},
                        details{metric key: {n_frames, n_skipped, reason, cached}},
                        failed clips: reason, failed_stage (v2)}]
    failures          [{method, clip_id, stage: gt|lq|restore|score, metric, reason, traceback}]
    cache             {root, restored_computed, restored_cached, scores_computed, scores_cached}

Values are *raw* metric values (e.g. AKD in normalised units); reports show ``raw × scale``
under the metric's ``display`` name (AKD* = AKD × 1000). ``null`` means not computed; the
matching ``details[...].reason`` or a ``failures`` entry says why.

:func:`load` reads one or many runs into one tidy (long) DataFrame, one row per
(run, method, clip, metric); :func:`aggregates` gives the per-run, per-method aggregate values
(which for set-level metrics such as FVD ``dataset`` are not the mean of the clip rows).
"""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from vfebench.errors import InputError

SCHEMA = "vfebench.run"
SCHEMA_VERSION = 2
#: versions :func:`read_record` understands (older ones are upgraded on reading, see RunRecord)
READABLE_VERSIONS = (1, 2)
RUN_FILE = "run.json"
CSV_FILE = "per_clip.csv"
CONFIG_FILE = "config.json"

#: columns of :func:`load`'s DataFrame, in order
TIDY_COLUMNS = [
    "run_id",
    "run_dir",
    "dataset",
    "dataset_manifest",
    "preset",
    "preset_version",
    "seed",
    "max_frames",
    "method",
    "method_name",
    "method_fp",
    "steps",
    "clip_id",
    "status",
    "n_frames",
    "seconds",
    "fps",
    "peak_mem_mb",
    "metric",
    "metric_name",
    "mode",
    "metric_version",
    "display",
    "higher_is_better",
    "scale",
    "value",
    "display_value",
    "n_scored_frames",
    "n_skipped",
    "reason",
]


# ----------------------------------------------------------------------------- typed records


def _from(cls, d: dict[str, Any]):
    """Build dataclass ``cls`` from ``d``: known fields by name (missing → default), the rest kept
    in ``extra`` so that reading and writing a record never drops a field."""
    names = {f.name for f in fields(cls)} - {"extra"}
    kw = {k: d[k] for k in names if k in d}
    obj = cls(**kw)
    obj.extra = {k: v for k, v in d.items() if k not in names}
    return obj


def _to(obj) -> dict[str, Any]:
    d = {f.name: getattr(obj, f.name) for f in fields(obj) if f.name != "extra"}
    return {**d, **obj.extra}


@dataclass
class Failure:
    """One failure: ``stage`` is ``gt`` | ``lq`` | ``restore`` | ``score`` (``clip_id`` ``*``: set level)."""

    method: str
    clip_id: str
    stage: str
    metric: str | None = None
    reason: str = ""
    traceback: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    from_dict = classmethod(_from)
    to_dict = _to


@dataclass
class ClipRecord:
    """One (method, clip) row; ``values`` raw metric values (None = not computed, see ``details``)."""

    method: str
    clip_id: str
    status: str
    n_frames: int | None = None
    height: int | None = None
    width: int | None = None
    seconds: float | None = None
    fps: float | None = None
    peak_mem_mb: float | None = None
    peak_mem_kind: str | None = None
    restored_hash: str | None = None
    restored_path: str | None = None
    lq_path: str | None = None
    restore_cached: bool = False
    values: dict[str, float | None] = field(default_factory=dict)
    details: dict[str, dict[str, Any]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. reason, failed_stage of a failed clip

    from_dict = classmethod(_from)
    to_dict = _to


@dataclass
class MethodRecord:
    """Per-method summary: identity, counts, timing, aggregates (and how it was isolated, v2)."""

    name: str | None = None
    fingerprint: dict[str, Any] = field(default_factory=dict)
    fingerprint_hash: str | None = None
    steps: int | None = None
    warmup: dict[str, Any] | None = None
    n_clips: int = 0
    n_ok: int = 0
    n_failed: int = 0
    timing: dict[str, Any] = field(default_factory=dict)
    aggregates: dict[str, float | None] = field(default_factory=dict)
    n_scored: dict[str, int] | None = None
    isolation: str | None = None
    timeout_s: float | None = None
    worker_restarts: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. set_results

    from_dict = classmethod(_from)
    to_dict = _to


@dataclass
class RunRecord:
    """A whole ``run.json``, typed. :meth:`from_dict` reads schema versions 1 and 2 (a version-1
    record gets the version-2 fields with neutral values: no unreadable clips, no LQ failures,
    ``n_scored`` from the clip values); :meth:`to_dict` gives the JSON object."""

    run_id: str
    config: dict[str, Any]
    dataset: dict[str, Any]
    metrics: dict[str, Any]
    methods: dict[str, MethodRecord]
    clips: list[ClipRecord]
    schema: str = SCHEMA
    schema_version: int = SCHEMA_VERSION
    status: str = "complete"
    started: str | None = None
    finished: str | None = None
    code: dict[str, Any] = field(default_factory=dict)
    environment: dict[str, Any] = field(default_factory=dict)
    lq: dict[str, Any] = field(default_factory=dict)
    degradation: dict[str, Any] | None = None
    skipped_metrics: dict[str, str] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    cache: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunRecord:
        """Build a record from its JSON dict, upgrading schema version 1 (fields version 2 added get
        defaults)."""
        d = dict(d)
        d["methods"] = {k: MethodRecord.from_dict(v) for k, v in d.get("methods", {}).items()}
        d["clips"] = [ClipRecord.from_dict(c) for c in d.get("clips", [])]
        d["failures"] = [Failure.from_dict(f) for f in d.get("failures", [])]
        rec = _from(cls, d)
        if rec.schema_version == 1:  # upgrade: the fields version 2 added
            rec.dataset.setdefault("unreadable", {})
            if rec.lq is not None:
                rec.lq.setdefault("failed", {})
            for label, m in rec.methods.items():
                if m.n_scored is None:
                    m.n_scored = {
                        k: sum(1 for c in rec.clips if c.method == label and c.values.get(k) is not None)
                        for k in rec.metrics
                    }
        return rec

    def to_dict(self) -> dict[str, Any]:
        """The record as a JSON-able dict, identifying keys (schema, run id, status, times) first."""
        d = _to(self)
        d["methods"] = {k: m.to_dict() for k, m in self.methods.items()}
        d["clips"] = [c.to_dict() for c in self.clips]
        d["failures"] = [f.to_dict() for f in self.failures]
        order = ["schema", "schema_version", "run_id", "status", "started", "finished"]
        return {**{k: d[k] for k in order}, **{k: v for k, v in d.items() if k not in order}}


def _resolve_one(p: Path) -> Path:
    if p.is_dir():
        f = p / RUN_FILE
        if not f.is_file():
            hint = ""
            if (p / CONFIG_FILE).is_file():
                hint = (
                    " (it has a config.json: the run was interrupted; re-run the same command to finish it)"
                )
            raise InputError(f"{p}: no {RUN_FILE} in this folder{hint}")
        return f
    if p.is_file():
        return p
    raise InputError(f"{p}: no such run folder or run record")


def resolve_paths(paths: str | os.PathLike | Iterable[str | os.PathLike]) -> list[Path]:
    """Run-record files for run folders, ``run.json`` files or glob patterns."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out: list[Path] = []
    for item in paths:
        s = os.fspath(item)
        matches = sorted(glob.glob(s)) if any(c in s for c in "*?[") else [s]
        if not matches:
            raise InputError(f"{s}: pattern matches no run folder")
        out.extend(_resolve_one(Path(m)) for m in matches)
    return out


def validate_record(rec: Any, where: str = "run record") -> dict[str, Any]:
    """Check the schema header; raise InputError naming the file when it is not a run record."""
    if not isinstance(rec, dict) or rec.get("schema") != SCHEMA:
        raise InputError(f'{where}: not a vfebench run record (missing "schema": "{SCHEMA}")')
    v = rec.get("schema_version")
    if not isinstance(v, int) or v not in READABLE_VERSIONS:
        raise InputError(
            f"{where}: run-record schema version {v!r} is not one this vfebench reads "
            f"({', '.join(map(str, READABLE_VERSIONS))}); upgrade vfebench"
        )
    for key in ("run_id", "config", "dataset", "metrics", "methods", "clips"):
        if key not in rec:
            raise InputError(f"{where}: run record lacks the field {key!r}")
    return rec


def read_record(path: str | os.PathLike) -> dict[str, Any]:
    """Read and validate one run record (a run folder or its ``run.json``)."""
    f = _resolve_one(Path(path))
    try:
        rec = json.loads(f.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"{f}: cannot read run record ({exc})") from exc
    rec = validate_record(rec, str(f))
    rec = RunRecord.from_dict(rec).to_dict()  # a version-1 record gains the version-2 fields
    rec.setdefault("_path", str(f))
    return rec


def load_record(path: str | os.PathLike) -> RunRecord:
    """One run record as a typed :class:`RunRecord` (run folder or ``run.json``; versions 1, 2)."""
    rec = read_record(path)
    rec.pop("_path", None)
    return RunRecord.from_dict(rec)


def read_records(paths: str | os.PathLike | Iterable[str | os.PathLike]) -> list[dict[str, Any]]:
    """Read and validate every run record named by ``paths`` (run folders, ``run.json`` files or globs)."""
    return [read_record(p) for p in resolve_paths(paths)]


def write_per_clip_csv(rec: dict[str, Any], path: str | os.PathLike) -> None:
    """``per_clip.csv``: method, clip, status, frames, size, timing, then one raw value per metric."""
    import csv
    import io

    from vfebench.utils import atomic_write_text

    metrics = list(rec["metrics"])
    cols = ["method", "clip_id", "status", "n_frames", "height", "width", "seconds", "fps", "peak_mem_mb"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols + metrics)
    for c in rec["clips"]:
        row = [c.get(k) for k in cols]
        row += [c.get("values", {}).get(m) for m in metrics]
        w.writerow(["" if v is None else (repr(v) if isinstance(v, float) else v) for v in row])
    atomic_write_text(path, buf.getvalue())


def _metric_rows(rec: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    deg = rec.get("degradation") or {}
    methods = rec["methods"]
    for c in rec["clips"]:
        m = methods.get(c["method"], {})
        base = {
            "run_id": rec["run_id"],
            "run_dir": str(Path(rec.get("_path", RUN_FILE)).parent),
            "dataset": rec["dataset"].get("spec"),
            "dataset_manifest": rec["dataset"].get("manifest_hash"),
            "preset": deg.get("preset"),
            "preset_version": deg.get("version"),
            "seed": rec["config"].get("seed"),
            "max_frames": rec["config"].get("max_frames"),
            "method": c["method"],
            "method_name": m.get("name"),
            "method_fp": m.get("fingerprint_hash"),
            "steps": m.get("steps"),
            "clip_id": c["clip_id"],
            "status": c.get("status"),
            "n_frames": c.get("n_frames"),
            "seconds": c.get("seconds"),
            "fps": c.get("fps"),
            "peak_mem_mb": c.get("peak_mem_mb"),
        }
        for key, info in rec["metrics"].items():
            raw = c.get("values", {}).get(key)
            det = c.get("details", {}).get(key, {})
            scale = float(info.get("scale", 1.0))
            rows.append(
                {
                    **base,
                    "metric": key,
                    "metric_name": info.get("name"),
                    "mode": info.get("mode"),
                    "metric_version": info.get("version"),
                    "display": info.get("display"),
                    "higher_is_better": info.get("higher_is_better"),
                    "scale": scale,
                    "value": float("nan") if raw is None else float(raw),
                    "display_value": float("nan") if raw is None else float(raw) * scale,
                    "n_scored_frames": det.get("n_frames"),
                    "n_skipped": det.get("n_skipped"),
                    "reason": det.get("reason", ""),
                }
            )
    return rows


def load(paths: str | os.PathLike | Iterable[str | os.PathLike]):
    """One tidy ``pandas.DataFrame`` across runs: a row per (run, method, clip, metric).

    ``paths``: run folders, ``run.json`` files or glob patterns (``"runs/*"``). Columns are
    :data:`TIDY_COLUMNS`; ``value`` is the raw metric value (NaN when not computed, ``reason``
    says why), ``display_value`` is ``value × scale`` as reports show it.
    """
    import pandas as pd

    rows: list[dict[str, Any]] = []
    for rec in read_records(paths):
        rows.extend(_metric_rows(rec))
    return pd.DataFrame(rows, columns=TIDY_COLUMNS)


def aggregates(paths: str | os.PathLike | Iterable[str | os.PathLike]):
    """Per (run, method, metric) aggregate values as recorded by the runner (DataFrame).

    Columns: run_id, run_dir, method, metric, display, higher_is_better, value, display_value,
    n_clips (clips with a finite value), seconds_mean, fps_mean, steps.
    """
    import pandas as pd

    rows = []
    for rec in read_records(paths):
        for label, m in rec["methods"].items():
            for key, info in rec["metrics"].items():
                raw = m.get("aggregates", {}).get(key)
                n = sum(
                    1
                    for c in rec["clips"]
                    if c["method"] == label and c.get("values", {}).get(key) is not None
                )
                scale = float(info.get("scale", 1.0))
                rows.append(
                    {
                        "run_id": rec["run_id"],
                        "run_dir": str(Path(rec["_path"]).parent),
                        "method": label,
                        "metric": key,
                        "display": info.get("display"),
                        "higher_is_better": info.get("higher_is_better"),
                        "value": float("nan") if raw is None else float(raw),
                        "display_value": float("nan") if raw is None else float(raw) * scale,
                        "n_clips": n,
                        "seconds_mean": m.get("timing", {}).get("seconds_mean"),
                        "fps_mean": m.get("timing", {}).get("fps_mean"),
                        "steps": m.get("steps"),
                    }
                )
    return pd.DataFrame(rows)
