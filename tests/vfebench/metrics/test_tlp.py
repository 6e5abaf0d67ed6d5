"""tLP (temporal LPIPS, vfebench.metrics.tlp) against hand-computed values.

The LPIPS network is loaded through its real loading code from small local files: a random
AlexNet trunk (torch.manual_seed(0)) and the real v0.1 linear heads shipped in the lpips wheel.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
lpips_pkg = pytest.importorskip("lpips")

from vfebench.metrics import build_metric  # noqa: E402
from vfebench.metrics.base import ScoreContext  # noqa: E402
from vfebench.video import Clip  # noqa: E402


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    import torch
    import torchvision

    torch.manual_seed(0)
    tv = torchvision.models.alexnet(weights=None)
    trunk = tmp_path_factory.mktemp("tlp") / "alexnet_random.pth"
    torch.save({k: v for k, v in tv.state_dict().items() if k.startswith("features.")}, trunk)
    heads = Path(lpips_pkg.__file__).parent / "weights" / "v0.1" / "alex.pth"
    return {"trunk": str(trunk), "weights": str(heads)}


def _frames(seed: int, n: int, size: int = 32) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, size, size, 3), dtype=np.uint8)


@pytest.fixture(scope="module")
def lp(weights):
    """The ``lpips`` metric with the same weights (per-frame distances)."""
    m = build_metric("lpips", **weights)
    return lambda a, b: np.asarray(m.score_clip(Clip("x", a), Clip("x", b), ScoreContext()).per_frame)


def test_tlp_hand_computed(weights, lp):
    tlp = build_metric("tlp", **weights)
    g = _frames(1, 5)
    # identical clips: the frame-to-frame change is the GT's exactly → 0
    assert tlp.score_clip(Clip("c", g), Clip("c", g), ScoreContext()).value == 0.0
    # GT frozen (ΔLPIPS_gt = 0), prediction alternating A, B, A, B → every pair is LPIPS(A, B)
    a, b = _frames(2, 1)[0], _frames(3, 1)[0]
    frozen = np.stack([g[0]] * 4)
    flicker = np.stack([a, b, a, b])
    want = float(lp(a[None], b[None])[0])
    got = tlp.score_clip(Clip("c", flicker), Clip("c", frozen), ScoreContext())
    assert want > 0 and got.value == pytest.approx(want, rel=1e-6, abs=1e-7)
    assert got.n_frames == 3
    # general case: mean over pairs of |LPIPS(g_t-1, g_t) - LPIPS(p_t-1, p_t)| (TecoGAN's tLP)
    p = _frames(4, 5)
    dg = lp(g[:-1], g[1:])
    dp = lp(p[:-1], p[1:])
    for m in (tlp, build_metric("tlp:batch_size=3", **weights)):  # batching does not change it
        r = m.score_clip(Clip("c", p), Clip("c", g), ScoreContext())
        assert r.value == pytest.approx(float(np.mean(np.abs(dg - dp))), rel=1e-6, abs=1e-7)
    # one frame: no pair → NaN with the reason
    one = tlp.score_clip(Clip("c", g[:1]), Clip("c", g[:1]), ScoreContext())
    assert np.isnan(one.value) and "2 frames" in one.reason


def test_tlp_is_a_table1_column_declared_in_its_own_file():
    from vfebench.metrics import METRICS
    from vfebench.report.tables import layout_columns
    from vfebench.runner.plan import metric_record

    cols = [(c.key, c.header, c.group, c.higher_is_better) for c in layout_columns("table1")]
    assert cols[-1] == ("tlp", "tLP×100", "Temporal Consistency", False)
    rec = metric_record(METRICS.get("tlp")())
    assert rec["paper"] == [
        {"table": "table1", "group": "Temporal Consistency", "order": 3, "precision": None}
    ]
    assert rec["scale"] == 100.0 and rec["assets"] == {
        "tv_alexnet": "7be5be791159472b1fbf3c69796f7cb30dca7ad8466c2df70058c37116cdee02",
        "lpips_alex_v01": "df73285e35b22355a2df87cdb6b70b343713b667eddbda73e1977e0c860835c0",
    }
