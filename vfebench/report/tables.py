"""The paper's tables from run records: Markdown, LaTeX and HTML.

Layouts (column keys are metric *names*; values are shown in display units, ``raw × scale``):

- ``table1`` (VFHQ-test, with reference): Quality and Fidelity = PSNR↑ SSIM↑ LPIPS↓,
  Pose Consistency = IDS↑ AKD*↓ FaceCons↑, Temporal Consistency = FasterVQA↑ FVD↓;
- ``table2`` (real-world, no reference): NIQE↓ MUSIQ↑ CLIP-IQA↑ | TLME*↓ FaceCons↑ | FasterVQA↑;
- ``table3`` (efficiency): Step, Time (s) per clip↓, LPIPS↓, IDS↑.

Precision follows the paper (PSNR and FVD 2 decimals, the others 4; Table 3: time 2, LPIPS and
IDS 3). In each column the best value is bold and the second best underlined, comparing the
values *as displayed* (ties share the mark) over every row shown, measured and published alike.
A cell is ``–`` when the metric was not measured. Measured metrics that a layout has no column for
are appended under an "Other" group (``extra=True``). Published rows come from
``results/reference/table{1,2,3,7}.csv`` (see ``results/reference/SOURCE.md``) and are marked †.
A measured row's value is the aggregate the runner recorded (mean over clips that have a value).
"""

from __future__ import annotations

import csv
import html
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vfebench.errors import InputError

#: paper display metadata per metric name: header, higher_is_better, precision, scale
PAPER_METRICS: dict[str, tuple[str, bool, int, float]] = {
    "psnr": ("PSNR", True, 2, 1.0),
    "ssim": ("SSIM", True, 4, 1.0),
    "lpips": ("LPIPS", False, 4, 1.0),
    "lpips_vgg": ("LPIPS-VGG", False, 4, 1.0),
    "ids": ("IDS", True, 4, 1.0),
    "akd": ("AKD*", False, 4, 1000.0),
    "facecons": ("FaceCons", True, 4, 1.0),
    "fastervqa": ("FasterVQA", True, 4, 1.0),
    "fvd": ("FVD", False, 2, 1.0),
    "niqe": ("NIQE", False, 4, 1.0),
    "musiq": ("MUSIQ", True, 4, 1.0),
    "clipiqa": ("CLIP-IQA", True, 4, 1.0),
    "tlme": ("TLME*", False, 4, 1000.0),
}

LAYOUTS: dict[str, dict[str, Any]] = {
    "table1": {
        "title": "Table 1",
        "caption": "Quantitative comparison with reference (VFHQ-test protocol)",
        "groups": [
            ("Quality and Fidelity", ["psnr", "ssim", "lpips"]),
            ("Pose Consistency", ["ids", "akd", "facecons"]),
            ("Temporal Consistency", ["fastervqa", "fvd"]),
        ],
        "reference": ["table1.csv", "table7.csv"],
    },
    "table2": {
        "title": "Table 2",
        "caption": "Real-world comparison without reference (RFV-LQ protocol)",
        "groups": [
            ("Quality and Fidelity", ["niqe", "musiq", "clipiqa"]),
            ("Pose Consistency", ["tlme", "facecons"]),
            ("Temporal Consistency", ["fastervqa"]),
        ],
        "reference": ["table2.csv"],
    },
    "table3": {
        "title": "Table 3",
        "caption": "Efficiency: sampling steps and wall-clock seconds per clip",
        "groups": [(None, ["steps", "seconds", "lpips", "ids"])],
        "reference": ["table3.csv"],
        "precision": {"lpips": 3, "ids": 3},
    },
}

_SPECIAL = {
    "steps": ("Step", None, 0, 1.0),
    "seconds": ("Time (s)", False, 2, 1.0),
}
DASH = "–"


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


@dataclass
class Table:
    name: str
    title: str
    caption: str
    cols: list[Col]
    rows: list[Row]
    notes: list[str] = field(default_factory=list)

    def groups(self) -> list[tuple[str | None, int]]:
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
                vals = {
                    k: float(v)
                    for k, v in r.items()
                    if k not in ("method", "category", "citation") and v not in ("", None)
                }
                rows.append(Row(r["method"], vals, reference=True, note=r.get("category", "")))
    return rows


