"""The HTML report: tables, confidence intervals, paired tests, plots and restored faces.

Sections: run summaries (inputs, environment, skipped metrics, failures), the paper's tables
(one per group of comparable runs, :func:`vfebench.report.tables.build_tables`), bootstrap 95%
CIs over clips per group, optional paired tests, quality vs time (Figure 1), per-clip
distributions, temporal profiles (Figure 7) and the qualitative section
(:mod:`vfebench.report.qualitative`: GT / LQ / every method at one frame with eye and mouth
insets, and a side-by-side video).

With ``out`` the page's images and videos go to a folder beside it (``<page stem>_files/``),
loaded lazily; ``single_file=True`` (or no ``out``) gives one self-contained page: plots and
small thumbnails embedded as base64, no videos, no external files or scripts.
"""

from __future__ import annotations

import base64
import html
import math
from typing import Any

from vfebench.report import plots, stats, tables

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}
table{border-collapse:collapse;margin:1em 0;font-size:14px}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}
tr.ref td{color:#555}
caption{text-align:left;margin-bottom:.3em}
.notes{font-size:12px;color:#444}
img{max-width:100%;border:1px solid #eee}
.q-grid{display:flex;flex-wrap:wrap;gap:8px}
.q-cell{margin:0;width:220px}
.q-cell figcaption{font-size:12px;font-weight:600}
.q-full{width:220px;image-rendering:pixelated}
.q-ins{display:flex;gap:4px}
.q-ins img{width:108px;image-rendering:pixelated}
.q-video video{max-width:100%}
"""


class _Assets:
    """Where images go: a folder beside the page (lazy ``<img src=…>``) or inline base64."""

    def __init__(self, out: str | None, single_file: bool) -> None:
        from pathlib import Path

        self.dir = None if (single_file or not out) else Path(out).parent / (Path(out).stem + "_files")
        self.rel = "" if self.dir is None else self.dir.name
        if self.dir is not None:
            self.dir.mkdir(parents=True, exist_ok=True)
        self.n = 0

    def img(self, png: bytes, alt: str, name: str) -> str:
        import hashlib

        if self.dir is None:
            return (
                f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'
            )
        from vfebench.utils import atomic_path

        f = self.dir / f"{name}_{hashlib.sha256(png).hexdigest()[:10]}.png"
        if not f.is_file():
            with atomic_path(f, suffix=".png") as tmp:
                open(tmp, "wb").write(png)
        return f'<img loading="lazy" alt="{html.escape(alt)}" src="{self.rel}/{f.name}">'


def _img(png: bytes, alt: str) -> str:
    return _Assets(None, True).img(png, alt, "x")


def ci_rows(records: list[dict[str, Any]], n_boot: int = 2000, seed: int = 0) -> list[dict[str, Any]]:
    """Bootstrap CI of each (run, method, metric) mean over clips, in display units.

    Set-level metrics (FVD ``dataset`` mode) have no per-clip values and are left out.
    """
    out = []
    for rec, lb, row_label in tables._labels(records):
        for key, info in rec["metrics"].items():
            if info.get("level") == "set":
                continue
            vals = stats.per_clip_values(rec, lb, key)
            mean, lo, hi = stats.bootstrap_ci(list(vals.values()), n_boot=n_boot, seed=seed)
            n = sum(v is not None for v in vals.values())
            out.append({"method": row_label, "metric": tables.metric_label(key, info), "key": key, "n": n,
                        "mean": mean, "low": lo, "high": hi, "precision": int(info.get("precision", 4))})  # fmt: skip
    return out


def render_ci(rows: list[dict[str, Any]], fmt: str, inputs: str = "") -> str:
    """The bootstrap-CI table of ``rows`` (from :func:`ci_rows`) as ``fmt`` (``md``, ``tex`` or ``html``)."""
    head = ["Method", "Metric", "clips", "mean", "95% CI"]
    body = []
    for r in rows:
        p = r["precision"]
        f = tables._fmt
        body.append(
            [r["method"], r["metric"], str(r["n"]), f(r["mean"], p), f"[{f(r['low'], p)}, {f(r['high'], p)}]"]
        )
    return _simple(
        head,
        body,
        fmt,
        "Bootstrap 95% confidence intervals of the mean over clips (percentile bootstrap)"
        + (f" — {inputs}" if inputs else ""),
    )


def render_paired(results: list[dict[str, Any]], fmt: str, alpha: float = 0.05) -> str:
    """The paired-test table; "better" names a method only when p (sign-flip) < ``alpha``."""
    head = [
        "Metric",
        "A",
        "B",
        "clips",
        "mean A",
        "mean B",
        "A − B",
        "95% CI",
        "p (sign-flip)",
        "p (Wilcoxon)",
        "better",
    ]
    body = []
    for r in results:
        p = r["precision"]
        f = tables._fmt
        body.append([r["metric"], r["a"], r["b"], str(r["n"]), f(r["mean_a"], p), f(r["mean_b"], p), f(r["diff"], p),
                     f"[{f(r['ci_low'], p)}, {f(r['ci_high'], p)}]", f(r["p_perm"], 4), f(r["p_wilcoxon"], 4),
                     _verdict(r, alpha)])  # fmt: skip
    return _simple(head, body, fmt, f"Paired comparison over common clips (two-sided tests, α = {alpha:g})")


def _verdict(r: dict[str, Any], alpha: float) -> str:
    """The winner when the sign-flip p-value is below ``alpha``; otherwise "no significant difference"."""
    p = r.get("p_perm")
    if p is None or not math.isfinite(p):
        return "–"
    if p < alpha and r.get("better") in ("a", "b"):
        return f"{r[r['better']]} (p = {p:.3g} < {alpha:g})"
    return f"no significant difference (p = {p:.3g} ≥ {alpha:g})"


def _simple(head: list[str], body: list[list[str]], fmt: str, caption: str) -> str:
    if fmt == "html":
        e = html.escape
        rows = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in body)
        return (f"<table><caption>{e(caption)}</caption><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in head)
                + f"</tr></thead><tbody>{rows}</tbody></table>\n")  # fmt: skip
    if fmt == "tex":
        esc = tables.tex_escape
        lines = [f"% {esc(caption)}", "\\begin{tabular}{l" + "c" * (len(head) - 1) + "}", "\\toprule",
                 " & ".join(esc(h) for h in head) + " \\\\", "\\midrule"]  # fmt: skip
        lines += [" & ".join(esc(c) for c in r) + " \\\\" for r in body]
        lines += ["\\bottomrule", "\\end{tabular}"]
        return "\n".join(lines) + "\n"
    lines = [f"**{caption}**", "", "| " + " | ".join(head) + " |", "|" + "|".join(["---"] * len(head)) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(lines) + "\n"


def paired_results(records, a: str, b: str, n_boot: int = 2000, seed: int = 0) -> list[dict[str, Any]]:
    """Paired tests between row labels ``a`` and ``b`` on every metric both have."""
    found = {row_label: (rec, lb) for rec, lb, row_label in tables._labels(records)}
    if a not in found or b not in found:  # labels as the tables show them, in the one group with both
        per = [
            {r: (rec, lb) for rec, lb, r in tables._labels(g.records)} for g in tables.group_records(records)
        ]
        both = [m for m in per if a in m and b in m]
        if len(both) == 1:
            found = both[0]
    for x in (a, b):
        if x not in found:
            from vfebench.errors import InputError
            from vfebench.registry import did_you_mean

            raise InputError(
                f"--compare: no method {x!r} in these runs.{did_you_mean(x, list(found))} Known: {', '.join(found)}"
            )
    (ra, la), (rb, lb) = found[a], found[b]
    ga = [g for g in tables.group_records(records) if any(r is ra for r in g.records)]
    if not any(r is rb for r in ga[0].records):
        from vfebench.errors import InputError

        raise InputError(
            f"--compare: {a} and {b} were measured on different inputs ({tables.describe_inputs(ra)} vs "
            f"{tables.describe_inputs(rb)}); a paired test needs the same clips, LQ and metrics"
        )
    out = []
    for key, info in ra["metrics"].items():
        if key not in rb["metrics"] or info.get("level") == "set":  # no per-clip values to pair
            continue
        res = stats.paired_test(stats.per_clip_values(ra, la, key), stats.per_clip_values(rb, lb, key),
                                info.get("higher_is_better"), n_boot=n_boot, seed=seed)  # fmt: skip
        out.append(
            {
                **res,
                "metric": tables.metric_label(key, info),
                "a": a,
                "b": b,
                "precision": int(info.get("precision", 4)),
            }
        )
    return out


def _run_summary(rec: dict[str, Any]) -> str:
    e = html.escape
    env = rec.get("environment", {})
    cfg = rec["config"]
    items = [
        ("run", f"{rec['run_id']} ({rec.get('status')}) — {rec.get('_path', '')}"),
        ("dataset", f"{rec['dataset'].get('spec')} · {rec['dataset'].get('n_clips')} clips · manifest {str(rec['dataset'].get('manifest_hash'))[:12]}"),
        ("inputs", tables.describe_inputs(rec)),
        ("LQ", f"{tables.lq_label(rec)} · max_frames {cfg.get('max_frames')}"),
        ("device", f"{env.get('device')} ({env.get('device_name')}) · python {env.get('python')}"),
        ("code", f"vfebench {rec.get('code', {}).get('vfebench_version')} · git {rec.get('code', {}).get('git_sha')}"),
        ("started / finished", f"{rec.get('started')} / {rec.get('finished')}"),
    ]  # fmt: skip
    out = "<dl>" + "".join(f"<dt><b>{e(k)}</b></dt><dd>{e(str(v))}</dd>" for k, v in items) + "</dl>"
    if rec.get("skipped_metrics"):
        out += (
            "<p>Skipped metrics:</p><ul>"
            + "".join(f"<li>{e(k)}: {e(v)}</li>" for k, v in rec["skipped_metrics"].items())
            + "</ul>"
        )
    if rec.get("failures"):
        out += (
            "<p>Failures:</p><ul>"
            + "".join(
                f"<li>{e(f['stage'])} {e(f['method'])} / {e(f['clip_id'])}"
                f"{' / ' + e(f['metric']) if f.get('metric') else ''}: {e(f['reason'])}</li>"
                for f in rec["failures"]
            )
            + "</ul>"
        )
    return out


def _quality_metric(records) -> tuple[str, str, bool] | None:
    for name in ("lpips", "psnr", "ssim", "ids", "niqe", "musiq"):
        for rec in records:
            k = tables._metric_key(rec, name)
            if k:
                info = rec["metrics"][k]
                return name, info.get("display") or name, bool(info.get("higher_is_better", True))
    for rec in records:
        for k, info in rec["metrics"].items():
            return k, info.get("display") or k, bool(info.get("higher_is_better", True))
    return None


def _group_sources(group, clip_id: str) -> tuple[dict[str, Any] | None, list]:
    """GT, LQ and every method of a group of runs for one clip (labels as in the tables)."""
    labels = {(id(rec), lb): row for rec, lb, row in tables._labels(group.records)}
    sources: list = []
    first = None
    for rec in group.records:
        if clip_id not in (rec["dataset"].get("clip_ids") or []):
            continue
        try:
            got = plots.load_sources(rec, clip_id)
        except Exception:  # broad on purpose: best-effort frames: the tables must still be written
            continue
        first = first or rec
        names = {s[0] for s in sources}
        for lb, fr in got:
            lb = labels.get((id(rec), lb), lb)
            if lb not in names:
                sources.append((lb, fr))
    return first, sources


def build_html(
    records: list[dict[str, Any]],
    layouts: list[str] | None = None,
    reference: bool = False,
    compare: tuple[str, str] | None = None,
    profile_clips: list[str] | None = None,
    profile_row: float = 0.5,
    n_boot: int = 2000,
    seed: int = 0,
    columns: str = tables.DEFAULT_COLUMNS,
    alpha: float = 0.05,
    show: list[str] | None = None,
    n_show: int = 2,
    out: str | None = None,
    single_file: bool = False,
) -> str:
    """The report page (see the module docstring); images/videos go beside ``out`` unless
    ``single_file``."""
    from vfebench.report import qualitative

    e = html.escape
    assets = _Assets(out, single_file)
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', "<title>vfebench report</title>",
             f"<style>{_CSS}</style></head><body>", "<h1>vfebench report</h1>"]  # fmt: skip
    parts.append("<h2>Runs</h2>")
    for rec in records:
        parts.append(_run_summary(rec))
    parts.append("<h2>Tables</h2>")
    for t in tables.build_tables(records, layouts, reference=reference, columns=columns):
        parts.append(tables.render_html(t))
    groups = tables.group_records(records)
    parts.append("<h2>Confidence intervals</h2>")
    for g in groups:
        parts.append(render_ci(ci_rows(g.records, n_boot, seed), "html", g.caption()))
    if compare:
        parts.append("<h2>Paired comparison</h2>")
        parts.append(
            render_paired(paired_results(records, compare[0], compare[1], n_boot, seed), "html", alpha)
        )
    parts.append("<h2>Figures</h2>")
    for gi, g in enumerate(groups):
        fid = "" if gi == 0 else f"-{gi + 1}"  # one figure per group: never mix inputs
        gcap = f" — {g.caption()}"
        q = _quality_metric(g.records)
        if q:
            name, disp, hib = q
            pts = []
            for rec, lb, row_label in tables._labels(g.records):
                secs = tables.measured_value(rec, lb, "seconds")
                v = tables.measured_value(rec, lb, name) if tables._metric_key(rec, name) else None
                if secs is not None and v is not None:
                    pts.append((row_label, secs, v))
            ref: list[tuple[str, float, float]] = []
            fit, _ = tables._reference_fit("table3", g.records, reference)
            if fit and name in ("lpips", "ids"):
                ref = [
                    (r.label, rs, rv)
                    for r in tables.load_reference(["table3.csv"])
                    # a published row holds only the CSV's non-blank cells: never None
                    if (rs := r.values["seconds"]) is not None and (rv := r.values[name]) is not None
                ]
            if pts:
                png = plots.quality_vs_time(pts, disp, hib, ref)
                parts.append(f'<figure id="fig-quality-time{fid}">{assets.img(png, "quality vs time", "quality_time")}'
                             f"<figcaption>{e(disp)} against seconds per clip (Figure 1 layout){e(gcap)}.</figcaption></figure>")  # fmt: skip
        per_metric: dict[str, dict[str, list[float]]] = {}
        dirs: dict[str, bool | None] = {}
        for rec, lb, row_label in tables._labels(g.records):
            for key, info in rec["metrics"].items():
                if info.get("level") == "set":  # one value per set: nothing to plot per clip
                    continue
                disp = tables.metric_label(key, info)  # fvd and fvd:dataset must not share a panel
                vals = stats.per_clip_values(rec, lb, key)
                per_metric.setdefault(disp, {})[row_label] = [v for v in vals.values() if v is not None]
                dirs[disp] = info.get("higher_is_better")
        if per_metric:
            png = plots.distributions(per_metric, dirs)
            parts.append(f'<figure id="fig-distributions{fid}">{assets.img(png, "per-clip distributions", "distributions")}'
                         f"<figcaption>Per-clip values (box: quartiles; dots: clips){e(gcap)}.</figcaption></figure>")  # fmt: skip
    rec0 = records[0]
    clips = profile_clips or ([rec0["dataset"]["clip_ids"][0]] if rec0["dataset"].get("clip_ids") else [])
    for cid in clips:
        for g in groups:
            first, sources = _group_sources(g, cid)
            if not sources:
                continue
            strips = plots.collect_strips_from(sources, profile_row)
            ref_frames = next((fr for lb, fr in sources if lb == "GT"), sources[0][1])
            thumb = plots.marked_thumbnail(ref_frames[len(ref_frames) // 2], profile_row)
            png = plots.temporal_profile(strips, cid, profile_row, thumb)
            cap = f"Temporal profile of {cid} (Figure 7 layout) — {g.caption()}"
            parts.append(f'<figure class="fig-profile">{assets.img(png, "temporal profile " + cid, "profile_" + qualitative._safe(cid))}'
                         f"<figcaption>{e(cap)}</figcaption></figure>")  # fmt: skip
    parts.append("<h2>Restored faces</h2>")
    wanted = qualitative.parse_show(show)
    if not wanted:
        q = _quality_metric(records)
        wanted = [(c, None) for c in qualitative.pick_clips(records, q[0] if q else None, n_show)]
        if q:
            parts.append(f'<p class="notes">Clips where the methods differ most on {e(q[1])} '
                         "(choose others with --show CLIP[@FRAME]).</p>")  # fmt: skip
    for cid, frame in wanted:
        shown = False
        for g in groups:
            first, sources = _group_sources(g, cid)
            if first is None:
                continue
            shown = True
            parts.append(
                qualitative.clip_section(first, sources, cid, frame, assets.dir, assets.rel, g.caption())
            )
        if not shown:
            parts.append(f"<p>{e(cid)}: no run has restored frames of this clip on disk (a blessed "
                         "baseline keeps none; or the cache moved).</p>")  # fmt: skip
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
