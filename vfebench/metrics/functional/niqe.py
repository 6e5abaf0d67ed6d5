"""NIQE (Mittal et al., IEEE SPL 2013) in numpy, matching pyiqa's ``niqe`` metric.

What is computed (pyiqa 0.1.16 ``pyiqa/archs/niqe_arch.py`` + ``pyiqa/matlab_utils``, itself a
port of BasicSR ``basicsr/metrics/niqe.py`` and the MATLAB ``niqe_release``):

1. RGB in [0, 1] → Y of YIQ ``0.299 R + 0.587 G + 0.114 B`` (×255, rounded, float64);
   ``crop_border`` pixels removed; the image cropped to a multiple of 96 pixels (top-left kept).
2. Two scales. At each: MSCN coefficients ``(I − μ) / (σ + 1)`` with a 7×7 Gaussian (σ = 7/6,
   MATLAB ``fspecial``; replicate padding), then per block (96×96 at scale 1, 48×48 at scale 2)
   18 features: an AGGD fit of the MSCN block (α, mean of β) and, for the four products with
   the block circularly shifted by (0,1), (1,0), (1,1), (1,−1), AGGD fits (α, mean, β_l, β_r).
   Scale 2 is MATLAB ``imresize(I/255, 0.5)`` (bicubic, antialiased) ×255.
3. The 36-d block features are fitted with a Gaussian (mean, covariance with ``n−1``) and
   ``NIQE = sqrt((μ_p − μ)ᵀ pinv((Σ_p + Σ)/2) (μ_p − μ))`` against the pristine model.

The pristine model (μ_p 36, Σ_p 36×36) ships in ``vfebench/metrics/data/niqe_pris_params.npz``:
the numbers of MATLAB's ``niqe_release/modelparameters.mat`` as distributed by BasicSR 1.4.2
(``basicsr/metrics/niqe_pris_params.npz``, PyPI sdist sha256
b89b595a87ef964cda9913b4d99380ddb6554c965577c0c10cb7b78e31301e87). Lower is better.

pyiqa's float32 steps are mirrored (luma in float32, window rounded to float32, resize in
float32), so the remaining differences come from float32 summation order in the scale-2 resize
(BLAS/SIMD dependent). Measured: ≤ 1e-5 relative against pyiqa in one environment, but 1.4e-3
relative on another CPU, where the float32 bicubic output differed by up to 6e-5 per pixel
(0..255 scale); NIQE's argmin over a tabulated AGGD shape can jump one table step, which is
where a small input difference becomes a 1e-3-level output difference. Simulating that
(uniform ±6e-5 added to the scale-2 image, 13 real frames, 8 seeds) moved NIQE by up to 7.3e-3
relative (median 1.1e-3). Tests hold pyiqa agreement to 1e-2 relative for that reason.

Frames that cannot be scored give NaN with a reason (:func:`niqe_with_reasons`), never an
exception or a numpy warning: frames smaller than 192×192 (two 96×96 blocks per side are the
minimum for a covariance), and flat frames where fewer than two blocks have texture (an AGGD
fit of a constant block is 0/0). Blocks that are flat inside a textured frame (black borders)
are left out per feature, as MATLAB's ``nanmean``/``nancov`` do.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy.special import gammaln

from vfebench.errors import InputError

DATA = Path(__file__).resolve().parents[1] / "data" / "niqe_pris_params.npz"
BLOCK = 96


@lru_cache(maxsize=1)
def pristine_params() -> tuple[np.ndarray, np.ndarray]:
    """``(mu 36, cov 36×36)`` float64 pristine model shipped with vfebench (no download)."""
    with np.load(DATA, allow_pickle=False) as z:
        return z["mu_pris_param"].reshape(-1).astype(np.float64), z["cov_pris_param"].astype(np.float64)


def rgb_to_yiq_y(img01: np.ndarray) -> np.ndarray:
    """Y of YIQ ×255, rounded half-to-even: ``H×W×3`` [0,1] → ``H×W`` float64.

    Computed in float32 in pyiqa's order of operations: exact ties at .5 are common (the weights
    have three decimals), and float32 rounding decides them, so float64 would round a few pixels
    per frame the other way.
    """
    x = np.asarray(img01, dtype=np.float32)
    w = np.array([0.299, 0.587, 0.114], dtype=np.float32)
    y = (x[..., 0] * w[0] + x[..., 1] * w[1] + x[..., 2] * w[2]) * np.float32(255.0)
    return np.round(y).astype(np.float64)


# ----------------------------------------------------------------------------- MATLAB helpers
def _fspecial_gauss(size: int, sigma: float) -> np.ndarray:
    m = (size - 1.0) / 2.0
    y, x = np.ogrid[-m : m + 1, -m : m + 1]
    h = np.exp(-(x * x + y * y) / (2.0 * sigma * sigma))
    h[h < np.finfo(h.dtype).eps * h.max()] = 0
    return h / h.sum()


def _imfilter_replicate(img: np.ndarray, k: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.filter2D(img, cv2.CV_64F, k, borderType=cv2.BORDER_REPLICATE)


def _cubic(x: np.ndarray) -> np.ndarray:
    ax = np.abs(x)
    ax2, ax3 = ax * ax, ax * ax * ax
    a = -0.5
    return ((a + 2) * ax3 - (a + 3) * ax2 + 1) * (ax <= 1) + (a * ax3 - 5 * a * ax2 + 8 * a * ax - 4 * a) * (
        (ax > 1) & (ax <= 2)
    )


@lru_cache(maxsize=32)
def _resize_matrix(n_in: int, n_out: int, scale: float) -> np.ndarray:
    """``n_out×n_in`` weights of MATLAB's antialiased bicubic ``imresize`` along one axis.

    Taps falling outside the image are mirrored with the edge sample repeated (MATLAB's
    ``symmetric``), as pyiqa's ``matlab_utils/resize.py`` does.
    """
    aa = scale if scale < 1 else 1.0
    ks = math.ceil(4 / aa) + 2
    pos = (np.arange(n_out, dtype=np.float64) + 0.5) / scale - 0.5
    base = np.floor(pos) - (ks // 2) + 1
    m = np.zeros((n_out, n_in), dtype=np.float64)
    for j in range(ks):
        idx = (base + j).astype(np.int64)
        w = _cubic((pos - base - j) * aa)
        idx = np.where(idx < 0, -idx - 1, idx)
        idx = np.where(idx >= n_in, 2 * n_in - idx - 1, idx)
        np.add.at(m, (np.arange(n_out), idx), w)
    return m / m.sum(axis=1, keepdims=True)


def imresize_half(img: np.ndarray) -> np.ndarray:
    """MATLAB ``imresize(img, 0.5)`` (bicubic, antialias) of a 2-D image → float64.

    Evaluated in float32, as pyiqa's ``imresize`` does (it casts every input to float32).
    """
    h, w = img.shape
    mh = _resize_matrix(h, math.ceil(h * 0.5), 0.5).astype(np.float32)
    mw = _resize_matrix(w, math.ceil(w * 0.5), 0.5).astype(np.float32)
    return (mh @ img.astype(np.float32) @ mw.T).astype(np.float64)


# ----------------------------------------------------------------------------- features
_GAM = np.arange(0.2, 10 + 0.001, 0.001)
_R_GAM = np.exp(2 * gammaln(2.0 / _GAM) - (gammaln(1.0 / _GAM) + gammaln(3.0 / _GAM)))


def aggd_fit(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """AGGD parameters ``(alpha, beta_l, beta_r)`` of each row of ``N×P`` samples (moment matching)."""
    left = x < 0
    right = x > 0
    left_std = np.sqrt((x * x * left).sum(1) / left.sum(1))
    right_std = np.sqrt((x * x * right).sum(1) / right.sum(1))
    gammahat = left_std / right_std
    rhat = np.abs(x).mean(1) ** 2 / (x * x).mean(1)
    rhatnorm = rhat * (gammahat**3 + 1) * (gammahat + 1) / (gammahat**2 + 1) ** 2
    alpha = _GAM[np.argmin(np.abs(_R_GAM[None, :] - rhatnorm[:, None]), axis=1)]
    f = np.sqrt(np.exp(gammaln(1 / alpha) - gammaln(3 / alpha)))
    return alpha, left_std * f, right_std * f


def _blocks(img: np.ndarray, bh: int, bw: int) -> np.ndarray:
    """Non-overlapping ``bh×bw`` blocks in column-major block order → ``N×bh×bw``."""
    h, w = img.shape
    nh, nw = h // bh, w // bw
    b = img[: nh * bh, : nw * bw].reshape(nh, bh, nw, bw).transpose(2, 0, 1, 3)
    return b.reshape(nh * nw, bh, bw)


def block_features(blocks: np.ndarray) -> np.ndarray:
    """18 NIQE features per block: ``N×bh×bw`` MSCN blocks → ``N×18``."""
    n = blocks.shape[0]
    flat = blocks.reshape(n, -1)
    alpha, bl, br = aggd_fit(flat)
    feats = [alpha, (bl + br) / 2]
    for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
        shifted = np.roll(blocks, (dy, dx), axis=(1, 2))
        alpha, bl, br = aggd_fit((blocks * shifted).reshape(n, -1))
        mean = (br - bl) * np.exp(gammaln(2 / alpha) - gammaln(1 / alpha))
        feats.extend((alpha, mean, bl, br))
    return np.stack(feats, axis=1)


def niqe_y(y: np.ndarray, mu_p: np.ndarray | None = None, cov_p: np.ndarray | None = None) -> float:
    """NIQE of one ``H×W`` luma image on the 0..255 scale (already rounded), both sides ≥ 192.

    Raises :class:`InputError` for an image that cannot be scored (too small, or flat);
    :func:`niqe_y_or_reason` returns NaN and the reason instead.
    """
    value, reason = niqe_y_or_reason(y, mu_p, cov_p)
    if reason:
        raise InputError(reason)
    return value


def niqe_y_or_reason(
    y: np.ndarray, mu_p: np.ndarray | None = None, cov_p: np.ndarray | None = None
) -> tuple[float, str]:
    """``(NIQE, "")`` of one ``H×W`` luma image ``y`` (float, 0..255 scale), or ``(nan, reason)``
    when it cannot be scored; ``mu_p`` ``(36,)`` / ``cov_p`` ``36×36`` default to the pristine
    model."""
    if mu_p is None or cov_p is None:
        mu_p, cov_p = pristine_params()
    h, w = y.shape
    nh, nw = h // BLOCK, w // BLOCK
    if nh < 2 or nw < 2:
        # a single block gives a degenerate covariance: refuse instead of printing noise
        return float("nan"), f"NIQE needs frames of at least {2 * BLOCK}×{2 * BLOCK} pixels, got {w}×{h}"
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return _niqe_blocks(y, nh, nw, mu_p, cov_p)


def _niqe_blocks(y: np.ndarray, nh: int, nw: int, mu_p: np.ndarray, cov_p: np.ndarray) -> tuple[float, str]:
    img = y[: nh * BLOCK, : nw * BLOCK].astype(np.float64)
    # pyiqa rounds the window to float32 before filtering in float64
    win = _fspecial_gauss(7, 7.0 / 6.0).astype(np.float32).astype(np.float64)
    feats = []
    for scale in (1, 2):
        mu = _imfilter_replicate(img, win)
        var = np.abs(_imfilter_replicate(img * img, win) - mu * mu)
        sigma = np.sqrt(var + np.finfo(np.float64).eps)
        mscn = (img - mu) / (sigma + 1.0)
        feats.append(block_features(_blocks(mscn, BLOCK // scale, BLOCK // scale)))
        if scale == 1:
            img = imresize_half(img / 255.0) * 255.0
    dist = np.concatenate(feats, axis=1)
    valid = ~np.isnan(dist).any(axis=1)
    if valid.sum() < 2:
        return float("nan"), (
            f"flat frame: {int(valid.sum())} of {len(valid)} 96×96 blocks have texture, NIQE needs at least 2"
        )
    # NaN features (flat blocks) dropped per entry, as MATLAB's nanmean (no warning: counted here)
    nan = np.isnan(dist)
    mu_d = np.where(nan, 0.0, dist).sum(axis=0) / (~nan).sum(axis=0)
    cov_d = np.cov(dist[valid], rowvar=False)
    try:
        inv = np.linalg.pinv((cov_p + cov_d) / 2)
    except np.linalg.LinAlgError as exc:  # pragma: no cover - guarded by the checks above
        return float("nan"), f"NIQE covariance could not be inverted ({exc})"
    d = mu_p - mu_d
    q = float(d @ inv @ d)
    if not np.isfinite(q) or q < 0:
        return float("nan"), "NIQE distance is not finite for this frame"
    return float(np.sqrt(q)), ""


def niqe(frames: np.ndarray, crop_border: int = 0) -> np.ndarray:
    """NIQE of ``[B×]H×W×3`` uint8 RGB frames → float64 scalar array or ``B`` array.

    NaN for a frame that cannot be scored (see :func:`niqe_with_reasons` for why)."""
    return niqe_with_reasons(frames, crop_border)[0]


def niqe_with_reasons(frames: np.ndarray, crop_border: int = 0) -> tuple[np.ndarray, list[str]]:
    """``(values, reasons)``: NIQE of ``[B×]H×W×3`` frames, NaN with a reason per unscorable frame."""
    a = np.asarray(frames)
    single = a.ndim == 3
    if single:
        a = a[None]
    if a.ndim != 4 or a.shape[-1] != 3:
        raise InputError(f"NIQE expects [B×]H×W×3 RGB frames, got shape {a.shape}")
    x = a.astype(np.float32) / np.float32(255.0) if a.dtype == np.uint8 else a
    out, reasons = [], []
    for f in x:
        y = rgb_to_yiq_y(f)
        if crop_border:
            y = y[crop_border:-crop_border, crop_border:-crop_border]
        v, why = niqe_y_or_reason(y)
        out.append(v)
        reasons.append(why)
    res = np.asarray(out, dtype=np.float64)
    return (res[0] if single else res), reasons