# ----------------------------------------------------------------------------- building


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
        return (m.get("timing") or {}).get("seconds_mean")
    mk = _metric_key(rec, key)
    if mk is None:
        return None
    raw = (m.get("aggregates") or {}).get(mk)
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return None
    return float(raw) * float(rec["metrics"][mk].get("scale", 1.0))


def build_table(
    layout: str,
    records: list[dict[str, Any]],
    reference: bool = False,
    reference_root: Path | None = None,
    extra: bool = True,
    drop_empty: bool = False,
) -> Table:
    """A :class:`Table` for ``layout`` (table1 / table2 / table3) over ``records``."""
    if layout not in LAYOUTS:
        from vfebench.registry import did_you_mean

        raise InputError(
            f"unknown table {layout!r}.{did_you_mean(layout, list(LAYOUTS))} Known: {', '.join(LAYOUTS)}"
        )
    spec = LAYOUTS[layout]
    prec_over = spec.get("precision", {})
    cols: list[Col] = []
    for group, keys in spec["groups"]:
        for k in keys:
            header, hib, prec, _ = _SPECIAL.get(k) or PAPER_METRICS[k]
            cols.append(Col(k, header, hib, prec_over.get(k, prec), group))
    layout_keys = {c.key for c in cols}
    if extra and layout != "table3":
        for rec in records:
            for key, info in rec["metrics"].items():
                name = info.get("name", key)
                # a layout column shows the one key _metric_key picks for its name (the default
                # spec first); other variants (fvd:dataset beside fvd, ids:backend=…) go to "Other"
                feeds_column = name in layout_keys and _metric_key(rec, name) == key
                if feeds_column or key in layout_keys or any(c.key == key for c in cols):
                    continue
                header = metric_label(key, info)
                cols.append(
                    Col(key, header, info.get("higher_is_better"), int(info.get("precision", 4)), "Other")
                )
    rows: list[Row] = load_reference(spec["reference"], reference_root) if reference else []
    for rec, lb, row_label in _labels(records):
        vals = {}
        for c in cols:
            if c.group == "Other":
                raw = (rec["methods"][lb].get("aggregates") or {}).get(c.key)
                info = rec["metrics"].get(c.key)
                vals[c.key] = (
                    None if raw is None or info is None else float(raw) * float(info.get("scale", 1.0))
                )
            else:
                vals[c.key] = measured_value(rec, lb, c.key)
        rows.append(Row(row_label, vals))
    for rec in records:
        for key, info in rec["metrics"].items():
            for c in cols:
                if info.get("recon") and (c.key == key or c.key == info.get("name")):
                    c.recon = True
    if drop_empty:
        cols = [c for c in cols if any(r.values.get(c.key) is not None for r in rows)]
    notes = _notes(layout, records, reference, cols)
    return Table(layout, spec["title"], spec["caption"], cols, rows, notes)


