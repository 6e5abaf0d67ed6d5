"""IDS ``bfvr`` recipe: the reference's alignment (matlab_cp2tform) and MTCNN settings.

``_cp2tform_restated`` is the procedure of TreB1eN/InsightFace_Pytorch
``mtcnn_pytorch/src/matlab_cp2tform.py`` @ 350ff7a written out again in its own formulation (a
4-unknown linear least-squares system solved with ``lstsq``, 3×3 row-vector matrices), as a
second, independent statement of it; vfebench's :func:`cp2tform_similarity` uses a closed
complex-number form. They must agree to 1e-6 px on the crop points.
"""

from __future__ import annotations

import numpy as np
import pytest

from vfebench.metrics.features.arcface import (
    ARCFACE_TEMPLATE_112,
    BFVR_TEMPLATE_112,
    cp2tform_similarity,
    similarity_transform,
)


def _nonreflective(uv: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """3×3 (row-vector convention, ``[x y 1] = [u v 1] @ T``) map uv → xy, fitted as the inverse
    xy → uv: ``u = sc·x + ss·y + tx``, ``v = −ss·x + sc·y + ty`` by least squares, then inverted."""
    n = len(xy)
    a = np.zeros((2 * n, 4))
    a[:n, 0], a[:n, 1], a[:n, 2] = xy[:, 0], xy[:, 1], 1.0
    a[n:, 0], a[n:, 1], a[n:, 3] = xy[:, 1], -xy[:, 0], 1.0
    b = np.concatenate([uv[:, 0], uv[:, 1]])
    sc, ss, tx, ty = np.linalg.lstsq(a, b, rcond=None)[0]
    tinv = np.array([[sc, -ss, 0.0], [ss, sc, 0.0], [tx, ty, 1.0]])
    t = np.linalg.inv(tinv)
    t[:, 2] = [0.0, 0.0, 1.0]
    return t


def _apply(t: np.ndarray, pts: np.ndarray) -> np.ndarray:
    return (np.hstack([pts, np.ones((len(pts), 1))]) @ t)[:, :2]


def _cp2tform_restated(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    uv = np.float32(src).astype(np.float64)
    xy = np.float32(dst).astype(np.float64)
    t1 = _nonreflective(uv, xy)
    xy_mirror = xy * [-1.0, 1.0]
    t2 = _nonreflective(uv, xy_mirror) @ np.diag([-1.0, 1.0, 1.0])
    # the reference mirrors its template array in place before this comparison
    keep1 = np.linalg.norm(_apply(t1, uv) - xy_mirror) <= np.linalg.norm(_apply(t2, uv) - xy_mirror)
    return (t1 if keep1 else t2)[:, :2].T


def _random_landmarks(rng: np.random.Generator, n: int) -> np.ndarray:
    """Face-like 5-point sets in a 512×512 frame: the template scaled, rotated, moved, mirrored
    sometimes, plus noise from tiny to large (so both reflection branches are exercised)."""
    out = np.empty((n, 5, 2))
    for i in range(n):
        s = rng.uniform(0.5, 4.0)
        th = rng.uniform(-np.pi, np.pi) if i % 5 == 0 else rng.normal(0, 0.3)
        r = s * np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
        if i % 7 == 0:
            r = r @ np.diag([-1.0, 1.0])
        pts = (BFVR_TEMPLATE_112 - 56.0) @ r.T + rng.uniform(100, 400, 2)
        out[i] = pts + rng.normal(0, 10.0 ** rng.uniform(-3, 1.3), pts.shape)
    return out


def test_bfvr_alignment_equals_restated_cp2tform_on_random_landmarks():
    rng = np.random.default_rng(12)
    lms = _random_landmarks(rng, 1500)
    worst = 0.0
    branches = set()
    corners = np.array([[0, 0], [511, 0], [0, 511], [511, 511], [256, 256]], float)
    for lm in lms:
        ours = cp2tform_similarity(lm, BFVR_TEMPLATE_112)
        ref = _cp2tform_restated(lm, BFVR_TEMPLATE_112)
        branches.add(bool(np.linalg.det(ref[:, :2]) < 0))
        for pts in (lm, corners):
            a = pts @ ours[:, :2].T + ours[:, 2]
            b = pts @ ref[:, :2].T + ref[:, 2]
            worst = max(worst, float(np.abs(a - b).max()))
    assert worst <= 1e-6, worst
    assert branches == {False, True}  # both the plain and the reflective branch were taken


def test_clean_and_bfvr_fits_differ_on_noisy_landmarks_only():
    rng = np.random.default_rng(3)
    exact = (BFVR_TEMPLATE_112 - 56.0) * 3.1 + 250.0
    a = cp2tform_similarity(exact, BFVR_TEMPLATE_112)
    b = similarity_transform(exact, BFVR_TEMPLATE_112)
    assert np.allclose(a, b, atol=1e-5)  # an exact similarity: both recover it (bfvr reads float32 points)
    noisy = exact + rng.normal(0, 4.0, exact.shape)
    a = cp2tform_similarity(noisy, BFVR_TEMPLATE_112)
    b = similarity_transform(noisy, BFVR_TEMPLATE_112)
    pa = noisy @ a[:, :2].T + a[:, 2]
    pb = noisy @ b[:, :2].T + b[:, 2]
    assert np.abs(pa - pb).max() > 0.01
    # the clean template is the reference one rounded to 4 decimals
    assert np.abs(ARCFACE_TEMPLATE_112 - BFVR_TEMPLATE_112).max() < 5e-5


def test_reference_pyramid_and_softmax_axis():
    from vfebench.metrics.features import mtcnn_ref

    s = mtcnn_ref.pyramid_scales(512, 512)
    assert s[0] == pytest.approx(0.6) and s[1] == pytest.approx(0.6 * 0.707)
    assert all(512 * x > 12 for x in s) and 512 * s[-1] * 0.707 <= 12
    boxes = np.array([[0, 0, 9, 9, 0.9], [1, 1, 10, 10, 0.8], [50, 50, 60, 60, 0.7]], float)
    assert mtcnn_ref.nms(boxes, 0.5) == [0, 2]
    assert mtcnn_ref.nms(boxes, 0.5, mode="min") == [0, 2]
    assert mtcnn_ref.nms(boxes, 0.99) == [0, 1, 2]


# ----------------------------------------------------------------------------- detector on real pixels
@pytest.fixture(scope="module")
def face512() -> np.ndarray:
    cv2 = pytest.importorskip("cv2")
    from skimage import data

    return cv2.resize(data.astronaut(), (512, 512), interpolation=cv2.INTER_AREA)


def test_bfvr_detector_and_ids_mode_use_the_reference_recipe(face512, tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("facenet_pytorch")
    from helpers.integration_assets import tiny_ir_se_file

    from vfebench.metrics import build_metric
    from vfebench.metrics.base import FeatureStore, ScoreContext
    from vfebench.metrics.features import mtcnn_ref
    from vfebench.metrics.features.faces import get_analysis
    from vfebench.metrics.nets.mtcnn import load_mtcnn_nets
    from vfebench.video import Clip

    torch.set_num_threads(1)
    boxes, lms = mtcnn_ref.detect_faces(face512, load_mtcnn_nets())
    assert len(boxes) >= 1 and lms.shape[1:] == (5, 2)
    assert np.all(np.diff(boxes[:, 4]) <= 0)  # most probable first
    x1, y1, x2, y2 = boxes[0, :4]
    assert np.all((lms[0][:, 0] > x1) & (lms[0][:, 0] < x2) & (lms[0][:, 1] > y1) & (lms[0][:, 1] < y2))
    assert lms[0][0, 0] < lms[0][1, 0]  # left eye left of right eye
    # the clean detector finds the same face, a few pixels away
    store = FeatureStore()
    clip = Clip("a", face512[None])
    an = get_analysis("cpu")
    clean, ref = an.mtcnn(clip, store), an.mtcnn(clip, store, recipe="bfvr")
    assert clean["found"][0] and ref["found"][0]
    assert np.abs(clean["lm5"][0] - ref["lm5"][0]).max() < 30
    np.testing.assert_allclose(ref["lm5"][0], lms[0], atol=1e-4)
    # ids:bfvr runs on those landmarks and the cp2tform alignment; clean on its own
    w = tiny_ir_se_file(tmp_path / "ir.pth")
    shifted = np.roll(face512, 4, axis=1)
    pred, gt = Clip("c", np.stack([shifted] * 2)), Clip("c", np.stack([face512] * 2))
    ctx = ScoreContext(features=store)
    rb = build_metric("ids:bfvr", weights=str(w)).score_clip(pred, gt, ctx)
    rc = build_metric("ids", weights=str(w)).score_clip(pred, gt, ctx)
    assert rb.extras["detect_align"] == "bfvr" and rc.extras["detect_align"] == "clean"
    assert rb.n_frames == 2 and rc.n_frames == 2
    assert rb.value != rc.value
    assert any(k[0] == "arcface_ir_se50_bfvr" for k in store._mem)
