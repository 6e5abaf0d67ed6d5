"""One-step VividFace restoration on diffusers' Wan2.1 components.

Per clip (frames ``T×H×W×3`` uint8 RGB in, same layout out):

1. bicubic resize to ``size×size`` (OpenCV ``INTER_CUBIC`` on float32 frames in [0,1], as the
   released script does; ``size=None`` keeps the input size), map to [−1, 1];
2. temporal chunks of ``chunk_frames`` (= 4k+1) frames overlapping by ``chunk_overlap`` frames
   (whole clip when it is short enough);
3. per chunk: pad T to 4k+1 by repeating the last frame and H, W to multiples of 16 with zeros
   (mid-grey, as released); VAE encode (posterior **mode**), normalise ``(z − mean)/std`` with the
   VAE config's ``latents_mean``/``latents_std`` → ``z_L``;
4. ``v = DiT(z_L, t, empty-prompt embedding)`` with ``t = 400`` (0..1000 scale, σ = t/1000), no
   noise, cfg 1;
5. update rule: ``released``: ``z_H = z_L − v`` (the released code); ``flow``: ``z_H = z_L − σ·v``
   (the rectified-flow reading of the paper);
6. de-normalise, decode, crop the padding, blend overlapping chunks linearly, resize to the
   target size (bicubic; a no-op for 512² GT) and quantise to uint8 (``truncate`` like the
   released ``astype(uint8)``, or ``round``).

Shapes: a 81×512×512 chunk → latent 16×21×64×64 → 21,504 DiT tokens.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from vfebench.errors import InputError

UPDATE_RULES = ("released", "flow")


@dataclass
class InferenceConfig:
    """Inference options (all part of the method fingerprint).

    Attributes:
        size: square working resolution (bicubic resize); ``None`` keeps the input size.
        timestep: fixed DiT timestep on the 0..1000 scale (σ = timestep / 1000).
        update_rule: ``"released"`` (z_L − v) or ``"flow"`` (z_L − σ·v).
        chunk_frames: frames per temporal chunk (4k+1); 0 processes the whole clip at once.
        chunk_overlap: overlapping frames between consecutive chunks (blended linearly).
        spatial_multiple: pad H and W to a multiple of this (16 = VAE stride 8 × patch 2).
        vae_tiling: enable diffusers' spatial VAE tiling (large frames, less memory).
        tile: ``(min_h, min_w, stride_h, stride_w)`` in pixels for VAE tiling.
        dtype: ``"auto"`` (bf16 on CUDA, fp32 on CPU), ``"float32"``, ``"bfloat16"``, ``"float16"``.
        quantize: ``"truncate"`` (released) or ``"round"`` when mapping [−1, 1] to uint8.
    """

    size: int | None = 512
    timestep: float = 400.0
    update_rule: str = "released"
    chunk_frames: int = 81
    chunk_overlap: int = 8
    spatial_multiple: int = 16
    vae_tiling: bool = False
    tile: tuple[int, int, int, int] = (256, 256, 192, 192)
    dtype: str = "auto"
    quantize: str = "truncate"
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.update_rule not in UPDATE_RULES:
            raise InputError(f"update_rule must be one of {UPDATE_RULES}, got {self.update_rule!r}")
        if self.chunk_frames and (self.chunk_frames - 1) % 4:
            raise InputError(f"chunk_frames must be 4k+1 (e.g. 81) or 0, got {self.chunk_frames}")
        if self.chunk_frames and not 0 <= self.chunk_overlap < self.chunk_frames:
            raise InputError(f"chunk_overlap must be in [0, chunk_frames), got {self.chunk_overlap}")
        if self.quantize not in ("truncate", "round"):
            raise InputError(f"quantize must be 'truncate' or 'round', got {self.quantize!r}")
        if not 0 < self.timestep <= 1000:
            raise InputError(f"timestep must be in (0, 1000], got {self.timestep}")

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["tile"] = list(self.tile)
        return d


# ----------------------------------------------------------------------------- pure helpers
def pad_clip(x, multiple: int = 16, temporal: int = 4):
    """Pad ``x`` (``B×C×T×H×W``) to T = 4k+1 (repeat last frame) and H, W to ``multiple`` (zeros).

    Returns ``(padded, (pad_t, pad_h, pad_w))``.
    """
    import torch
    import torch.nn.functional as F

    t, h, w = x.shape[2:]
    pad_t = (-(t - 1)) % temporal
    pad_h = (-h) % multiple
    pad_w = (-w) % multiple
    if pad_t:
        x = torch.cat([x, x[:, :, -1:].expand(-1, -1, pad_t, -1, -1)], dim=2)
    if pad_h or pad_w:
        x = F.pad(x, (0, pad_w, 0, pad_h), mode="constant", value=0.0)
    return x, (pad_t, pad_h, pad_w)


def crop_clip(x, pads: tuple[int, int, int]):
    """Undo :func:`pad_clip` on ``B×C×T×H×W``."""
    pad_t, pad_h, pad_w = pads
    t, h, w = x.shape[2:]
    return x[:, :, : t - pad_t, : h - pad_h, : w - pad_w]


def chunk_starts(num_frames: int, chunk: int, overlap: int) -> list[int]:
    """Start indices of temporal chunks covering ``num_frames`` (last chunk aligned to the end)."""
    if not chunk or num_frames <= chunk:
        return [0]
    step = chunk - overlap
    starts = list(range(0, num_frames - chunk + 1, step))
    if starts[-1] + chunk < num_frames:
        starts.append(num_frames - chunk)
    return starts


def blend_weights(length: int, overlap: int, first: bool, last: bool) -> np.ndarray:
    """Per-frame weights of one chunk: linear ramps over ``overlap`` frames at inner borders."""
    w = np.ones(length, np.float32)
    if overlap:
        ramp = np.arange(1, overlap + 1, dtype=np.float32) / (overlap + 1)
        if not first:
            w[:overlap] = ramp
        if not last:
            w[-overlap:] = np.minimum(w[-overlap:], ramp[::-1])
    return w


def resize_frames_float(frames: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bicubic resize of ``T×H×W×3`` float32 frames to ``size=(H, W)`` (OpenCV INTER_CUBIC)."""
    import cv2

    h, w = size
    if frames.shape[1:3] == (h, w):
        return frames
    return np.stack([cv2.resize(f, (w, h), interpolation=cv2.INTER_CUBIC) for f in frames])


