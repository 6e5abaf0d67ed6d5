"""Versioned degradation presets (protocol.md, "Degradation").

Paper formula ``y = [(x ⊛ k_σ + n_δ)↓r]_CRF`` with the KEEP / DicFace ranges:

- blur: 21×21 Gaussian, isotropic (p = 0.7) or anisotropic (p = 0.3; σx, σy independent,
  θ ~ U(−π, π)), σ ~ U[0.1, 10], drawn once per clip, kernel normalised to 1;
- noise: Gaussian, δ ~ U[0, 10] on the 0–255 scale, drawn per frame; grey (same on all
  channels) with p = 0.5 per frame; clipped to [0, 1], not rounded;
- downsample ×4 with AREA / LINEAR / CUBIC (p = 0.2 / 0.4 / 0.4), drawn once per clip;
- libx264 round trip in memory, yuv420p, crf ~ randint[18, 25) once per clip, preset medium.

Presets: ``vfhq-x4`` (the formula), ``keep`` (KEEP's code: noise a second time after
downsampling, with a second per-frame δ), ``dicface`` (noise only after downsampling; after the
codec the LQ is upsampled back to the GT size with the same interpolation — our reading of the
DicFace config: codec at LQ resolution, then resize).

Determinism: every draw comes from a generator seeded by ``(preset, version, clip id, seed)``
(clip-level draws) or ``(preset, version, clip id, seed, frame index)`` (per-frame draws), never
from global state or iteration order, so a clip's LQ does not depend on which other clips are
degraded, in which order, or on the frame count. Bump ``version`` whenever output bytes change.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from vfebench.degrade import ops
from vfebench.errors import InputError
from vfebench.utils import seed_from
from vfebench.video import Clip


class Preset:
    name: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    description: ClassVar[str] = ""
    scale: ClassVar[int] = 4
    kernel_size: ClassVar[int] = 21
    sigma_range: ClassVar[tuple[float, float]] = (0.1, 10.0)
    p_iso: ClassVar[float] = 0.7
    noise_range: ClassVar[tuple[float, float]] = (0.0, 10.0)
    p_gray: ClassVar[float] = 0.5
    interpolations: ClassVar[tuple[str, ...]] = ops.INTERPOLATIONS
    interpolation_p: ClassVar[tuple[float, ...]] = (0.2, 0.4, 0.4)
    crf_range: ClassVar[tuple[int, int]] = (18, 25)  # randint: high exclusive
    noise_before_down: ClassVar[bool] = True
    noise_after_down: ClassVar[bool] = False
    upsample_back: ClassVar[bool] = False

    # ------------------------------------------------------------------ identity
    def identity(self) -> dict[str, Any]:
        return {"preset": self.name, "version": self.version}

    def out_size(self, h: int, w: int) -> tuple[int, int]:
        """LQ frame size for a GT of ``h×w``."""
        return (h, w) if self.upsample_back else (h // self.scale, w // self.scale)

    # ------------------------------------------------------------------ sampling
    def _rng(self, clip_id: str, seed: int, *extra: Any) -> np.random.Generator:
        return np.random.default_rng(seed_from(self.name, self.version, clip_id, int(seed), *extra))

    def sample_clip_params(self, clip_id: str, seed: int) -> dict[str, Any]:
        """Clip-level draws: blur kernel, interpolation, CRF."""
        rng = self._rng(clip_id, seed, "clip")
        lo, hi = self.sigma_range
        if rng.random() < self.p_iso:
            sx = sy = float(rng.uniform(lo, hi))
            kind, theta = "iso", 0.0
        else:
            sx, sy = float(rng.uniform(lo, hi)), float(rng.uniform(lo, hi))
            kind, theta = "aniso", float(rng.uniform(-math.pi, math.pi))
        interp = str(rng.choice(self.interpolations, p=self.interpolation_p))
        crf = int(rng.integers(self.crf_range[0], self.crf_range[1]))
        return {
            "blur": {"kind": kind, "size": self.kernel_size, "sigma_x": sx, "sigma_y": sy, "theta": theta},
            "interpolation": interp,
            "scale": self.scale,
            "crf": crf,
        }

    def first_noise_draw(self, clip_id: str, seed: int, t: int) -> tuple[float, bool]:
        """Frame ``t``'s first noise draw ``(δ, grey)`` exactly as :meth:`apply` makes it."""
        return self._noise_draw(self._rng(clip_id, seed, "frame", t))

    def _noise_draw(self, rng: np.random.Generator) -> tuple[float, bool]:
        return float(rng.uniform(*self.noise_range)), bool(rng.random() < self.p_gray)

    # ------------------------------------------------------------------ apply
    def degrade_frame(
        self, frame_u8: np.ndarray, clip_params: dict[str, Any], kernel: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Blur / noise / resize one frame (before the codec). Returns float32 [0,1] and its draws."""
        h, w = frame_u8.shape[:2]
        x = frame_u8.astype(np.float32) / np.float32(255.0)
        x = ops.blur(x, kernel)
        draws: dict[str, Any] = {}
        if self.noise_before_down:
            d, g = self._noise_draw(rng)
            x = ops.add_noise(x, d, g, rng)
            draws.update(delta=d, gray=g)
        x = np.clip(ops.resize(x, (h // self.scale, w // self.scale), clip_params["interpolation"]), 0.0, 1.0)
        if self.noise_after_down:
            d, g = self._noise_draw(rng)
            x = ops.add_noise(x, d, g, rng)
            key = "2" if self.noise_before_down else ""
            draws.update({f"delta{key}": d, f"gray{key}": g})
        return x, draws

    def apply(self, clip: Clip, seed: int) -> tuple[Clip, dict[str, Any]]:
        """Degrade ``clip``; returns the LQ clip and every sampled parameter (per-frame too)."""
        h, w = clip.size
        if h < 4 * self.scale or w < 4 * self.scale:
            raise InputError(f"clip {clip.id!r}: {w}×{h} is too small to degrade ×{self.scale}")
        p = self.sample_clip_params(clip.id, seed)
        b = p["blur"]
        kernel = ops.gaussian_kernel(b["size"], b["sigma_x"], b["sigma_y"], b["theta"])
        lq = np.empty((clip.num_frames, h // self.scale, w // self.scale, 3), np.uint8)
        frames = []
        for t in range(clip.num_frames):
            x, draws = self.degrade_frame(clip.frames[t], p, kernel, self._rng(clip.id, seed, "frame", t))
            lq[t] = ops.to_uint8(x)
            frames.append(draws)
        lq = ops.h264_roundtrip(lq, p["crf"], fps=clip.fps)
        if self.upsample_back:
            lq = np.stack(
                [
                    ops.to_uint8(
                        np.clip(ops.resize(f.astype(np.float32) / 255.0, (h, w), p["interpolation"]), 0, 1)
                    )
                    for f in lq
                ]
            )
        params = {
            **self.identity(),
            "seed": int(seed),
            "clip_id": clip.id,
            "gt_size": [h, w],
            "lq_size": list(lq.shape[1:3]),
            "fps": clip.fps,
            **p,
            "frames": frames,
        }
        return Clip(clip.id, lq, clip.fps, {"degradation": params}), params


class VFHQx4(Preset):
    name = "vfhq-x4"
    version = "1"
    description = "paper formula: blur → noise → ×4 down → H.264 CRF 18..24 (LQ is GT/4)"


class KEEP(Preset):
    name = "keep"
    version = "1"
    description = "KEEP's code: like vfhq-x4 plus a second noise after downsampling (LQ is GT/4)"
    noise_after_down = True


class DicFace(Preset):
    name = "dicface"
    version = "1"
    description = "DicFace: blur → ×4 down → noise → H.264, LQ upsampled back to GT size"
    noise_before_down = False
    noise_after_down = True
    upsample_back = True
