"""The torchmetrics face of a vfebench metric: a thin stateful wrapper, no second implementation.

:class:`VFEBenchMetric` holds one vfebench metric (built from the registry, exactly as
``vfebench score --metrics SPEC`` builds it) and feeds it the clips of each batch through the
same ``score_clip`` / ``window_features`` calls the CLI makes, with the same
:class:`~vfebench.metrics.base.ScoreContext` (device, ``max_frames``, ``seed``, shared face
analysis). What it adds is only what torchmetrics needs: states that reduce across processes and
the metadata attributes.

States (all float64, so no precision is lost before aggregation):

- clip- and frame-level metrics: ``values``, the per-clip raw values (a list state,
  ``dist_reduce_fx="cat"``); ``compute()`` hands them to the metric's own ``aggregate`` (mean over
  clips ignoring NaN clips, protocol.md), so it equals ``vfebench score``'s ``mean``;
- set-level metrics (``fvd`` in ``dataset`` mode): the sums of the window features and of their
  outer products and the window count, per side (``dist_reduce_fx="sum"``); ``compute()`` turns
  them into means and unbiased covariances and calls the metric's Fréchet distance.

Values are raw (unscaled, e.g. AKD in normalised units); :meth:`VFEBenchMetric.display_value`
gives the report units (``AKD*`` = ×1000). A clip without a detectable face contributes NaN (its
frames skipped), exactly as in the CLI; invalid inputs raise :class:`~vfebench.errors.InputError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from torchmetrics import Metric as _TMMetric
from torchmetrics.utilities.data import dim_zero_cat

from vfebench.errors import InputError
from vfebench.metrics.base import ClipResult, FeatureStore, ScoreContext

#: keyword arguments that belong to ``torchmetrics.Metric`` (everything else is a metric option)
TORCHMETRICS_KWARGS = (
    "compute_on_cpu",
    "dist_sync_on_step",
    "process_group",
    "dist_sync_fn",
    "distributed_available_fn",
    "sync_on_compute",
    "compute_with_cache",
)


class VFEBenchMetric(_TMMetric):
    """Base of every generated class (``vfebench.torchmetrics.LPIPS`` …); see the package docs.

    Args:
        mode: the vfebench metric's mode (``"bfvr"``, ``"dataset"`` …); default its default mode.
        max_frames: score only the first N frames of each clip (``vfebench score --max-frames``).
        seed: base seed of metrics with random sampling (``vfebench score --seed``).
        features: a :class:`~vfebench.metrics.base.FeatureStore` to share face analysis and
            embeddings between several metrics (e.g. IDS and AKD on the same batch); default: a
            private store emptied after each ``update`` (memory stays flat over a validation).
        **options: the vfebench metric's options (``weights=PATH``, ``backend=...``,
            ``window=16`` …) and the ``torchmetrics.Metric`` keyword arguments
            (``sync_on_compute``, ``process_group`` …).
    """

    vfe_name: ClassVar[str] = ""
    # plain class attributes: torchmetrics.Metric declares these three without ClassVar
    is_differentiable: bool = False
    full_state_update: bool = False
    higher_is_better: bool | None = None
    needs_reference: ClassVar[bool] = True
    #: the per-clip state (``add_state("values", [], "cat")``); torchmetrics' ``sync`` replaces
    #: it by the gathered tensor until ``unsync``
    values: list[torch.Tensor] | torch.Tensor

    def __init__(
        self,
        mode: str | None = None,
        *,
        max_frames: int | None = None,
        seed: int = 0,
        features: FeatureStore | None = None,
        **options: Any,
    ) -> None:
        tm_kwargs = {k: options.pop(k) for k in TORCHMETRICS_KWARGS if k in options}
        super().__init__(**tm_kwargs)
        from vfebench.metrics import METRICS

        if max_frames is not None and int(max_frames) < 1:
            raise InputError(f"{self.vfe_name}: max_frames must be >= 1, got {max_frames}")
        cls = METRICS.get(self.vfe_name)
        self.vfe_metric = cls(mode=mode, **options) if mode else cls(**options)
        self.max_frames = None if max_frames is None else int(max_frames)
        self.seed = int(seed)
        self._shared_features = features
        self.set_level = self.vfe_metric.level == "set"
        if self.set_level:
            if not hasattr(self.vfe_metric, "window_features"):
                raise InputError(
                    f"{self.vfe_name}: set-level mode {self.vfe_metric.mode!r} has no incremental "
                    "form (window_features) for torchmetrics; use a per-clip mode"
                )
            d = int(getattr(self.vfe_metric, "num_features", 400))
            for side in ("pred", "target"):
                self.add_state(f"{side}_sum", torch.zeros(d, dtype=torch.float64), dist_reduce_fx="sum")
                self.add_state(f"{side}_outer", torch.zeros(d, d, dtype=torch.float64), dist_reduce_fx="sum")
                self.add_state(f"{side}_n", torch.zeros((), dtype=torch.float64), dist_reduce_fx="sum")
        else:
            self.add_state("values", [], dist_reduce_fx="cat")

    # ---------------------------------------------------------------- helpers
    def _context(self) -> ScoreContext:
        dev = str(self.device)
        m = self.vfe_metric
        if not m._ready or m.device != dev:  # first update, or the metric was moved (.to/.cuda)
            m.setup(dev)
        store = self._shared_features if self._shared_features is not None else FeatureStore()
        return ScoreContext(device=dev, features=store, max_frames=self.max_frames, seed=self.seed)

    def display_value(self, raw: torch.Tensor | float) -> torch.Tensor | float:
        """Raw value → report units (``raw × scale``, e.g. AKD* = AKD × 1000); a tensor keeps its shape."""
        return raw * self.vfe_metric.scale

    # ---------------------------------------------------------------- torchmetrics API
    def update(self, preds: Any, target: Any | None = None, clip_ids: Sequence[str] | None = None) -> None:
        """Score a batch of clips.

        Args:
            preds: restored clips, ``B×T×3×H×W`` uint8 0..255 or float in [0, 1]
                (:mod:`vfebench.torchmetrics.inputs`).
            target: the reference clips, same shape; required by full-reference metrics, ignored
                by no-reference ones (as ``vfebench score`` does).
            clip_ids: one id per clip (seeded metrics such as FasterVQA derive their sampling
                seed from it); default: derived from each clip's content.
        """
        from vfebench.torchmetrics.inputs import to_clips

        m = self.vfe_metric
        if m.needs_reference and target is None:
            raise InputError(f"{self.vfe_name} needs a reference: call update(preds, target)")
        clips, refs = to_clips(preds, target if m.needs_reference else None, clip_ids)
        ctx = self._context()
        if self.set_level:
            self._update_set(clips, refs, ctx)
        else:
            vals = [m.score_clip(p, g, ctx).value for p, g in zip(clips, refs)]
            assert isinstance(self.values, list)  # update runs on the (unsynced) list state
            self.values.append(torch.tensor(vals, dtype=torch.float64, device=self.device))
        if self._shared_features is None:
            ctx.features.clear_memory()

    def _update_set(self, clips, refs, ctx: ScoreContext) -> None:
        from vfebench.metrics.base import check_pair

        m = self.vfe_metric
        for p, g in zip(clips, refs):
            if g is None:
                raise InputError(f"{self.vfe_name}: clip {p.id!r} has no target clip")
            check_pair(p, g, self.vfe_name)
            r = m.score_clip(p, g, ctx)  # the CLI's per-clip pass: size checks, window count
            if not r.extras.get("windows"):
                continue
            for side, clip in (("pred", p), ("target", g)):
                f = torch.from_numpy(
                    np.asarray(m.window_features(clip.head(ctx.max_frames), ctx), np.float64)
                )
                f = f.to(self.device)
                setattr(self, f"{side}_sum", getattr(self, f"{side}_sum") + f.sum(0))
                setattr(self, f"{side}_outer", getattr(self, f"{side}_outer") + f.T @ f)
                setattr(self, f"{side}_n", getattr(self, f"{side}_n") + f.shape[0])

    def sync(self, *args: Any, **kwargs: Any) -> None:
        """torchmetrics' ``sync``, with an empty per-clip state made a zero-length tensor first:
        a rank that saw no clip (fewer validation clips than processes) must still take part in
        the gather, or the other ranks wait for it forever."""
        if not self.set_level and isinstance(self.values, list) and not self.values:
            self.values.append(torch.zeros(0, dtype=torch.float64, device=self.device))
        super().sync(*args, **kwargs)

    def compute(self) -> torch.Tensor:
        """The set value (raw units) as a float64 scalar tensor; NaN when nothing could be scored."""
        if self.set_level:
            return torch.tensor(self._compute_set(), dtype=torch.float64, device=self.device)
        vals = dim_zero_cat(self.values) if len(self.values) else torch.zeros(0, dtype=torch.float64)
        results = [ClipResult(str(i), float(v)) for i, v in enumerate(vals.cpu().tolist())]
        return torch.tensor(self.vfe_metric.aggregate(results), dtype=torch.float64, device=self.device)

    def _compute_set(self) -> float:
        from vfebench.metrics.functional.frechet import frechet_distance

        stats = []
        for side in ("pred", "target"):
            n = float(getattr(self, f"{side}_n"))
            if n < 2:
                return float("nan")
            s = getattr(self, f"{side}_sum").cpu().numpy()
            o = getattr(self, f"{side}_outer").cpu().numpy()
            mu = s / n
            stats += [mu, (o - n * np.outer(mu, mu)) / (n - 1)]
        mu1, sigma1, mu2, sigma2 = stats
        return frechet_distance(mu1, sigma1, mu2, sigma2, eps=self.vfe_metric.eps)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.vfe_metric!r})"
