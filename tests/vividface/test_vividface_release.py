"""The released VividFace inference, re-enacted step by step, equals our pipeline (tiny random weights).

The re-enactment below is our own restatement, from reading them, of

- shulianz/VividFace @ bdb980b ``examples/FaceVR/test_full_no_tile_face.py`` (frame loading and
  bicubic resize, ``Normalize(0.5, 0.5)``, zero padding of H, W to 16 then repeat-last-frame
  padding of T to 4k+1, un-padding, ``tensor2video``: ``((x + 1)·127.5).clip(0, 255)`` then
  ``astype(uint8)``) and ``diffsynth/pipelines/wan_video_one_step.py`` (``timestep = 400`` fed
  straight to the sinusoidal embedding, empty-prompt context, cfg 1, ``SR = LR − v``, the whole clip
  in one pass);
- modelscope/DiffSynth-Studio ``diffsynth/models/wan_video_dit.py`` (the Wan DiT forward: patch
  conv, sinusoidal time embedding cos|sin in float64, time MLP and 6-way modulation, blocks with
  RMS-normed q/k across heads, 3-axis complex RoPE split ``d − 2⌊d/3⌋, ⌊d/3⌋, ⌊d/3⌋``, cross
  attention on the text MLP output, tanh-GELU FFN, head modulated by the time embedding,
  unpatchify) and its VAE wrapper's normalisation (``(μ − mean)·(1/std)`` on encode,
  ``z / (1/std) + mean`` on decode).

It runs on the **original-format** state dict (the key layout of ``vividface.ckpt``), so it also
checks the key conversion and diffusers' DiT against an independent forward. The VAE network
itself is diffusers' ``AutoencoderKLWan`` in both paths (its weights conversion is checked
against diffusers' converter in test_vividface_model.py).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")
cv2 = pytest.importorskip("cv2")

from vividface import convert, wan  # noqa: E402
from vividface.pipeline import InferenceConfig, OneStepPipeline  # noqa: E402

torch.set_num_threads(1)


# ----------------------------------------------------------------------------- the release's DiT
def _sinusoid(dim: int, t: torch.Tensor) -> torch.Tensor:
    half = dim // 2
    freqs = torch.pow(10000.0, -torch.arange(half, dtype=torch.float64) / half)
    arg = torch.outer(t.double(), freqs)
    return torch.cat([torch.cos(arg), torch.sin(arg)], dim=1).to(t.dtype)


def _rope_table(dim: int, length: int) -> torch.Tensor:
    inv = 1.0 / (10000.0 ** (torch.arange(0, dim, 2)[: dim // 2].double() / dim))
    ang = torch.outer(torch.arange(length).double(), inv)
    return torch.polar(torch.ones_like(ang), ang)


def _rope(x: torch.Tensor, freqs: torch.Tensor, heads: int) -> torch.Tensor:
    b, s, _ = x.shape
    xc = torch.view_as_complex(x.double().reshape(b, s, heads, -1, 2))
    return torch.view_as_real(xc * freqs).reshape(b, s, -1).to(x.dtype)


def _rms(x, w, eps):
    return (x.float() * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + eps)).to(x.dtype) * w


def _attn(q, k, v, heads):
    b, s, d = q.shape
    split = lambda t: t.reshape(b, t.shape[1], heads, d // heads).transpose(1, 2)  # noqa: E731
    o = torch.nn.functional.scaled_dot_product_attention(split(q), split(k), split(v))
    return o.transpose(1, 2).reshape(b, s, d)


def release_dit_forward(
    sd: dict, cfg: dict, x: torch.Tensor, t: float, context: torch.Tensor
) -> torch.Tensor:
    """Wan DiT forward as DiffSynth computes it, from an original-format state dict."""
    F = torch.nn.functional
    lin = lambda h, p: F.linear(h, sd[p + ".weight"], sd[p + ".bias"])  # noqa: E731
    dim = cfg["num_attention_heads"] * cfg["attention_head_dim"]
    heads, eps, pt = cfg["num_attention_heads"], cfg["eps"], cfg["patch_size"]
    tt = torch.tensor([t], dtype=x.dtype)
    temb = lin(F.silu(lin(_sinusoid(cfg["freq_dim"], tt), "time_embedding.0")), "time_embedding.2")
    t_mod = lin(F.silu(temb), "time_projection.1").unflatten(1, (6, dim))
    ctx = lin(F.gelu(lin(context, "text_embedding.0"), approximate="tanh"), "text_embedding.2")
    h = F.conv3d(x, sd["patch_embedding.weight"], sd["patch_embedding.bias"], stride=tuple(pt))
    f, hh, ww = h.shape[2:]
    h = h.flatten(2).transpose(1, 2)  # b (f h w) c
    d = dim // heads
    tables = [_rope_table(n, 1024) for n in (d - 2 * (d // 3), d // 3, d // 3)]
    freqs = torch.cat(
        [
            tables[0][:f].view(f, 1, 1, -1).expand(f, hh, ww, -1),
            tables[1][:hh].view(1, hh, 1, -1).expand(f, hh, ww, -1),
            tables[2][:ww].view(1, 1, ww, -1).expand(f, hh, ww, -1),
        ],
        dim=-1,
    ).reshape(f * hh * ww, 1, -1)
    for i in range(cfg["num_layers"]):
        p = f"blocks.{i}."
        sh1, sc1, g1, sh2, sc2, g2 = (sd[p + "modulation"] + t_mod).chunk(6, dim=1)
        a = F.layer_norm(h, (dim,), eps=eps) * (1 + sc1) + sh1
        q = _rope(_rms(lin(a, p + "self_attn.q"), sd[p + "self_attn.norm_q.weight"], eps), freqs, heads)
        k = _rope(_rms(lin(a, p + "self_attn.k"), sd[p + "self_attn.norm_k.weight"], eps), freqs, heads)
        h = h + g1 * lin(_attn(q, k, lin(a, p + "self_attn.v"), heads), p + "self_attn.o")
        c = F.layer_norm(h, (dim,), sd[p + "norm3.weight"], sd[p + "norm3.bias"], eps)
        q = _rms(lin(c, p + "cross_attn.q"), sd[p + "cross_attn.norm_q.weight"], eps)
        k = _rms(lin(ctx, p + "cross_attn.k"), sd[p + "cross_attn.norm_k.weight"], eps)
        h = h + lin(_attn(q, k, lin(ctx, p + "cross_attn.v"), heads), p + "cross_attn.o")
        a = F.layer_norm(h, (dim,), eps=eps) * (1 + sc2) + sh2
        h = h + g2 * lin(F.gelu(lin(a, p + "ffn.0"), approximate="tanh"), p + "ffn.2")
    shift, scale = (sd["head.modulation"] + temb.unsqueeze(1)).chunk(2, dim=1)
    h = lin(F.layer_norm(h, (dim,), eps=eps) * (1 + scale) + shift, "head.head")
    c_out = cfg["out_channels"]
    b = h.shape[0]
    h = h.reshape(b, f, hh, ww, pt[0], pt[1], pt[2], c_out)
    return h.permute(0, 7, 1, 4, 2, 5, 3, 6).reshape(b, c_out, f * pt[0], hh * pt[1], ww * pt[2])


# ----------------------------------------------------------------------------- the release's script
def release_restore(frames: np.ndarray, dit_sd, dit_cfg, vae, context, size) -> np.ndarray:
    """``T×H×W×3`` uint8 RGB → restored uint8, the released script's steps (fp32 here)."""
    imgs = []
    for fr in frames:
        img = fr.astype("float32") / 255.0
        if size is not None and img.shape[:2] != (size, size):
            img = cv2.resize(img, (size, size), interpolation=cv2.INTER_CUBIC)
        imgs.append((torch.from_numpy(img).permute(2, 0, 1) - 0.5) / 0.5)
    video = torch.stack(imgs, 0).permute(1, 0, 2, 3)[None]  # B C T H W
    h, w = video.shape[-2:]
    pad_h, pad_w = (16 - h % 16) % 16, (16 - w % 16) % 16
    video = torch.nn.functional.pad(video, (0, pad_w, 0, pad_h))
    t = video.shape[2]
    pad_t = 0 if (t - 1) % 4 == 0 else ((t - 1) // 4 + 1) * 4 + 1 - t
    if pad_t:
        video = torch.cat([video, video[:, :, -1:].repeat(1, 1, pad_t, 1, 1)], dim=2)
    mean = torch.tensor(vae.config.latents_mean).view(1, -1, 1, 1, 1)
    inv_std = 1.0 / torch.tensor(vae.config.latents_std).view(1, -1, 1, 1, 1)
    with torch.no_grad():
        mu = vae.encode(video).latent_dist.mean
        lr = (mu - mean) * inv_std
        v = release_dit_forward(dit_sd, dit_cfg, lr, 400.0, context[None])
        sr = lr - v
        out = vae.decode(sr / inv_std + mean, return_dict=False)[0]
    if pad_t:
        out = out[:, :, :-pad_t]
    out = out[0]
    if pad_h:
        out = out[..., :-pad_h, :]
    if pad_w:
        out = out[..., :-pad_w]
    out = out.permute(1, 2, 3, 0)
    return ((out.float() + 1) * 127.5).clip(0, 255).numpy().astype(np.uint8)


@pytest.fixture(scope="module")
def models():
    dit = wan.build_dit("tiny", seed=0).eval()
    vae = wan.build_vae("tiny", seed=1).eval()
    emb = wan.random_prompt_embedding(dit.config.text_dim, length=wan.TEXT_LEN, seed=2)
    sd = convert.dit_diffusers_to_original(dit.state_dict())
    return dit, vae, emb, sd


def test_release_dit_forward_equals_diffusers(models):
    """The independent DiffSynth-style forward on original keys = diffusers on converted keys."""
    dit, vae, emb, sd = models
    g = torch.Generator().manual_seed(5)
    worst = 0.0
    for shape in [(1, 16, 1, 2, 2), (1, 16, 3, 4, 6), (1, 16, 26, 2, 4), (1, 16, 2, 10, 6)]:
        z = torch.randn(shape, generator=g)
        with torch.no_grad():
            ours = OneStepPipeline(dit, vae, emb, InferenceConfig()).velocity(z)
            ref = release_dit_forward(sd, wan.DIT_CONFIGS["tiny"], z, 400.0, emb[None])
        worst = max(worst, float((ours - ref).abs().max()))
        assert torch.allclose(ours, ref, atol=1e-5, rtol=1e-5), shape
    print(f"DiT velocity max |Δ| over 4 latent shapes: {worst:.3g}")


CASES = [
    # (T, H, W, size): size=512-like resize (here 32) or None (the script's --height -1)
    (1, 24, 40, 32),
    (7, 24, 40, 32),
    (9, 17, 33, None),
    (10, 20, 28, None),
    (100, 16, 16, 32),
    (9, 33, 17, None),
]


@pytest.mark.parametrize("t,h,w,size", CASES)
def test_released_path_equals_our_pipeline(models, t, h, w, size):
    from vfebench.methods import build_method
    from vfebench.video import Clip

    frames = (np.random.default_rng(t * 1000 + h).random((t, h, w, 3)) * 255).astype(np.uint8)
    m = build_method("vividface", tiny_random=True, size=size)  # the default: whole clip, released rule
    m.setup("cpu")
    p = m.pipe  # the release re-enacted on the very same random weights
    sd = convert.dit_diffusers_to_original(p.dit.state_dict())
    ref = release_restore(frames, sd, wan.DIT_CONFIGS["tiny"], p.vae, p.prompt_embeds, size)
    out = m.restore(Clip("c", frames)).frames
    assert out.shape == ref.shape == (t, size or h, size or w, 3)
    assert m.pipe.last_spans == [(0, t)]
    diff = np.abs(out.astype(int) - ref.astype(int))
    print(
        f"T={t} {h}x{w} size={size}: max |Δ| = {diff.max()} grey level(s), {np.mean(diff > 0):.2%} of values differ"
    )
    assert diff.max() <= 1  # float32 rounding at the truncation to uint8


def test_tiny_head_dim_splits_like_the_real_model():
    real, tiny = wan.DIT_CONFIGS["wan2.1-t2v-1.3b"], wan.DIT_CONFIGS["tiny"]
    assert wan.rope_split(real["attention_head_dim"]) == (44, 42, 42)
    assert wan.rope_split(tiny["attention_head_dim"]) == (8, 6, 6)
    for d in (real["attention_head_dim"], tiny["attention_head_dim"]):
        assert d % 6 == 2 and (d // 3) % 2 == 0 and (d // 6) % 2 == 1  # odd rotary pairs per spatial axis
        assert math.isclose(d - 2 * (d // 3), d - 4 * (d // 6))  # DiffSynth's split = Wan's split
    from vfebench.errors import InputError

    with pytest.raises(InputError, match="RoPE"):
        wan.rope_split(16)  # diffusers builds 8/4/4 tables but slices them 6/5/5
