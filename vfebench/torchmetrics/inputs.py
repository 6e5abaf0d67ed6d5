"""Video batches → vfebench clips: the one input convention of :mod:`vfebench.torchmetrics`.

A batch is a tensor ``B×T×3×H×W`` (clips × frames × RGB channels × height × width), either

- ``uint8`` 0..255, used as is, or
- floating point (any float dtype) in ``[0, 1]``, turned into 8-bit frames exactly like
  :func:`vfebench.metrics.base.as_clip` (``round(x·255)`` in float64), because the protocol scores
  8-bit frames and ``vfebench score`` reads 8-bit files.

Prediction and target batches must have the same shape. Anything else (another rank, another
dtype, NaN/inf, values outside ``[0, 1]``, a channel count other than 3) raises
:class:`~vfebench.errors.InputError` naming the clip and the fix; nothing is resized, clamped or
rounded silently. The tensors may live on any device; frames are copied to the host, where the
vfebench metrics run their shared analysis.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from vfebench.errors import InputError
from vfebench.video import Clip

LAYOUT = "B×T×3×H×W (uint8 0..255, or float in [0, 1])"


def _frames(x: Any, role: str) -> np.ndarray:
    """``B×T×3×H×W`` tensor/array → ``B×T×H×W×3`` numpy array (dtype kept)."""
    import torch

    if isinstance(x, torch.Tensor):
        t = x.detach()
        if t.dtype == torch.bfloat16 or t.dtype == torch.float16:
            t = t.float()
        a = t.cpu().numpy()
    else:
        a = np.asarray(x)
    if a.ndim != 5 or a.shape[2] != 3:
        raise InputError(
            f"{role} batch: expected {LAYOUT}, got shape {tuple(a.shape)}; "
            "add the batch axis with x.unsqueeze(0) for one clip, and put channels third"
        )
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise InputError(f"{role} batch: shape {tuple(a.shape)} holds no clip or no frame")
    if not (a.dtype == np.uint8 or np.issubdtype(a.dtype, np.floating)):
        raise InputError(f"{role} batch: dtype {a.dtype} is neither uint8 (0..255) nor float in [0, 1]")
    return np.moveaxis(a, 2, -1)


def to_clips(
    preds: Any, target: Any | None, clip_ids: Sequence[str] | None
) -> tuple[list[Clip], list[Clip | None]]:
    """``(pred clips, target clips or Nones)`` of one batch (see the module docstring).

    ``clip_ids``: one id per clip. Metrics with seeded sampling (FasterVQA) derive their seed from
    the id, so pass the ids ``vfebench score`` would use (file stem / folder name) to get its
    numbers. Default: ``"clip-"`` + the first 16 hex digits of the prediction clip's content
    hash, so a clip's id (and so its score) never depends on its position, batch or rank.
    """
    from vfebench.metrics.base import as_clip

    p = _frames(preds, "prediction")
    g = _frames(target, "target") if target is not None else None
    if g is not None and g.shape != p.shape:
        raise InputError(
            f"prediction batch is {tuple(np.moveaxis(p, -1, 2).shape)} but target batch is "
            f"{tuple(np.moveaxis(g, -1, 2).shape)}; both must be {LAYOUT} of the same shape"
        )
    if clip_ids is not None:
        clip_ids = [str(c) for c in clip_ids]
        if len(clip_ids) != p.shape[0]:
            raise InputError(f"clip_ids has {len(clip_ids)} ids for a batch of {p.shape[0]} clips")
    preds_out: list[Clip] = []
    gts_out: list[Clip | None] = []
    for i in range(p.shape[0]):
        cid = clip_ids[i] if clip_ids is not None else f"batch[{i}]"
        pc = as_clip(p[i], cid, "prediction")
        if clip_ids is None:
            pc.id = f"clip-{pc.content_hash()[:16]}"
        preds_out.append(pc)
        gts_out.append(as_clip(g[i], pc.id, "target") if g is not None else None)
    return preds_out, gts_out
