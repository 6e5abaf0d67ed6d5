"""Pure functional cores of the landmark and embedding face metrics (numpy, no models).

Landmarks are in MediaPipe's normalised image coordinates (x/W, y/H); only x, y are used.
Frames where a face is missing are NaN rows and give NaN values, which callers skip and count.
"""

from __future__ import annotations

import numpy as np

from vfebench.errors import InputError


def keypoint_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-frame mean Euclidean distance between corresponding landmarks (AKD per frame).

    Args:
        a, b: ``T×K×D`` landmarks (D ≥ 2; only the first two coordinates are used).
    Returns:
        ``T`` float64: ``mean_k ‖a[t,k,:2] − b[t,k,:2]‖₂`` (NaN where either frame is NaN).
    """
    a = np.asarray(a, dtype=np.float64)[..., :2]
    b = np.asarray(b, dtype=np.float64)[..., :2]
    if a.shape != b.shape:
        raise InputError(f"landmark arrays differ in shape: {a.shape} vs {b.shape}")
    return np.sqrt(((a - b) ** 2).sum(-1)).mean(-1)


def landmark_jitter(lm: np.ndarray) -> np.ndarray:
    """Consecutive-frame landmark displacement (TLME per frame pair) [recon].

    Args:
        lm: ``T×K×D`` landmarks.
    Returns:
        ``T−1`` float64: ``mean_k ‖l[t+1,k,:2] − l[t,k,:2]‖₂``.
    """
    lm = np.asarray(lm, dtype=np.float64)[..., :2]
    return np.sqrt(((lm[1:] - lm[:-1]) ** 2).sum(-1)).mean(-1)


def relative_jitter(lm: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Displacement of ``lm`` minus displacement of ``ref`` (referenced TLME per pair) [recon].

    Returns ``T−1`` float64: ``mean_k ‖(l[t+1,k] − l[t,k]) − (r[t+1,k] − r[t,k])‖₂`` on (x, y):
    the motion the restoration adds to (or removes from) the reference's motion.
    """
    lm = np.asarray(lm, dtype=np.float64)[..., :2]
    ref = np.asarray(ref, dtype=np.float64)[..., :2]
    if lm.shape != ref.shape:
        raise InputError(f"landmark arrays differ in shape: {lm.shape} vs {ref.shape}")
    d = (lm[1:] - lm[:-1]) - (ref[1:] - ref[:-1])
    return np.sqrt((d**2).sum(-1)).mean(-1)


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine similarity of two ``T×E`` arrays (rows need not be normalised).

    Returns ``(T,)`` float64 in [−1, 1]; a zero row gives 0 (the norms are floored at 1e-12).
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    na = np.linalg.norm(a, axis=-1)
    nb = np.linalg.norm(b, axis=-1)
    return (a * b).sum(-1) / np.maximum(na * nb, 1e-12)


def first_frame_consistency(emb: np.ndarray) -> np.ndarray:
    """``cos(f_t, f_0)`` for t = 1..T−1 of ``T×D`` embeddings ``emb`` (any real dtype): float64
    ``(T−1,)`` in [−1, 1] (FaceCons per frame; the clip value is their mean)."""
    emb = np.asarray(emb, dtype=np.float64)
    return cosine_rows(emb[1:], np.broadcast_to(emb[:1], emb[1:].shape))
