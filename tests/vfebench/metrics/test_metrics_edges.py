"""Metric edges: legitimate extremes (PSNR inf) vs frames that cannot be scored (NaN + reason),
option validation, and ``weights=PATH`` through each weighted metric's real loading path.

The rule (``vfebench.metrics.base``): NaN means "could not be scored" and always carries a reason;
±inf is a value, averaged like the reference scripts' ``np.mean`` (so it propagates); JSON holds
NaN as ``null`` and ±inf as ``"inf"``/``"-inf"``.
"""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest

from vfebench.errors import InputError
from vfebench.metrics import METRICS, build_metric
from vfebench.metrics.base import ClipResult, ScoreContext, from_json_value, json_value, nanmean
from vfebench.video import Clip


def _frames(rng, t=3, h=32, w=32):
    return rng.integers(0, 256, (t, h, w, 3), dtype=np.uint8)


def _noisy(rng, a, sigma=6):
    return np.clip(
        a.astype(np.int16) + rng.normal(0, sigma, a.shape).round().astype(np.int16), 0, 255
    ).astype(np.uint8)


def _strict_json(d) -> dict:
    """Round-trip through JSON that rejects NaN/Infinity tokens (what a JSON parser accepts)."""
    return json.loads(json.dumps(d, allow_nan=False))


# ----------------------------------------------------------------------------- PSNR / inf
def test_psnr_identical_frames_are_inf_not_unscorable(rng):
    gt = _frames(rng)
    r = build_metric("psnr")(gt.copy(), gt)
    assert np.all(np.isposinf(r.per_frame))
    assert math.isinf(r.value) and r.value > 0
    assert (r.n_frames, r.n_skipped, r.reason) == (3, 0, "")
    d = _strict_json(r.to_dict(with_frames=True))
    assert d["value"] == "inf" and d["per_frame"] == ["inf"] * 3
    assert from_json_value(d["value"]) == float("inf")


def test_psnr_two_of_three_identical_frames_propagate_inf(rng):
    """The reference (BFVR-STC eval_psnr_ssim.py) averages per-frame PSNRs with np.mean: inf wins."""
    gt = _frames(rng)
    pred = gt.copy()
    pred[1] = _noisy(rng, gt[1])
    r = build_metric("psnr")(pred, gt)
    finite = 10 * np.log10(255.0**2 / np.mean((pred[1].astype(float) - gt[1]) ** 2))
    assert np.isposinf(r.per_frame[[0, 2]]).all() and r.per_frame[1] == pytest.approx(finite, abs=1e-9)
    assert r.value == float("inf") and r.value == np.mean(r.per_frame)
    assert (r.n_frames, r.n_skipped, r.reason) == (3, 0, "")


def test_set_mean_follows_the_reference_with_inf_and_skips_nan(rng):
    m = build_metric("psnr")
    gt = _frames(rng)
    noisy = _noisy(rng, gt)
    res = m.score_set(
        [Clip("same", gt.copy()), Clip("noisy", noisy)], [Clip("same", gt), Clip("noisy", gt)], ScoreContext()
    )
    assert res.clips[0].value == float("inf") and math.isfinite(res.clips[1].value)
    assert res.value == float("inf")
    # a NaN clip (could not be scored) is left out, an inf clip is not
    assert nanmean([float("nan"), 30.0, None]) == 30.0
    assert nanmean(["inf", 30.0, None]) == float("inf")
    assert math.isnan(nanmean([float("inf"), float("-inf")]))
    assert math.isnan(nanmean([None, float("nan")]))


def test_json_value_encoding():
    assert [json_value(v) for v in (1.5, float("nan"), None, float("inf"), -float("inf"))] == [
        1.5,
        None,
        None,
        "inf",
        "-inf",
    ]
    r = ClipResult("c", float("nan"), 0, 2, "why", np.array([np.nan, np.inf]))
    assert _strict_json(r.to_dict(with_frames=True)) == {
        "clip_id": "c",
        "value": None,
        "n_frames": 0,
        "n_skipped": 2,
        "reason": "why",
        "per_frame": [None, "inf"],
    }


