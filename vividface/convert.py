"""State-dict key conversion: original Wan / DiffSynth format ⇄ diffusers format.

The released ``vividface.ckpt`` and Wan's own files (``diffusion_pytorch_model.safetensors``,
``Wan2.1_VAE.pth``) use the original Wan key names, which DiffSynth-Studio keeps. diffusers'
``WanTransformer3DModel`` / ``AutoencoderKLWan`` use other names. The maps below are explicit,
key by key and in both directions; a key that matches no rule raises
:class:`~vfebench.errors.InputError` naming it (never a silent drop), so a checkpoint either loads
completely (``strict=True``) or fails loudly.

The correspondence is the one diffusers' single-file loader uses
(``diffusers/loaders/single_file_utils.py``: ``convert_wan_transformer_to_diffusers``,
``convert_wan_vae_to_diffusers``); our tests check our maps against those functions. Unlike the
VAE converter there, ours does not hard-code the block indices of the 1.3B/14B VAE: the decoder
index arithmetic follows ``num_res_blocks``.

Note on the DiT norms: the original block applies ``norm3`` (affine LayerNorm) before cross
attention; diffusers calls that layer ``norm2``. The original ``norm1``/``norm2`` and diffusers'
``norm1``/``norm3`` have no parameters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from vfebench.errors import InputError

#: prefixes wrappers put in front of DiT keys (ComfyUI, DiffSynth training modules, DDP)
KNOWN_PREFIXES = ("model.diffusion_model.", "pipe.dit.", "dit.", "module.", "model.")

# (original prefix, diffusers prefix); "{i}" is a block index
_DIT_RULES: tuple[tuple[str, str], ...] = (
    ("patch_embedding.", "patch_embedding."),
    ("text_embedding.0.", "condition_embedder.text_embedder.linear_1."),
    ("text_embedding.2.", "condition_embedder.text_embedder.linear_2."),
    ("time_embedding.0.", "condition_embedder.time_embedder.linear_1."),
    ("time_embedding.2.", "condition_embedder.time_embedder.linear_2."),
    ("time_projection.1.", "condition_embedder.time_proj."),
    ("head.head.", "proj_out."),
    ("head.modulation", "scale_shift_table"),
    ("blocks.{i}.modulation", "blocks.{i}.scale_shift_table"),
    ("blocks.{i}.self_attn.q.", "blocks.{i}.attn1.to_q."),
    ("blocks.{i}.self_attn.k.", "blocks.{i}.attn1.to_k."),
    ("blocks.{i}.self_attn.v.", "blocks.{i}.attn1.to_v."),
    ("blocks.{i}.self_attn.o.", "blocks.{i}.attn1.to_out.0."),
    ("blocks.{i}.self_attn.norm_q.", "blocks.{i}.attn1.norm_q."),
    ("blocks.{i}.self_attn.norm_k.", "blocks.{i}.attn1.norm_k."),
    ("blocks.{i}.cross_attn.q.", "blocks.{i}.attn2.to_q."),
    ("blocks.{i}.cross_attn.k.", "blocks.{i}.attn2.to_k."),
    ("blocks.{i}.cross_attn.v.", "blocks.{i}.attn2.to_v."),
    ("blocks.{i}.cross_attn.o.", "blocks.{i}.attn2.to_out.0."),
    ("blocks.{i}.cross_attn.norm_q.", "blocks.{i}.attn2.norm_q."),
    ("blocks.{i}.cross_attn.norm_k.", "blocks.{i}.attn2.norm_k."),
    ("blocks.{i}.norm3.", "blocks.{i}.norm2."),
    ("blocks.{i}.ffn.0.", "blocks.{i}.ffn.net.0.proj."),
    ("blocks.{i}.ffn.2.", "blocks.{i}.ffn.net.2."),
)


def _compile(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(template).replace(r"\{i\}", r"(?P<i>\d+)"))


_DIT_FWD = [(_compile(a), b) for a, b in _DIT_RULES]
_DIT_BWD = [(_compile(b), a) for a, b in _DIT_RULES]


def _apply_rules(key: str, rules: list[tuple[re.Pattern[str], str]]) -> str | None:
    for pat, out in rules:
        m = pat.match(key)
        if m:
            head = out.replace("{i}", m.group("i")) if "{i}" in out else out
            return head + key[m.end() :]
    return None


def strip_prefix(sd: Mapping[str, Any]) -> dict[str, Any]:
    """Unwrap ``{"state_dict": ...}`` / ``{"module": ...}`` and drop a prefix shared by all keys."""
    d: Mapping[str, Any] = sd
    for wrapper in ("state_dict", "module", "model"):
        inner = d.get(wrapper) if isinstance(d, Mapping) else None
        if isinstance(inner, Mapping) and len(d) <= 3:
            d = inner
    out = dict(d)
    for prefix in KNOWN_PREFIXES:
        if out and all(k.startswith(prefix) for k in out):
            out = {k[len(prefix) :]: v for k, v in out.items()}
    return out


def _convert(sd: Mapping[str, Any], rules, what: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    bad = []
    for k, v in sd.items():
        nk = _apply_rules(k, rules)
        if nk is None:
            bad.append(k)
        else:
            out[nk] = v
    if bad:
        raise InputError(
            f"{what}: {len(bad)} key(s) match no conversion rule, e.g. {bad[:5]}; is this a Wan2.1 "
            "T2V DiT checkpoint (original/DiffSynth or diffusers key format)?"
        )
    return out


def is_original_dit(sd: Mapping[str, Any]) -> bool:
    """True when keys are in original Wan / DiffSynth format (``head.modulation`` present)."""
    return "head.modulation" in sd or any(".self_attn." in k for k in sd)


def dit_original_to_diffusers(sd: Mapping[str, Any]) -> dict[str, Any]:
    """Original Wan / DiffSynth DiT keys → ``WanTransformer3DModel`` keys (tensors untouched)."""
    return _convert(strip_prefix(sd), _DIT_FWD, "DiT original→diffusers")


def dit_diffusers_to_original(sd: Mapping[str, Any]) -> dict[str, Any]:
    """``WanTransformer3DModel`` keys → original Wan / DiffSynth DiT keys (tensors untouched)."""
    return _convert(sd, _DIT_BWD, "DiT diffusers→original")


def to_diffusers_dit(sd: Mapping[str, Any]) -> dict[str, Any]:
    """Either format → diffusers keys (detects the format)."""
    sd = strip_prefix(sd)
    return dit_original_to_diffusers(sd) if is_original_dit(sd) else dict(sd)


# ----------------------------------------------------------------------------- VAE
_RES_FWD = (
    ("residual.0.", "norm1."),
    ("residual.2.", "conv1."),
    ("residual.3.", "norm2."),
    ("residual.6.", "conv2."),
    ("shortcut.", "conv_shortcut."),
)
_TOP_FWD = (
    ("encoder.conv1.", "encoder.conv_in."),
    ("decoder.conv1.", "decoder.conv_in."),
    ("encoder.head.0.", "encoder.norm_out."),
    ("encoder.head.2.", "encoder.conv_out."),
    ("decoder.head.0.", "decoder.norm_out."),
    ("decoder.head.2.", "decoder.conv_out."),
    ("conv1.", "quant_conv."),
    ("conv2.", "post_quant_conv."),
)
_MID_FWD = (
    ("middle.0.", "mid_block.resnets.0."),
    ("middle.1.", "mid_block.attentions.0."),
    ("middle.2.", "mid_block.resnets.1."),
)


def _sub_prefix(s: str, pairs, reverse: bool = False) -> str | None:
    for a, b in pairs:
        src, dst = (b, a) if reverse else (a, b)
        if s.startswith(src):
            return dst + s[len(src) :]
    return None


def _res_rename(rest: str, reverse: bool = False) -> str:
    """Rename inside a residual block; non-residual parts (attention, resample) stay as they are."""
    r = _sub_prefix(rest, _RES_FWD, reverse)
    return rest if r is None else r


def infer_vae_num_res_blocks(sd: Mapping[str, Any]) -> int:
    """``num_res_blocks`` of a Wan VAE state dict in either key format."""
    up = [k for k in sd if k.startswith("decoder.upsamples.")]
    if up:
        idx = sorted({int(k.split(".")[2]) for k in up if ".resample." in k or ".time_conv." in k})
        if idx:
            return idx[0] - 1  # stage 0 holds num_res_blocks+1 residual blocks, then its upsampler
        raise InputError("VAE state dict: cannot infer num_res_blocks (decoder has no upsampler)")
    res = {int(k.split(".")[4]) for k in sd if k.startswith("decoder.up_blocks.0.resnets.")}
    if not res:
        raise InputError("VAE state dict: no decoder blocks found; is this a Wan2.1 VAE?")
    return max(res)


def vae_original_to_diffusers(sd: Mapping[str, Any], num_res_blocks: int | None = None) -> dict[str, Any]:
    """Original ``Wan2.1_VAE.pth`` keys → ``AutoencoderKLWan`` keys."""
    sd = strip_prefix(sd)
    r = infer_vae_num_res_blocks(sd) if num_res_blocks is None else num_res_blocks
    per_stage = r + 2  # r+1 residual blocks and one upsampler (the last stage has none)
    out: dict[str, Any] = {}
    bad = []
    for k, v in sd.items():
        nk = None
        for side in ("encoder.", "decoder."):
            if k.startswith(side + "middle."):
                nk = side + _res_rename_mid(k[len(side) :])
        if nk is None and k.startswith("encoder.downsamples."):
            _, _, idx, rest = k.split(".", 3)
            nk = f"encoder.down_blocks.{idx}.{_res_rename(rest)}"
        if nk is None and k.startswith("decoder.upsamples."):
            _, _, idx, rest = k.split(".", 3)
            stage, j = divmod(int(idx), per_stage)
            if j <= r:
                nk = f"decoder.up_blocks.{stage}.resnets.{j}.{_res_rename(rest)}"
            else:
                nk = f"decoder.up_blocks.{stage}.upsamplers.0.{rest}"
        if nk is None:
            nk = _sub_prefix(k, _TOP_FWD)
        if nk is None:
            bad.append(k)
        else:
            out[nk] = v
    if bad:
        raise InputError(f"VAE original→diffusers: unknown keys {bad[:5]} (is this Wan2.1_VAE.pth?)")
    return out


def _res_rename_mid(rest: str, reverse: bool = False) -> str:
    """``middle.{0,1,2}.X`` ⇄ ``mid_block.{resnets.0, attentions.0, resnets.1}.X``."""
    for a, b in _MID_FWD:
        src, dst = (b, a) if reverse else (a, b)
        if rest.startswith(src):
            inner = rest[len(src) :]
            is_res = "resnets" in b
            return dst + (_res_rename(inner, reverse) if is_res else inner)
    return rest


def vae_diffusers_to_original(sd: Mapping[str, Any], num_res_blocks: int | None = None) -> dict[str, Any]:
    """``AutoencoderKLWan`` keys → original ``Wan2.1_VAE.pth`` keys."""
    r = infer_vae_num_res_blocks(sd) if num_res_blocks is None else num_res_blocks
    per_stage = r + 2
    out: dict[str, Any] = {}
    bad = []
    for k, v in sd.items():
        nk = None
        for side in ("encoder.", "decoder."):
            if k.startswith(side + "mid_block."):
                nk = side + _res_rename_mid(k[len(side) :], reverse=True)
        if nk is None and k.startswith("encoder.down_blocks."):
            _, _, idx, rest = k.split(".", 3)
            nk = f"encoder.downsamples.{idx}.{_res_rename(rest, reverse=True)}"
        if nk is None and k.startswith("decoder.up_blocks."):
            parts = k.split(".")
            stage = int(parts[2])
            if parts[3] == "resnets":
                j = int(parts[4])
                rest = ".".join(parts[5:])
                nk = f"decoder.upsamples.{stage * per_stage + j}.{_res_rename(rest, reverse=True)}"
            elif parts[3] == "upsamplers":
                rest = ".".join(parts[5:])
                nk = f"decoder.upsamples.{stage * per_stage + r + 1}.{rest}"
        if nk is None:
            nk = _sub_prefix(k, _TOP_FWD, reverse=True)
        if nk is None:
            bad.append(k)
        else:
            out[nk] = v
    if bad:
        raise InputError(f"VAE diffusers→original: unknown keys {bad[:5]}")
    return out


def is_original_vae(sd: Mapping[str, Any]) -> bool:
    """Whether state dict ``sd`` uses the original ``Wan2.1_VAE.pth`` key layout (not diffusers')."""
    return any(k.startswith(("encoder.downsamples.", "decoder.upsamples.", "encoder.middle.")) for k in sd)


def to_diffusers_vae(sd: Mapping[str, Any]) -> dict[str, Any]:
    """State dict ``sd`` in ``AutoencoderKLWan`` (diffusers) keys, converting the original layout when
    needed."""
    sd = strip_prefix(sd)
    return vae_original_to_diffusers(sd) if is_original_vae(sd) else dict(sd)
