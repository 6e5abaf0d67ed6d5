"""The 5-point alignment to the 112×112 ArcFace template and the ArcFace input conversion.

The identity network these crops feed (IR-SE50) is :mod:`vfebench.metrics.nets.ir_se`.

Alignment (:func:`align_faces`), two recipes; the frame is warped with bilinear interpolation
and a black border to 112×112 in both:

- ``clean``: the least-squares similarity transform (rotation, uniform scale, translation; no
  reflection) that maps the 5 MTCNN landmarks (left eye, right eye, nose, left and right mouth
  corner, in pixels) onto :data:`ARCFACE_TEMPLATE_112`, residual minimised in template pixels.
- ``bfvr``: what TreB1eN's ``mtcnn.align`` (used by BFVR-STC) computes: the fit runs the other
  way (template → image, residual in image pixels) and is inverted, with MATLAB cp2tform's
  reflection test (:func:`cp2tform_similarity`). The two fits differ whenever the landmarks are
  not an exact similarity of the template. Measured on 69 real 512×512 frames of
  ``../shared/data/faces`` (the reference detector's landmarks): the 5 landmarks land a median
  0.20 px apart in the 112×112 crop (95th percentile 1.46 px, max 4.2 px); the reflective
  branch was never taken on those frames (it is on 217 of 1500 synthetic sets in the tests).
"""

from __future__ import annotations

import numpy as np

from vfebench.errors import InputError

#: the ArcFace 5-point template for 112×112 crops (x, y in pixels): the 96×112 reference points
#: of SphereFace/InsightFace shifted by 8 px in x (``default_square=True``).
ARCFACE_TEMPLATE_112 = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float64,
)


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """2×3 matrix of the least-squares similarity (no reflection) mapping ``src`` → ``dst``.

    Args:
        src, dst: ``N×2`` point sets (N ≥ 2), float.
    Returns:
        ``2×3`` float64 matrix ``M`` with ``dst ≈ M @ [x, y, 1]``.
    """
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    ms, md = src.mean(0), dst.mean(0)
    s0, d0 = src - ms, dst - md
    # closed form for z ↦ a·z + t in complex numbers: a = Σ conj(s)·d / Σ |s|²
    zs = s0[:, 0] + 1j * s0[:, 1]
    zd = d0[:, 0] + 1j * d0[:, 1]
    den = float(np.sum(np.abs(zs) ** 2))
    if den <= 1e-12:
        raise InputError("face alignment: the 5 landmarks coincide; cannot fit a similarity transform")
    a = np.sum(np.conj(zs) * zd) / den
    r = np.array([[a.real, -a.imag], [a.imag, a.real]])
    t = md - r @ ms
    return np.hstack([r, t[:, None]])


#: the template exactly as TreB1eN's ``get_reference_facial_points(default_square=True)`` makes
#: it (the 96×112 points + 8 px in x), used by the ``bfvr`` recipe in float32 as the reference.
BFVR_TEMPLATE_112 = np.array(
    [
        [30.29459953 + 8.0, 51.69630051],
        [65.53179932 + 8.0, 51.50139999],
        [48.02519989 + 8.0, 71.73660278],
        [33.54930115 + 8.0, 92.3655014],
        [62.72990036 + 8.0, 92.20410156],
    ],
    dtype=np.float64,
)