# ----------------------------------------------------------------------------- NIQE edges
def _no_warnings(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any RuntimeWarning (0/0, empty nanmean) fails the test
        return fn()


def test_niqe_flat_black_frames_are_nan_with_reason_without_warnings(rng):
    m = build_metric("niqe")
    black = np.zeros((2, 256, 256, 3), np.uint8)
    r = _no_warnings(lambda: m(black, clip_id="black"))
    assert math.isnan(r.value) and (r.n_frames, r.n_skipped) == (0, 2)
    assert "flat frame" in r.reason and "2 frame(s)" in r.reason
    # one flat frame among textured ones: that frame is skipped and counted, the others scored
    tex = rng.integers(0, 256, (1, 256, 256, 3), dtype=np.uint8)
    mixed = _no_warnings(lambda: m(np.concatenate([black[:1], tex]), clip_id="mixed"))
    assert mixed.n_frames == 1 and mixed.n_skipped == 1 and "flat frame" in mixed.reason
    assert mixed.value == pytest.approx(m(tex).value)
    # a uniform grey frame too (not only zeros)
    grey = np.full((1, 192, 192, 3), 128, np.uint8)
    assert math.isnan(_no_warnings(lambda: m(grey)).value)


def test_niqe_black_borders_score_without_warnings(rng):
    """Flat blocks inside a textured frame are dropped per feature (MATLAB nanmean), silently."""
    from vfebench.metrics.functional.niqe import niqe_with_reasons

    f = rng.integers(0, 256, (1, 384, 384, 3), dtype=np.uint8)
    f[:, :, :200] = 0  # the left half (2 block columns of 4) is black
    vals, why = _no_warnings(lambda: niqe_with_reasons(f))
    assert np.isfinite(vals).all() and why == [""]


def test_niqe_128_input_is_nan_with_reason(rng):
    m = build_metric("niqe")
    r = _no_warnings(lambda: m(rng.integers(0, 256, (2, 128, 128, 3), dtype=np.uint8), clip_id="tiny"))
    assert math.isnan(r.value) and r.n_skipped == 2
    assert "at least 192×192" in r.reason and "128×128" in r.reason
    # the functional core: NaN, no exception
    from vfebench.metrics.functional.niqe import niqe

    assert np.isnan(niqe(np.zeros((128, 128, 3), np.uint8)))
    # a set with a tiny clip keeps the other clip's value
    big = rng.integers(0, 256, (1, 192, 192, 3), dtype=np.uint8)
    res = m.score_set(
        [Clip("tiny", np.zeros((1, 128, 128, 3), np.uint8)), Clip("big", big)], None, ScoreContext()
    )
    assert math.isnan(res.clips[0].value) and res.value == pytest.approx(res.clips[1].value)


# ----------------------------------------------------------------------------- options
def test_unknown_option_is_rejected_with_did_you_mean_for_every_metric():
    for name in METRICS.names():
        cls = METRICS.get(name)
        with pytest.raises(InputError, match=rf"metric '{name}' has no option 'typo_option'"):
            build_metric(f"{name}:typo_option=3")
        opts = cls.declared_options()
        for opt in opts:
            typo = opt[:-1] + ("x" if opt[-1] != "x" else "y")
            with pytest.raises(InputError, match=rf"Did you mean '{opt}'"):
                build_metric(name, **{typo: 1})
    # psnr's options are exactly what it declares, and info() lists them for `vfebench ls`
    assert set(METRICS.get("psnr").declared_options()) == {"crop_border", "test_y_channel", "batch_size"}
    assert "weights" in METRICS.get("musiq").info()["options"]


def test_declared_options_are_accepted_and_enter_the_identity():
    m = build_metric("psnr:crop_border=2")
    assert m.identity()["options"]["crop_border"] == 2
    assert build_metric("psnr").identity() != m.identity()


# ----------------------------------------------------------------------------- weights=PATH
def _weights_file(weights_dir, asset: str):
    from helpers import integration_assets as ia

    return ia.write_weights(weights_dir, [asset])[asset]


WEIGHTED = [
    # (spec, {option: asset it replaces}, frames shape, needs reference)
    ("musiq", {"weights": "musiq_koniq"}, (1, 40, 56, 3), False),
    ("clipiqa", {"weights": "clip_rn50"}, (2, 64, 64, 3), False),
    ("lpips", {"weights": "lpips_alex_v01", "trunk": "tv_alexnet"}, (2, 64, 64, 3), True),
    ("fastervqa", {"weights": "fastervqa_3d"}, (8, 64, 64, 3), False),
]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("spec,files,shape,ref", WEIGHTED, ids=[w[0] for w in WEIGHTED])
def test_weights_option_loads_that_file_through_the_real_loader(
    tmp_path, weights_dir, rng, spec, files, shape, ref
):
    """No asset is installed (isolated, offline asset dir): the metric must load the given file
    (the catalogue asset would be missing), record its sha256, and score with it. The face
    metrics (ids, facecons, akd:backend=fan68) and FVD are covered the same way in their own
    test files (test_metrics_face_nets.py, test_metrics_akd_fan.py, test_metrics_video_fvd.py)."""
    pytest.importorskip("torch")
    if spec in ("musiq", "clipiqa"):
        pytest.importorskip("pyiqa")
    from vfebench import assets
    from vfebench.errors import MissingAssetError
    from vfebench.utils import sha256_file

    paths = {opt: _weights_file(weights_dir, asset) for opt, asset in files.items()}
    assert not any((assets.asset_dir() / p.name).exists() for p in paths.values())
    opts = {opt: str(p) for opt, p in paths.items()}
    m = build_metric(spec, **opts)
    assert m.required_assets() == ()
    ident = m.identity()
    for opt, p in paths.items():
        assert ident[f"{opt}_sha256"] == sha256_file(p)
    frames = rng.integers(0, 256, shape, dtype=np.uint8)
    gt = rng.integers(0, 256, shape, dtype=np.uint8) if ref else None
    r = m(frames, gt, clip_id="w")
    assert math.isfinite(r.value), r
    # without the option the same metric needs the (absent) asset and says how to get it
    with pytest.raises(MissingAssetError):
        build_metric(spec)(frames, gt, clip_id="w")
    # a missing file is a clear error naming the option
    for opt in files:
        bad = {**opts, opt: str(tmp_path / "nope.pth")}
        with pytest.raises(InputError, match=rf"{opt}"):
            build_metric(spec, **bad)(frames, gt, clip_id="w")


def test_weights_option_changes_the_result_for_musiq(tmp_path, rng):
    """Two different local files give two different scores (the file is really used)."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("pyiqa")
    from pyiqa.archs.musiq_arch import MUSIQ as RefMUSIQ

    frames = rng.integers(0, 256, (1, 40, 56, 3), dtype=np.uint8)
    vals = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        ref = RefMUSIQ(num_class=1, pretrained=False).eval()
        p = tmp_path / f"musiq{seed}.pth"
        torch.save({f"module.{k}": v for k, v in ref.state_dict().items()}, p)
        ours = build_metric("musiq", weights=str(p))(frames, clip_id="m").per_frame
        with torch.no_grad():
            want = (
                ref(torch.from_numpy(frames).permute(0, 3, 1, 2).float() / 255.0).reshape(-1).double().numpy()
            )
        assert np.allclose(ours, want, rtol=1e-5, atol=1e-5)
        vals.append(float(ours[0]))
    assert vals[0] != vals[1]
