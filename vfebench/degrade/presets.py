"""Versioned degradation presets (protocol.md, "Degradation"; docs/degradation.md).

Paper formula ``y = [(x ⊛ k_σ + n_δ)↓r]_CRF`` with the KEEP / DicFace ranges:

- blur: 21×21 Gaussian, isotropic (p = 0.7) or anisotropic (p = 0.3; σx, σy independent,
  θ ~ U(−π, π)), σ ~ U[0.1, 10], drawn once per clip, kernel normalised to 1;
- noise: Gaussian, δ ~ U[0, 10] on the 0–255 scale, drawn per frame; grey (same on all
  channels) with p = 0.5 per frame; clipped to [0, 1], not rounded;
- downsample ×4 with AREA / LINEAR / CUBIC (p = 0.2 / 0.4 / 0.4), drawn once per clip;
- libx264 round trip in memory as the reference code opens it (time base 1/1, yuv420p, crf ~
  randint[18, 25) once per clip, preset medium, PyAV's slice threading), see
  :func:`vfebench.degrade.ops.h264_encode`.

Version 2 (this file):

- ``vfhq-x4`` — the formula in RGB, float32, clipped after the resize, rounded to uint8.
- ``keep`` — jnjaby/KEEP@5c7c4721 ``basicsr/data/vfhq_real_degradation2_dataset.py``
  (``VFHQRealDegradationDataset.__getitem__``) as written: frames in BGR, float64; blur;
  noise; resize (not clipped); noise a second time (own δ and grey draw); truncation to uint8;
  the BGR array handed to the encoder as ``rgb24``; decoded with ``to_rgb``.
- ``dicface`` — fudan-generative-vision/DicFace@df08bb76 ``basicsr/data/vfhq_dataset.py`` as
  written: BGR, float64; blur; resize to an even LQ size (``h // 4 // 2 * 2``, not clipped);
  noise once; truncation; BGR as ``rgb24``; decoded uint8 upsampled back to the GT size with
  ``cv2.resize`` and the same interpolation.

Deliberate deviations from the reference code, in all presets: every draw comes from our seeded
generators (below), never from global state; pts = frame index (PyAV would set the same);
libx264 pinned to a fixed instruction-set level and a fixed slice-thread count so the bytes do
not depend on the CPU or core count (the reference's do); odd sizes padded to even for
yuv420p (the reference fails there). ``docs/degradation.md`` lists them with the reasons.

Version 1 (before the fix): codec at the clip's fps, x264 single-threaded with autodetected
assembly (not byte-stable, see :func:`vfebench.degrade.ops.x264_asm`), RGB everywhere. Its
records stay readable and are labelled by :func:`preset_label` as "pre-fix"; the gate treats a
different preset version as incomparable.

Determinism: every draw comes from a generator seeded by ``(preset, draws version, clip id,
seed)`` (clip-level draws) or ``(preset, draws version, clip id, seed, frame index)`` (per-frame
draws), never from global state or iteration order, so a clip's LQ does not depend on which other
clips are degraded, in which order, or on the frame count. Bump ``version`` whenever output
bytes change; ``draws_version`` only when the sampling changes (v2 keeps v1's draws).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from vfebench.degrade import ops
from vfebench.errors import InputError
from vfebench.utils import seed_from
from vfebench.video import Clip

#: preset versions whose LQ was not byte-stable and used the clip's fps as the codec time base
PRE_FIX_VERSIONS = frozenset({"1"})

NoiseDraw = Callable[[tuple[int, int]], tuple[float, bool, np.ndarray]]


def preset_label(name: str, version: str | int | None) -> str:
    """Display label of a (preset, version) pair: ``"keep v2"``, ``"keep v1 (pre-fix)"``."""
    v = str(version) if version is not None else "?"
    return f"{name} v{v}" + (" (pre-fix)" if v in PRE_FIX_VERSIONS else "")


class Preset:
    name: ClassVar[str] = ""
    version: ClassVar[str] = "2"
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
    codec_rate: ClassVar[int] = 1  # the reference's add_stream('libx264', rate=1)
    #: version of the random draws (kernel, interpolation, crf, δ, grey), bumped only when the
    #: sampling changes: v2 draws what v1 drew for the same clip and seed, so a v1 → v2
    #: difference is the pipeline's, not a new draw
    draws_version: ClassVar[str] = "1"
    noise_before_down: ClassVar[bool] = True
    noise_after_down: ClassVar[bool] = False
    upsample_back: ClassVar[bool] = False
    # code-path quirks (True in the presets named after reference code)
    bgr: ClassVar[bool] = False  # frames processed in BGR and handed to x264 as "rgb24"
    float64: ClassVar[bool] = False  # float64 frames (basicsr: uint8 / 255.0) instead of float32
    truncate: ClassVar[bool] = False  # clip(x*255).astype(uint8) instead of rounding
    clip_after_resize: ClassVar[bool] = True
    even_lq: ClassVar[bool] = False  # LQ size h // scale // 2 * 2 (DicFace)

    # ------------------------------------------------------------------ identity
    def identity(self) -> dict[str, Any]:
        """``{"preset": name, "version": version}`` for the run record."""
        return {"preset": self.name, "version": self.version}

    @property
    def label(self) -> str:
        """Display label, e.g. ``"keep v2"`` (see :func:`preset_label`)."""
        return preset_label(self.name, self.version)

    def lq_size(self, h: int, w: int) -> tuple[int, int]:
        """Size of the frames that go through the codec for a GT of ``h×w``."""
        lh, lw = h // self.scale, w // self.scale
        return (lh // 2 * 2, lw // 2 * 2) if self.even_lq else (lh, lw)

    def out_size(self, h: int, w: int) -> tuple[int, int]:
        """LQ frame size for a GT of ``h×w``."""
        return (h, w) if self.upsample_back else self.lq_size(h, w)

    # ------------------------------------------------------------------ sampling
    def _rng(self, clip_id: str, seed: int, *extra: Any) -> np.random.Generator:
        return np.random.default_rng(seed_from(self.name, self.draws_version, clip_id, int(seed), *extra))

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

    def noise_source(self, clip_id: str, seed: int, t: int) -> NoiseDraw:
        """Frame ``t``'s noise draws, in the order the pipeline adds noise.

        Each call ``draw((h, w))`` returns ``(δ, grey, z)``: δ ~ U(noise_range), grey with
        probability ``p_gray``, and standard normals ``z`` of shape ``h×w`` (grey) or ``h×w×3``.
        """
        rng = self._rng(clip_id, seed, "frame", t)

        def draw(hw: tuple[int, int]) -> tuple[float, bool, np.ndarray]:
            d = float(rng.uniform(*self.noise_range))
            g = bool(rng.random() < self.p_gray)
            z = rng.standard_normal(hw if g else (*hw, 3))
            return d, g, z

        return draw

    def first_noise_draw(self, clip_id: str, seed: int, t: int) -> tuple[float, bool]:
        """Frame ``t``'s first noise draw ``(δ, grey)`` exactly as :meth:`apply` makes it."""
        rng = self._rng(clip_id, seed, "frame", t)
        return float(rng.uniform(*self.noise_range)), bool(rng.random() < self.p_gray)

    # ------------------------------------------------------------------ apply
    def kernel(self, clip_params: dict[str, Any]) -> np.ndarray:
        """The clip's blur kernel ``(size, size)`` float64 summing to 1, from its ``clip_params["blur"]``
        draw."""
        b = clip_params["blur"]
        return ops.gaussian_kernel(b["size"], b["sigma_x"], b["sigma_y"], b["theta"])

    def degrade_frame(
        self, frame_u8: np.ndarray, clip_params: dict[str, Any], kernel: np.ndarray, draw: NoiseDraw
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Blur / noise / resize one RGB frame ``(H, W, 3)`` uint8, up to the codec.

        Returns the ``(h, w, 3)`` uint8 frame the encoder gets (``(h, w)`` = :meth:`lq_size`; in the
        preset's channel order: BGR for the reference presets) and the frame's noise draws.
        """
        h, w = frame_u8.shape[:2]
        lh, lw = self.lq_size(h, w)
        src = frame_u8[:, :, ::-1] if self.bgr else frame_u8
        dt: type[np.floating[Any]] = np.float64 if self.float64 else np.float32
        x = src.astype(dt) / dt(255.0)
        x = ops.blur(x, kernel)
        draws: dict[str, Any] = {}
        if self.noise_before_down:
            d, g, z = draw((h, w))
            x = ops.add_noise_basicsr(x, d, g, z)
            draws.update(delta=d, gray=g)
        x = ops.resize(x, (lh, lw), clip_params["interpolation"])
        if self.clip_after_resize:
            x = np.clip(x, 0.0, 1.0)
        if self.noise_after_down:
            d, g, z = draw((lh, lw))
            x = ops.add_noise_basicsr(x, d, g, z)
            key = "2" if self.noise_before_down else ""
            draws.update({f"delta{key}": d, f"gray{key}": g})
        return (ops.truncate_uint8(x) if self.truncate else ops.to_uint8(x)), draws

    def pre_codec(self, clip: Clip, seed: int, clip_params: dict[str, Any] | None = None):
        """The frames the encoder gets (``T×h×w×3`` uint8, preset channel order) and their draws."""
        p = clip_params or self.sample_clip_params(clip.id, seed)
        kernel = self.kernel(p)
        h, w = clip.size
        pre = np.empty((clip.num_frames, *self.lq_size(h, w), 3), np.uint8)
        frames = []
        for t in range(clip.num_frames):
            pre[t], draws = self.degrade_frame(clip.frames[t], p, kernel, self.noise_source(clip.id, seed, t))
            frames.append(draws)
        return pre, frames

    def apply(self, clip: Clip, seed: int) -> tuple[Clip, dict[str, Any]]:
        """Degrade ``clip``; returns the LQ clip and every sampled parameter (per-frame too).

        ``params["codec"]`` holds the libx264 settings used and the encoded size
        (``encoded_bytes``, ``bytes_per_frame``, ``bits_per_pixel`` over the codec's frames).
        """
        h, w = clip.size
        if min(self.lq_size(h, w)) < 4:
            raise InputError(f"clip {clip.id!r}: {w}×{h} is too small to degrade ×{self.scale}")
        p = self.sample_clip_params(clip.id, seed)
        pre, frames = self.pre_codec(clip, seed, p)
        codec: dict[str, Any] = {}
        lq = ops.h264_roundtrip(pre, p["crf"], rate=self.codec_rate, info=codec)
        if self.upsample_back:
            import cv2

            flag = {"area": cv2.INTER_AREA, "linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC}
            lq = np.stack([cv2.resize(f, (w, h), interpolation=flag[p["interpolation"]]) for f in lq])
        if self.bgr:
            lq = np.ascontiguousarray(lq[:, :, :, ::-1])
        params = {
            **self.identity(),
            "seed": int(seed),
            "clip_id": clip.id,
            "gt_size": [h, w],
            "lq_size": list(lq.shape[1:3]),
            "fps": clip.fps,
            **p,
            "pipeline": {
                "channels": "BGR handed to x264 as rgb24" if self.bgr else "RGB",
                "float": "float64" if self.float64 else "float32",
                "to_uint8": "truncate" if self.truncate else "round",
                "clip_after_resize": self.clip_after_resize,
                "upsample_back": p["interpolation"] if self.upsample_back else None,
            },
            "codec": codec,
            "frames": frames,
        }
        return Clip(clip.id, lq, clip.fps, {"degradation": params}), params


class VFHQx4(Preset):
    name = "vfhq-x4"
    description = "paper formula: blur → noise → ×4 down → H.264 CRF 18..24 (LQ is GT/4)"


class KEEP(Preset):
    name = "keep"
    description = "KEEP's code: BGR, noise before and after ×4 down, truncation, H.264 (LQ is GT/4)"
    noise_after_down = True
    bgr = float64 = truncate = True
    clip_after_resize = False


class DicFace(Preset):
    name = "dicface"
    description = "DicFace's code: blur → ×4 down → noise → H.264, upsampled back to GT size"
    noise_before_down = False
    noise_after_down = True
    upsample_back = True
    bgr = float64 = truncate = True
    clip_after_resize = False
    even_lq = True
