"""Statistics over per-clip values: bootstrap confidence intervals and paired tests.

Clips are the sampling unit (protocol: per frame → clip → set), so intervals say how much a
set-level mean would move with another draw of clips from the same population — with the 3–50
clips of these benchmarks they are wide, and reports should say so.

- :func:`bootstrap_ci`: percentile bootstrap of the mean over clips (``n_boot`` resamples with
  replacement, seeded), the same estimator as ``scipy.stats.bootstrap(method="percentile")``.
- :func:`paired_test`: method A vs B on the clips both have: mean difference, its paired
  bootstrap CI, an exact (n ≤ 16) or Monte-Carlo sign-flip permutation p-value (two-sided,
  the same test as ``scipy.stats.permutation_test(permutation_type="samples")`` on the
  differences), and the Wilcoxon signed-rank p-value from SciPy.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np


def _finite(values) -> np.ndarray:
    a = np.asarray([np.nan if v is None else v for v in values], dtype=np.float64)
    return a[np.isfinite(a)]


def bootstrap_ci(
    values, n_boot: int = 2000, level: float = 0.95, seed: int = 0
) -> tuple[float, float, float]:
    """``(mean, low, high)``: percentile bootstrap CI of the mean of the finite ``values``.

    NaN/None entries are dropped. One value gives ``(v, v, v)``; none gives NaNs.
    """
    a = _finite(values)
    if a.size == 0:
        return (math.nan, math.nan, math.nan)
    mean = float(a.mean())
    if a.size == 1:
        return (mean, mean, mean)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, a.size, size=(n_boot, a.size))
    means = a[idx].mean(axis=1)
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(means, [alpha, 1.0 - alpha])
    return (mean, float(lo), float(hi))


def sign_flip_pvalue(diffs, n_perm: int = 20000, seed: int = 0) -> float:
    """Two-sided p-value of mean(diffs) = 0 by flipping signs (exact for n ≤ 16)."""
    d = _finite(diffs)
    n = d.size
    if n == 0:
        return math.nan
    obs = abs(d.mean())
    if n <= 16:
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=n)))
    else:
        rng = np.random.default_rng(seed)
        signs = rng.choice((1.0, -1.0), size=(n_perm, n))
    stats = np.abs((signs * d).mean(axis=1))
    # a small relative tolerance so that ties with the observed statistic count as extreme
    extreme = stats >= obs * (1 - 1e-12) - 1e-15
    if n <= 16:
        return float(extreme.mean())
    return float((extreme.sum() + 1) / (n_perm + 1))


def paired_test(
    a: dict[str, float | None],
    b: dict[str, float | None],
    higher_is_better: bool | None = True,
    n_boot: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """Compare per-clip values ``a`` and ``b`` (``{clip id: value}``) on their common clips.

    Returns ``n``, ``mean_a``, ``mean_b``, ``diff`` (mean of a − b), ``ci_low``/``ci_high``
    (bootstrap CI of the mean difference), ``p_perm`` (sign-flip), ``p_wilcoxon`` (NaN when
    SciPy cannot compute it, e.g. all differences zero) and ``better`` ("a", "b" or "tie" by
    the metric's direction, regardless of significance: reports name a winner only when
    ``p_perm`` is below their α, see :func:`vfebench.report.html.render_paired`).
    """
    common = [
        k
        for k, x in a.items()
        if k in b and x is not None and (y := b[k]) is not None and np.isfinite(x) and np.isfinite(y)
    ]
    va = np.array([a[k] for k in common], dtype=np.float64)
    vb = np.array([b[k] for k in common], dtype=np.float64)
    d = va - vb
    out: dict[str, Any] = {"n": len(common), "clips": common}
    if not common:
        return {**out, "mean_a": math.nan, "mean_b": math.nan, "diff": math.nan, "ci_low": math.nan,
                "ci_high": math.nan, "p_perm": math.nan, "p_wilcoxon": math.nan, "better": "tie"}  # fmt: skip
    mean, lo, hi = bootstrap_ci(d, n_boot=n_boot, seed=seed)
    p_w = math.nan
    if np.any(d != 0):
        try:
            from scipy.stats import wilcoxon

            p_w = float(wilcoxon(va, vb).pvalue)
        except (ValueError, ImportError):
            pass
    better = "tie"
    if mean != 0 and higher_is_better is not None:
        better = "a" if (mean > 0) == bool(higher_is_better) else "b"
    return {
        **out,
        "mean_a": float(va.mean()),
        "mean_b": float(vb.mean()),
        "diff": mean,
        "ci_low": lo,
        "ci_high": hi,
        "p_perm": sign_flip_pvalue(d, seed=seed),
        "p_wilcoxon": p_w,
        "better": better,
    }


def per_clip_values(rec: dict[str, Any], label: str, metric_key: str) -> dict[str, float | None]:
    """``{clip id: display value}`` of one method and metric in a run record."""
    scale = float(rec["metrics"][metric_key].get("scale", 1.0))
    out = {}
    for c in rec["clips"]:
        if c["method"] != label:
            continue
        from vfebench.report.tables import as_number

        v = as_number((c.get("values") or {}).get(metric_key))  # None for missing/NaN/malformed
        out[c["clip_id"]] = None if v is None else v * scale
    return out
