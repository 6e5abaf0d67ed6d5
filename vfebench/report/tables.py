"""The paper's tables from run records: Markdown, LaTeX and HTML (and the table ``run`` prints).

Layouts (column keys are metric *names*; values are shown in display units, ``raw × scale``):

- ``table1`` (with reference): Quality and Fidelity = PSNR↑ SSIM↑ LPIPS↓,
  Pose Consistency = IDS↑ AKD*↓ FaceCons↑, Temporal Consistency = FasterVQA↑ FVD↓;
- ``table2`` (real-world, no reference): NIQE↓ MUSIQ↑ CLIP-IQA↑ | TLME*↓ FaceCons↑ | FasterVQA↑;
- ``table3`` (efficiency): Step, Time (s) per clip↓, LPIPS↓, IDS↑.

**Groups.** Runs are grouped by what they measured on (:func:`group_records`: dataset manifest,
LQ identity, preset name + version, seed, max_frames — :func:`vfebench.gate.input_identity`, the
gate's own rule — and no conflicting metric identity); every layout prints one table per group
(Table 1a, 1b, … when there are several), captioned from the runs themselves
(:func:`describe_inputs`: dataset, n clips, preset + version or "real LQ", seed). Best (bold) and
second best (underlined) are ranked within one table only, comparing the values *as displayed*
(ties share the mark) over its rows, measured and published alike; a value over fewer clips
than the table's clip count is shown as ``28.10 (47/50)`` (a footnote mark in LaTeX) and is not
ranked. Published rows (``results/reference/``, marked †) appear only beside runs on the dataset
they were measured on: VFHQ-test rows (Tables 1, 3) beside ``vfhq`` runs, with a visible note
when the run is not the official test set (50 clips, all frames, preset ``vfhq-x4``); RFV-LQ
rows (Table 2) beside ``rfv`` runs, with a note that the folder cannot be verified to be RFV-LQ.

**Columns** (one rule for terminal, md, tex and html, :data:`DEFAULT_COLUMNS`): ``measured``
hides the layout columns that no measured row of the table has a value for; ``paper`` keeps every
layout column and shows ``–`` where nothing was measured. Measured metrics that a layout has no
column for are appended under an "Other" group in both modes.

Precision follows the paper (PSNR and FVD 2 decimals, the others 4; Table 3: time 2, LPIPS and
IDS 3). An infinite value (PSNR of identical frames) prints as ``∞ (identical)``. A measured
row's value is the aggregate the runner recorded (mean over clips that have a value).
"""

from __future__ import annotations

import csv
import html
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vfebench.errors import InputError

#: the paper's tables: title, caption, column-group order, published rows. The columns come
#: from the metrics themselves (``Metric.paper``, carried in each run record's metric entries;
#: :func:`layout_columns`), so adding a metric to a table is a line in its own file.
LAYOUTS: dict[str, dict[str, Any]] = {
    "table1": {
        "title": "Table 1",
        "caption": "Quantitative comparison with reference",
        "groups": ["Quality and Fidelity", "Pose Consistency", "Temporal Consistency"],
        "reference": ["table1.csv", "table7.csv"],
        "reference_dataset": "vfhq",
        "needs_gt": True,
    },
    "table2": {
        "title": "Table 2",
        "caption": "Comparison without reference",
        "groups": ["Quality and Fidelity", "Pose Consistency", "Temporal Consistency"],
        "reference": ["table2.csv"],
        "reference_dataset": "rfv",
    },
    "table3": {
        "title": "Table 3",
        "caption": "Efficiency: sampling steps and wall-clock seconds per clip",
        "groups": [None],
        "columns": {"steps": 1, "seconds": 2},  # run columns (not metrics) and their order
        "reference": ["table3.csv"],
        "reference_dataset": "vfhq",
    },
}

_SPECIAL = {
    "steps": ("Step", None, 0, 1.0),
    "seconds": ("Time (s)", False, 2, 1.0),
}
DASH = "–"
INF_TEXT = "∞ (identical)"
COLUMN_MODES = ("measured", "paper")
#: the one default of every output (terminal table of ``run``, ``report`` md / tex / html)
DEFAULT_COLUMNS = "measured"

#: metric names with no reference: how-to-read note shown beside them
NO_REFERENCE = ("niqe", "musiq", "clipiqa", "fastervqa")
#: presets whose version 1 predates the degradation fix (issue 10)
PREFIX_PRESETS = ("vfhq-x4", "keep", "dicface")
#: the official VFHQ-test protocol the published rows were measured on
OFFICIAL_VFHQ = {"n_clips": 50, "max_frames": None, "preset": "vfhq-x4"}

