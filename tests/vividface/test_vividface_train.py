"""VividFace training: latent masks (Eq. 4–5), stochastic loss (Eq. 6), DISTS, tiny training runs."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from vfebench.errors import InputError  # noqa: E402
from vividface.losses import build_dists, face_focused_loss, stage2_loss  # noqa: E402
from vividface.masks import expand_channels, latent_mask  # noqa: E402

torch.set_num_threads(1)


def brute_latent_mask(m: np.ndarray) -> np.ndarray:
    """Eq. 4–5 with loops: m is T×H×W."""
    t, h, w = m.shape
    k = (t - 1) // 4
    out = np.zeros((k + 1, h // 8, w // 8), np.float32)
    for i in range(k + 1):
        for y in range(h // 8):
            for x in range(w // 8):
                if i == 0:
                    out[i, y, x] = m[0, 8 * y, 8 * x]
                else:
                    out[i, y, x] = max(m[f, 8 * y, 8 * x] for f in range(4 * i - 3, 4 * i + 1))
    return out


@pytest.mark.parametrize("t,h,w", [(1, 8, 8), (5, 16, 24), (9, 32, 16), (13, 24, 40)])
def test_latent_mask_equals_brute_force(rng, t, h, w):
    for _ in range(3):
        m = rng.random((t, h, w)) < rng.uniform(0.05, 0.6)
        got = latent_mask(torch.from_numpy(m)).numpy()
        assert got.shape == (1 + (t - 1) // 4, h // 8, w // 8)
        np.testing.assert_array_equal(got, brute_latent_mask(m))
    batched = latent_mask(torch.from_numpy(np.stack([m, ~m])))
    np.testing.assert_array_equal(batched[1].numpy(), brute_latent_mask(~m))
    assert expand_channels(batched, 16).shape == (2, 16, 1 + (t - 1) // 4, h // 8, w // 8)


def test_latent_mask_rejects_bad_shapes():
    with pytest.raises(InputError):
        latent_mask(torch.zeros(6, 16, 16))
    with pytest.raises(InputError):
        latent_mask(torch.zeros(5, 12, 16))


def test_face_focused_loss_extremes():
    g = torch.Generator().manual_seed(0)
    pred, gt = torch.randn(4, 16, 3, 4, 4, generator=g), torch.randn(4, 16, 3, 4, 4, generator=g)
    mask = (torch.rand(4, 1, 3, 4, 4, generator=g) > 0.5).float()
    glob = ((pred - gt) ** 2).mean()
    masked = ((mask * (pred - gt)) ** 2).mean()
    l0, d0 = face_focused_loss(pred, gt, mask, p=0.0, generator=torch.Generator().manual_seed(1))
    l1, d1 = face_focused_loss(pred, gt, mask, p=1.0, generator=torch.Generator().manual_seed(1))
    assert torch.equal(l0, glob) and not d0.any()
    assert torch.equal(l1, masked) and d1.all()
    assert masked < glob
    # p = 0.5: per-sample mix, reproducible from the generator
    lh, dh = face_focused_loss(pred, gt, mask, p=0.5, generator=torch.Generator().manual_seed(3))
    per_g = ((pred - gt) ** 2).reshape(4, -1).mean(1)
    per_m = ((mask * (pred - gt)) ** 2).reshape(4, -1).mean(1)
    assert torch.allclose(lh, torch.where(dh, per_m, per_g).mean())
    draws = torch.cat(
        [face_focused_loss(pred, gt, mask, 0.5, torch.Generator().manual_seed(s))[1] for s in range(200)]
    )
    assert 0.4 < draws.float().mean() < 0.6


def test_dists_matches_pyiqa_reference(monkeypatch):
    pytest.importorskip("pyiqa")
    import torchvision
    from pyiqa.archs import dists_arch

    real_vgg16 = torchvision.models.vgg16
    monkeypatch.setattr(dists_arch.models, "vgg16", lambda weights=None, **k: real_vgg16(weights=None))
    ref = dists_arch.DISTS(pretrained=False).eval()
    ours = build_dists(seed=5)
    own = ours.state_dict()
    with torch.no_grad():
        ours.load_state_dict({k: ref.state_dict()[k] for k in own}, strict=True)  # same names, random weights
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(2, 3, 48, 48, generator=g), torch.rand(2, 3, 48, 48, generator=g)
    with torch.no_grad():
        a, b = ours(x, y), ref(x, y).reshape(-1)
    assert torch.allclose(a, b, atol=1e-6)
    assert float(ours(x, x).abs().max()) < 1e-4


def test_dists_loads_weight_files(tmp_path):
    import torchvision

    vgg = torchvision.models.vgg16(weights=None)
    torch.save(vgg.state_dict(), tmp_path / "vgg16.pth")
    ab = {"alpha": torch.rand(1, 1475, 1, 1), "beta": torch.rand(1, 1475, 1, 1)}
    torch.save(ab, tmp_path / "ab.pth")
    net = build_dists(tmp_path / "vgg16.pth", tmp_path / "ab.pth")
    assert torch.equal(getattr(net.stage3, "10").weight, vgg.features[10].weight)
    assert torch.equal(net.alpha, ab["alpha"])
    with pytest.raises(InputError):
        build_dists(tmp_path / "vgg16.pth", None)


def test_stage2_loss_combines_terms():
    dists = build_dists(seed=0)
    g = torch.Generator().manual_seed(0)
    pred = (torch.rand(1, 3, 2, 32, 32, generator=g) * 2 - 1).requires_grad_()
    gt = torch.rand(1, 3, 2, 32, 32, generator=g) * 2 - 1
    mask = torch.ones(1, 1, 2, 32, 32)
    loss, parts = stage2_loss(pred, gt, mask, dists, p=0.0, lam=0.1)
    assert torch.allclose(loss, ((pred - gt) ** 2).mean() + 0.1 * parts["dists"], atol=1e-6)
    loss.backward()
    assert pred.grad is not None and pred.grad.abs().sum() > 0


def _tiny_cfg(tmp_path, **kw):
    from vividface.train import load_config

    return load_config("vividface/configs/tiny.json", out_dir=str(tmp_path / "run"), **kw)


def test_tiny_training_reduces_loss_and_beats_init(tmp_path):
    from vividface.train import train

    s = train(_tiny_cfg(tmp_path, max_steps=300), progress=False)
    assert s["steps"] == 300
    assert s["loss_last"] < 0.1 * s["loss_first"]
    assert s["holdout_final"]["mse"] < 0.1 * s["holdout_init"]["mse"]
    assert s["holdout_final"]["masked_mse"] < s["holdout_init"]["masked_mse"]
    assert s["holdout_windows"] > 0
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["holdout_final"] == s["holdout_final"]
    # the exported DiT (original key format) loads into the method
    from vfebench.methods import build_method
    from vfebench.video import Clip

    m = build_method("vividface", tiny_random=True, dit=str(tmp_path / "run" / "dit_original.safetensors"))
    m.setup("cpu")
    assert m.restore(Clip("c", np.zeros((5, 16, 16, 3), np.uint8)), (16, 16)).frames.shape == (5, 16, 16, 3)


def test_resume_reproduces_the_straight_run(tmp_path):
    from safetensors.torch import load_file

    from vividface.train import train

    a = train(_tiny_cfg(tmp_path / "a", max_steps=20, checkpoint_every=10), progress=False)
    train(_tiny_cfg(tmp_path / "b", max_steps=10, checkpoint_every=10), progress=False)
    b = train(_tiny_cfg(tmp_path / "b", max_steps=20, checkpoint_every=10, resume=True), progress=False)
    assert b["history"] == a["history"]
    wa = load_file(str(tmp_path / "a" / "run" / "dit_original.safetensors"))
    wb = load_file(str(tmp_path / "b" / "run" / "dit_original.safetensors"))
    assert all(torch.equal(wa[k], wb[k]) for k in wa)


def test_stage2_pixel_training_steps(tmp_path):
    from vividface.train import train

    s = train(_tiny_cfg(tmp_path, stage=2, max_steps=4, checkpoint_every=0, lr=1e-4), progress=False)
    assert s["steps"] == 4 and all(np.isfinite(s["history"]))


def test_config_rejects_unknown_keys(tmp_path):
    from vividface.train import load_config

    p = tmp_path / "c.json"
    p.write_text(json.dumps({"lr": 1e-4, "learning_rate": 2}))
    with pytest.raises(InputError, match="learning_rate"):
        load_config(p)


def test_paper_configs_parse():
    from vividface.train import load_config

    s1 = load_config("vividface/configs/paper_stage1.json")
    s2 = load_config("vividface/configs/paper_stage2.json")
    assert (s1.stage, s1.p_face, s1.max_steps, s1.timestep) == (1, 0.5, 32000, 400.0)
    assert (s2.stage, s2.lambda_dists, s2.p_face) == (2, 0.1, 0.5)
