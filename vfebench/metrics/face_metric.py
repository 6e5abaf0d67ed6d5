"""Common plumbing of the face metrics (IDS, AKD, TLME, FaceCons): setup, weights, NaN policy.

Every face metric reads the shared per-clip analysis (:mod:`vfebench.metrics.features.faces`) from ``ctx.features``; the
analysis always covers the whole clip, and ``ctx.max_frames`` (or a compat mode's 24-frame cap)
slices the stored arrays, so a capped and an uncapped score share one pass.

NaN policy: frames without a face are skipped and counted (``ClipResult.n_skipped``); a clip
where nothing can be scored gets NaN with the reason, and scoring goes on with the next clip.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from vfebench.errors import InputError
from vfebench.metrics.base import ClipResult, Metric, ScoreContext
from vfebench.video import Clip


class FaceMetric(Metric):
    extra: ClassVar[str] = "face"
    #: option name → asset used when that option is not given a local file
    weights_asset: ClassVar[str] = ""

    def __init__(self, mode: str = "clean", **options: Any) -> None:
        super().__init__(mode, **options)
        self._weights: Path | None = None

    # ---------------------------------------------------------------- identity / weights
    def weights_asset_name(self) -> str:
        """The asset that provides this metric's weights (``""`` when it needs none)."""
        return self.weights_asset

    def required_assets(self) -> tuple[str, ...]:
        """The weights asset, unless a local ``weights=`` file is given or no weights are needed."""
        if self.options.get("weights") or not self.weights_asset_name():
            return ()
        return (self.weights_asset_name(),)

    def resolve_weights(self) -> Path | None:
        """Local weights file: the ``weights=`` option, else the verified asset (or an error);
        None for a configuration that needs no weights."""
        if self._weights is None and (self.options.get("weights") or self.weights_asset_name()):
            self._weights = self.weights_file(self.weights_asset_name())
        return self._weights

    def require_weights(self) -> Path:
        """:meth:`resolve_weights` for a configuration that needs a weights file."""
        w = self.resolve_weights()
        if w is None:
            raise InputError(f"metric {self.name!r} needs a weights file (option weights=PATH)")
        return w

    def setup(self, device: str = "cpu") -> None:
        """Resolve the weights (fail fast) and attach the shared face analysis for ``device``."""
        from vfebench.metrics.features.faces import get_analysis

        self.resolve_weights()
        self.analysis = get_analysis(device)
        if isinstance(self._run_batch, int):  # --batch N: frames per MTCNN / embedding batch
            self.analysis.batch_size = self._run_batch
        super().setup(device)

    # ---------------------------------------------------------------- helpers
    def _check(self, pred: Clip, gt: Clip | None, same_size: bool = True) -> None:
        if self.needs_reference and gt is None:
            raise InputError(f"metric {self.name!r} needs a reference clip for {pred.id!r}")
        if gt is not None and pred.num_frames != gt.num_frames:
            raise InputError(
                f"{self.name}: clip {pred.id!r}: prediction has {pred.num_frames} frames but the "
                f"reference {gt.id!r} has {gt.num_frames}; methods must keep the frame count"
            )
        if same_size and gt is not None:
            from vfebench.metrics.base import check_pair

            check_pair(pred, gt, self.name)

    def _ensure(self, ctx: ScoreContext) -> None:
        if not self._ready:
            self.setup(ctx.device)

    @staticmethod
    def _result(
        clip_id: str, per: np.ndarray, n_faceless: int, what: str, extras: dict[str, Any] | None = None
    ) -> ClipResult:
        """Mean of the finite per-item values; NaN with a reason when there are none."""
        per = np.asarray(per, dtype=np.float64)
        ok = np.isfinite(per)
        extras = dict(extras or {})
        if not ok.any():
            reason = f"no {what} could be scored: a face was found in too few frames ({n_faceless} frame(s) without a face)"
            return ClipResult(clip_id, float("nan"), 0, int(n_faceless), reason, per, extras)
        reason = f"{n_faceless} frame(s) without a detected face skipped" if n_faceless else ""
        return ClipResult(clip_id, float(per[ok].mean()), int(ok.sum()), int(n_faceless), reason, per, extras)