READ_NOTES = {
    "nr": (
        "How to read {names}: no-reference scores rate how natural a frame or clip looks, not whether "
        "it matches the ground truth; they can prefer sharp blockiness or invented detail (a "
        "nearest-neighbour upscale can rank well on NIQE). Read them beside the reference metrics and "
        "look at the frames."
    ),
    "ids_dlib": (
        "How to read IDS-dlib: cosine similarity of dlib 128-d face descriptors of restored and GT "
        "frames (offline stand-in, NOT the paper's ArcFace IDS); its values are not comparable to IDS "
        "or to published IDS rows."
    ),
}


@dataclass
class Col:
    key: str
    header: str
    higher_is_better: bool | None
    precision: int
    group: str | None = None
    recon: bool = False


@dataclass
class Row:
    label: str
    values: dict[str, float | None]
    reference: bool = False
    note: str = ""
    #: per column: ``(clips with a value, clips in the table's inputs)`` for measured rows
    coverage: dict[str, tuple[int, int]] = field(default_factory=dict)

    def partial(self, key: str) -> tuple[int, int] | None:
        """``(clips with a value, clips in the inputs)`` when column ``key`` has a value from only some clips,
        else None."""
        cov = self.coverage.get(key)
        return cov if cov and cov[0] < cov[1] and self.values.get(key) is not None else None


@dataclass
class Table:
    name: str
    title: str
    caption: str
    cols: list[Col]
    rows: list[Row]
    notes: list[str] = field(default_factory=list)
    #: notes that must be seen beside the table (printed visibly in LaTeX too, not as comments)
    warnings: list[str] = field(default_factory=list)

    def groups(self) -> list[tuple[str | None, int]]:
        """``(group, number of columns)`` for each run of consecutive columns in one group (None:
        ungrouped)."""
        out: list[tuple[str | None, int]] = []
        for c in self.cols:
            if out and out[-1][0] == c.group:
                out[-1] = (c.group, out[-1][1] + 1)
            else:
                out.append((c.group, 1))
        return out


# ----------------------------------------------------------------------------- reference data


