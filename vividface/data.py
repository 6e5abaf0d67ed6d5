"""Training data: (LQ, HQ) windows from vfebench degradation presets, precomputed latents.

- :func:`make_windows`: a GT clip → HQ windows of ``frames`` (= 4k+1) frames resized to
  ``size×size``; the LQ comes from ``vfebench.degrade.build_preset(preset).apply(clip, seed)`` on
  the whole HQ clip (so clip-level draws are shared by its windows) and is bicubic-upsampled back
  to ``size`` — exactly what inference feeds the model.
- :func:`precompute_latents`: per window, normalised VAE latents ``z_L``, ``z_H`` (posterior
  mode), the pixel face mask ``M_p`` and its latent alignment ``M_l`` (Eq. 4–5), plus the HQ
  frames for stage 2; one ``.safetensors`` file per window and a ``manifest.json`` recording the
  preset, seed, sizes and mask source. Reused when the manifest matches.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from vfebench.errors import InputError
from vividface.masks import MASK_SOURCES, MaskBuilder, ellipse_masks  # noqa: F401  (re-exported)


def pixel_masks(frames: np.ndarray, source: str) -> np.ndarray:
    """``T×H×W×3`` uint8 → ``T×H×W`` bool face masks from ``source`` (see :data:`MASK_SOURCES`)."""
    return MaskBuilder(source)(frames)


def make_windows(clip, preset: str, seed: int, frames: int, size: int, stride: int | None = None):
    """Yield ``(window_id, hq, lq)`` uint8 ``frames×size×size×3`` arrays for one GT clip."""
    from vfebench.degrade import build_preset
    from vfebench.video import Clip
    from vividface.pipeline import resize_frames_float

    if (frames - 1) % 4 or size % 16:
        raise InputError(
            f"training windows need frames = 4k+1 and size a multiple of 16, got {frames}, {size}"
        )
    if clip.num_frames < frames:
        raise InputError(f"clip {clip.id!r} has {clip.num_frames} frames, fewer than the window of {frames}")
    f = clip.frames.astype(np.float32) / 255.0
    hq = np.clip(np.round(resize_frames_float(f, (size, size)) * 255), 0, 255).astype(np.uint8)
    lq_clip, _params = build_preset(preset).apply(Clip(clip.id, hq, clip.fps), seed)
    lq = resize_frames_float(lq_clip.frames.astype(np.float32) / 255.0, (size, size))
    lq = np.clip(np.round(lq * 255), 0, 255).astype(np.uint8)
    stride = stride or frames - 1
    for s in range(0, clip.num_frames - frames + 1, stride):
        yield f"{clip.id}@{s}", hq[s : s + frames], lq[s : s + frames]


def to_tensor(frames: np.ndarray):
    """``T×H×W×3`` uint8 → ``1×3×T×H×W`` float32 in [−1, 1]."""
    import torch

    return torch.from_numpy(frames).permute(3, 0, 1, 2)[None].float() / 127.5 - 1.0


def precompute_latents(
    windows,
    encode: Callable[[Any], Any],
    out_dir: str | Path,
    mask_source: str | MaskBuilder,
    meta: dict[str, Any],
) -> list[Path]:
    """Encode ``(window_id, hq, lq)`` windows into ``out_dir``; returns the files in order.

    ``encode``: ``1×3×T×H×W`` in [−1,1] → normalised latent ``1×C×t×h×w``. ``mask_source``: a
    source name or a configured :class:`~vividface.masks.MaskBuilder`; the manifest records its
    :meth:`~vividface.masks.MaskBuilder.describe` (requested and resolved source, parser weights).
    """
    import torch
    from safetensors.torch import save_file

    from vfebench.utils import atomic_path, atomic_write_json
    from vividface.masks import latent_mask

    out = Path(out_dir)
    man_path = out / "manifest.json"
    masks = mask_source if isinstance(mask_source, MaskBuilder) else MaskBuilder(mask_source)
    want = {**meta, "mask_source": masks.describe()}
    if man_path.is_file():
        man = json.loads(man_path.read_text())
        if man.get("meta") == want and all((out / f).is_file() for f in man["files"]):
            return [out / f for f in man["files"]]
    files = []
    with torch.no_grad():
        for wid, hq, lq in windows:
            m_p = torch.from_numpy(masks(hq)).float()
            z_l = encode(to_tensor(lq))[0].float().contiguous()
            z_h = encode(to_tensor(hq))[0].float().contiguous()
            name = wid.replace("/", "_").replace("@", "__") + ".safetensors"
            with atomic_path(out / name, suffix=".safetensors") as tmp:
                save_file(
                    {
                        "z_lq": z_l,
                        "z_hq": z_h,
                        "m_l": latent_mask(m_p).contiguous(),
                        "m_p": m_p.contiguous(),
                        "hq": torch.from_numpy(np.ascontiguousarray(hq)),
                    },
                    str(tmp),
                    metadata={"window": wid},
                )
            files.append(name)
    atomic_write_json(man_path, {"meta": want, "files": files})
    return [out / f for f in files]


def load_items(files: list[Path]) -> list[dict[str, Any]]:
    """Load each safetensors training item (``z_lq``, ``z_hq``, masks, ``hq`` tensors) into memory."""
    from safetensors.torch import load_file

    return [load_file(str(f)) for f in files]
