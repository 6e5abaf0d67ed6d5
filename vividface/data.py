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

MASK_SOURCES = ("face_oval", "ellipse", "none")


def ellipse_masks(t: int, h: int, w: int) -> np.ndarray:
    """A centred ellipse over the middle of each frame (``T×H×W`` bool): developer/test masks."""
    yy, xx = np.mgrid[:h, :w]
    m = ((yy - (h - 1) / 2) / (0.35 * h)) ** 2 + ((xx - (w - 1) / 2) / (0.3 * w)) ** 2 <= 1.0
    return np.broadcast_to(m, (t, h, w)).copy()


def pixel_masks(frames: np.ndarray, source: str) -> np.ndarray:
    """``T×H×W×3`` uint8 → ``T×H×W`` bool face masks from ``source`` (see :data:`MASK_SOURCES`)."""
    t, h, w = frames.shape[:3]
    if source == "face_oval":
        from vividface.masks import face_oval_masks

        return face_oval_masks(frames)
    if source == "ellipse":
        return ellipse_masks(t, h, w)
    if source == "none":
        return np.ones((t, h, w), bool)
    raise InputError(f"unknown mask source {source!r}; choose one of {MASK_SOURCES}")


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
    windows, encode: Callable[[Any], Any], out_dir: str | Path, mask_source: str, meta: dict[str, Any]
) -> list[Path]:
    """Encode ``(window_id, hq, lq)`` windows into ``out_dir``; returns the files in order.

    ``encode``: ``1×3×T×H×W`` in [−1,1] → normalised latent ``1×C×t×h×w``.
    """
    import torch
    from safetensors.torch import save_file

    from vfebench.utils import atomic_path, atomic_write_json
    from vividface.masks import latent_mask

    out = Path(out_dir)
    man_path = out / "manifest.json"
    want = {**meta, "mask_source": mask_source}
    if man_path.is_file():
        man = json.loads(man_path.read_text())
        if man.get("meta") == want and all((out / f).is_file() for f in man["files"]):
            return [out / f for f in man["files"]]
    files = []
    with torch.no_grad():
        for wid, hq, lq in windows:
            m_p = torch.from_numpy(pixel_masks(hq, mask_source)).float()
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
    from safetensors.torch import load_file

    return [load_file(str(f)) for f in files]
