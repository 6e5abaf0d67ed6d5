"""FVD: Fréchet Video Distance on I3D (Kinetics-400) logits (lower is better).

Features: :mod:`vfebench.metrics.features.i3d_features` (400 pre-softmax logits of a window of
frames, short side → 224 bilinear, centre crop, [−1, 1]); detector = the StyleGAN-V TorchScript
I3D (asset ``i3d_torchscript``), run either as TorchScript (``backend="torchscript"``, default)
or through our own PyTorch I3D with the weights taken out of that file (``backend="pytorch"``).
Distance: :func:`vfebench.metrics.functional.frechet.frechet_distance`.

Modes (protocol.md):

- ``per_video_mean`` (default; alias ``clean``) — what VFE tables report (BFVR-STC
  ``evaluation/eval_fvd.py``): per clip, one window of the first ``frames`` (24) frames of the
  restored clip and of the GT; with one sample per side the Fréchet distance reduces to
  ``‖f_restored − f_gt‖²``. Clip value = that; set value = mean over clips.
- ``bfvr`` — ``per_video_mean`` with BFVR-STC's input quirks: frames go to I3D in **BGR** order
  (OpenCV read, never converted) after an OpenCV ``INTER_LINEAR`` resize to 512×512.
- ``dataset`` — distribution FVD: every clip (restored and GT) is cut into non-overlapping
  windows of ``window`` (16) frames (a remainder shorter than a window is dropped); all windows
  are pooled per side and one Fréchet distance with ``ε·I`` (``eps``, 1e-6) on the covariances is
  computed. Per-clip results carry only their window count (value NaN); the set value is the
  FVD and its extras record ``n_samples``. Few clips (VFHQ-test: 50) give few windows relative to
  the 400 feature dimensions, so this estimate is noisy and biased upwards; say so in reports.

Clips need at least 10 frames per window; shorter clips get NaN with a reason. ``ctx.max_frames``
is applied first (``--max-frames 24`` is redundant with ``per_video_mean``'s 24).
Per-window features are cached in ``ctx.features`` keyed by the clip content hash.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from vfebench.assets import Asset
from vfebench.errors import InputError
from vfebench.metrics.base import ClipResult, Metric, PaperColumn, ScoreContext, SetResult, check_pair
from vfebench.video import Clip


class FVD(Metric):
    """Fréchet Video Distance; see the module docstring for modes and aggregation."""

    name: ClassVar[str] = "fvd"
    display: ClassVar[str] = "FVD"
    value_range: ClassVar[tuple[float | None, float | None]] = (0.0, None)
    higher_is_better: ClassVar[bool] = False
    needs_reference: ClassVar[bool] = True
    version: ClassVar[str] = "1"
    level: ClassVar[str] = "clip"
    extra: ClassVar[str] = "video"
    assets: ClassVar[tuple[str, ...]] = ("i3d_torchscript",)
    modes: ClassVar[tuple[str, ...]] = ("per_video_mean", "dataset", "bfvr", "clean")
    options_doc: ClassVar[dict[str, str]] = {
        "backend": "I3D implementation: torchscript (default) or pytorch",
        "frames": "frames per clip fed to I3D (default 24)",
        "window": "window length in dataset mode (default 16)",
        "eps": "covariance regulariser (default 1e-6)",
        "weights": "local weights file used instead of the catalogue asset (recorded by its sha256)",
    }
    precision: ClassVar[int] = 2
    paper: ClassVar[tuple[PaperColumn, ...]] = (PaperColumn("table1", "Temporal Consistency", 2),)
    description: ClassVar[str] = "Fréchet Video Distance, I3D Kinetics-400 logits (StyleGAN-V detector)"

    def __init__(self, mode: str = "per_video_mean", **options: Any) -> None:
        super().__init__(mode, **options)
        if self.mode == "clean":
            self.mode = "per_video_mean"
        if self.mode == "dataset":
            self.level = "set"  # type: ignore[misc]
        self.backend = str(options.get("backend", "torchscript"))
        if self.backend not in ("torchscript", "pytorch"):
            raise InputError(f"fvd: backend must be 'torchscript' or 'pytorch', got {self.backend!r}")
        self.frames = int(options.get("frames", 24))
        self.window = int(options.get("window", 16))
        self.eps = float(options.get("eps", 1e-6))
        for k, v in (("frames", self.frames), ("window", self.window)):
            if v < 10:
                raise InputError(f"fvd: {k}={v} is below the 10 frames I3D needs")
        self.extractor: Any = None  # built on first use

    # -- identity / setup ---------------------------------------------------------------
    def _weights_path(self) -> Path:
        p = self.weights_file("i3d_torchscript")
        if not self.options.get("weights"):
            from vfebench.assets import verify_git_blob

            verify_git_blob("i3d_torchscript", p)
        return p

    def setup(self, device: str = "cpu") -> None:
        """Build the I3D feature extractor (TorchScript or our PyTorch I3D, per ``backend``) on ``device``."""
        if self._ready and self.device == device:
            return
        from vfebench.utils import require

        require("torch", "video", "FVD")
        from vfebench.metrics.features.i3d_features import I3DExtractor

        self.extractor = I3DExtractor(self._weights_path(), self.backend, device)
        super().setup(device)

    # -- features -----------------------------------------------------------------------
    @property
    def bgr(self) -> bool:
        """Whether frames go to I3D in BGR order (mode ``bfvr``)."""
        return self.mode == "bfvr"

    def _frames_for(self, clip: Clip) -> np.ndarray:
        f = clip.frames
        if self.mode == "bfvr" and f.shape[1:3] != (512, 512):
            import cv2

            f = np.stack([cv2.resize(x, (512, 512), interpolation=cv2.INTER_LINEAR) for x in f])
        return f

    def _feature_kind(self) -> tuple[str, str]:
        return "i3d_logits", f"{self.version}-{self.backend}-{'bgr512' if self.bgr else 'rgb'}"

    def window_features(self, clip: Clip, ctx: ScoreContext) -> np.ndarray:
        """``K×400`` float64 logits of this clip's windows (``per_video_mean``/``bfvr``: K = 1)."""
        kind, ver = self._feature_kind()
        if self.mode == "dataset":
            size, tag = self.window, f"w{self.window}"
        else:
            size, tag = self.frames, f"first{self.frames}"

        def compute(c: Clip) -> dict[str, np.ndarray]:
            frames = self._frames_for(c)
            if self.mode == "dataset":
                starts = range(0, frames.shape[0] - size + 1, size)
                wins = [frames[s : s + size] for s in starts]
            else:
                wins = [frames[:size]]
            feats = [self.extractor.features(w, bgr=self.bgr) for w in wins]
            return {"logits": np.stack(feats) if feats else np.zeros((0, 400))}

        return ctx.features.get(kind, f"{ver}-{tag}", clip, compute)["logits"]

    def _too_short(self, clip: Clip) -> str:
        need = self.window if self.mode == "dataset" else 10
        if clip.num_frames < need:
            return f"clip has {clip.num_frames} frames; FVD needs at least {need}"
        return ""

    # -- scoring ------------------------------------------------------------------------
    def score_clip(self, pred: Clip, gt: Clip | None, ctx: ScoreContext) -> ClipResult:
        """``per_video_mean``/``bfvr``: ``‖f_pred − f_gt‖²``; ``dataset``: NaN + window count."""
        from vfebench.metrics.functional.frechet import frechet_distance_feats

        pred, gt = self._prepare(pred, gt, ctx)
        why = self._too_short(pred)
        if why:
            return ClipResult(pred.id, float("nan"), 0, pred.num_frames, why)
        assert gt is not None  # needs_reference: _prepare raised InputError without a GT clip
        fp = self.window_features(pred, ctx)
        fg = self.window_features(gt, ctx)
        if self.mode == "dataset":
            return ClipResult(
                pred.id,
                float("nan"),
                n_frames=int(fp.shape[0] * self.window),
                reason="dataset-level metric: the value is on the set",
                extras={"windows": int(fp.shape[0])},
            )
        used = min(self.frames, pred.num_frames)
        value = frechet_distance_feats(fp, fg, eps=0.0)
        return ClipResult(pred.id, value, n_frames=used, extras={"frames": used, "bgr": self.bgr})

    def score_set(
        self, preds: Sequence[Clip], gts: Sequence[Clip | None] | None, ctx: ScoreContext
    ) -> SetResult:
        """The mean of the per-clip FVDs, or in ``dataset`` mode one Fréchet distance over all pooled windows.

        In ``dataset`` mode raises ``InputError`` when GT clips are missing; fewer than 2 windows give NaN.
        """
        if self.mode != "dataset":
            return super().score_set(preds, gts, ctx)
        from vfebench.metrics.functional.frechet import frechet_distance_feats

        if gts is None:
            raise InputError("fvd: dataset mode needs the GT clips")
        self.ensure_setup(ctx.device)
        clips, fps, fgs = [], [], []
        for p, g in zip(preds, gts):
            if g is None:
                raise InputError(f"fvd: clip {p.id!r} has no GT clip")
            check_pair(p, g, self.name)
            r = self.score_clip(p, g, ctx)
            clips.append(r)
            if r.extras.get("windows"):
                p2, g2 = p.head(ctx.max_frames), g.head(ctx.max_frames)
                fps.append(self.window_features(p2, ctx))
                fgs.append(self.window_features(g2, ctx))
        n = int(sum(f.shape[0] for f in fps))
        extras: dict[str, Any] = {"n_samples": n, "n_clips": len(fps), "window": self.window, "eps": self.eps}
        if n < 2:
            extras["reason"] = f"{n} window(s) of {self.window} frames; dataset FVD needs at least 2"
            return SetResult(float("nan"), clips, extras)
        value = frechet_distance_feats(np.concatenate(fps), np.concatenate(fgs), eps=self.eps)
        return SetResult(value, clips, extras)

    def aggregate(self, results) -> float:
        """Mean of the per-clip values; ``InputError`` in ``dataset`` mode, whose value comes from
        :meth:`score_set`."""
        if self.mode == "dataset":
            raise InputError(
                "fvd: in dataset mode the value comes from score_set(), not from per-clip values"
            )
        return super().aggregate(results)