def cp2tform_similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """2×3 image → template matrix as the IDS reference computes it (``bfvr`` recipe).

    Restated from TreB1eN/InsightFace_Pytorch ``mtcnn_pytorch/src/matlab_cp2tform.py`` @ 350ff7a
    (``get_similarity_transform_for_cv2(src, dst)``, a port of MATLAB ``cp2tform``), which
    ``align_trans.warp_and_crop_face`` calls with float32 points:

    1. Fit the *inverse* map by least squares: template point ``z`` → image point
       ``w ≈ a·z + t`` (complex numbers; rotation + uniform scale + translation), so the residual
       is minimised in image pixels; invert it to get image → template ``z = (w − t)/a``.
    2. Fit the same with the template mirrored in x (``z_R = −conj(z)``) and mirror the result
       back: a reflective candidate ``z = −conj((w − t_R)/a_R)``.
    3. Keep the non-reflective one when ``‖T1(src) − ref‖ ≤ ‖T2(src) − ref‖``. In that code the
       mirroring in step 2 is done in place on the template array, so ``ref`` in this
       comparison is the *mirrored* template; restated as it runs.

    Closed form of the same least squares (our formulation); :func:`similarity_transform` is the
    ``clean`` recipe's direct image → template fit.

    Args:
        src: ``N×2`` image landmarks (x, y pixels), rounded to float32 first like the reference.
        dst: ``N×2`` template points (x, y pixels), rounded to float32 likewise.
    Returns:
        ``2×3`` float64 image → template matrix (for ``cv2.warpAffine``).
    """
    uv = np.asarray(src, dtype=np.float32).astype(np.float64)
    xy = np.asarray(dst, dtype=np.float32).astype(np.float64)
    w = uv[:, 0] + 1j * uv[:, 1]
    z = xy[:, 0] + 1j * xy[:, 1]
    zr = -np.conj(z)

    def fit(zz: np.ndarray) -> tuple[complex, complex]:
        z0 = zz - zz.mean()
        den = float(np.sum(np.abs(z0) ** 2))
        if den <= 1e-12:
            raise InputError("face alignment: the template points coincide")
        a = complex(np.sum(np.conj(z0) * (w - w.mean())) / den)
        if abs(a) <= 1e-12:
            raise InputError("face alignment: the 5 landmarks coincide; cannot fit a similarity transform")
        return a, complex(w.mean() - a * zz.mean())

    a1, t1 = fit(z)
    ar, tr = fit(zr)
    p1 = (w - t1) / a1
    p2 = -np.conj((w - tr) / ar)
    if np.linalg.norm(p1 - zr) <= np.linalg.norm(p2 - zr):
        b, c = 1 / a1, -t1 / a1
        return np.array([[b.real, -b.imag, c.real], [b.imag, b.real, c.imag]])
    b, c = 1 / ar, -tr / ar
    return np.array([[-b.real, b.imag, -c.real], [b.imag, b.real, c.imag]])


def align_faces(
    frames: np.ndarray, landmarks: np.ndarray, size: int = 112, recipe: str = "clean"
) -> np.ndarray:
    """Warp each frame so its 5 landmarks land on the ArcFace template.

    Args:
        frames: ``B×H×W×3`` uint8 RGB.
        landmarks: ``B×5×2`` float pixel coordinates (x, y).
        size: output side (112; the template is scaled by ``size/112`` otherwise).
        recipe: ``clean`` (least-squares image → template fit on :data:`ARCFACE_TEMPLATE_112`)
            or ``bfvr`` (the reference's template → image fit, inverted, with its reflection
            test, on :data:`BFVR_TEMPLATE_112`; :func:`cp2tform_similarity`).
    Returns:
        ``B×size×size×3`` uint8 RGB aligned faces.
    """
    import cv2

    if recipe not in ("clean", "bfvr"):
        raise InputError(f"unknown ArcFace alignment recipe {recipe!r} (clean or bfvr)")
    tmpl = (BFVR_TEMPLATE_112 if recipe == "bfvr" else ARCFACE_TEMPLATE_112) * (size / 112.0)
    fit = cp2tform_similarity if recipe == "bfvr" else similarity_transform
    out = np.zeros((len(frames), size, size, 3), dtype=np.uint8)
    for i, (fr, lm) in enumerate(zip(frames, landmarks)):
        m = fit(lm, tmpl)
        # borderValue (0, 0, 0, 0) is the Scalar that cv2 makes of 0 (the stubs want a sequence)
        out[i] = cv2.warpAffine(
            fr,
            m,
            (size, size),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=(0.0, 0.0, 0.0, 0.0),
        )
    return out


def to_arcface_input(faces: np.ndarray):
    """``B×112×112×3`` uint8 RGB → ``B×3×112×112`` float32 tensor in [−1, 1]."""
    from vfebench.metrics.frames import frames_to_tensor

    x = frames_to_tensor(faces)
    return (x - 0.5) / 0.5