def _notes(layout: str, records: list[dict[str, Any]], reference: bool, cols: list[Col]) -> list[str]:
    notes = []
    for rec in records:
        ds = rec["dataset"]
        deg = rec.get("degradation")
        mf = rec["config"].get("max_frames")
        what = f"dataset {ds.get('spec')} ({ds.get('n_clips')} clips"
        what += f", first {mf} frames" if mf else ""
        what += ")"
        if deg:
            what += f", preset {deg.get('preset')} v{deg.get('version')}, seed {deg.get('seed')}"
        elif rec.get("lq"):
            what += f", LQ: {rec['lq'].get('kind')}"
        modes = ", ".join(f"{k} v{i.get('version')} {i.get('mode')}" for k, i in rec["metrics"].items())
        notes.append(f"Run {rec['run_id']}: {what}; metrics: {modes or 'none'}.")
        for key, info in rec["metrics"].items():
            sets = {lb: (m.get("set_results") or {}).get(key) for lb, m in rec["methods"].items()}
            counts = sorted(
                {str(r["extras"]["n_samples"]) for r in sets.values() if r and "n_samples" in r["extras"]}
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
        if reference:
            notes.append("† published: 81-frame 512×512 clips on one A100 80GB (paper Table 3).")
    elif reference:
        notes.append("† published in the paper (results/reference/); not measured here.")
    notes.append("Bold: best; underlined: second best (↑ higher is better, ↓ lower is better).")
    if any(c.recon for c in cols):
        notes.append("[recon]: our documented reconstruction of a metric without public code.")
    return notes


# ----------------------------------------------------------------------------- ranking


def _fmt(v: float | None, prec: int) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return DASH
    return f"{v:.{prec}f}"


def ranks(table: Table) -> dict[tuple[int, str], int]:
    """``{(row index, col key): 1 (best) | 2 (second)}`` comparing displayed values."""
    out: dict[tuple[int, str], int] = {}
    for c in table.cols:
        if c.higher_is_better is None:
            continue
        shown = [
            (i, float(_fmt(r.values.get(c.key), c.precision)))
            for i, r in enumerate(table.rows)
            if _fmt(r.values.get(c.key), c.precision) != DASH
        ]
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


# ----------------------------------------------------------------------------- rendering

_TEX_ESC = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
            "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}  # fmt: skip


def tex_escape(s: str) -> str:
    return "".join(_TEX_ESC.get(ch, ch) for ch in s).replace("–", "--").replace("†", r"$^\dagger$")


def _header(c: Col, fmt: str) -> str:
    h = c.header
    if fmt == "tex":
        h = tex_escape(h)
    h += _arrow(c, fmt)
    if c.recon:
        h += " [recon]"
    return h


def render_md(table: Table) -> str:
    rk = ranks(table)
    grouped = any(g is not None for g, _ in table.groups())
    lines = [f"**{table.title}.** {table.caption}", ""]
    heads = [_header(c, "md") for c in table.cols]
    if grouped:
        top = ["Method"]
        for g, n in table.groups():
            top += [g or ""] + [""] * (n - 1)
        lines.append("| " + " | ".join(top) + " |")
        lines.append("|" + "|".join([":---"] + ["---:"] * len(table.cols)) + "|")
        lines.append("| " + " | ".join([""] + heads) + " |")
    else:
        lines.append("| " + " | ".join(["Method"] + heads) + " |")
        lines.append("|" + "|".join([":---"] + ["---:"] * len(table.cols)) + "|")
    for i, r in enumerate(table.rows):
        cells = [r.label + (" †" if r.reference else "")]
        for c in table.cols:
            s = _fmt(r.values.get(c.key), c.precision)
            mark = rk.get((i, c.key))
            cells.append(f"**{s}**" if mark == 1 else f"<u>{s}</u>" if mark == 2 else s)
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines += [f"- {n}" for n in table.notes]
    return "\n".join(lines) + "\n"


def render_tex(table: Table) -> str:
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
    for i, r in enumerate(table.rows):
        if prev_ref is True and not r.reference:
            out.append("\\midrule")
        prev_ref = r.reference
        cells = [tex_escape(r.label + (" †" if r.reference else ""))]
        for c in table.cols:
            s = _fmt(r.values.get(c.key), c.precision)
            s = "--" if s == DASH else s
            mark = rk.get((i, c.key))
            cells.append(f"\\textbf{{{s}}}" if mark == 1 else f"\\underline{{{s}}}" if mark == 2 else s)
        out.append(" & ".join(cells) + " \\\\")
    out += ["\\bottomrule", "\\end{tabular}"]
    out += [f"% {tex_escape(n)}" for n in table.notes]
    out.append("\\end{table}")
    return "\n".join(out) + "\n"


def render_html(table: Table) -> str:
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
            s = e(_fmt(r.values.get(c.key), c.precision))
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
    out.append('<ul class="notes">' + "".join(f"<li>{e(n)}</li>" for n in table.notes) + "</ul>")
    return "\n".join(out) + "\n"


def render(table: Table, fmt: str) -> str:
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


def render_run_summary(records: list[dict[str, Any]], fmt: str = "md") -> str:
    """What ``vfebench run`` prints: the auto layouts over measured rows, empty columns dropped."""
    parts = []
    for lay in auto_layouts(records):
        t = build_table(lay, records, reference=False, drop_empty=True)
        if t.cols:
            parts.append(render(t, fmt))
    return "\n".join(parts)
