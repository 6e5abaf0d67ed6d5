"""AKD's fan68 backend: our FAN pipeline equals face-alignment's own on the same (random) weights."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
face_alignment = pytest.importorskip("face_alignment")

from vfebench.datasets.demo import render_demo_clip  # noqa: E402
from vfebench.errors import InputError  # noqa: E402
from vfebench.metrics import build_metric  # noqa: E402
from vfebench.metrics.base import FeatureStore, ScoreContext  # noqa: E402
from vfebench.metrics.features.fan import fan_landmarks  # noqa: E402
from vfebench.metrics.nets.fan import fan_stacks, load_fan  # noqa: E402
from vfebench.video import Clip  # noqa: E402


@pytest.fixture(scope="module")
def fan_file(tmp_path_factory):
    from face_alignment.models import FAN

    torch.manual_seed(0)
    net = FAN(1)  # one hour-glass stack keeps the test fast; the loader reads the stack count
    path = tmp_path_factory.mktemp("fan") / "2DFAN4-test.pth.tar"
    torch.save(net.state_dict(), path)
    return path


@pytest.fixture(scope="module")
def face_clip() -> Clip:
    return Clip("astro", render_demo_clip("astronaut_a", 2, 512))


def test_matches_face_alignment_pipeline(fan_file, face_clip):
    torch.set_num_threads(1)
    net = load_fan(fan_file)
    assert fan_stacks(net.state_dict()) == 1
    fa = face_alignment.FaceAlignment.__new__(face_alignment.FaceAlignment)
    fa.device, fa.flip_input, fa.verbose, fa.dtype, fa.max_batch_size = "cpu", True, False, torch.float32, 1
    fa.landmarks_type = face_alignment.LandmarksType.TWO_D
    fa.face_detector = type("SFDScale", (), {"reference_scale": 195.0})()
    fa.face_alignment_net = net
    img = face_clip.frames[0]
    for box in (np.array([150.0, 120.0, 360.0, 380.0]), np.array([100.5, 90.25, 420.0, 430.75])):
        ref = fa.get_landmarks_from_image(img, detected_faces=[box])[0]
        ours = fan_landmarks(net, img, box)
        assert ours.shape == (68, 2)
        np.testing.assert_allclose(ours, ref, atol=1e-4)


def test_akd_fan68_through_the_loading_path(fan_file, face_clip):
    m = build_metric("akd", backend="fan68", weights=str(fan_file))
    assert m.required_assets() == ()
    ctx = ScoreContext(features=FeatureStore())
    r = m.score_clip(face_clip, face_clip, ctx)
    assert r.value == 0.0 and r.n_frames == 2 and r.extras["akd_px"] == 0.0
    assert "fan68" in r.extras["backend"] and m.identity()["options"]["backend"] == "fan68"
    assert build_metric("akd", backend="fan68").required_assets() == ("fan_2dfan4",)
    with pytest.raises(InputError, match="backend"):
        build_metric("akd", backend="dlib")


def test_akd_fan68_from_the_asset_cache(fan_file, face_clip, tmp_path, monkeypatch):
    """The asset route: a file imported into the cache under the pinned name is what loads."""
    import shutil

    from vfebench import assets

    src = tmp_path / "bring"
    src.mkdir()
    shutil.copy(fan_file, src / "2DFAN4-11f355bf06.pth.tar")
    # the random file is not the real one: the pinned hash refuses it ...
    assert assets.import_dir(src, ["fan_2dfan4"])["fan_2dfan4"].startswith("hash mismatch")
    # ... and with its own hash pinned (a test stand-in for the real file) it is imported
    from vfebench.utils import sha256_file

    real = assets.get_asset("fan_2dfan4")
    monkeypatch.setitem(
        assets._EXTRA, "fan_2dfan4", assets.Asset(**{**real.__dict__, "sha256": sha256_file(fan_file)})
    )
    monkeypatch.setattr(assets, "_CATALOG", None)
    assert assets.import_dir(src, ["fan_2dfan4"])["fan_2dfan4"] == "imported"
    m = build_metric("akd", backend="fan68")
    moved = face_clip.with_frames(np.roll(face_clip.frames, 4, axis=2))
    r = m.score_clip(moved, face_clip, ScoreContext())
    assert np.isfinite(r.value) and r.value == pytest.approx(r.extras["akd_px"] / 512)