def reference_dir() -> Path:
    """``$VFEBENCH_REFERENCE_DIR`` or the repository's ``results/reference``."""
    env = os.environ.get("VFEBENCH_REFERENCE_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "results" / "reference"


def load_reference(files: list[str], root: Path | None = None) -> list[Row]:
    """Published rows (display units) from reference CSVs; duplicate method names keep the first."""
    root = Path(root) if root else reference_dir()
    rows: list[Row] = []
    seen = set()
    for fname in files:
        p = root / fname
        if not p.is_file():
            raise InputError(
                f"{p}: reference table not found (set --reference-dir or VFEBENCH_REFERENCE_DIR)"
            )
        with open(p, newline="") as f:
            for r in csv.DictReader(f):
                if r["method"] in seen:
                    continue
                seen.add(r["method"])
                vals: dict[str, float | None] = {
                    k: float(v)
                    for k, v in r.items()
                    if k not in ("method", "category", "citation") and v not in ("", None)
                }
                rows.append(Row(r["method"], vals, reference=True, note=r.get("category", "")))
    return rows


def _published_keys(files: list[str], root: Path | None = None) -> set[str]:
    """The column keys of the paper's table (the reference CSVs' headers)."""
    root = Path(root) if root else reference_dir()
    keys: set[str] = set()
    for fname in files:
        p = root / fname
        if p.is_file():
            with open(p, newline="") as f:
                keys.update(next(csv.reader(f), []))
    return keys - {"method", "category", "citation"}


# ----------------------------------------------------------------------------- values


def as_number(v: Any) -> float | None:
    """A record value as float (±inf kept; the strings "inf"/"Infinity" read as infinity), or None
    when missing, NaN or not a number."""
    from vfebench.gate import Malformed, as_value

    try:
        x = as_value(v)
    except Malformed:
        return None
    return None if x is None or math.isnan(x) else x


def _metric_key(rec: dict[str, Any], name: str) -> str | None:
    """The record's metric key for a metric name (the default-mode key first)."""
    if name in rec["metrics"]:
        return name
    for key, info in rec["metrics"].items():
        if info.get("name") == name:
            return key
    return None


def metric_label(key: str, info: dict[str, Any]) -> str:
    """Display name of a record's metric key; a non-default spec adds its mode and options.

    ``fvd`` → ``FVD``; ``fvd:dataset:window=10`` → ``FVD (dataset, window=10)``;
    ``ids:backend=insightface`` → ``IDS (backend=insightface)``.
    """
    label = info.get("display") or info.get("name") or key
    if ":" not in key:
        return label
    from vfebench.metrics import parse_metric_spec

    _, mode, options = parse_metric_spec(key)
    what = ([mode] if mode else []) + [f"{k}={v}" for k, v in options.items()]
    return f"{label} ({', '.join(what)})" if what else label


def _labels(records: list[dict[str, Any]]) -> list[tuple[dict, str, str]]:
    """``(record, method label, row label)``; labels repeated across runs get the run id."""
    pairs = [(rec, lb) for rec in records for lb in rec["methods"]]
    counts: dict[str, int] = {}
    for _, lb in pairs:
        counts[lb] = counts.get(lb, 0) + 1
    return [(rec, lb, lb if counts[lb] == 1 else f"{lb} ({rec['run_id'][:6]})") for rec, lb in pairs]


def measured_value(rec: dict[str, Any], label: str, key: str) -> float | None:
    """Display value of column ``key`` (metric name, ``steps`` or ``seconds``) for one method."""
    m = rec["methods"][label]
    if key == "steps":
        return None if m.get("steps") is None else float(m["steps"])
    if key == "seconds":
        return as_number((m.get("timing") or {}).get("seconds_mean"))
    mk = _metric_key(rec, key)
    if mk is None:
        return None
    from vfebench.gate import Malformed, aggregate_of

    try:
        raw = aggregate_of(rec, label, mk)  # all clips identical (PSNR ∞) → ∞, not "–"
    except Malformed:
        raw = None
    if raw is None or math.isnan(raw):
        return None
    return raw * float(rec["metrics"][mk].get("scale", 1.0))


def coverage(rec: dict[str, Any], label: str, key: str) -> tuple[int, int]:
    """``(clips with a value, clips of the run)`` of one method for a column key."""
    total = int(rec["dataset"].get("n_clips") or len(rec["dataset"].get("clip_ids") or []))
    rows = [c for c in rec["clips"] if c["method"] == label]
    total = max(total, len(rows))
    if key == "steps":
        return (total, total)
    if key == "seconds":  # outputs scored from a folder may carry no time ("not measured")
        return (sum(1 for c in rows if c.get("status") == "ok" and c.get("seconds") is not None), total)
    mk = key if key in rec["metrics"] else _metric_key(rec, key)
    if mk is None:
        return (0, total)
    info = rec["metrics"][mk]
    if info.get("level") == "set":
        sr = ((rec["methods"][label].get("set_results") or {}).get(mk) or {}).get("extras") or {}
        n = sr.get("n_clips")
        return (
            (int(n), total)
            if isinstance(n, int)
            else (sum(1 for c in rows if c.get("status") == "ok"), total)
        )
    return (sum(1 for c in rows if as_number((c.get("values") or {}).get(mk)) is not None), total)


# ----------------------------------------------------------------------------- groups


@dataclass
class Group:
    """Runs measured on the same inputs: one table per layout."""

    records: list[dict[str, Any]]
    identity: dict[str, Any]

    @property
    def dataset_name(self) -> str:
        """The dataset name of the group's runs (``""`` when unnamed)."""
        return str(self.records[0]["dataset"].get("name") or "")

    @property
    def has_gt(self) -> bool:
        """Whether the group's dataset has ground truth."""
        return bool(self.records[0]["dataset"].get("has_gt"))

    def caption(self) -> str:
        """Caption describing the group's inputs (:func:`describe_inputs` of its first run)."""
        return describe_inputs(self.records[0])


def lq_label(rec: dict[str, Any]) -> str:
    """``preset vfhq-x4 v2, seed 0`` / ``preset vfhq-x4 v1 (pre-fix), seed 0`` / ``real LQ`` /
    ``shipped LQ``: what the methods were given, from the record (not from the config)."""
    lq = rec.get("lq") or {}
    ident = lq.get("identity") or {}
    kind = ident.get("kind") or lq.get("kind")
    deg = rec.get("degradation") or {}
    if kind == "real" or (kind is None and not rec["dataset"].get("has_gt")):
        return "real LQ"
    if kind == "shipped":
        return "shipped LQ (the dataset's own)"
    preset = ident.get("preset", deg.get("preset"))
    version = ident.get("version", deg.get("version"))
    seed = ident.get("seed", deg.get("seed"))
    out = f"preset {preset}" + (f" v{version}" if version is not None else "")
    if str(version) == "1" and preset in PREFIX_PRESETS:
        out += " (pre-fix)"
    if seed is not None:
        out += f", seed {seed}"
    return out


def dataset_label(rec: dict[str, Any]) -> str:
    """Display name of a run's dataset: ``VFHQ-test`` for vfhq, else its spec (or name)."""
    ds = rec["dataset"]
    if ds.get("name") == "vfhq":
        return "VFHQ-test"
    return str(ds.get("spec") or ds.get("name"))


def describe_inputs(rec: dict[str, Any]) -> str:
    """Caption text built from a run: dataset, n clips (first N frames), LQ / preset, seed."""
    ds = rec["dataset"]
    mf = rec["config"].get("max_frames")
    n = ds.get("n_clips") or len(ds.get("clip_ids") or [])
    what = f"{dataset_label(rec)}, {n} clip{'s' if n != 1 else ''}"
    what += f" (first {mf} frames)" if mf else ""
    return f"{what}, {lq_label(rec)}"


def is_official_vfhq(rec: dict[str, Any]) -> list[str]:
    """Why a ``vfhq`` run is not the official VFHQ-test protocol (empty list = it is)."""
    out = []
    n = rec["dataset"].get("n_clips")
    if n != OFFICIAL_VFHQ["n_clips"]:
        out.append(f"{n} of {OFFICIAL_VFHQ['n_clips']} clips")
    if rec["config"].get("max_frames"):
        out.append(f"first {rec['config']['max_frames']} frames only")
    lab = lq_label(rec)
    if not lab.startswith(f"preset {OFFICIAL_VFHQ['preset']} ") or "pre-fix" in lab:
        out.append(lab)
    return out


def _metric_ids(rec: dict[str, Any]) -> dict[str, str]:
    from vfebench.gate import metric_identity

    return {k: json.dumps(metric_identity(i), sort_keys=True, default=str) for k, i in rec["metrics"].items()}


def group_records(records: list[dict[str, Any]]) -> list[Group]:
    """Runs with equal :func:`vfebench.gate.input_identity` and no conflicting metric identity
    (the same metric key with another version, mode, options or assets), in input order."""
    from vfebench.gate import input_identity

    groups: list[tuple[str, dict[str, str], Group]] = []
    for rec in records:
        ident = input_identity(rec)
        key = json.dumps(ident, sort_keys=True, default=str)
        mids = _metric_ids(rec)
        for gkey, gm, g in groups:
            if gkey == key and all(gm.get(k, v) == v for k, v in mids.items()):
                g.records.append(rec)
                gm.update(mids)
                break
        else:
            groups.append((key, dict(mids), Group([rec], ident)))
    return [g for _, _, g in groups]


# ----------------------------------------------------------------------------- building


def metric_meta(records: Sequence[dict[str, Any]] = ()) -> dict[str, dict[str, Any]]:
    """Display metadata per metric name: ``display``, ``higher_is_better``, ``precision``,
    ``scale``, ``paper`` (list of :class:`~vfebench.metrics.base.PaperColumn` dicts).

    Read from the records' metric entries (a record carries them since run-record v2 + issue
    17); a record that does not (older runs) or a metric no record measured falls back to the
    registered metric class (:meth:`vfebench.metrics.base.Metric.info`)."""
    from vfebench.errors import UnknownNameError
    from vfebench.metrics import METRICS

    fields = ("display", "higher_is_better", "precision", "scale", "paper")
    out: dict[str, dict[str, Any]] = {}
    for name in METRICS.names():
        try:
            info = METRICS.get(name).info()
        except (ImportError, UnknownNameError):  # a plug-in metric that no longer imports
            continue
        out[name] = {k: info[k] for k in fields}
    for rec in records:
        for key, info in (rec.get("metrics") or {}).items():
            name = info.get("name", key)
            base = dict(out.get(name) or {"display": name, "higher_is_better": True, "precision": 4,
                                          "scale": 1.0, "paper": []})  # fmt: skip
            base.update({k: info[k] for k in fields if info.get(k) is not None})
            out[name] = base
    return out


def layout_columns(layout: str, records: Sequence[dict[str, Any]] = ()) -> list[Col]:
    """The columns of a paper layout: every metric whose ``paper`` names it (record metadata
    first, :func:`metric_meta`) plus the layout's run columns (Table 3: steps, seconds), in the
    layout's group order, then each column's ``order``."""
    spec = LAYOUTS[layout]
    groups = list(spec["groups"])
    entries: list[tuple[int, int, Col]] = []
    for key, order in spec.get("columns", {}).items():
        header, hib, prec, _ = _SPECIAL[key]
        entries.append((0, order, Col(key, header, hib, prec, groups[0])))
    for name, m in metric_meta(records).items():
        for pc in m.get("paper") or []:
            if pc.get("table") != layout:
                continue
            if pc.get("group") not in groups:
                groups.append(pc.get("group"))  # a group the layout does not know: after the others
            prec = pc.get("precision")
            col = Col(name, m["display"], m["higher_is_better"], int(m["precision"] if prec is None else prec),
                      pc.get("group"))  # fmt: skip
            entries.append((groups.index(pc.get("group")), int(pc.get("order", 0)), col))
    return [c for _, _, c in sorted(entries, key=lambda e: (e[0], e[1], e[2].key))]


def build_table(
    layout: str,
    records: list[dict[str, Any]],
    reference: bool = False,
    reference_root: Path | None = None,
    extra: bool = True,
    columns: str = DEFAULT_COLUMNS,
    title: str | None = None,
    name: str | None = None,
) -> Table:
    """A :class:`Table` for ``layout`` (table1 / table2 / table3) over ``records`` (one group:
    see :func:`build_tables` to group them first)."""
    if layout not in LAYOUTS:
        from vfebench.registry import did_you_mean

        raise InputError(
            f"unknown table {layout!r}.{did_you_mean(layout, list(LAYOUTS))} Known: {', '.join(LAYOUTS)}"
        )
    if columns not in COLUMN_MODES:
        raise InputError(f"--columns must be one of {', '.join(COLUMN_MODES)}, got {columns!r}")
    spec = LAYOUTS[layout]
    cols = layout_columns(layout, records)
    layout_keys = {c.key for c in cols}
    if extra and layout != "table3":
        for rec in records:
            for key, info in rec["metrics"].items():
                mname = info.get("name", key)
                # a layout column shows the one key _metric_key picks for its name (the default
                # spec first); other variants (fvd:dataset beside fvd, ids:backend=…) go to "Other"
                feeds_column = mname in layout_keys and _metric_key(rec, mname) == key
                if feeds_column or key in layout_keys or any(c.key == key for c in cols):
                    continue
                header = metric_label(key, info)
                cols.append(
                    Col(key, header, info.get("higher_is_better"), int(info.get("precision", 4)), "Other")
                )
    ref_ok, ref_notes = _reference_fit(layout, records, reference)
    rows: list[Row] = load_reference(spec["reference"], reference_root) if ref_ok else []
    for rec, lb, row_label in _labels(records):
        vals, cov = {}, {}
        for c in cols:
            if c.group == "Other":
                raw = as_number((rec["methods"][lb].get("aggregates") or {}).get(c.key))
                info = rec["metrics"].get(c.key)
                vals[c.key] = None if raw is None or info is None else raw * float(info.get("scale", 1.0))
            else:
                vals[c.key] = measured_value(rec, lb, c.key)
            cov[c.key] = coverage(rec, lb, c.key)
        rows.append(Row(row_label, vals, coverage=cov))
    for rec in records:
        for key, info in rec["metrics"].items():
            for c in cols:
                if info.get("recon") and (c.key == key or c.key == info.get("name")):
                    c.recon = True
    measured = {c.key for c in cols if any(r.values.get(c.key) is not None for r in rows if not r.reference)}
    if columns == "measured":
        cols = [c for c in cols if c.key in measured]
    else:  # the paper's layout: its own columns, plus a metric placed in it only once it is measured
        paper = _published_keys(spec["reference"], reference_root) | set(spec.get("columns", {}))
        cols = [c for c in cols if c.group == "Other" or c.key in paper or c.key in measured]
    caption = spec["caption"] + (" — " + describe_inputs(records[0]) if records else "")
    table = Table(name or layout, title or spec["title"], caption, cols, rows)
    table.notes = list(dict.fromkeys(_notes(layout, records, bool(rows and rows[0].reference), cols, table)))
    table.warnings = ref_notes
    return table


def _reference_fit(layout: str, records: list[dict[str, Any]], reference: bool) -> tuple[bool, list[str]]:
    """Whether published rows belong beside these runs, and the notes that say so."""
    if not reference or not records:
        return False, []
    want = LAYOUTS[layout]["reference_dataset"]
    rec = records[0]
    name = rec["dataset"].get("name")
    if name != want:
        where = {"vfhq": "VFHQ-test", "rfv": "RFV-LQ"}[want]
        return False, [
            f"Published rows left out: they were measured on {where}, and this table's runs are on "
            f"{dataset_label(rec)}."
        ]
    if want == "vfhq":
        why = is_official_vfhq(rec)
        if why:
            return True, [
                "Not the official VFHQ-test protocol (" + "; ".join(why) + "): the published † rows are "
                "shown for orientation and are not directly comparable."
            ]
        return True, []
    return True, [
        f"Published † rows are on RFV-LQ; vfebench cannot verify that {dataset_label(rec)} is RFV-LQ."
    ]


def _notes(
    layout: str, records: list[dict[str, Any]], reference: bool, cols: list[Col], table: Table
) -> list[str]:
    notes = []
    for rec in records:
        modes = ", ".join(f"{k} v{i.get('version')} {i.get('mode')}" for k, i in rec["metrics"].items())
        notes.append(f"Run {rec['run_id']}: {describe_inputs(rec)}; metrics: {modes or 'none'}.")
        for key, info in rec["metrics"].items():
            sets = {lb: (m.get("set_results") or {}).get(key) for lb, m in rec["methods"].items()}
            counts = sorted(
                {
                    str(r["extras"]["n_samples"])
                    for r in sets.values()
                    if r and "n_samples" in (r.get("extras") or {})
                }
            )
            if counts:
                notes.append(
                    f"Run {rec['run_id']}: {metric_label(key, info)} is one set-level value per method "
                    f"over {'/'.join(counts)} pooled samples (not a mean over clips)."
                )
        if rec.get("failures"):
            notes.append(
                f"Run {rec['run_id']}: {len(rec['failures'])} failure(s) recorded; see the run record."
            )
    if layout == "table3":
        for rec in records:
            env = rec.get("environment", {})
            notes.append(
                f"Time: mean wall-clock seconds per clip on {env.get('device', '?')} "
                f"({env.get('device_name', '?')}), model loading and one warm-up clip excluded."
            )
            for lb, m in rec["methods"].items():
                src = m.get("timing_source")
                if src and src != "measured":  # outputs made elsewhere (the outputs method)
                    notes.append(
                        f"Time of {lb}: "
                        + (
                            "not measured (restored elsewhere; no timing.json)."
                            if src == "not measured"
                            else f"{src} in its timing.json, not measured here."
                        )
                    )
        if reference:
            notes.append("† published: 81-frame 512×512 clips on one A100 80GB (paper Table 3).")
    elif reference:
        notes.append("† published in the paper (results/reference/); not measured here.")
    notes.append(
        "Bold: best; underlined: second best (↑ higher is better, ↓ lower is better), within this table."
    )
    if any(r.partial(c.key) for r in table.rows for c in cols):
        notes.append(
            "(n/N): the value is a mean over n of the N clips (the others failed or had no value); "
            "such values are not ranked."
        )
    if any(c.recon for c in cols):
        notes.append("[recon]: our documented reconstruction of a metric without public code.")
    shown = set()
    for c in cols:
        for rec in records:
            k = c.key if c.key in rec["metrics"] else _metric_key(rec, c.key)
            if k:
                shown.add(rec["metrics"][k].get("name", k))
    meta = metric_meta(records)
    nr = [meta[n]["display"] for n in NO_REFERENCE if n in shown and n in meta]
    if nr:
        notes.append(READ_NOTES["nr"].format(names=", ".join(nr)))
    if "ids_dlib" in shown:
        notes.append(READ_NOTES["ids_dlib"])
    return notes


def table_plan(records: list[dict[str, Any]], layouts: list[str] | None = None) -> list[tuple[str, Group]]:
    """``(layout, group)`` pairs to print: table1 for groups with GT, table2 for groups without,
    table3 for every group (or the ``layouts`` asked for; table1 only applies to GT groups)."""
    groups = group_records(records)
    out = []
    for lay in layouts or ["table1", "table2", "table3"]:
        for g in groups:
            if lay == "table1" and not g.has_gt:
                continue
            if lay == "table2" and g.has_gt and not layouts:
                continue
            out.append((lay, g))
    return out


def build_tables(
    records: list[dict[str, Any]],
    layouts: list[str] | None = None,
    reference: bool = False,
    reference_root: Path | None = None,
    columns: str = DEFAULT_COLUMNS,
) -> list[Table]:
    """Every table of a report: one per (layout, group of comparable runs), titled 1a, 1b, …"""
    plan = table_plan(records, layouts)
    per_layout: dict[str, int] = {}
    for lay, _ in plan:
        per_layout[lay] = per_layout.get(lay, 0) + 1
    seen: dict[str, int] = {}
    out = []
    for lay, g in plan:
        i = seen.get(lay, 0)
        seen[lay] = i + 1
        suffix = "" if per_layout[lay] == 1 else "abcdefghijklmnopqrstuvwxyz"[i % 26]
        title = LAYOUTS[lay]["title"] + suffix
        out.append(build_table(lay, g.records, reference, reference_root, columns=columns,
                               title=title, name=lay + suffix))  # fmt: skip
    return out


# ----------------------------------------------------------------------------- ranking


def _fmt(v: float | None, prec: int) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return DASH
    if isinstance(v, float) and math.isinf(v):
        return INF_TEXT if v > 0 else "−∞"
    return f"{v:.{prec}f}"


def _rank_value(s: str) -> float | None:
    if s == DASH:
        return None
    if s == INF_TEXT:
        return math.inf
    if s == "−∞":
        return -math.inf
    return float(s)


def ranks(table: Table) -> dict[tuple[int, str], int]:
    """``{(row index, col key): 1 (best) | 2 (second)}`` comparing displayed values; values over
    fewer clips than the table's inputs are not ranked."""
    out: dict[tuple[int, str], int] = {}
    for c in table.cols:
        if c.higher_is_better is None:
            continue
        shown = []
        for i, r in enumerate(table.rows):
            v = _rank_value(_fmt(r.values.get(c.key), c.precision))
            if v is not None and not r.partial(c.key):
                shown.append((i, v))
        if len(shown) < 2:
            continue
        uniq = sorted({v for _, v in shown}, reverse=c.higher_is_better)
        for i, v in shown:
            if v == uniq[0]:
                out[(i, c.key)] = 1
            elif len(uniq) > 1 and v == uniq[1]:
                out[(i, c.key)] = 2
    return out


def _arrow(c: Col, fmt: str) -> str:
    if c.higher_is_better is None:
        return ""
    if fmt == "tex":
        return "$\\uparrow$" if c.higher_is_better else "$\\downarrow$"
    return "↑" if c.higher_is_better else "↓"


def _cell_text(r: Row, c: Col) -> str:
    """A cell as text (md / html / terminal): value, plus ``(n/N)`` when over fewer clips."""
    s = _fmt(r.values.get(c.key), c.precision)
    p = r.partial(c.key)
    return f"{s} ({p[0]}/{p[1]})" if p else s


# ----------------------------------------------------------------------------- rendering

_TEX_ESC = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
            "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}  # fmt: skip


def tex_escape(s: str) -> str:
    """``s`` with LaTeX specials escaped and the report's Unicode marks (–, —, †, ∞, ×, ↑, ↓) as LaTeX."""
    return (
        "".join(_TEX_ESC.get(ch, ch) for ch in s)
        .replace("–", "--")
        .replace("†", r"$^\dagger$")
        .replace("∞", r"$\infty$")
        .replace("—", "---")
        .replace("×", r"$\times$")
        .replace("↑", r"$\uparrow$")
        .replace("↓", r"$\downarrow$")
    )


def _header(c: Col, fmt: str) -> str:
    h = c.header
    if fmt == "tex":
        h = tex_escape(h)
    h += _arrow(c, fmt)
    if c.recon:
        h += " [recon]"
    return h


def render_md(table: Table) -> str:
    """The table as Markdown: grouped header, best value bold and second underlined, then notes."""
    rk = ranks(table)
    grouped = any(g is not None for g, _ in table.groups())
    lines = [f"**{table.title}.** {table.caption}", ""]
    heads = [_header(c, "md") for c in table.cols]
    if not table.cols:
        lines.append("(no measured column; use --columns paper to see the layout)")
    elif grouped:
        top = ["Method"]
        for g, n in table.groups():
            top += [g or ""] + [""] * (n - 1)
        lines.append("| " + " | ".join(top) + " |")
        lines.append("|" + "|".join([":---"] + ["---:"] * len(table.cols)) + "|")
        lines.append("| " + " | ".join([""] + heads) + " |")
    else:
        lines.append("| " + " | ".join(["Method"] + heads) + " |")
        lines.append("|" + "|".join([":---"] + ["---:"] * len(table.cols)) + "|")
    for i, r in enumerate(table.rows if table.cols else []):
        cells = [r.label + (" †" if r.reference else "")]
        for c in table.cols:
            s = _cell_text(r, c)
            mark = rk.get((i, c.key))
            cells.append(f"**{s}**" if mark == 1 else f"<u>{s}</u>" if mark == 2 else s)
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines += [f"- **Note:** {n}" for n in table.warnings]
    lines += [f"- {n}" for n in table.notes]
    return "\n".join(lines) + "\n"


def render_tex(table: Table) -> str:
    """The table as a LaTeX ``table``/``tabular`` (booktabs), best bold, second underlined, partial values
    footnoted."""
    rk = ranks(table)
    n = len(table.cols)
    out = [
        f"% {table.title}: generated by `vfebench report`; needs \\usepackage{{booktabs}}",
        "\\begin{table}[t]",
        "\\centering",
        f"\\caption{{{tex_escape(table.caption)}}}",
        "\\begin{tabular}{l" + "c" * n + "}",
        "\\toprule",
    ]
    grouped = any(g is not None for g, _ in table.groups())
    if grouped:
        cells, rules, col = [""], [], 2
        for g, k in table.groups():
            cells.append(
                f"\\multicolumn{{{k}}}{{c}}{{{tex_escape(g or '')}}}" if k > 1 else tex_escape(g or "")
            )
            if g:
                rules.append(f"\\cmidrule(lr){{{col}-{col + k - 1}}}")
            col += k
        out.append(" & ".join(cells) + " \\\\")
        out.append("".join(rules))
    out.append(" & ".join(["Method"] + [_header(c, "tex") for c in table.cols]) + " \\\\")
    out.append("\\midrule")
    prev_ref = None
    marks: dict[tuple[int, int], str] = {}  # (n, N) → footnote letter
    for i, r in enumerate(table.rows):
        if prev_ref is True and not r.reference:
            out.append("\\midrule")
        prev_ref = r.reference
        cells = [tex_escape(r.label + (" †" if r.reference else ""))]
        for c in table.cols:
            s = tex_escape(_fmt(r.values.get(c.key), c.precision))
            mark = rk.get((i, c.key))
            s = f"\\textbf{{{s}}}" if mark == 1 else f"\\underline{{{s}}}" if mark == 2 else s
            p = r.partial(c.key)
            if p:
                letter = marks.setdefault(p, "abcdefghijklmnopqrstuvwxyz"[len(marks) % 26])
                s += f"\\textsuperscript{{{letter}}}"
            cells.append(s)
        out.append(" & ".join(cells) + " \\\\")
    out += ["\\bottomrule", "\\end{tabular}"]
    if marks:
        out.append(
            "\\par\\footnotesize "
            + "; ".join(f"\\textsuperscript{{{m}}} over {k[0]} of {k[1]} clips" for k, m in marks.items())
            + "."
        )
    out += [f"\\par\\footnotesize\\textbf{{Note:}} {tex_escape(n)}" for n in table.warnings]
    out += [f"% {tex_escape(n)}" for n in table.notes]
    out.append("\\end{table}")
    return "\n".join(out) + "\n"


def render_html(table: Table) -> str:
    """The table as an HTML ``<table class="vfe-table">`` with grouped headers and ranked cells."""
    rk = ranks(table)
    e = html.escape
    out = [
        f'<table class="vfe-table" id="{e(table.name)}">',
        f"<caption><b>{e(table.title)}.</b> {e(table.caption)}</caption>",
        "<thead>",
    ]
    grouped = any(g is not None for g, _ in table.groups())
    if grouped:
        out.append('<tr><th rowspan="2">Method</th>')
        for g, k in table.groups():
            out.append(f'<th colspan="{k}">{e(g or "")}</th>')
        out.append("</tr><tr>" + "".join(f"<th>{e(_header(c, 'html'))}</th>" for c in table.cols) + "</tr>")
    else:
        out.append(
            "<tr><th>Method</th>" + "".join(f"<th>{e(_header(c, 'html'))}</th>" for c in table.cols) + "</tr>"
        )
    out.append("</thead><tbody>")
    for i, r in enumerate(table.rows):
        cls = ' class="ref"' if r.reference else ""
        cells = [f"<td>{e(r.label)}{' †' if r.reference else ''}</td>"]
        for c in table.cols:
            s = e(_cell_text(r, c))
            mark = rk.get((i, c.key))
            cells.append(
                f"<td><b>{s}</b></td>"
                if mark == 1
                else f"<td><u>{s}</u></td>"
                if mark == 2
                else f"<td>{s}</td>"
            )
        out.append(f"<tr{cls}>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    out.append(
        '<ul class="notes">'
        + "".join(f'<li class="warn"><b>Note:</b> {e(n)}</li>' for n in table.warnings)
        + "".join(f"<li>{e(n)}</li>" for n in table.notes)
        + "</ul>"
    )
    return "\n".join(out) + "\n"


def render(table: Table, fmt: str) -> str:
    """The table in ``fmt``: ``md``, ``tex`` or ``html``; ``InputError`` for any other format."""
    if fmt == "md":
        return render_md(table)
    if fmt == "tex":
        return render_tex(table)
    if fmt == "html":
        return render_html(table)
    raise InputError(f"unknown format {fmt!r} (md, tex or html)")


def auto_layouts(records: list[dict[str, Any]]) -> list[str]:
    """table1 when any run has GT, table2 when any has none, table3 always."""
    out = []
    if any(r["dataset"].get("has_gt") for r in records):
        out.append("table1")
    if any(not r["dataset"].get("has_gt") for r in records):
        out.append("table2")
    out.append("table3")
    return out


def render_run_summary(records: list[dict[str, Any]], fmt: str = "md", columns: str = DEFAULT_COLUMNS) -> str:
    """What ``vfebench run`` prints: the same tables and column rule as ``vfebench report``."""
    return "\n".join(render(t, fmt) for t in build_tables(records, columns=columns))
