"""FasterVQA fragment sampling: which frames and which 32×32 patches the network sees.

Our implementation of the sampling in VQAssessment/FAST-VQA-and-FasterVQA (commit 9f264e4):
``FragmentSampleFrames`` / ``SampleFrames`` and ``get_spatial_fragments`` in
``fastvqa/datasets/fusion_datasets.py``, configured by ``options/fast/f3dvqa-b.yml``.

Temporal (indices into the clip's ``T`` frames, returned as int64 arrays):

- :func:`segment_frame_indices` (protocol default, FasterVQA paper): the clip is cut into
  ``segments`` equal parts starting at ``⌊T/segments⌋·i``; in each part ``seg_len`` frames
  ``interval`` apart start at a random offset ``∈ [0, ⌊T/segments⌋ − seg_len·interval)`` (0 when
  that range is empty); indices wrap modulo ``T``. Official training/test datasets use
  ``interval = 2``; the protocol uses consecutive frames (``interval = 1``).
- :func:`centre_frame_indices`: what ``vqa.py -m FasterVQA`` actually runs at that commit (its
  ``t_frag`` test reads the wrong dictionary and falls back to ``SampleFrames``): ``clip_len``
  consecutive frames starting at ``int((T − clip_len + 1) / 2)`` (0 if ``T < clip_len``), mod ``T``.

Spatial (:func:`fragment_grid` + :func:`extract_fragments`): a ``grid × grid`` lattice of cells
(cell ``i`` starts at ``min(⌊H/grid⌋·i, H − fsize)``); from each cell one ``fsize × fsize``
patch at a random offset ``∈ [0, ⌊H/grid⌋ − fsize)`` (0 if empty), a new offset every ``aligned``
frames; patches are tiled into a ``grid·fsize`` square (7·32 = 224). Frames whose short side is
below 224 are first upsampled bilinearly by ``224 / short side``.

All randomness comes from a caller-supplied ``numpy.random.Generator`` (seeded per clip), never
from global state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vfebench.errors import InputError


def segment_frame_indices(
    num_frames: int, rng: np.random.Generator, segments: int = 8, seg_len: int = 4, interval: int = 1
) -> np.ndarray:
    """``(segments*seg_len,)`` int64 frame indices in ``[0, num_frames)``, segment by segment.

    Offsets are drawn from ``rng`` (see module docstring). ``num_frames < 1`` raises
    :class:`InputError`."""
    if num_frames < 1:
        raise InputError("num_frames must be >= 1")
    seg = num_frames // segments
    starts = seg * np.arange(segments, dtype=np.int64)
    span = seg_len * interval
    if seg > span:
        offs = rng.integers(0, seg - span, size=segments, dtype=np.int64)
    else:
        offs = np.zeros(segments, dtype=np.int64)
    idx = starts[:, None] + offs[:, None] + np.arange(seg_len, dtype=np.int64)[None, :] * interval
    return np.mod(idx.reshape(-1), num_frames)


def centre_frame_indices(num_frames: int, clip_len: int = 32) -> np.ndarray:
    """``(clip_len,)`` int64 consecutive indices centred in the clip, wrapped into
    ``[0, num_frames)`` (official ``SampleFrames`` test mode). ``num_frames < 1`` raises
    :class:`InputError`."""
    if num_frames < 1:
        raise InputError("num_frames must be >= 1")
    start = int((num_frames - clip_len + 1) / 2.0) if num_frames > clip_len - 1 else 0
    return np.mod(start + np.arange(clip_len, dtype=np.int64), num_frames)


@dataclass
class FragmentGrid:
    """Top-left corners of every fragment: ``top[i, j, g]``, ``left[i, j, g]`` for grid cell
    ``(i, j)`` and temporal group ``g`` (frames ``g·aligned … (g+1)·aligned − 1``)."""

    top: np.ndarray
    left: np.ndarray
    fsize: int
    aligned: int


def fragment_grid(
    height: int,
    width: int,
    num_frames: int,
    rng: np.random.Generator,
    grid: int = 7,
    fsize: int = 32,
    aligned: int = 8,
) -> FragmentGrid:
    """Random fragment corners for an ``height × width`` video of ``num_frames`` sampled frames.

    ``top`` and ``left`` are ``(grid, grid, G)`` int64 pixel corners, ``G = num_frames //
    aligned`` temporal groups, one offset draw from ``rng`` per cell and group. ``num_frames`` must be a multiple of
    ``aligned`` (else :class:`InputError`)."""
    if num_frames % aligned:
        raise InputError(f"{num_frames} sampled frames are not a multiple of aligned={aligned}")
    groups = num_frames // aligned

    def axis(n: int) -> tuple[np.ndarray, int]:
        starts = np.array([min(n // grid * i, n - fsize) for i in range(grid)], dtype=np.int64)
        return starts, n // grid

    hs, hlen = axis(height)
    ws, wlen = axis(width)
    shape = (grid, grid, groups)
    rh = (
        rng.integers(0, hlen - fsize, size=shape, dtype=np.int64)
        if hlen > fsize
        else np.zeros(shape, np.int64)
    )
    rw = (
        rng.integers(0, wlen - fsize, size=shape, dtype=np.int64)
        if wlen > fsize
        else np.zeros(shape, np.int64)
    )
    return FragmentGrid(hs[:, None, None] + rh, ws[None, :, None] + rw, fsize, aligned)


def extract_fragments(video, g: FragmentGrid):
    """Tile the fragments: ``video`` ``C×T×H×W`` tensor → ``C×T×(grid·fsize)×(grid·fsize)``."""
    import torch

    c, t = video.shape[:2]
    n = g.top.shape[0]
    fs = g.fsize
    out = torch.zeros((c, t, n * fs, n * fs), dtype=video.dtype, device=video.device)
    for i in range(n):
        for j in range(g.top.shape[1]):
            for k in range(g.top.shape[2]):
                t0, t1 = k * g.aligned, (k + 1) * g.aligned
                y, x = int(g.top[i, j, k]), int(g.left[i, j, k])
                out[:, t0:t1, i * fs : (i + 1) * fs, j * fs : (j + 1) * fs] = video[
                    :, t0:t1, y : y + fs, x : x + fs
                ]
    return out


def upsample_if_small(video, target: int = 224, truncate_uint8: bool = False):
    """Bilinear upsample ``C×T×H×W`` by ``target / short side`` when the short side < target.

    ``truncate_uint8`` reproduces the official cast back to uint8 (values truncated, not rounded).
    Returns ``(video, upsampled?)``.
    """
    import torch.nn.functional as F

    h, w = video.shape[-2:]
    ratio = min(h / target, w / target)
    if ratio >= 1:
        return video, False
    out = F.interpolate(video.float() / 255.0, scale_factor=1 / ratio, mode="bilinear") * 255.0
    if truncate_uint8:
        out = out.to(video.dtype) if not video.dtype.is_floating_point else out
    return out, True
