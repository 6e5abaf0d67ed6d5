"""Plots for the HTML report (matplotlib, Agg backend), returned as PNG bytes.

- :func:`quality_vs_time`: the paper's Figure 1 — a quality metric against seconds per clip
  (log x), one point per measured method, published Table-3 rows as hollow markers (different
  hardware: the caption says so).
- :func:`distributions`: per-clip values of each metric, one box + jittered points per method.
- :func:`temporal_profile`: the paper's Figure 7 — one pixel row (default: the middle row) of
  every frame stacked over time (time downwards), for GT, LQ (nearest-neighbour to the GT width)
  and each method; jitter shows as ragged vertical structures.
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


def profile_image(frames: np.ndarray, row: int, width: int | None = None) -> np.ndarray:
    """``T×W×3`` uint8: row ``row`` of every frame of ``frames`` (T×H×W×3 uint8), time downwards.

    ``row`` is in the coordinates of a frame of height ``H``; with ``width`` the strip is
    resized (nearest) to that width.
    """
    t, h, w, _ = frames.shape
    if not 0 <= row < h:
        from vfebench.errors import InputError

        raise InputError(f"profile row {row} is outside the frame height {h}")
    strip = np.ascontiguousarray(frames[:, row, :, :])
    if width is not None and width != w:
        idx = np.minimum((np.arange(width) * w / width).astype(int), w - 1)
        strip = strip[:, idx, :]
    return strip


def temporal_profile(strips: list[tuple[str, np.ndarray]], clip_id: str, row_frac: float) -> bytes:
    """One panel per source (GT, LQ, methods) showing its ``T×W×3`` strip."""
    plt = _plt()
    n = len(strips)
    t = strips[0][1].shape[0]
    fig, axes = plt.subplots(
        1, n, figsize=(2.6 * n, max(2.0, 2.6 * t / strips[0][1].shape[1] + 1.0)), squeeze=False
    )
    for ax, (lb, img) in zip(axes[0], strips):
        ax.imshow(img, aspect="auto", interpolation="nearest")
        ax.set_title(lb, fontsize=8)
        ax.set_xticks([])
        ax.set_ylabel("frame")
    fig.suptitle(f"{clip_id}: row at {row_frac:.0%} of the height, stacked over time", fontsize=9)
    fig.tight_layout()
    return _png(fig)


def collect_strips(rec: dict[str, Any], clip_id: str, row_frac: float = 0.5) -> list[tuple[str, np.ndarray]]:
    """GT, LQ and every restored method's strip for one clip of a run (missing files skipped)."""
    from vfebench.video import read_clip

    rows = [c for c in rec["clips"] if c["clip_id"] == clip_id and c.get("restored_path")]
    if not rows:
        from vfebench.errors import InputError

        raise InputError(f"run {rec['run_id']} has no restored clip {clip_id!r}")
    out: list[tuple[str, np.ndarray]] = []
    width = rows[0].get("width")
    height = rows[0].get("height")
    row = min(int(round(row_frac * (height - 1))), height - 1)
    if rec["dataset"].get("has_gt"):
        try:
            from vfebench.datasets import build_source

            src = build_source(rec["dataset"]["spec"])
            gt = src.load(clip_id, rec["config"].get("max_frames"))
            out.append(("GT", profile_image(gt.frames, row)))
        except Exception:
            pass
    lq_path = rows[0].get("lq_path")
    if lq_path:
        try:
            lq = read_clip(lq_path, clip_id)
            lrow = min(int(row * lq.size[0] / height), lq.size[0] - 1)
            out.append(("LQ", profile_image(lq.frames, lrow, width)))
        except Exception:
            pass
    for c in rows:
        try:
            out.append((c["method"], profile_image(read_clip(c["restored_path"], clip_id).frames, row)))
        except Exception:
            continue
    return out
