"""Face metrics (AKD, TLME, IDS, FaceCons) on a real face photo (skimage astronaut).

Networks go through the real loading code with locally generated weights; MediaPipe and MTCNN
use the weights bundled in their wheels.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("mediapipe")
pytest.importorskip("facenet_pytorch")
torch = pytest.importorskip("torch")
cv2 = pytest.importorskip("cv2")

from vfebench.metrics import METRICS, build_metric  # noqa: E402
from vfebench.metrics.base import FeatureStore, ScoreContext  # noqa: E402
from vfebench.video import Clip  # noqa: E402

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def face512() -> np.ndarray:
    from skimage import data

    return cv2.resize(data.astronaut(), (512, 512), interpolation=cv2.INTER_AREA)


def shift(img: np.ndarray, dx: float, dy: float = 0.0) -> np.ndarray:
    m = np.float32([[1, 0, dx], [0, 1, dy]])
    return cv2.warpAffine(img, m, (img.shape[1], img.shape[0]), borderMode=cv2.BORDER_REFLECT)


# ----------------------------------------------------------------------------- AKD
def test_akd_self_is_zero_and_shift_is_k_over_512(face512):
    gt = Clip("c", np.stack([face512] * 2))
    ctx = ScoreContext()
    m = build_metric("akd")
    assert m.score_clip(gt, gt, ctx).value == 0.0
    for k in (4, 8):
        pred = Clip("c", np.stack([shift(face512, k)] * 2))
        r = m.score_clip(pred, gt, ctx)
        assert r.n_frames == 2 and r.n_skipped == 0
        assert r.value * 1000 == pytest.approx(k / 512 * 1000, rel=0.1), (k, r.value)
    assert m.display_value(r.value) == pytest.approx(r.value * 1000)


def test_akd_frames_without_face_are_skipped_and_counted(face512):
    blank = np.zeros_like(face512)
    gt = Clip("c", np.stack([face512, blank, face512]))
    pred = Clip("c", np.stack([shift(face512, 4), face512, shift(face512, 4)]))
    r = build_metric("akd").score_clip(pred, gt, ScoreContext())
    assert r.n_frames == 2 and r.n_skipped == 1 and "without a detected face" in r.reason
    assert math.isnan(r.per_frame[1]) and np.isfinite(r.value)


def test_clip_without_any_face_is_nan_and_set_goes_on(face512):
    blank = Clip("blank", np.zeros((2, 128, 128, 3), np.uint8))
    face = Clip("face", np.stack([face512] * 2))
    res = build_metric("akd").score_set([blank, face], [blank, face], ScoreContext())
    assert math.isnan(res.clips[0].value) and "no frame could be scored" in res.clips[0].reason
    assert res.value == 0.0  # the face clip against itself; the NaN clip is left out


# ----------------------------------------------------------------------------- TLME
def test_tlme_static_is_zero_and_grows_with_jitter(face512):
    ctx = ScoreContext()
    m = build_metric("tlme")
    static = m.score_clip(Clip("s", np.stack([face512] * 3)), None, ctx)
    assert static.value == pytest.approx(0.0, abs=1e-9)
    rng = np.random.default_rng(0)
    vals = []
    for amp in (1.0, 4.0):
        frames = [shift(face512, *rng.uniform(-amp, amp, 2)) for _ in range(4)]
        vals.append(m.score_clip(Clip("j", np.stack(frames)), None, ctx).value)
    assert 0 < vals[0] < vals[1]
    assert METRICS.get("tlme").recon is True


def test_tlme_ref_removes_shared_motion(face512):
    frames = np.stack([shift(face512, 3 * t) for t in range(3)])
    ctx = ScoreContext()
    moving = Clip("m", frames)
    plain = build_metric("tlme").score_clip(moving, None, ctx).value
    ref = build_metric("tlme_ref").score_clip(moving, moving, ctx).value
    assert plain * 1000 == pytest.approx(3 / 512 * 1000, rel=0.15)
    assert ref == 0.0


def test_shared_analysis_runs_once_per_clip(face512):
    clip = Clip("c", np.stack([face512] * 2))
    store = FeatureStore()
    ctx = ScoreContext(features=store)
    build_metric("akd").score_clip(clip, clip, ctx)
    build_metric("tlme").score_clip(clip, None, ctx)
    build_metric(
        "tlme",
    ).score_clip(clip, None, ScoreContext(features=store, max_frames=1))
    assert store.misses == 1  # one FaceMesh pass for three scores


def test_feature_store_persists_across_processes_layout(tmp_path, face512):
    clip = Clip("c", np.stack([face512] * 2))
    s1 = FeatureStore(tmp_path)
    build_metric("tlme").score_clip(clip, None, ScoreContext(features=s1))
    s2 = FeatureStore(tmp_path)
    build_metric("akd").score_clip(clip, clip, ScoreContext(features=s2))
    assert s2.misses == 0 and s2.hits >= 1
