"""FasterVQA: sampler (hand-worked indices), official key mapping, determinism, K samplings."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vfebench.metrics.features import video_fragments as vf

torch = pytest.importorskip("torch")


class FakeRng:
    """Returns preset draws and records the ranges asked for."""

    def __init__(self, *draws):
        self.draws = [np.asarray(d, dtype=np.int64) for d in draws]
        self.calls = []

    def integers(self, low, high, size, dtype=np.int64):
        self.calls.append((low, high, size))
        return self.draws.pop(0).reshape(size)


# ------------------------------------------------------------------------------ temporal sampler
def test_segment_indices_hand_worked():
    # T = 100, 8 segments: starts 0,12,...,84; offsets drawn in [0, 12 − 4) = [0, 8)
    rng = FakeRng([0, 7, 3, 1, 0, 2, 5, 6])
    idx = vf.segment_frame_indices(100, rng, segments=8, seg_len=4, interval=1)
    assert rng.calls == [(0, 8, 8)]
    want = [0, 1, 2, 3, 19, 20, 21, 22, 27, 28, 29, 30, 37, 38, 39, 40,
            48, 49, 50, 51, 62, 63, 64, 65, 77, 78, 79, 80, 90, 91, 92, 93]  # fmt: skip
    assert idx.tolist() == want


def test_segment_indices_short_clip_interval_two_wraps():
    # official FusionDataset path (interval 2) on 33 frames: segments of 4 < 4·2 → no offsets;
    # the last segment 28, 30, 32, 34 wraps to 1
    rng = FakeRng()
    idx = vf.segment_frame_indices(33, rng, segments=8, seg_len=4, interval=2)
    assert rng.calls == []
    assert idx.tolist()[:8] == [0, 2, 4, 6, 4, 6, 8, 10]
    assert idx.tolist()[-4:] == [28, 30, 32, 1]
    # protocol sampling (interval 1) on 33 frames: segments of 4 frames, no offsets
    assert vf.segment_frame_indices(33, FakeRng()).tolist() == list(range(32))


def test_centre_indices_hand_worked():
    assert vf.centre_frame_indices(100).tolist() == list(range(34, 66))  # int(69 / 2) = 34
    assert vf.centre_frame_indices(33).tolist() == list(range(1, 33))
    assert vf.centre_frame_indices(20).tolist() == list(range(20)) + list(range(12))


# ------------------------------------------------------------------------------ spatial sampler
def test_fragment_grid_hand_worked_512():
    # 512 px, 7 cells of 73 px: cell starts 0, 73, ..., 438; offsets in [0, 73 − 32) = [0, 41)
    rh = np.zeros((7, 7, 4), np.int64)
    rh[2, 5, 1] = 40
    rw = np.full((7, 7, 4), 3, np.int64)
    rng = FakeRng(rh, rw)
    g = vf.fragment_grid(512, 512, 32, rng)
    assert rng.calls == [(0, 41, (7, 7, 4)), (0, 41, (7, 7, 4))]
    assert g.top[:, 0, 0].tolist() == [0, 73, 146, 219, 292, 365, 438]
    assert g.top[2, 5, 1] == 146 + 40 and g.left[2, 5, 1] == 5 * 73 + 3
    # every fragment lies inside the frame
    assert g.top.max() + 32 <= 512 and g.left.max() + 32 <= 512


def test_fragments_copy_the_right_pixels():
    t, h, w = 16, 100, 120
    video = torch.arange(t * h * w, dtype=torch.float64).reshape(1, t, h, w).repeat(3, 1, 1, 1)
    g = vf.fragment_grid(h, w, t, np.random.default_rng(3), grid=3, fsize=20, aligned=8)
    out = vf.extract_fragments(video, g)
    assert out.shape == (3, t, 60, 60)
    for i, j, frame in [(0, 0, 0), (1, 2, 9), (2, 1, 15)]:
        y, x = g.top[i, j, frame // 8], g.left[i, j, frame // 8]
        got = out[0, frame, 20 * i : 20 * i + 20, 20 * j : 20 * j + 20]
        assert torch.equal(got, video[0, frame, y : y + 20, x : x + 20])


def test_224_frame_is_its_own_fragment_image():
    # 224 px: cells of exactly 32 px, no offsets → the fragments tile the frame unchanged
    rng = FakeRng()
    g = vf.fragment_grid(224, 224, 32, rng)
    assert rng.calls == []
    video = torch.rand(3, 32, 224, 224)
    assert torch.equal(vf.extract_fragments(video, g), video)


def test_small_frames_are_upsampled():
    v = torch.randint(0, 256, (3, 8, 112, 160), dtype=torch.uint8)
    up, did = vf.upsample_if_small(v)
    assert did and tuple(up.shape[-2:]) == (224, 320) and up.dtype == torch.float32
    same, did = vf.upsample_if_small(torch.zeros(3, 8, 224, 300, dtype=torch.uint8))
    assert not did


# ------------------------------------------------------------------------------ network + metric
def _tiny_net(seed=0):
    from vfebench.metrics.nets.swin3d import FasterVQANet

    torch.manual_seed(seed)
    net = FasterVQANet(hidden_channels=8, embed_dim=12, depths=(2, 2, 2, 2), num_heads=(1, 2, 2, 4)).eval()
    with torch.no_grad():
        for p in net.parameters():
            p.normal_(0, 0.1)
    return net


@pytest.fixture(scope="module")
def official_ckpt(tmp_path_factory):
    """A tiny random FasterVQA saved exactly like the official file (keys, buffers, extras)."""
    from vfebench.metrics.nets.swin3d import to_official_state_dict

    torch.set_num_threads(2)
    net = _tiny_net()
    sd = to_official_state_dict(net)
    path = tmp_path_factory.mktemp("fvqa") / "FAST_VQA_3D_1_1.pth"
    torch.save({"state_dict": sd, "validation_results": (np.float64(0.81), np.float64(0.83), 0.5)}, path)
    return path, net


def test_official_key_names_are_reproduced(official_ckpt):
    path, _ = official_ckpt
    sd = torch.load(path, map_location="cpu", weights_only=False)["state_dict"]
    for k in [
        "fragments_backbone.patch_embed.proj.weight",
        "fragments_backbone.layers.0.blocks.1.attn.fragment_position_bias_table",
        "fragments_backbone.layers.0.blocks.1.attn.relative_position_index",
        "fragments_backbone.layers.2.downsample.reduction.weight",
        "fragments_backbone.norm.weight",
        "vqa_head.fc_hid.weight",
        "vqa_head.fc_last.bias",
    ]:
        assert k in sd, k
    assert "fragments_backbone.layers.3.blocks.0.attn.fragment_position_bias_table" not in sd
    assert tuple(sd["fragments_backbone.layers.0.blocks.0.attn.relative_position_bias_table"].shape) == (
        15 * 13 * 13,
        1,
    )


def test_checkpoint_loads_through_the_asset_and_maps_keys(official_ckpt, monkeypatch, rng):
    import shutil

    import vfebench.assets as assets
    from vfebench.metrics import build_metric
    from vfebench.metrics.nets.swin3d import infer_config, map_official_state_dict
    from vfebench.utils import sha256_file

    path, net = official_ckpt
    a = assets.get_asset("fastervqa_3d")
    monkeypatch.setitem(
        assets._EXTRA, "fastervqa_3d", assets.Asset(**{**a.__dict__, "sha256": sha256_file(path)})
    )
    monkeypatch.setattr(assets, "_CATALOG", None)
    (assets.asset_dir()).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, assets.asset_dir() / a.filename)

    m = build_metric("fastervqa")
    m.setup("cpu")
    mapped, unknown = map_official_state_dict(torch.load(path, weights_only=False)["state_dict"])
    assert unknown == []
    assert infer_config(mapped) == {
        "embed_dim": 12,
        "patch": (2, 4, 4),
        "depths": (2, 2, 2, 2),
        "num_heads": (1, 2, 2, 4),
        "frag_biases": (True, True, True, False),
        "hidden_channels": 8,
    }
    ours = m.net.state_dict()
    for k, v in net.state_dict().items():
        assert torch.equal(ours[k], v), k
    assert m.identity()["assets"]["fastervqa_3d"] == sha256_file(path)


def test_score_is_sigmoid_of_mean_patch_score_and_deterministic(official_ckpt, rng):
    from vfebench.metrics import build_metric
    from vfebench.metrics.base import ScoreContext
    from vfebench.metrics.nets.swin3d import sigmoid_rescale
    from vfebench.video import Clip

    path, net = official_ckpt
    clip = Clip("clip-1", rng.integers(0, 256, size=(100, 64, 80, 3), dtype=np.uint8))
    m = build_metric("fastervqa", weights=str(path))
    ctx = ScoreContext(seed=7)
    r = m.score_clip(clip, None, ctx)
    # recompute by hand: same per-clip generator → same sampling → net → mean → sigmoid
    x, idx = m.sample(clip.frames, np.random.default_rng(m.clip_seed("clip-1", ctx)))
    assert x.shape == (3, 32, 224, 224)
    with torch.no_grad():
        raw = float(net(x[None]).mean())
    assert r.extras["frame_indices"] == [idx.tolist()]
    assert r.extras["raw"] == pytest.approx(raw, rel=1e-5)
    assert r.value == pytest.approx(1 / (1 + math.exp(-(raw - 0.14759505) / 0.03613452)), rel=1e-5)
    assert r.value == pytest.approx(sigmoid_rescale(raw)) and 0.0 <= r.value <= 1.0
    assert r.extras["seed"] == 7 and r.extras["samples"] == 1
    # deterministic for a fixed seed; another seed samples other frames
    again = build_metric("fastervqa", weights=str(path)).score_clip(clip, None, ScoreContext(seed=7))
    assert again.value == r.value and again.extras["frame_indices"] == r.extras["frame_indices"]
    _, idx8 = m.sample(clip.frames, np.random.default_rng(m.clip_seed("clip-1", ScoreContext(seed=8))))
    assert idx8.tolist() != idx.tolist()


def test_k_samplings_are_averaged_and_recorded(official_ckpt, rng):
    from vfebench.metrics import build_metric
    from vfebench.metrics.base import ScoreContext
    from vfebench.metrics.nets.swin3d import sigmoid_rescale
    from vfebench.video import Clip

    path, _ = official_ckpt
    clip = Clip("k", rng.integers(0, 256, size=(48, 32, 32, 3), dtype=np.uint8))
    r = build_metric("fastervqa", weights=str(path), samples=2, batch_size=2).score_clip(
        clip, None, ScoreContext()
    )
    assert r.extras["samples"] == 2 and len(r.extras["raw_per_sample"]) == 2
    assert (
        len(r.extras["frame_indices"]) == 2 and r.extras["frame_indices"][0] != r.extras["frame_indices"][1]
    )
    assert r.extras["raw"] == pytest.approx(np.mean(r.extras["raw_per_sample"]))
    assert r.value == pytest.approx(sigmoid_rescale(r.extras["raw"]))


def test_vqa_py_mode_uses_centred_frames(official_ckpt, rng):
    from vfebench.metrics import build_metric

    path, _ = official_ckpt
    m = build_metric("fastervqa:vqa_py", weights=str(path))
    assert m.sample_indices(100, np.random.default_rng(0)).tolist() == list(range(34, 66))
    f = build_metric("fastervqa:fusion", weights=str(path))
    assert f.sample_indices(33, np.random.default_rng(0)).tolist()[:4] == [0, 2, 4, 6]


def test_bad_checkpoints_are_refused(tmp_path, official_ckpt):
    from vfebench.errors import AssetHashError, InputError
    from vfebench.metrics import build_metric
    from vfebench.metrics.nets.swin3d import build_from_official, load_checkpoint_state_dict

    path, _ = official_ckpt
    sd = load_checkpoint_state_dict(path)
    with pytest.raises(AssetHashError, match="not FasterVQA weights"):
        build_from_official({**sd, "resize_backbone.x": torch.zeros(1)})
    bad = dict(sd)
    bad.pop("vqa_head.fc_last.bias")
    with pytest.raises(AssetHashError, match="missing"):
        build_from_official(bad)
    evil = tmp_path / "evil.pth"
    torch.save({"state_dict": sd, "hook": FakeRng}, evil)  # an arbitrary class must not unpickle
    with pytest.raises(AssetHashError, match="refusing"):
        load_checkpoint_state_dict(evil)
    with pytest.raises(InputError, match="samples"):
        build_metric("fastervqa", samples=0)
    with pytest.raises(InputError, match="does not exist"):
        build_metric("fastervqa", weights=str(tmp_path / "nope.pth")).setup("cpu")
