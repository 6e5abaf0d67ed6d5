"""VividFace inference: key conversion, loading, pad/crop, one-step shapes, update rules, method."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from vfebench.errors import InputError, MissingAssetError  # noqa: E402
from vfebench.video import Clip  # noqa: E402
from vividface import convert, wan  # noqa: E402
from vividface.pipeline import (  # noqa: E402
    InferenceConfig,
    OneStepPipeline,
    apply_update,
    chunk_spans,
    crop_clip,
    crossfade_weights,
    pad_clip,
)

torch.set_num_threads(1)

# original Wan key names of one DiT block (wan/modules/model.py), written out by hand
ORIGINAL_BLOCK_KEYS = {
    "modulation",
    *(f"{a}.{p}.{t}" for a in ("self_attn", "cross_attn") for p in "qkvo" for t in ("weight", "bias")),
    *(f"{a}.norm_{p}.weight" for a in ("self_attn", "cross_attn") for p in "qk"),
    "norm3.weight",
    "norm3.bias",
    "ffn.0.weight",
    "ffn.0.bias",
    "ffn.2.weight",
    "ffn.2.bias",
}
ORIGINAL_TOP_KEYS = {
    "patch_embedding.weight",
    "patch_embedding.bias",
    *(
        f"{m}.{i}.{t}"
        for m in ("text_embedding", "time_embedding")
        for i in (0, 2)
        for t in ("weight", "bias")
    ),
    "time_projection.1.weight",
    "time_projection.1.bias",
    "head.head.weight",
    "head.head.bias",
    "head.modulation",
}


@pytest.fixture(scope="module")
def tiny():
    dit = wan.build_dit("tiny", seed=0)
    vae = wan.build_vae("tiny", seed=1)
    emb = wan.random_prompt_embedding(dit.config.text_dim)
    return dit, vae, emb


def _random_original_dit(layers: int = 2) -> dict:
    """A random state dict in the original key format, shapes from the tiny config."""
    ref = wan.build_dit("tiny", seed=3).state_dict()
    orig = convert.dit_diffusers_to_original(ref)
    g = torch.Generator().manual_seed(7)
    return {k: torch.randn(v.shape, generator=g) for k, v in orig.items()}


def test_dit_original_keys_are_the_wan_names():
    orig = convert.dit_diffusers_to_original(wan.build_dit("tiny").state_dict())
    expected = set(ORIGINAL_TOP_KEYS) | {f"blocks.{i}.{k}" for i in range(2) for k in ORIGINAL_BLOCK_KEYS}
    assert set(orig) == expected


def test_dit_conversion_round_trip_and_reference():
    from diffusers.loaders.single_file_utils import convert_wan_transformer_to_diffusers

    orig = _random_original_dit()
    diff = convert.dit_original_to_diffusers(orig)
    model = wan.build_dit("tiny")
    assert set(diff) == set(model.state_dict())
    model.load_state_dict(diff, strict=True)
    back = convert.dit_diffusers_to_original(model.state_dict())
    assert set(back) == set(orig)
    for k in orig:
        assert torch.equal(back[k], orig[k]), k
    ref = convert_wan_transformer_to_diffusers(dict(orig))  # diffusers' own converter agrees
    assert set(ref) == set(diff) and all(torch.equal(ref[k], diff[k]) for k in diff)


@pytest.mark.parametrize("prefix", ["model.diffusion_model.", "pipe.dit.", "module."])
def test_dit_wrapped_checkpoints(prefix):
    orig = _random_original_dit()
    wrapped = {"state_dict": {prefix + k: v for k, v in orig.items()}}
    assert set(convert.to_diffusers_dit(wrapped)) == set(convert.dit_original_to_diffusers(orig))


def test_dit_unknown_key_is_an_error():
    orig = _random_original_dit()
    orig["blocks.0.lora_A.weight"] = torch.zeros(1)
    with pytest.raises(InputError, match="lora_A"):
        convert.dit_original_to_diffusers(orig)


def test_vae_conversion_round_trip_and_reference():
    from diffusers.loaders.single_file_utils import convert_wan_vae_to_diffusers

    # same block layout as the real Wan2.1 VAE (dim_mult 1,2,4,4; 2 residual blocks), tiny widths
    vae = wan.build_vae({"base_dim": 4, "dim_mult": [1, 2, 4, 4], "num_res_blocks": 2})
    sd = vae.state_dict()
    orig = convert.vae_diffusers_to_original(sd)
    assert "decoder.upsamples.3.resample.1.weight" in orig and "decoder.upsamples.4.shortcut.weight" in orig
    assert "encoder.middle.1.to_qkv.weight" in orig and "conv1.weight" in orig
    back = convert.vae_original_to_diffusers(orig)
    assert set(back) == set(sd)
    ref = convert_wan_vae_to_diffusers(dict(orig))
    assert set(ref) == set(sd)
    # the tiny config (1 residual block) too, where diffusers' hard-coded indices would not apply
    tsd = wan.build_vae("tiny").state_dict()
    assert set(convert.vae_original_to_diffusers(convert.vae_diffusers_to_original(tsd))) == set(tsd)


def test_load_from_original_files_gives_identical_outputs(tmp_path, tiny):
    from safetensors.torch import save_file

    dit, vae, emb = tiny
    f_dit = tmp_path / "vividface_like.safetensors"
    save_file(convert.dit_diffusers_to_original(dit.state_dict()), str(f_dit))
    f_vae = tmp_path / "vae.pth"
    torch.save(convert.vae_diffusers_to_original(vae.state_dict()), str(f_vae))
    dit2, vae2 = wan.load_dit(f_dit, "tiny"), wan.load_vae(f_vae, "tiny")
    x = torch.rand(1, 3, 5, 32, 32) * 2 - 1
    a = OneStepPipeline(dit, vae, emb, InferenceConfig(size=None)).restore_tensor(x)
    b = OneStepPipeline(dit2, vae2, emb, InferenceConfig(size=None)).restore_tensor(x)
    assert torch.equal(a, b)


def test_load_rejects_wrong_config(tmp_path, tiny):
    from safetensors.torch import save_file

    f = tmp_path / "dit.safetensors"
    save_file(convert.dit_diffusers_to_original(tiny[0].state_dict()), str(f))
    with pytest.raises(InputError, match="do not fit"):
        wan.load_dit(f, {**wan.DIT_CONFIGS["tiny"], "ffn_dim": 96})


@pytest.mark.parametrize("t,h,w", [(1, 16, 16), (6, 20, 30), (9, 17, 33), (10, 32, 24)])
def test_pad_crop_round_trip(t, h, w):
    x = torch.randn(1, 3, t, h, w)
    xp, pads = pad_clip(x, 16)
    assert (xp.shape[2] - 1) % 4 == 0 and xp.shape[3] % 16 == 0 and xp.shape[4] % 16 == 0
    assert xp.shape[2] - t < 4 and xp.shape[3] - h < 16 and xp.shape[4] - w < 16
    assert torch.equal(xp[:, :, t:, :h, :w], x[:, :, -1:].expand(-1, -1, xp.shape[2] - t, -1, -1))
    assert float(xp[:, :, :, h:, :].abs().sum()) == 0.0 and float(xp[..., w:].abs().sum()) == 0.0
    assert torch.equal(crop_clip(xp, pads), x)


@pytest.mark.parametrize("t,h,w", [(1, 16, 16), (7, 20, 28), (10, 33, 17)])
def test_inference_shapes_odd_sizes(tiny, t, h, w):
    dit, vae, emb = tiny
    pipe = OneStepPipeline(dit, vae, emb, InferenceConfig(size=None, chunk_frames=0))
    x = torch.rand(1, 3, t, h, w) * 2 - 1
    y = pipe.restore_tensor(x)
    assert y.shape == x.shape and float(y.abs().max()) <= 1.0
    frames = (np.random.default_rng(0).random((t, h, w, 3)) * 255).astype(np.uint8)
    out = pipe.restore_frames(frames)
    assert out.shape == frames.shape and out.dtype == np.uint8
    out2 = pipe.restore_frames(frames, target_size=(2 * h, 2 * w))
    assert out2.shape == (t, 2 * h, 2 * w, 3)


def test_latent_shapes_and_normalisation(tiny):
    dit, vae, emb = tiny
    pipe = OneStepPipeline(dit, vae, emb, InferenceConfig(size=32))
    x = torch.rand(1, 3, 9, 32, 48) * 2 - 1
    z = pipe.encode(x)
    assert z.shape == (1, 16, 3, 4, 6)
    raw = vae.encode(x).latent_dist.mode()
    mean, std = wan.latent_stats(vae)
    assert torch.allclose(z, (raw - mean) / std, atol=1e-6)  # (z − mean)/std, posterior mode


def test_update_rules(tiny):
    dit, vae, emb = tiny
    z = torch.randn(1, 16, 2, 4, 4)
    v = torch.randn_like(z)
    assert torch.equal(apply_update(z, v, 400, "released"), z - v)
    assert torch.allclose(apply_update(z, v, 400, "flow"), z - 0.4 * v)
    rel = OneStepPipeline(dit, vae, emb, InferenceConfig(update_rule="released"))
    flo = OneStepPipeline(dit, vae, emb, InferenceConfig(update_rule="flow"))
    with torch.no_grad():
        vel = rel.velocity(z)
        assert torch.allclose(rel.restore_latent(z), z - vel)
        assert torch.allclose(flo.restore_latent(z), z - 0.4 * vel, atol=1e-6)
    with pytest.raises(InputError):
        InferenceConfig(update_rule="euler")


def test_timestep_reaches_the_dit(tiny):
    dit, vae, emb = tiny
    z = torch.randn(1, 16, 2, 4, 4)
    with torch.no_grad():
        a = OneStepPipeline(dit, vae, emb, InferenceConfig(timestep=400)).velocity(z)
        b = OneStepPipeline(dit, vae, emb, InferenceConfig(timestep=600)).velocity(z)
    assert not torch.allclose(a, b)


def test_default_is_one_pass_for_100_frames(tiny):
    """Released behaviour: a 100-frame clip is restored in one pass (no chunk, no seam)."""
    from vfebench.methods import build_method

    assert InferenceConfig().chunk_frames == 0 and InferenceConfig().update_rule == "released"
    assert build_method("vividface").not_as_released() == []  # fingerprint()["as_released"]
    m = build_method("vividface", tiny_random=True, size=16)
    frames = (np.random.default_rng(3).random((100, 16, 16, 3)) * 255).astype(np.uint8)
    calls = []
    m.setup("cpu")
    orig = m.pipe.restore_tensor

    def spy(x):
        calls.append(tuple(x.shape))
        return orig(x)

    m.pipe.restore_tensor = spy
    out = m.restore(Clip("c", frames), (16, 16))
    assert out.frames.shape == frames.shape
    assert calls == [(1, 3, 100, 16, 16)] and m.pipe.last_spans == [(0, 100)]
    # and it equals restoring the whole tensor directly
    x = torch.from_numpy(frames.astype(np.float32) / 255.0).permute(3, 0, 1, 2)[None] * 2 - 1
    whole = orig(x)[0].permute(1, 2, 3, 0).numpy()
    assert np.array_equal(out.frames, np.clip((whole + 1) * 127.5, 0, 255).astype(np.uint8))


@pytest.mark.parametrize(
    "t,c,o", [(100, 81, 8), (82, 81, 8), (30, 9, 4), (23, 9, 0), (10, 9, 8), (200, 33, 5)]
)
def test_chunk_spans_equal_overlap_and_weights_sum_to_one(t, c, o):
    spans = chunk_spans(t, c, o)
    assert spans[0][0] == 0 and spans[-1][1] == t
    assert all(e - s <= c for s, e in spans) and all(e - s == c for s, e in spans[:-1])
    assert all(pe - s == o for (_, pe), (s, _) in zip(spans, spans[1:]))  # equal overlap everywhere
    assert spans[-1][1] - spans[-1][0] > o  # the last chunk has frames of its own
    ws = crossfade_weights(spans, o)
    total = np.zeros(t)
    for (s, e), w in zip(spans, ws):
        assert w.shape == (e - s,) and (w > 0).all()
        total[s:e] += w
    assert np.abs(total - 1.0).max() < 1e-12
    if o and len(spans) > 1:  # the documented crossfade: (j+1)/(O+1) into the later chunk
        assert np.allclose(ws[1][:o], np.arange(1, o + 1) / (o + 1))
        assert np.allclose(ws[0][-o:], 1 - np.arange(1, o + 1) / (o + 1))


def test_chunk_spans_values():
    assert chunk_spans(5, 9, 4) == [(0, 5)]
    assert chunk_spans(100, 0, 8) == [(0, 100)]
    assert chunk_spans(100, 81, 8) == [(0, 81), (73, 100)]  # was [0, 19]: a 62-frame overlap
    assert chunk_spans(82, 81, 8) == [(0, 81), (73, 82)]  # was an 80-frame overlap
    assert chunk_spans(30, 9, 4) == [(0, 9), (5, 14), (10, 19), (15, 24), (20, 29), (25, 30)]
    with pytest.raises(InputError, match="overlap"):
        crossfade_weights([(0, 9), (3, 12)], 4)
    with pytest.raises(InputError, match="chunk_frames"):
        InferenceConfig(chunk_frames=8)


def test_chunked_blend_matches_hand_crossfade(tiny):
    dit, vae, emb = tiny
    frames = (np.random.default_rng(2).random((14, 16, 16, 3)) * 255).astype(np.uint8)
    whole = OneStepPipeline(dit, vae, emb, InferenceConfig(size=None)).restore_frames(frames[:9])
    one = OneStepPipeline(dit, vae, emb, InferenceConfig(size=None, chunk_frames=9, chunk_overlap=4))
    assert np.array_equal(one.restore_frames(frames[:9]), whole)  # one chunk = the whole clip
    out = one.restore_frames(frames)
    assert one.last_spans == [(0, 9), (5, 14)] and out.shape == frames.shape
    x = torch.from_numpy(frames.astype(np.float32) / 255.0).permute(3, 0, 1, 2)[None] * 2 - 1
    a = one.restore_tensor(x[:, :, 0:9])[0].permute(1, 2, 3, 0).numpy()
    b = one.restore_tensor(x[:, :, 5:14])[0].permute(1, 2, 3, 0).numpy()
    ref = np.zeros((14, 16, 16, 3), np.float32)
    ref[:5], ref[9:] = a[:5], b[4:]
    for j in range(4):  # frames 5..8: (j+1)/5 of the later chunk
        w = (j + 1) / 5
        ref[5 + j] = (1 - w) * a[5 + j] + w * b[j]
    ref = np.clip((ref + 1) * 127.5, 0, 255).astype(np.uint8)
    assert np.abs(out.astype(int) - ref.astype(int)).max() <= 1  # float32 sum order


def test_chunking_is_flagged_not_as_released():
    from vfebench.methods import build_method

    # (the fingerprint of the real weights needs them present: it records their hashes)
    reasons = build_method("vividface", chunk_frames=81, chunk_overlap=8).not_as_released()
    assert any("chunks of 81" in r for r in reasons)
    assert build_method("vividface", update_rule="flow").not_as_released()
    tiny_fp = build_method("vividface", tiny_random=True).fingerprint()
    assert tiny_fp["as_released"] is False and "tiny random" in tiny_fp["not_as_released"][0]
    assert build_method("vividface", tiny_random=True).config.get("chunk_frames") is None


def test_vae_tiling_option_runs(tiny):
    dit, vae, emb = tiny
    import copy

    pipe = OneStepPipeline(
        copy.deepcopy(dit),
        copy.deepcopy(vae),
        emb,
        InferenceConfig(size=None, vae_tiling=True, tile=(32, 32, 16, 16)),
    )
    assert pipe.vae.use_tiling
    y = pipe.restore_tensor(torch.rand(1, 3, 5, 64, 48) * 2 - 1)
    assert y.shape == (1, 3, 5, 64, 48)


def test_method_without_weights_names_assets_and_command():
    from vfebench.methods import build_method

    m = build_method("vividface")
    with pytest.raises(MissingAssetError) as err:
        m.setup("cpu")
    msg = str(err.value)
    for name in (
        "vividface_dit",
        "wan21_vae",
        "wan21_empty_prompt",
        "vfebench assets fetch",
        "vfebench assets import",
    ):
        assert name in msg


def test_method_tiny_random_restores_and_fingerprints():
    from vfebench.methods import build_method

    m = build_method("vividface", tiny_random=True)
    assert build_method("vividface").config == {}  # never the default
    lq = Clip("c1", (np.random.default_rng(0).random((6, 16, 16, 3)) * 255).astype(np.uint8))
    out = m.restore(lq, (64, 64))
    assert out.id == "c1" and out.frames.shape == (6, 64, 64, 3) and out.frames.dtype == np.uint8
    fp = m.fingerprint()
    assert "tiny_random" in fp["weights"]
    assert (
        m.fingerprint_hash()
        != build_method("vividface", tiny_random=True, update_rule="flow").fingerprint_hash()
    )
    real = build_method("vividface")
    assert set(real.required_assets()) == {"vividface_dit", "wan21_vae", "wan21_empty_prompt"}
    # the unpinned DiT / prompt files are hashed from the files themselves: absent → an error
    # naming the fix, never a fingerprint with a None hash (a weaker cache key)
    with pytest.raises(MissingAssetError, match="vividface_dit"):
        real.fingerprint()


def test_method_rejects_unknown_option():
    from vfebench.methods import build_method

    with pytest.raises(InputError, match="unknown option"):
        build_method("vividface", steps=4)


def test_method_loads_exported_weights(tmp_path, tiny):
    from safetensors.torch import save_file

    from vfebench.methods import build_method

    dit, vae, emb = tiny
    f_dit, f_vae, f_emb = tmp_path / "d.safetensors", tmp_path / "v.pth", tmp_path / "e.safetensors"
    save_file(convert.dit_diffusers_to_original(dit.state_dict()), str(f_dit))
    torch.save(convert.vae_diffusers_to_original(vae.state_dict()), str(f_vae))
    save_file({"prompt_embeds": emb.contiguous()}, str(f_emb))
    m = build_method(
        "vividface", dit=str(f_dit), vae=str(f_vae), prompt_embeds=str(f_emb), model="tiny", size=32
    )
    assert m.required_assets() == ()
    out = m.restore(Clip("c", np.zeros((5, 8, 8, 3), np.uint8)), (32, 32))
    assert out.frames.shape == (5, 32, 32, 3)
    assert len(m.fingerprint()["weights"]["dit"]) == 64  # sha256 of the file
