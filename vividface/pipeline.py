"""One-step VividFace restoration on diffusers' Wan2.1 components.

Per clip (frames ``T×H×W×3`` uint8 RGB in, same layout out), as the release does it
(shulianz/VividFace ``examples/FaceVR/test_full_no_tile_face.py`` +
``diffsynth/pipelines/wan_video_one_step.py``, commit bdb980b):

1. bicubic resize to ``size×size`` (OpenCV ``INTER_CUBIC`` on float32 frames in [0,1], as the
   released script does; ``size=None`` keeps the input size), map to [−1, 1];
2. **the whole clip in one pass** (the release's and our default, ``chunk_frames=0``);
3. pad T to 4k+1 by repeating the last frame and H, W to multiples of 16 with zeros
   (mid-grey, as released); VAE encode (posterior **mode**), normalise ``(z − mean)/std`` with the
   VAE config's ``latents_mean``/``latents_std`` → ``z_L``;
4. ``v = DiT(z_L, t, empty-prompt embedding)`` with ``t = 400`` (0..1000 scale, σ = t/1000), no
   noise, cfg 1;
5. update rule: ``released``: ``z_H = z_L − v`` (the released code); ``flow``: ``z_H = z_L − σ·v``
   (the rectified-flow reading of the paper);
6. de-normalise, decode, crop the padding, resize to the target size (bicubic; a no-op for 512²
   GT) and quantise to uint8 (``truncate`` like the released ``astype(uint8)``, or ``round``).

Optional temporal chunking (**not as released**; for GPUs that cannot hold a long clip, see
``docs/vividface-gpu-memory.md``): ``chunk_frames = C`` (4k+1) with ``chunk_overlap = O``. Chunk
``i`` starts at ``i·(C − O)``; the last one ends at the clip's end and may be shorter (≥ O + 1
frames, padded like a whole clip), so every pair of neighbours overlaps by exactly ``O`` frames.
Across an overlap, frame ``j = 0..O−1`` takes ``w = (j+1)/(O+1)`` of the later chunk and
``1 − w`` of the earlier one (a linear crossfade; weights sum to 1 on every frame); elsewhere a
frame comes from its one chunk. Each chunk is an independent pass: the causal VAE restarts and
the DiT attends only within the chunk, so a chunked restoration differs from the release's.

Shapes: a 81×512×512 clip → latent 16×21×64×64 → 21,504 DiT tokens.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from vfebench.errors import InputError
from vfebench.video import check_frames

UPDATE_RULES = ("released", "flow")


@dataclass
class InferenceConfig:
    """Inference options (all part of the method fingerprint).

    Attributes:
        size: square working resolution (bicubic resize); ``None`` keeps the input size.
        timestep: fixed DiT timestep on the 0..1000 scale (σ = timestep / 1000).
        update_rule: ``"released"`` (z_L − v) or ``"flow"`` (z_L − σ·v).
        chunk_frames: 0 (default, as released): the whole clip in one pass; else frames per
            temporal chunk (4k+1), **not as released** (see the module docstring).
        chunk_overlap: frames shared by neighbouring chunks, crossfaded linearly (chunking only).
        spatial_multiple: pad H and W to a multiple of this (16 = VAE stride 8 × patch 2).
        vae_tiling: enable diffusers' spatial VAE tiling (large frames, less memory).
        tile: ``(min_h, min_w, stride_h, stride_w)`` in pixels for VAE tiling.
        dtype: ``"auto"`` (bf16 on CUDA, fp32 on CPU), ``"float32"``, ``"bfloat16"``, ``"float16"``.
        quantize: ``"truncate"`` (released) or ``"round"`` when mapping [−1, 1] to uint8.
    """

    size: int | None = 512
    timestep: float = 400.0
    update_rule: str = "released"
    chunk_frames: int = 0
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
        if self.chunk_frames < 0:
            raise InputError(
                f"chunk_frames must be 0 (whole clip, as released) or 4k+1, got {self.chunk_frames}"
            )
        if self.chunk_frames and not 0 <= self.chunk_overlap < self.chunk_frames:
            raise InputError(f"chunk_overlap must be in [0, chunk_frames), got {self.chunk_overlap}")
        if self.quantize not in ("truncate", "round"):
            raise InputError(f"quantize must be 'truncate' or 'round', got {self.quantize!r}")
        if not 0 < self.timestep <= 1000:
            raise InputError(f"timestep must be in (0, 1000], got {self.timestep}")

    def deviations(self) -> list[str]:
        """How these options depart from the released inference (empty = as released)."""
        out = []
        if self.chunk_frames:
            out.append(
                f"temporal chunks of {self.chunk_frames} frames crossfaded over {self.chunk_overlap} "
                "(release: whole clip in one pass)"
            )
        if self.update_rule != "released":
            out.append(f"update rule {self.update_rule!r} (release: z_L - v)")
        if self.timestep != 400.0:
            out.append(f"timestep {self.timestep:g} (release: 400)")
        if self.size != 512:
            out.append(f"working size {self.size} (release: 512)")
        if self.quantize != "truncate":
            out.append(f"quantize {self.quantize!r} (release: truncate)")
        if self.vae_tiling:
            out.append("VAE tiling (release default: untiled)")
        if self.spatial_multiple != 16:
            out.append(f"spatial padding multiple {self.spatial_multiple} (release: 16)")
        return out

    def as_dict(self) -> dict[str, Any]:
        """The config as a JSON-able dict (``tile`` as a list)."""
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


def chunk_spans(num_frames: int, chunk: int, overlap: int) -> list[tuple[int, int]]:
    """``[(start, end), ...]`` of the temporal chunks covering ``num_frames`` frames.

    ``chunk = 0`` (or a clip no longer than ``chunk``) gives one span, the whole clip. Otherwise
    chunk ``i`` starts at ``i·(chunk − overlap)`` and the last one is cut at the clip's end, so
    neighbours always share exactly ``overlap`` frames and the last chunk keeps more than
    ``overlap`` frames of its own.
    """
    if num_frames < 1:
        raise InputError(f"a clip needs at least one frame, got {num_frames}")
    if not chunk or num_frames <= chunk:
        return [(0, num_frames)]
    if not 0 <= overlap < chunk:
        raise InputError(f"chunk_overlap must be in [0, chunk_frames={chunk}), got {overlap}")
    step = chunk - overlap
    spans = []
    start = 0
    while True:
        end = min(start + chunk, num_frames)
        spans.append((start, end))
        if end == num_frames:
            return spans
        start += step


def crossfade_weights(spans: list[tuple[int, int]], overlap: int) -> list[np.ndarray]:
    """Per-frame blend weights of each chunk of :func:`chunk_spans`: one ``(n,)`` float64 array per span
    ``(s, e)``, ``n = e - s``.

    In an overlap of ``O`` frames, frame ``j`` (0-based from the later chunk's start) weighs
    ``(j+1)/(O+1)`` in the later chunk and ``1 − (j+1)/(O+1)`` in the earlier one; the weights
    of all chunks sum to 1 on every frame. ``InputError`` when neighbouring spans do not overlap by
    ``overlap`` frames.
    """
    ws = [np.ones(e - s, np.float64) for s, e in spans]
    if overlap and len(spans) > 1:
        ramp = np.arange(1, overlap + 1, dtype=np.float64) / (overlap + 1)
        for i in range(1, len(spans)):
            pe, s = spans[i - 1][1], spans[i][0]
            if pe - s != overlap:  # chunk_spans guarantees this; a hand-made span list may not
                raise InputError(f"chunks {i - 1} and {i} overlap by {pe - s} frames, expected {overlap}")
            ws[i][:overlap] = ramp
            ws[i - 1][-overlap:] = 1.0 - ramp
    return ws


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
    """The torch dtype called ``name``; ``auto`` is bfloat16 on CUDA and float32 elsewhere. ``InputError``
    otherwise."""
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
        #: when True, :meth:`restore_tensor` syncs the device and adds each stage's seconds to
        #: :attr:`stage_seconds` (reset per :meth:`restore_frames` call); off by default
        self.profile = False
        self.stage_seconds: dict[str, float] = {"encode": 0.0, "dit": 0.0, "decode": 0.0}
        self.last_spans: list[tuple[int, int]] = []
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
        """One step from the normalised LQ latent ``z_l`` (``B×16×t×h×w``) to the HQ latent, same shape."""
        return apply_update(z_l, self.velocity(z_l), self.config.timestep, self.config.update_rule)

    # -- pixel space -----------------------------------------------------------------------
    def restore_tensor(self, x):
        """``B×3×T×H×W`` in [−1,1] (any T ≥ 1, any H, W) → same shape in [−1,1]."""
        import torch

        with torch.no_grad():
            xp, pads = pad_clip(x, self.config.spatial_multiple)
            t0 = self._tick()
            z_l = self.encode(xp)
            t1 = self._tick()
            z_h = self.restore_latent(z_l)
            t2 = self._tick()
            y = self.decode(z_h)
            t3 = self._tick()
            if self.profile:
                st = self.stage_seconds
                st["encode"] += t1 - t0
                st["dit"] += t2 - t1
                st["decode"] += t3 - t2
            return crop_clip(y, pads)

    def _tick(self) -> float:
        """``perf_counter`` after a device sync when :attr:`profile` is on (timing only)."""
        import time

        if self.profile and str(self.device).startswith("cuda"):
            import torch

            torch.cuda.synchronize(torch.device(self.device))
        return time.perf_counter()

    def restore_frames(self, frames: np.ndarray, target_size: tuple[int, int] | None = None) -> np.ndarray:
        """``T×H×W×3`` uint8 RGB → ``T×H'×W'×3`` uint8 RGB (``target_size`` or the working size)."""
        import torch

        check_frames(frames, "VividFace restore_frames input")
        cfg = self.config
        t, h, w = frames.shape[:3]
        work = (cfg.size, cfg.size) if cfg.size else (h, w)
        x = resize_frames_float(frames.astype(np.float32) / 255.0, work) * 2.0 - 1.0
        spans = chunk_spans(t, cfg.chunk_frames, cfg.chunk_overlap)
        weights = crossfade_weights(spans, cfg.chunk_overlap)
        self.last_spans = spans
        self.stage_seconds = {"encode": 0.0, "dit": 0.0, "decode": 0.0}
        out = np.zeros((t, *work, 3), np.float32) if len(spans) > 1 else None
        for (s, e), wts in zip(spans, weights):
            xt = torch.from_numpy(np.ascontiguousarray(x[s:e])).permute(3, 0, 1, 2)[None].to(self.device)
            y = self.restore_tensor(xt)[0].permute(1, 2, 3, 0).cpu().numpy()
            if out is None:
                out = y
            else:
                out[s:e] += y * wts.astype(np.float32)[:, None, None, None]
        if target_size is not None and tuple(target_size) != tuple(work):
            out = resize_frames_float(out, tuple(target_size))
        out = (out + 1.0) * 127.5
        out = np.round(out) if cfg.quantize == "round" else out
        return np.clip(out, 0, 255).astype(np.uint8)
