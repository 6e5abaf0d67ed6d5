"""Plots for the HTML report (matplotlib, Agg backend), returned as PNG bytes.

- :func:`quality_vs_time`: the paper's Figure 1 — a quality metric against seconds per clip
  (log x), one point per measured method, published Table-3 rows as hollow markers (different
  hardware: the caption says so).
- :func:`distributions`: per-clip values of each metric, one box + jittered points per method.
- :func:`temporal_profile`: the paper's Figure 7 — one pixel row (default: the middle row) of
  every frame stacked over time (time downwards), for GT, LQ and each method; jitter shows as
  ragged vertical structures. Every panel takes the **same relative row** of its own frames
  (:func:`row_of`: ``round(frac × (H − 1))``), so a 4× larger output shows the same image row as
  the GT, and every strip is resampled (nearest, pixel centres) to one common width. The first
  panel is a thumbnail of the GT (or LQ) frame with the row marked.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np


def _plt():
    from vfebench.utils import require

    mpl = require("matplotlib", purpose="report plots")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    _plt().close(fig)
    return buf.getvalue()


def quality_vs_time(
    points: list[tuple[str, float, float]],
    metric: str,
    higher_is_better: bool,
    reference: list[tuple[str, float, float]] | None = None,
) -> bytes:
    """``points``/``reference``: ``(label, seconds per clip, metric value)``."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for lb, t, v in points:
        ax.scatter([max(t, 1e-4)], [v], s=60, zorder=3)
        ax.annotate(lb, (max(t, 1e-4), v), textcoords="offset points", xytext=(5, 4), fontsize=8)
    for lb, t, v in reference or []:
        ax.scatter([t], [v], s=60, facecolors="none", edgecolors="grey", zorder=2)
        ax.annotate(lb + " †", (t, v), textcoords="offset points", xytext=(5, -10), fontsize=7, color="grey")
    ax.set_xscale("log")
    from matplotlib.ticker import NullFormatter

    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("seconds per clip (log)")
    ax.set_ylabel(f"{metric} {'↑' if higher_is_better else '↓'}")
    ax.grid(True, alpha=0.3)
    if reference:
        ax.set_title("† published (A100, 81-frame 512² clips) — different hardware", fontsize=8)
    return _png(fig)


def distributions(per_metric: dict[str, dict[str, list[float]]], directions: dict[str, bool | None]) -> bytes:
    """``per_metric[metric][method] = per-clip display values``: one panel per metric."""
    plt = _plt()
    names = list(per_metric)
    n = max(1, len(names))
    fig, axes = plt.subplots(1, n, figsize=(max(4.0, 3.2 * n), 3.6), squeeze=False)
    rng = np.random.default_rng(0)
    for ax, name in zip(axes[0], names):
        data = per_metric[name]
        labels = list(data)
        vals = [np.asarray([v for v in data[lb] if v is not None and np.isfinite(v)]) for lb in labels]
        ax.boxplot([v if v.size else np.array([np.nan]) for v in vals], showfliers=False)
        for i, v in enumerate(vals):
            ax.scatter(i + 1 + rng.uniform(-0.12, 0.12, v.size), v, s=10, alpha=0.7, zorder=3)
        ax.set_xticks(range(1, len(labels) + 1))
        ax.set_xticklabels(labels, rotation=30, ha="right", fontsize=8)
        d = directions.get(name)
        ax.set_title(f"{name} {'' if d is None else ('↑' if d else '↓')}", fontsize=9)
        ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    return _png(fig)


def row_of(height: int, frac: float) -> int:
    """The pixel row at fraction ``frac`` (0 = top, 1 = bottom) of a frame ``height`` rows high."""
    return min(max(int(round(frac * (height - 1))), 0), height - 1)


def resample_width(strip: np.ndarray, width: int) -> np.ndarray:
    """``T×W×3`` → ``T×width×3`` (same dtype), nearest neighbour at pixel centres."""
    w = strip.shape[1]
    if width == w:
        return strip
    idx = np.minimum(((np.arange(width) + 0.5) * w / width).astype(int), w - 1)
    return strip[:, idx, :]


def profile_image(frames: np.ndarray, row: int, width: int | None = None) -> np.ndarray:
    """``T×W×3`` uint8: row ``row`` of every frame of ``frames`` (T×H×W×3 uint8), time downwards.

    ``row`` is in the coordinates of a frame of height ``H``; with ``width`` the strip is
    resampled (:func:`resample_width`) to that width.
    """
    t, h, w, _ = frames.shape
    if not 0 <= row < h:
        from vfebench.errors import InputError

        raise InputError(f"profile row {row} is outside the frame height {h}")
    strip = np.ascontiguousarray(frames[:, row, :, :])
    return resample_width(strip, width) if width is not None else strip


def profile_strips(
    sources: list[tuple[str, np.ndarray]], row_frac: float, width: int | None = None
) -> list[tuple[str, np.ndarray]]:
    """``(label, T×W×3 strip)`` per source: the row at ``row_frac`` of *each source's own*
    height, resampled to ``width`` (default: the first source's width)."""
    if not sources:
        return []
    width = width or sources[0][1].shape[2]
    return [(lb, profile_image(fr, row_of(fr.shape[1], row_frac), width)) for lb, fr in sources]


