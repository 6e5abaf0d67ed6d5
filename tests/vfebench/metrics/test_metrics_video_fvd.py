"""FVD: Fréchet distance (closed forms), I3D loaders (TorchScript vs our PyTorch I3D), modes."""

from __future__ import annotations

import numpy as np
import pytest

from vfebench.metrics.functional.frechet import frechet_distance, frechet_distance_feats, gaussian_stats

torch = pytest.importorskip("torch")


# ------------------------------------------------------------------------------ Fréchet distance
@pytest.mark.parametrize("method", ["eigh", "sqrtm"])
def test_identical_sets_give_zero_and_distance_is_symmetric(rng, method):
    a = rng.normal(size=(60, 6))
    b = rng.normal(size=(40, 6)) * 1.5 + 0.3
    assert frechet_distance_feats(a, a, method=method) == pytest.approx(0.0, abs=1e-9)
    ab = frechet_distance_feats(a, b, method=method)
    assert ab > 0.1
    assert frechet_distance_feats(b, a, method=method) == pytest.approx(ab, rel=1e-9)


def test_grows_with_injected_mean_shift(rng):
    a = rng.normal(size=(80, 5))
    b = rng.normal(size=(80, 5))
    base = frechet_distance_feats(a, b)
    vals = [frechet_distance_feats(a, b + c) for c in (0.0, 0.5, 1.0, 2.0)]
    assert vals[0] == pytest.approx(base)
    assert all(x < y for x, y in zip(vals, vals[1:]))
    # only the mean term changes: FD(c) - FD(0) = ‖Δμ + c‖² - ‖Δμ‖²
    d = b.mean(0) - a.mean(0)
    assert vals[3] - vals[0] == pytest.approx(((d + 2.0) ** 2).sum() - (d**2).sum(), rel=1e-9)


@pytest.mark.parametrize("method", ["eigh", "sqrtm"])
def test_closed_forms(rng, method):
    # diagonal covariances: ‖Δμ‖² + Σ (√a_i − √b_i)²
    mu1, mu2 = rng.normal(size=4), rng.normal(size=4)
    a, b = rng.uniform(0.1, 3, size=4), rng.uniform(0.1, 3, size=4)
    want = ((mu1 - mu2) ** 2).sum() + ((np.sqrt(a) - np.sqrt(b)) ** 2).sum()
    got = frechet_distance(mu1, np.diag(a), mu2, np.diag(b), eps=0.0, method=method)
    assert got == pytest.approx(want, rel=1e-9)
    # Σ2 = c²Σ1 (full, non-diagonal): Tr(Σ1)(1 − c)²
    m = rng.normal(size=(5, 5))
    s1 = m @ m.T + 0.1 * np.eye(5)
    got = frechet_distance(np.zeros(5), s1, np.zeros(5), 9.0 * s1, eps=0.0, method=method)
    assert got == pytest.approx(np.trace(s1) * 4.0, rel=1e-8)
    # 1-D: (m1 − m2)² + (σ1 − σ2)²
    assert frechet_distance([1.0], [[4.0]], [3.0], [[9.0]], eps=0.0, method=method) == pytest.approx(5.0)


def test_one_sample_each_is_squared_mean_distance(rng):
    f1, f2 = rng.normal(size=(1, 400)), rng.normal(size=(1, 400))
    assert frechet_distance_feats(f1, f2, eps=0.0) == pytest.approx(((f1 - f2) ** 2).sum(), rel=1e-12)
    mu, sigma = gaussian_stats(f1)
    assert np.all(sigma == 0) and np.allclose(mu, f1[0])


def test_singular_covariances_stay_finite_and_eps_is_small(rng):
    # 5 samples in 50 dims: rank-deficient covariances (the FVD-on-50-clips situation)
    a, b = rng.normal(size=(5, 50)), rng.normal(size=(5, 50)) + 0.2
    exact = frechet_distance_feats(a, b, eps=0.0)
    reg = frechet_distance_feats(a, b, eps=1e-6)
    assert np.isfinite(exact) and np.isfinite(reg)
    assert reg == pytest.approx(exact, abs=1e-3)
    assert frechet_distance_feats(a, b, method="sqrtm", eps=1e-6) == pytest.approx(reg, rel=1e-4)


# ------------------------------------------------------------------------------ I3D networks
def _tiny_i3d(seed: int = 0):
    from helpers.integration_assets import tiny_i3d

    return tiny_i3d(seed)


@pytest.fixture(scope="module")
def i3d_file(tmp_path_factory):
    """A tiny random I3D, scripted with torch.jit.script and saved like i3d_torchscript.pt."""
    torch.set_num_threads(2)
    path = tmp_path_factory.mktemp("i3d") / "i3d_torchscript.pt"
    torch.jit.save(torch.jit.script(_tiny_i3d()), str(path))
    return path


