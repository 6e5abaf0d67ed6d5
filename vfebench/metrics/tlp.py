"""tLP — temporal LPIPS: does the restored clip change from frame to frame as the GT does?

Definition (TecoGAN, Chu et al., ACM TOG 2020; thunil/TecoGAN ``metrics.py`` at commit
dfee612a3249677293309f9c3d901ad6224d3d9f, key ``tLP100``): for consecutive frames,
``tLP_t = |LPIPS(g_{t-1}, g_t) − LPIPS(p_{t-1}, p_t)|``; clip = mean over the ``T − 1`` pairs;
set = mean over clips. Lower is better: 0 when the restored clip's frame-to-frame perceptual
change equals the GT's (flicker and frozen detail both raise it). Shown ×100, as TecoGAN
reports it (``tLP×100``).

The LPIPS distance is :mod:`vfebench.metrics.lpips`'s (AlexNet trunk + v0.1 linear heads, RGB
in [−1, 1]) with the same weights and options (``trunk=``, ``weights=`` local files). Not done
here, unlike TecoGAN's script: it drops the first and last 2 frames of every clip and crops
frames to a multiple of 32 pixels; we score every pair of the (``ctx.max_frames``-capped) clip,
uncropped. A clip with one frame has no pair and is NaN with that reason.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from vfebench.metrics.base import ClipResult, PaperColumn, ScoreContext
from vfebench.metrics.lpips import LPIPS
from vfebench.video import Clip


class TLP(LPIPS):
    """Temporal LPIPS (AlexNet). Input: restored and GT clips of the same size and frame count.
    Output per clip: the mean over consecutive frame pairs of ``|ΔLPIPS_gt − ΔLPIPS_pred|``
    (raw, ≥ 0; reports show ×100)."""

    name: ClassVar[str] = "tlp"
    display: ClassVar[str] = "tLP×100"
    value_range: ClassVar[tuple[float | None, float | None]] = (0.0, None)
    higher_is_better: ClassVar[bool] = False
    level: ClassVar[str] = "clip"
    modes: ClassVar[tuple[str, ...]] = ("clean",)
    scale: ClassVar[float] = 100.0
    precision: ClassVar[int] = 3
    paper: ClassVar[tuple[PaperColumn, ...]] = (PaperColumn("table1", "Temporal Consistency", 3),)
    description: ClassVar[str] = "temporal LPIPS |LPIPS(g_t-1,g_t) - LPIPS(p_t-1,p_t)|, AlexNet (TecoGAN tLP)"

    def score_clip(self, pred: Clip, gt: Clip | None, ctx: ScoreContext) -> ClipResult:
        """Mean over consecutive pairs of ``|LPIPS(gt pair) − LPIPS(pred pair)|``; NaN for a one-frame
        clip."""
        pred, gt = self._prepare(pred, gt, ctx)
        assert gt is not None  # needs_reference: _prepare raised otherwise
        if pred.num_frames < 2:
            return ClipResult(pred.id, float("nan"), 0, pred.num_frames, "tLP needs at least 2 frames")
        bs = max(1, int(self.options.get("batch_size", self.batch_size)))
        d_pred, d_gt = [], []
        for s in range(0, pred.num_frames - 1, bs):
            e = min(s + bs, pred.num_frames - 1)
            d_pred.append(self.score_frames(pred.frames[s:e], pred.frames[s + 1 : e + 1]))
            d_gt.append(self.score_frames(gt.frames[s:e], gt.frames[s + 1 : e + 1]))
        per_pair = np.abs(np.concatenate(d_gt) - np.concatenate(d_pred))
        return ClipResult(pred.id, float(per_pair.mean()), len(per_pair), 0, per_frame=per_pair)