def marked_thumbnail(frame: np.ndarray, row_frac: float, size: int = 160) -> np.ndarray:
    """A ``size``-wide uint8 RGB thumbnail of a uint8 ``H×W×3`` ``frame`` with the profile row
    (``row_frac`` of the height, 0..1) drawn as a red line."""
    from PIL import Image

    h, w, _ = frame.shape
    th = max(1, int(round(size * h / w)))
    im = np.asarray(Image.fromarray(frame).resize((size, th), Image.Resampling.BILINEAR)).copy()
    r = row_of(th, row_frac)
    im[max(r - 1, 0) : r + 2, :, :] = (255, 0, 0)
    return im


def temporal_profile(
    strips: list[tuple[str, np.ndarray]],
    clip_id: str,
    row_frac: float,
    thumbnail: np.ndarray | None = None,
) -> bytes:
    """One panel per source (GT, LQ, methods) showing its ``T×W×3`` strip; ``thumbnail`` (a
    frame with the row marked, :func:`marked_thumbnail`) as the first panel."""
    plt = _plt()
    panels = ([("row (red)", thumbnail)] if thumbnail is not None else []) + list(strips)
    n = len(panels)
    t = strips[0][1].shape[0]
    fig, axes = plt.subplots(
        1, n, figsize=(2.6 * n, max(2.0, 2.6 * t / strips[0][1].shape[1] + 1.0)), squeeze=False
    )
    for ax, (lb, img) in zip(axes[0], panels):
        ax.imshow(img, aspect="auto" if lb != "row (red)" else "equal", interpolation="nearest")
        ax.set_title(lb, fontsize=8)
        ax.set_xticks([])
        if lb == "row (red)":
            ax.set_yticks([])
        else:
            ax.set_ylabel("frame")
    fig.suptitle(f"{clip_id}: row at {row_frac:.0%} of each panel's height, stacked over time", fontsize=9)
    fig.tight_layout()
    return _png(fig)


def load_sources(rec: dict[str, Any], clip_id: str) -> list[tuple[str, np.ndarray]]:
    """``(label, frames)`` for one clip: GT (when the dataset is still there), LQ and every restored method.

    Each ``frames`` is ``(T, H, W, 3)`` uint8 RGB (sizes may differ between sources). Files that are
    gone are skipped; ``InputError`` when the run has no restored clip ``clip_id``.
    """
    from vfebench.video import read_clip

    rows = [c for c in rec["clips"] if c["clip_id"] == clip_id and c.get("restored_path")]
    if not rows:
        from vfebench.errors import InputError

        raise InputError(f"run {rec['run_id']} has no restored clip {clip_id!r}")
    out: list[tuple[str, np.ndarray]] = []
    if rec["dataset"].get("has_gt"):
        try:
            from vfebench.datasets import build_source

            src = build_source(rec["dataset"]["spec"])
            out.append(("GT", src.load(clip_id, rec["config"].get("max_frames")).frames))
        except Exception:  # broad on purpose: a best-effort panel: a moved dataset must not fail the report
            pass
    lq_path = rows[0].get("lq_path")
    try:
        if lq_path:
            out.append(("LQ", read_clip(lq_path, clip_id).frames))
        elif not rec["dataset"].get("has_gt"):  # real LQ: the dataset's clips are the LQ
            from vfebench.datasets import build_source

            out.append(
                (
                    "LQ",
                    build_source(rec["dataset"]["spec"])
                    .load(clip_id, rec["config"].get("max_frames"))
                    .frames,
                )
            )
    except Exception:  # broad on purpose: a best-effort panel: a moved LQ must not fail the report
        pass
    for c in rows:
        try:
            out.append((c["method"], read_clip(c["restored_path"], clip_id).frames))
        except Exception:  # broad on purpose: a best-effort panel: a pruned cache must not fail the report
            continue
    return out


def collect_strips(rec: dict[str, Any], clip_id: str, row_frac: float = 0.5) -> list[tuple[str, np.ndarray]]:
    """``(label, strip)`` for GT, LQ and every restored method of one clip of a run (missing files skipped).

    Each strip is ``(T, W, 3)`` uint8: the same relative row (``row_frac`` of each source's height)
    of every frame, resampled to the GT's width (the first output's without GT).
    """
    sources = load_sources(rec, clip_id)
    return collect_strips_from(sources, row_frac) if sources else []


def collect_strips_from(
    sources: list[tuple[str, np.ndarray]], row_frac: float
) -> list[tuple[str, np.ndarray]]:
    """:func:`profile_strips` of ``sources`` (``(label, (T, H, W, 3) uint8)``) at the GT's width.

    Without a GT source the first non-LQ source's width is used. Returns ``(label, (T, W, 3) uint8)``.
    """
    ref = next((fr for lb, fr in sources if lb == "GT"), None)
    if ref is None:
        ref = next((fr for lb, fr in sources if lb != "LQ"), sources[0][1])
    return profile_strips(sources, row_frac, ref.shape[2])
