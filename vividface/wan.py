"""Wan2.1 components on diffusers: configs, builders and loaders (local files only).

- :data:`DIT_CONFIGS` / :data:`VAE_CONFIGS`: ``"wan2.1-t2v-1.3b"`` (the real backbone: dim 1536,
  ffn 8960, 12 heads × 128, 30 layers, patch (1,2,2), text_dim 4096, freq_dim 256, qk RMS-norm
  across heads, eps 1e-6; Wan2.1 VAE with 16 latent channels and stride (4, 8, 8)) and ``"tiny"``
  (2 layers, 2 heads × 20, text_dim 32; VAE base_dim 8, one residual block per stage): a
  developer configuration that runs every code path on a CPU in milliseconds.
- RoPE: Wan (``wan/modules/model.py``) splits each head's dimension ``d`` into three axes
  (frame, height, width) of ``d − 4⌊d/6⌋``, ``2⌊d/6⌋``, ``2⌊d/6⌋`` (128 → 44/42/42); DiffSynth
  (the release's framework, ``diffsynth/models/wan_video_dit.py``) uses ``d − 2⌊d/3⌋``, ``⌊d/3⌋``,
  ``⌊d/3⌋``; diffusers builds its tables with the first and slices them with the second. All
  agree only when ``⌊d/3⌋ = 2⌊d/6⌋``. The tiny head_dim is 20 (→ 8/6/6, like 128: ``d mod 6 = 2`` and an odd
  number of rotary pairs on the spatial axes) so the tiny model exercises RoPE exactly as Wan
  does; head_dim 16 would not (tables 8/4/4 sliced 6/5/5). :func:`rope_split` checks a config.
- :func:`load_dit` / :func:`load_vae` accept a diffusers folder (``config.json`` + safetensors)
  or one weights file in original/DiffSynth or diffusers key format; the state dict is converted
  key by key (:mod:`vividface.convert`) and loaded with ``strict=True``. Files are read without
  unpickling arbitrary objects (:func:`vfebench.assets.load_torch_state_dict`). Nothing is ever
  downloaded.
- :func:`load_prompt_embedding` reads the constant empty-prompt umT5 embedding ``[512, text_dim]``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from vfebench.errors import InputError
from vfebench.utils import require

DIT_CONFIGS: dict[str, dict[str, Any]] = {
    "wan2.1-t2v-1.3b": {
        "patch_size": [1, 2, 2],
        "num_attention_heads": 12,
        "attention_head_dim": 128,
        "in_channels": 16,
        "out_channels": 16,
        "text_dim": 4096,
        "freq_dim": 256,
        "ffn_dim": 8960,
        "num_layers": 30,
        "cross_attn_norm": True,
        "qk_norm": "rms_norm_across_heads",
        "eps": 1e-6,
        "rope_max_seq_len": 1024,
    },
    "tiny": {
        "patch_size": [1, 2, 2],
        "num_attention_heads": 2,
        "attention_head_dim": 20,
        "in_channels": 16,
        "out_channels": 16,
        "text_dim": 32,
        "freq_dim": 32,
        "ffn_dim": 64,
        "num_layers": 2,
        "cross_attn_norm": True,
        "qk_norm": "rms_norm_across_heads",
        "eps": 1e-6,
        "rope_max_seq_len": 64,
    },
}

VAE_CONFIGS: dict[str, dict[str, Any]] = {
    # the Wan2.1 VAE (Wan2.1_VAE.pth), written out so a build never depends on library defaults;
    # equal to diffusers 0.35's AutoencoderKLWan defaults (tests/benchmarks/test_gpu_scripts_cpu.py checks)
    "wan2.1-t2v-1.3b": {
        "base_dim": 96,
        "z_dim": 16,
        "dim_mult": [1, 2, 4, 4],
        "num_res_blocks": 2,
        "attn_scales": [],
        "temperal_downsample": [False, True, True],
        "dropout": 0.0,
        "latents_mean": [
            -0.7571,
            -0.7089,
            -0.9113,
            0.1075,
            -0.1745,
            0.9653,
            -0.1517,
            1.5508,
            0.4134,
            -0.0715,
            0.5517,
            -0.3632,
            -0.1922,
            -0.9497,
            0.2503,
            -0.2921,
        ],
        "latents_std": [
            2.8184,
            1.4541,
            2.3275,
            2.6558,
            1.2196,
            1.7708,
            2.6052,
            2.0743,
            3.2687,
            2.1526,
            2.8652,
            1.5579,
            1.6382,
            1.1253,
            2.8251,
            1.9160,
        ],
    },
    "tiny": {"base_dim": 8, "z_dim": 16, "dim_mult": [1, 1, 1, 1], "num_res_blocks": 1},
}


def rope_split(head_dim: int) -> tuple[int, int, int]:
    """Wan's (frame, height, width) RoPE dims for ``head_dim``; error where diffusers would differ.

    Wan (``wan/modules/model.py``) allots ``d − 4⌊d/6⌋`` / ``2⌊d/6⌋`` / ``2⌊d/6⌋``; DiffSynth
    (modelscope/DiffSynth-Studio ``diffsynth/models/wan_video_dit.py``, ``precompute_freqs_cis_3d``)
    and diffusers 0.35 ``WanRotaryPosEmbed.forward`` (slicing tables built Wan's way) use
    ``⌊d/3⌋`` for the spatial axes; they agree only when ``⌊d/3⌋ == 2⌊d/6⌋``.
    """
    s = 2 * (head_dim // 6)
    if head_dim // 3 != s:
        raise InputError(
            f"attention_head_dim {head_dim}: diffusers slices RoPE as {head_dim - 2 * (head_dim // 3)}/"
            f"{head_dim // 3}/{head_dim // 3} but Wan allots {head_dim - 2 * s}/{s}/{s}; use a head_dim "
            "with d // 3 == 2 * (d // 6) (e.g. 20, 128)"
        )
    return head_dim - 2 * s, s, s


#: text length of the umT5 condition (Wan2.1)
TEXT_LEN = 512


def _config(table: dict[str, dict[str, Any]], name: str, what: str) -> dict[str, Any]:
    if name not in table:
        raise InputError(f"unknown {what} config {name!r}; choose one of {sorted(table)}")
    return dict(table[name])


def build_dit(config: str | dict[str, Any] = "tiny", seed: int | None = 0):
    """A ``WanTransformer3DModel`` with random weights (``seed`` fixes them)."""
    import torch

    diffusers = require("diffusers", purpose="VividFace (Wan2.1 DiT)")
    cfg = _config(DIT_CONFIGS, config, "DiT") if isinstance(config, str) else dict(config)
    rope_split(int(cfg["attention_head_dim"]))
    if seed is not None:
        torch.manual_seed(seed)
    return diffusers.WanTransformer3DModel(**cfg)


def build_vae(config: str | dict[str, Any] = "tiny", seed: int | None = 0):
    """An ``AutoencoderKLWan`` with random weights (``seed`` fixes them)."""
    import torch

    diffusers = require("diffusers", purpose="VividFace (Wan2.1 VAE)")
    cfg = _config(VAE_CONFIGS, config, "VAE") if isinstance(config, str) else dict(config)
    if seed is not None:
        torch.manual_seed(seed)
    return diffusers.AutoencoderKLWan(**cfg)


def read_state_dict(path: str | os.PathLike) -> dict[str, Any]:
    """Tensors of a ``.safetensors`` / ``.ckpt`` / ``.pth`` / ``.bin`` file (no arbitrary unpickling)."""
    from vfebench.assets import load_torch_state_dict

    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such weights file")
    return load_torch_state_dict(p)


def _load_into(model, sd: dict[str, Any], where: str):
    import torch

    own = model.state_dict()
    missing = sorted(set(own) - set(sd))
    unexpected = sorted(set(sd) - set(own))
    wrong = [k for k in own if k in sd and tuple(sd[k].shape) != tuple(own[k].shape)]
    if missing or unexpected or wrong:
        detail = []
        if missing:
            detail.append(f"missing {len(missing)} (e.g. {missing[:3]})")
        if unexpected:
            detail.append(f"unexpected {len(unexpected)} (e.g. {unexpected[:3]})")
        if wrong:
            k = wrong[0]
            detail.append(f"shape mismatch at {k}: file {tuple(sd[k].shape)} vs model {tuple(own[k].shape)}")
        raise InputError(f"{where}: weights do not fit the model config: " + "; ".join(detail))
    with torch.no_grad():
        model.load_state_dict({k: v.to(own[k].dtype) for k, v in sd.items()}, strict=True, assign=True)
    return model


def _empty(builder, config):
    """Build without allocating/initialising parameters (they are assigned from the file)."""
    try:
        from accelerate import init_empty_weights
    except ImportError:  # pragma: no cover - accelerate is part of the vividface extra
        return builder(config, seed=None)
    with init_empty_weights(include_buffers=False):
        return builder(config, seed=None)


def _is_diffusers_folder(p: Path) -> bool:
    return p.is_dir() and (p / "config.json").is_file()


def load_dit(source: str | os.PathLike, config: str | dict[str, Any] = "wan2.1-t2v-1.3b"):
    """Load a Wan2.1 DiT from a diffusers folder or one weights file (either key format)."""
    from vividface.convert import to_diffusers_dit

    p = Path(source)
    if _is_diffusers_folder(p):
        diffusers = require("diffusers", purpose="VividFace (Wan2.1 DiT)")
        return diffusers.WanTransformer3DModel.from_pretrained(str(p), local_files_only=True)
    model = _empty(build_dit, config)
    return _load_into(model, to_diffusers_dit(read_state_dict(p)), str(p))


def load_vae(source: str | os.PathLike, config: str | dict[str, Any] = "wan2.1-t2v-1.3b"):
    """Load a Wan2.1 VAE from a diffusers folder or one weights file (either key format)."""
    from vividface.convert import to_diffusers_vae

    p = Path(source)
    if _is_diffusers_folder(p):
        diffusers = require("diffusers", purpose="VividFace (Wan2.1 VAE)")
        return diffusers.AutoencoderKLWan.from_pretrained(str(p), local_files_only=True)
    model = _empty(build_vae, config)
    return _load_into(model, to_diffusers_vae(read_state_dict(p)), str(p))


def load_prompt_embedding(path: str | os.PathLike, text_dim: int | None = None):
    """The empty-prompt embedding as a float32 ``[512, text_dim]`` tensor (key ``prompt_embeds``)."""
    sd = read_state_dict(path)
    if "prompt_embeds" not in sd:
        raise InputError(
            f"{path}: expected a tensor named 'prompt_embeds' (vividface embed-prompt writes it)"
        )
    e = sd["prompt_embeds"].float()
    if e.ndim == 3 and e.shape[0] == 1:
        e = e[0]
    if e.ndim != 2 or (text_dim is not None and e.shape[1] != text_dim):
        raise InputError(f"{path}: prompt embedding has shape {tuple(e.shape)}, expected [L, {text_dim}]")
    return e


def random_prompt_embedding(text_dim: int, length: int = 16, seed: int = 0):
    """A fixed random stand-in for the empty-prompt embedding (tiny developer configuration only)."""
    import torch

    g = torch.Generator().manual_seed(seed)
    e = torch.zeros(length, text_dim)
    e[0] = torch.randn(text_dim, generator=g)  # like the real one: one token, zero padding after it
    return e


def latent_stats(vae) -> tuple[Any, Any]:
    """Per-channel ``latents_mean`` / ``latents_std`` of the VAE as ``[1, C, 1, 1, 1]`` tensors."""
    import torch

    c = vae.config.z_dim
    mean = list(vae.config.latents_mean)[:c]
    std = list(vae.config.latents_std)[:c]
    if len(mean) != c or len(std) != c:
        raise InputError(f"VAE config has {len(mean)}/{len(std)} latents_mean/std values for z_dim {c}")
    return torch.tensor(mean).view(1, c, 1, 1, 1), torch.tensor(std).view(1, c, 1, 1, 1)