def test_torchscript_and_pytorch_loaders_give_equal_features(i3d_file, rng):
    from vfebench.metrics.features.i3d_features import I3DExtractor

    ts = I3DExtractor(i3d_file, "torchscript")
    pt = I3DExtractor(i3d_file, "pytorch")
    assert isinstance(ts.model, torch.jit.ScriptModule)
    assert not isinstance(pt.model, torch.jit.ScriptModule)
    assert pt.info["mapping"] == "by-name" and pt.info["width_div"] == 16
    frames = rng.integers(0, 256, size=(12, 48, 64, 3), dtype=np.uint8)
    a, b = ts.features(frames), pt.features(frames)
    assert a.shape == (400,)
    assert np.abs(a).max() > 1e-3  # not a degenerate all-zero output
    np.testing.assert_allclose(a, b, atol=1e-4, rtol=1e-4)


def test_structural_key_mapping_from_foreign_names():
    """Another port's names (module prefixes renamed, BN scale dropped) map back by structure."""
    from vfebench.metrics.nets.i3d import build_i3d

    src = _tiny_i3d(1)
    sd = src.state_dict()
    renamed, prefixes = {}, {}
    for k, v in sd.items():
        prefix, _, leaf = k.rpartition(".")
        new_prefix = prefixes.setdefault(prefix, f"features.{len(prefixes)}")
        leaf = {"running_mean": "moving_mean", "running_var": "moving_variance"}.get(leaf, leaf)
        if prefix.endswith(".bn") and leaf == "weight":
            continue  # TF-style BatchNorm without scale ...
        renamed[f"{new_prefix}.{leaf}"] = v
    with torch.no_grad():  # ... so the source must have gamma = 1 to be equivalent
        for k, v in src.state_dict().items():
            if k.endswith("bn.weight"):
                v.fill_(1.0)
    model, info = build_i3d(renamed)
    assert info["mapping"] == "structural"
    x = torch.rand(1, 3, 10, 224, 224) * 2 - 1
    with torch.no_grad():
        np.testing.assert_allclose(model(x).numpy(), src(x).numpy(), atol=1e-5)
    bad = dict(renamed)
    first = next(iter(bad))
    bad[first] = torch.zeros(8, 3, 5, 7, 7)
    with pytest.raises(ValueError, match="does not fit|expected"):
        build_i3d(bad)


def test_i3d_features_are_preprocessed_as_documented(i3d_file, rng):
    """Short side → 224 bilinear, centre crop, [−1, 1]: a 224×224 input is only rescaled."""
    from vfebench.metrics.features.i3d_features import preprocess

    frames = rng.integers(0, 256, size=(10, 224, 224, 3), dtype=np.uint8)
    x = preprocess(frames)
    assert x.shape == (1, 3, 10, 224, 224) and x.dtype == torch.float32
    want = torch.from_numpy(frames).permute(3, 0, 1, 2).float() / 255.0 * 2 - 1
    torch.testing.assert_close(x[0], want, atol=1e-6, rtol=0)
    wide = preprocess(rng.integers(0, 256, size=(10, 100, 300, 3), dtype=np.uint8))
    assert wide.shape == (1, 3, 10, 224, 224)
    assert float(wide.min()) >= -1.0 and float(wide.max()) <= 1.0
    bgr = preprocess(frames, bgr=True)
    torch.testing.assert_close(bgr[0], want.flip(0))


# ------------------------------------------------------------------------------ FVD metric
def _clip(rng, cid, t=24, h=32, w=32, frames=None):
    from vfebench.video import Clip

    if frames is None:
        frames = rng.integers(0, 256, size=(t, h, w, 3), dtype=np.uint8)
    return Clip(cid, frames)


@pytest.fixture
def registered_i3d(i3d_file, monkeypatch):
    """Declare the tiny file as the i3d_torchscript asset (pinned sha256) in the isolated cache."""
    import shutil

    import vfebench.assets as assets
    from vfebench.utils import sha256_file

    a = assets.get_asset("i3d_torchscript")
    pinned = assets.Asset(**{**a.__dict__, "sha256": sha256_file(i3d_file)})
    monkeypatch.setitem(assets._EXTRA, "i3d_torchscript", pinned)
    monkeypatch.setattr(assets, "_CATALOG", None)
    dest = assets.asset_dir() / a.filename
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(i3d_file, dest)
    return dest


def test_per_video_mean_equals_squared_feature_distance(registered_i3d, rng):
    from vfebench.metrics import build_metric
    from vfebench.metrics.base import ScoreContext
    from vfebench.metrics.features.i3d_features import I3DExtractor

    assert build_metric("fvd").mode == "per_video_mean"  # the default; 24 frames by default
    fvd = build_metric("fvd", frames=12)
    assert fvd.required_assets() == ("i3d_torchscript",)
    ctx = ScoreContext()
    pred, gt = _clip(rng, "a", t=14), _clip(rng, "a", t=14)
    r = fvd.score_clip(pred, gt, ctx)
    ex = I3DExtractor(registered_i3d, "pytorch")
    fp, fg = ex.features(pred.frames[:12]), ex.features(gt.frames[:12])
    assert r.value == pytest.approx(float(((fp - fg) ** 2).sum()), rel=1e-4)
    assert r.n_frames == 12 and r.value > 1e-3
    assert fvd.score_clip(gt, gt, ctx).value == 0.0
    res = fvd.score_set([pred, gt], [gt, gt], ctx)
    assert res.value == pytest.approx(r.value / 2, rel=1e-9)