def apply_update(z_l, v, timestep: float, rule: str):
    """``released``: z_L − v; ``flow``: z_L − σ·v with σ = timestep/1000."""
    if rule == "released":
        return z_l - v
    if rule == "flow":
        return z_l - (timestep / 1000.0) * v
    raise InputError(f"unknown update rule {rule!r}; choose one of {UPDATE_RULES}")


def resolve_dtype(name: str, device: str):
    import torch

    if name == "auto":
        return torch.bfloat16 if str(device).startswith("cuda") else torch.float32
    try:
        return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[name]
    except KeyError:
        raise InputError(f"dtype must be auto, float32, bfloat16 or float16, got {name!r}") from None


# ----------------------------------------------------------------------------- pipeline
class OneStepPipeline:
    """DiT + VAE + constant text embedding → one-step restoration.

    Args:
        dit: ``WanTransformer3DModel``; vae: ``AutoencoderKLWan``; prompt_embeds: ``[L, text_dim]``
        float tensor (the empty-prompt umT5 embedding); config: :class:`InferenceConfig`.
    """

    def __init__(self, dit, vae, prompt_embeds, config: InferenceConfig | None = None, device: str = "cpu"):
        import torch

        from vividface.wan import latent_stats

        self.config = config or InferenceConfig()
        self.device = device
        self.dtype = resolve_dtype(self.config.dtype, device)
        self.dit = dit.to(device=device, dtype=self.dtype).eval()
        self.vae = vae.to(device=device, dtype=self.dtype).eval()
        self.prompt_embeds = prompt_embeds.to(device=device, dtype=self.dtype)
        mean, std = latent_stats(vae)
        self.lat_mean = mean.to(device=device, dtype=torch.float32)
        self.lat_std = std.to(device=device, dtype=torch.float32)
        if self.config.vae_tiling:
            mh, mw, sh, sw = self.config.tile
            self.vae.enable_tiling(mh, mw, sh, sw)

    # -- latent space ----------------------------------------------------------------------
    def encode(self, x):
        """``B×3×T×H×W`` in [−1,1] (T = 4k+1, H, W multiples of 8) → normalised latent (float32)."""
        z = self.vae.encode(x.to(self.dtype)).latent_dist.mode().float()
        return (z - self.lat_mean) / self.lat_std

    def decode(self, z):
        """Normalised latent → ``B×3×T×H×W`` in [−1,1] (float32)."""
        z = z * self.lat_std + self.lat_mean
        return self.vae.decode(z.to(self.dtype), return_dict=False)[0].float()

    def velocity(self, z_l):
        """DiT velocity at the fixed timestep with the empty-prompt condition (float32)."""
        import torch

        b = z_l.shape[0]
        t = torch.full((b,), float(self.config.timestep), device=z_l.device, dtype=self.dtype)
        ctx = self.prompt_embeds.unsqueeze(0).expand(b, -1, -1)
        return self.dit(
            hidden_states=z_l.to(self.dtype), timestep=t, encoder_hidden_states=ctx, return_dict=False
        )[0].float()

    def restore_latent(self, z_l):
        return apply_update(z_l, self.velocity(z_l), self.config.timestep, self.config.update_rule)

    # -- pixel space -----------------------------------------------------------------------
    def restore_tensor(self, x):
        """``B×3×T×H×W`` in [−1,1] (any T ≥ 1, any H, W) → same shape in [−1,1]."""
        import torch

        with torch.no_grad():
            xp, pads = pad_clip(x, self.config.spatial_multiple)
            z_h = self.restore_latent(self.encode(xp))
            return crop_clip(self.decode(z_h), pads)

    def restore_frames(self, frames: np.ndarray, target_size: tuple[int, int] | None = None) -> np.ndarray:
        """``T×H×W×3`` uint8 RGB → ``T×H'×W'×3`` uint8 RGB (``target_size`` or the working size)."""
        import torch

        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
            raise InputError(f"expected T×H×W×3 uint8 frames, got {frames.shape} {frames.dtype}")
        cfg = self.config
        t, h, w = frames.shape[:3]
        work = (cfg.size, cfg.size) if cfg.size else (h, w)
        x = resize_frames_float(frames.astype(np.float32) / 255.0, work) * 2.0 - 1.0
        out = np.zeros((t, *work, 3), np.float32)
        wsum = np.zeros(t, np.float32)
        starts = chunk_starts(t, cfg.chunk_frames, cfg.chunk_overlap)
        for i, s in enumerate(starts):
            e = min(t, s + cfg.chunk_frames) if cfg.chunk_frames else t
            xt = torch.from_numpy(np.ascontiguousarray(x[s:e])).permute(3, 0, 1, 2)[None].to(self.device)
            y = self.restore_tensor(xt)[0].permute(1, 2, 3, 0).cpu().numpy()
            wts = blend_weights(
                e - s, cfg.chunk_overlap if len(starts) > 1 else 0, i == 0, i == len(starts) - 1
            )
            out[s:e] += y * wts[:, None, None, None]
            wsum[s:e] += wts
        out /= wsum[:, None, None, None]
        if target_size is not None and tuple(target_size) != tuple(work):
            out = resize_frames_float(out, tuple(target_size))
        out = (out + 1.0) * 127.5
        out = np.round(out) if cfg.quantize == "round" else out
        return np.clip(out, 0, 255).astype(np.uint8)