# ----------------------------------------------------------------------------- weights
# The pinned weights this metric needs (collected by vfebench.assets.catalog()).
# ``i3d_torchscript`` (StyleGAN-V ``i3d_torchscript.pt``, Dropbox link in universome/stylegan-v
# ``src/metrics/frechet_video_distance.py``): sha256 ``bec6519f…`` and size 51,235,320 bytes are
# pinned by several independent public scripts that download the Dropbox file and refuse a
# checksum mismatch, and a Hugging Face mirror at a pinned revision (flateon/FVD-I3D-torchscript)
# serves the same file (found by a search of public code; not hashed here). The git blob id of
# the copy committed to JunyaoHu/common_metrics_on_video_quality is kept in
# ``extra["git_blob_sha1"]``; :func:`verify_git_blob` uses it only if the sha256 is ever emptied.

ASSETS: list[Asset] = [
    Asset(
        name="i3d_torchscript",
        filename="i3d_torchscript.pt",
        urls=(
            "https://www.dropbox.com/s/ge9e5ujwgetktms/i3d_torchscript.pt?dl=1",
            "https://huggingface.co/flateon/FVD-I3D-torchscript/resolve/1c2d61711c52571ad617a1063e6fa691b212e184/i3d_torchscript.pt",
            "https://github.com/JunyaoHu/common_metrics_on_video_quality/raw/main/fvd/styleganv/i3d_torchscript.pt",
        ),
        sha256="bec6519f66ea534e953026b4ae2c65553c17bf105611c746d904657e5860a5e2",
        size=51_235_320,
        licence="Apache-2.0 (DeepMind I3D / tf.hub i3d-kinetics-400 weights; TorchScript port by StyleGAN-V)",
        users=("fvd",),
        notes=(
            "sha256 and size as pinned by several public download scripts of the Dropbox file (each "
            "refuses a mismatch) and served by a pinned HF mirror; not hashed here."
        ),
        extra={"git_blob_sha1": "93daef59c7ae0e9e8f76225521407e60cbafa6aa"},
    ),
]
