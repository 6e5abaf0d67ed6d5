"""Fréchet distance between Gaussians fitted to feature sets (FVD, FID).

``FD = ‖μ1 − μ2‖² + Tr(Σ1 + Σ2 − 2 (Σ1 Σ2)^½)`` with ``Σ`` the unbiased sample covariance
(``np.cov``, ddof 1). Matches StyleGAN-V ``src/metrics/frechet_video_distance.py`` (scipy
``sqrtm`` of the product, real part) and BFVR-STC ``fvd/styleganv/fvd.py`` (a single sample per
side reduces to ``‖μ1 − μ2‖²``), with two numerical safeguards:

- ``eps``: ``ε·I`` is added to both covariances (protocol.md ``dataset`` mode; ``eps=0``
  reproduces the references exactly); if the square root is still not finite, ``ε`` (at least
  1e-6) is added and the root recomputed, as pytorch-fid does;
- ``method="eigh"`` (default) computes ``Tr((Σ1Σ2)^½)`` as the sum of square roots of the
  eigenvalues of the symmetric PSD matrix ``Σ1^½ Σ2 Σ1^½`` (same trace, always real, negative
  round-off eigenvalues clipped to 0); ``method="sqrtm"`` uses scipy's ``sqrtm`` on ``Σ1Σ2`` and
  keeps the real part like the references.

All arithmetic is float64. Inputs: feature arrays ``N×D`` (any float dtype).
"""

from __future__ import annotations

import numpy as np

from vfebench.errors import InputError


def gaussian_stats(feats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(μ, Σ)`` of ``N×D`` features as float64 ``(D,)`` and ``D×D``.

    ``Σ`` is the unbiased covariance, zeros when ``N = 1``; ``InputError`` for a non-2-D or empty array.
    """
    x = np.asarray(feats, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 1:
        raise InputError(f"features must be N×D with N ≥ 1, got shape {x.shape}")
    mu = x.mean(axis=0)
    if x.shape[0] == 1:
        return mu, np.zeros((x.shape[1], x.shape[1]))
    return mu, np.cov(x, rowvar=False).reshape(x.shape[1], x.shape[1])


def _psd_sqrt(a: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((a + a.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def trace_sqrt_product(s1: np.ndarray, s2: np.ndarray, method: str = "eigh") -> float:
    """``Tr((Σ1 Σ2)^½)`` for symmetric PSD ``D×D`` float ``Σ1, Σ2`` (``method`` ``eigh`` or
    ``sqrtm``); a float ≥ 0, NaN when ``sqrtm`` does not converge."""
    if method == "eigh":
        r = _psd_sqrt(s1)
        m = r @ s2 @ r
        w = np.linalg.eigvalsh((m + m.T) / 2)
        return float(np.sqrt(np.clip(w, 0, None)).sum())
    if method == "sqrtm":
        from scipy import linalg

        out = linalg.sqrtm(s1 @ s2)
        out = out[0] if isinstance(out, tuple) else out
        if not np.isfinite(out).all():
            return float("nan")
        return float(np.trace(out).real)
    raise InputError(f"method must be 'eigh' or 'sqrtm', got {method!r}")


def frechet_distance(
    mu1: np.ndarray,
    sigma1: np.ndarray,
    mu2: np.ndarray,
    sigma2: np.ndarray,
    eps: float = 1e-6,
    method: str = "eigh",
) -> float:
    """Fréchet distance between ``N(μ1, Σ1)`` and ``N(μ2, Σ2)`` (see module docstring): means of
    shape ``(D,)``, covariances ``D×D`` (any real dtype, computed in float64); a float ≥ 0 up to
    rounding. Shapes that do not agree raise ``ValueError``."""
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    s1, s2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape or s1.shape != s2.shape or s1.shape != (mu1.size, mu1.size):
        raise InputError(f"shape mismatch: μ {mu1.shape} / {mu2.shape}, Σ {s1.shape} / {s2.shape}")
    if eps > 0:
        s1 = s1 + eps * np.eye(s1.shape[0])
        s2 = s2 + eps * np.eye(s2.shape[0])
    tr = trace_sqrt_product(s1, s2, method)
    if not np.isfinite(tr):
        off = max(eps, 1e-6) * np.eye(s1.shape[0])
        s1, s2 = s1 + off, s2 + off
        tr = trace_sqrt_product(s1, s2, method)
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * tr)


def frechet_distance_feats(
    feats1: np.ndarray, feats2: np.ndarray, eps: float = 1e-6, method: str = "eigh"
) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (``N1×D``, ``N2×D``)."""
    m1, s1 = gaussian_stats(feats1)
    m2, s2 = gaussian_stats(feats2)
    return frechet_distance(m1, s1, m2, s2, eps=eps, method=method)