def test_bfvr_mode_feeds_bgr(registered_i3d, rng):
    from vfebench.metrics import build_metric
    from vfebench.metrics.base import ScoreContext

    # smooth, strongly coloured frames (red vs blue ramps) so that channel order matters
    ramp = np.linspace(0, 255, 512, dtype=np.float64)[None, :, None]
    f1 = np.zeros((10, 512, 512, 3), np.uint8)
    f1[..., 0] = ramp.astype(np.uint8)
    f2 = f1.copy()
    f2[..., 2] = 200
    bfvr = build_metric("fvd:bfvr", frames=10).score_clip(
        _clip(rng, "c", frames=f1), _clip(rng, "c", frames=f2), ScoreContext()
    )
    swapped = build_metric("fvd", frames=10).score_clip(
        _clip(rng, "c", frames=np.ascontiguousarray(f1[..., ::-1])),
        _clip(rng, "c", frames=np.ascontiguousarray(f2[..., ::-1])),
        ScoreContext(),
    )
    plain = build_metric("fvd", frames=10).score_clip(
        _clip(rng, "c", frames=f1), _clip(rng, "c", frames=f2), ScoreContext()
    )
    assert bfvr.value == pytest.approx(swapped.value, rel=1e-6)
    assert bfvr.value > 1e-3 and plain.value > 1e-3
    assert abs(bfvr.value - plain.value) > 1e-3 * plain.value
    assert bfvr.extras["bgr"] is True


def test_dataset_mode_pools_windows(registered_i3d, rng):
    from vfebench.errors import InputError
    from vfebench.metrics import build_metric
    from vfebench.metrics.base import ScoreContext

    fvd = build_metric("fvd:dataset")
    assert fvd.level == "set"
    gts = [_clip(rng, "a", t=33), _clip(rng, "b", t=20)]  # 2 + 1 windows of 16
    preds = [_clip(rng, "a", t=33), _clip(rng, "b", t=20)]
    ctx = ScoreContext()
    same = fvd.score_set(gts, gts, ctx)
    assert same.extras["n_samples"] == 3 and same.extras["n_clips"] == 2
    assert same.value == pytest.approx(0.0, abs=1e-6)
    diff = fvd.score_set(preds, gts, ctx)
    assert diff.value > 0 and np.isnan(diff.clips[0].value)
    assert [c.extras["windows"] for c in diff.clips] == [2, 1]
    with pytest.raises(InputError, match="score_set"):
        fvd.aggregate(diff.clips)


def test_fvd_errors_are_clear(rng, tmp_path):
    from vfebench.errors import AssetHashError, InputError, MissingAssetError
    from vfebench.metrics import build_metric
    from vfebench.metrics.base import ScoreContext

    with pytest.raises(InputError, match="no mode"):
        build_metric("fvd:datset")
    with pytest.raises(InputError, match="backend"):
        build_metric("fvd", backend="tf")
    with pytest.raises(MissingAssetError, match="i3d_torchscript.pt"):
        build_metric("fvd").setup("cpu")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a torchscript file")
    with pytest.raises(AssetHashError, match="TorchScript"):
        build_metric("fvd", weights=str(junk)).setup("cpu")
    short = build_metric("fvd", weights=str(junk))
    short._ready = True  # no network needed for the length check
    r = short.score_clip(_clip(rng, "s", t=8), _clip(rng, "s", t=8), ScoreContext())
    assert np.isnan(r.value) and "at least 10" in r.reason


def test_git_blob_check_when_sha256_is_unknown(tmp_path, monkeypatch):
    import vfebench.assets as assets
    from vfebench.assets import git_blob_sha1, verify_git_blob
    from vfebench.errors import AssetHashError

    f = tmp_path / "x.pt"
    f.write_bytes(b"hello\n")
    assert git_blob_sha1(f) == "ce013625030ba8dba906f756967f9e9ca394464a"  # `git hash-object`
    pinned = assets.get_asset("i3d_torchscript")
    assert pinned.sha256 and pinned.extra["git_blob_sha1"]
    verify_git_blob("i3d_torchscript", f)  # a pinned sha256 wins: the blob id is not consulted
    a = assets.Asset(**{**pinned.__dict__, "sha256": ""})  # the fallback, for an unpinned entry
    monkeypatch.setitem(assets._EXTRA, "i3d_torchscript", a)
    monkeypatch.setattr(assets, "_CATALOG", None)
    with pytest.raises(AssetHashError, match="git blob"):
        verify_git_blob("i3d_torchscript", f)
    ok = assets.Asset(**{**a.__dict__, "extra": {"git_blob_sha1": git_blob_sha1(f)}})
    monkeypatch.setitem(assets._EXTRA, "i3d_torchscript", ok)
    monkeypatch.setattr(assets, "_CATALOG", None)
    verify_git_blob("i3d_torchscript", f)
