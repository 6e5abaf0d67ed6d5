"""Metric framework: metadata as class attributes, pure functional cores, shared features.

Aggregation (protocol.md): per frame → mean per clip → mean over clips, unless a metric says
otherwise.

Values that cannot be computed vs extreme values (one rule for every metric):

- **NaN = "could not be scored"**, always with a reason (a frame without a face, a flat frame
  NIQE cannot model, a frame too small for the metric). NaN frames are skipped and counted
  (``ClipResult.n_skipped``); a clip with no scorable frame is NaN with the reason; NaN clips
  are left out of the set mean (and counted by the reports).
- **±inf is a legitimate value** (PSNR of identical frames). It is kept and averaged like any
  other value, as the reference scripts do (``np.mean``): a clip with one identical frame has
  a clip PSNR of ``inf``, and a set with one ``inf`` clip has a set value of ``inf``.
- In JSON (records, caches, ``score --json``) NaN is ``null`` and ±inf is the string ``"inf"`` /
  ``"-inf"`` (:func:`json_value`), so the files stay valid JSON (``Infinity`` is not JSON);
  :func:`from_json_value` reads them back. Per-clip results are always kept (:class:`ClipResult`), so reports can add
confidence intervals. A metric's *raw* value is stored; reports show ``raw × scale`` under the
``display`` name (e.g. AKD is stored in normalised units and shown as ``AKD*`` = ×1000).

Subclass :class:`FrameMetric` for per-frame metrics (implement :meth:`FrameMetric.score_frames`
on batches) or :class:`Metric` for per-clip metrics (implement :meth:`Metric.score_clip`).
Set-level metrics (FVD ``dataset`` mode) override :meth:`Metric.score_set`.
Heavy imports and weights belong in :meth:`Metric.setup`, never at import time.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from vfebench.component import Component
from vfebench.errors import InputError
from vfebench.video import Clip, check_frames


def json_value(v: Any) -> float | str | None:
    """A raw value for JSON: NaN/None → ``None``, ±inf → ``"inf"``/``"-inf"``, else a float."""
    if v is None:
        return None
    f = float(v)
    if math.isnan(f):
        return None
    if math.isinf(f):
        return "inf" if f > 0 else "-inf"
    return f


def from_json_value(v: Any) -> float:
    """Inverse of :func:`json_value`: ``None`` → NaN, ``"inf"``/``"-inf"`` → ±inf, numbers as floats."""
    if v is None:
        return float("nan")
    return float(v)


@dataclass
class FrameScores:
    """What :meth:`FrameMetric.score_frames` may return instead of a plain array: per-frame values
    (NaN where a frame cannot be scored) and, per frame, why (``""`` for a scored frame)."""

    values: np.ndarray
    reasons: list[str]


def summarise_reasons(reasons: Sequence[str]) -> str:
    """``["flat frame", "flat frame", "no face"]`` → ``"2 frame(s): flat frame; 1 frame(s): no face"``."""
    from collections import Counter

    counts = Counter(r for r in reasons if r)
    return "; ".join(f"{n} frame(s): {r}" for r, n in counts.items())


@dataclass
class ClipResult:
    """One metric's result on one clip.

    Attributes:
        clip_id: the clip.
        value: raw (unscaled) value; ``nan`` when it could not be computed (``reason`` says why).
        n_frames: frames that contributed.
        n_skipped: frames skipped (e.g. no face detected).
        reason: why the value is NaN or why frames were skipped.
        per_frame: optional per-frame raw values (NaN for skipped frames).
        extras: metric-specific details (e.g. sampling seed, sample count).
    """

    clip_id: str
    value: float
    n_frames: int = 0
    n_skipped: int = 0
    reason: str = ""
    per_frame: np.ndarray | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, with_frames: bool = False) -> dict[str, Any]:
        """JSON-ready dict: ``clip_id``, ``value`` (via :func:`json_value`: NaN → None, ±inf →
        ``"inf"``/``"-inf"``), ``n_frames``, ``n_skipped``; ``reason`` and ``extras`` only when set;
        ``per_frame`` (a list, same conversion) only with ``with_frames`` and when present."""
        d: dict[str, Any] = {
            "clip_id": self.clip_id,
            "value": json_value(self.value),
            "n_frames": self.n_frames,
            "n_skipped": self.n_skipped,
        }
        if self.reason:
            d["reason"] = self.reason
        if self.extras:
            d["extras"] = self.extras
        if with_frames and self.per_frame is not None:
            d["per_frame"] = [json_value(v) for v in self.per_frame]
        return d


@dataclass
class SetResult:
    """A metric over a set of clips: the aggregate plus every per-clip result."""

    value: float
    clips: list[ClipResult]
    extras: dict[str, Any] = field(default_factory=dict)


class FeatureStore:
    """Per-clip features computed once and shared by every metric (faces, landmarks, embeddings).

    Keyed by ``(kind, version, clip content hash)``. Values are ``dict[str, np.ndarray]`` so they
    can be written to disk with ``np.savez`` (no pickle). With ``root`` set, features persist
    across metrics, runs and reports.
    """

    def __init__(self, root: str | os.PathLike | None = None) -> None:
        self.root = Path(root) if root else None
        self._mem: dict[tuple[str, str, str], dict[str, np.ndarray]] = {}
        self.hits = 0
        self.misses = 0

    def _file(self, kind: str, version: str, h: str) -> Path | None:
        if self.root is None:
            return None
        return self.root / kind / f"v{version}" / h[:2] / f"{h}.npz"

    def get(
        self,
        kind: str,
        version: str,
        clip: Clip,
        compute: Callable[[Clip], dict[str, np.ndarray]],
    ) -> dict[str, np.ndarray]:
        """The ``kind``/``version`` features of ``clip``, computed by ``compute(clip)`` only once.

        Looked up in memory first, then (with ``root``) in
        ``root/kind/vVERSION/HH/HASH.npz`` (``HASH`` = the clip's content hash); a miss calls
        ``compute``, which must return a ``dict`` of arrays (any shape and dtype ``np.savez``
        stores; they come back with the same shapes and dtypes) and, with ``root``, writes the
        file atomically. Counts :attr:`hits` and :attr:`misses`. Raises ``TypeError`` naming the
        kind when ``compute`` returns something else than a dict."""
        key = (kind, str(version), clip.content_hash())
        if key in self._mem:
            self.hits += 1
            return self._mem[key]
        f = self._file(*key)
        if f is not None and f.is_file():
            with np.load(f, allow_pickle=False) as z:
                val = {k: z[k] for k in z.files}
            self.hits += 1
        else:
            self.misses += 1
            val = compute(clip)
            if not isinstance(val, dict):
                raise TypeError(f"feature {kind!r} must be a dict of arrays, got {type(val)}")
            if f is not None:
                from vfebench.utils import atomic_path

                with atomic_path(f, suffix=".npz") as tmp:
                    with open(tmp, "wb") as fh:
                        np.savez(fh, **{k: np.asarray(v) for k, v in val.items()})
        self._mem[key] = val
        return val

    def clear_memory(self) -> None:
        """Forget the in-memory features (files under ``root`` stay and are read again)."""
        self._mem.clear()


@dataclass
class ScoreContext:
    """Everything a metric may need besides the clips.

    Attributes:
        device: ``"cpu"`` or ``"cuda"``.
        features: shared feature store (faces etc. computed once per clip).
        max_frames: score only the first N frames (BFVR-STC uses 24); None = all.
        seed: base seed for metrics with random sampling (combined with the clip id).
    """

    device: str = "cpu"
    features: FeatureStore = field(default_factory=FeatureStore)
    max_frames: int | None = None
    seed: int = 0


def check_pair(pred: Clip, gt: Clip | None, metric: str = "") -> None:
    """Raise InputError naming the clip when prediction and reference do not match."""
    if gt is None:
        return
    who = f"{metric}: " if metric else ""
    if pred.num_frames != gt.num_frames:
        raise InputError(
            f"{who}clip {pred.id!r}: prediction has {pred.num_frames} frames but the reference "
            f"{gt.id!r} has {gt.num_frames}; methods must keep the frame count"
        )
    if pred.size != gt.size:
        raise InputError(
            f"{who}clip {pred.id!r}: prediction frames are {pred.size[1]}×{pred.size[0]} but the "
            f"reference frames are {gt.size[1]}×{gt.size[0]}; restore to the GT size"
        )


def as_clip(x: Any, clip_id: str = "clip", role: str = "prediction") -> Clip:
    """Coerce frames into a :class:`Clip`, validating them (errors name the role, clip and fix).

    Accepts a Clip (returned as is) or anything ``numpy.asarray`` takes (arrays, CPU tensors,
    nested lists): ``T×H×W×3`` or ``H×W×3`` (one frame) RGB, either uint8 0..255 or float in
    [0, 1] (rounded to uint8, ``round(x·255)`` in float64, as the protocol scores 8-bit frames).
    The checks are :func:`vfebench.video.check_frames` (``allow_float=True``): NaN/inf, values
    outside [0, 1], other dtypes, other shapes and empty clips raise :class:`InputError`. Returns
    a Clip with C-contiguous ``T×H×W×3`` uint8 frames and id ``clip_id``.
    """
    if isinstance(x, Clip):
        return x
    a = np.asarray(x)
    if a.ndim == 3 and a.shape[-1] == 3:
        a = a[None]
    check_frames(a, f"{role} clip {clip_id!r}", allow_float=True, layout="T×H×W×3 (or H×W×3)")
    if np.issubdtype(a.dtype, np.floating):
        a = np.round(a.astype(np.float64) * 255.0).astype(np.uint8)
    return Clip(clip_id, np.ascontiguousarray(a))


class LazyClips(Sequence):
    """A read-only sequence of clips loaded on access (one at a time), for set-level scoring.

    ``Metric.score_set`` walks its clips once, so a whole dataset never has to sit in memory
    (50 VFHQ-test clips of 100 512×512 frames are ~4 GB per side). ``loaders[i]()`` returns
    clip ``i`` (or None for a missing reference).
    """

    def __init__(self, loaders: Sequence[Callable[[], Clip | None]]) -> None:
        self._loaders = list(loaders)

    def __len__(self) -> int:
        return len(self._loaders)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return LazyClips(self._loaders[i])
        return self._loaders[i]()


def nanmean(values: Iterable[Any]) -> float:
    """Mean of the values that are not NaN/None; ±inf (also as JSON ``"inf"``) is kept and
    propagates, as ``np.mean`` in the reference scripts. NaN when nothing is left."""
    arr = np.asarray([from_json_value(v) for v in values], dtype=np.float64)
    arr = arr[~np.isnan(arr)]
    if not arr.size:
        return float("nan")
    if np.isinf(arr).any():  # mean without overflow warnings: inf, -inf, or NaN for both signs
        pos, neg = bool((arr == np.inf).any()), bool((arr == -np.inf).any())
        return float("nan") if (pos and neg) else (float("inf") if pos else float("-inf"))
    return float(arr.mean())


@dataclass(frozen=True)
class PaperColumn:
    """Where a metric stands in one of the paper's tables (:mod:`vfebench.report.tables`).

    Attributes:
        table: layout name (``"table1"``, ``"table2"``, ``"table3"``).
        group: column group of that layout (``"Quality and Fidelity"`` ...; None for Table 3).
        order: position among the layout's columns (ascending; the group order is the layout's).
        precision: decimals in this table when they differ from the metric's ``precision``.
    """

    table: str
    group: str | None
    order: int
    precision: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The four fields as a JSON-ready dict (``group``/``precision`` may be None)."""
        return {"table": self.table, "group": self.group, "order": self.order, "precision": self.precision}


class Metric(Component):
    """Base class. Metadata are class attributes; configuration is ``mode`` + options."""

    kind: ClassVar[str] = "metric"
    list_hint: ClassVar[str] = "see vfebench ls metrics"
    display: ClassVar[str] = ""
    higher_is_better: ClassVar[bool] = True
    needs_reference: ClassVar[bool] = True
    scale: ClassVar[float] = 1.0
    level: ClassVar[str] = "clip"  # frame | clip | set
    extra: ClassVar[str] = ""  # pip extra that provides the dependencies ("" = core)
    modes: ClassVar[tuple[str, ...]] = ("clean",)
    precision: ClassVar[int] = 4  # decimals shown in reports (after scaling)
    recon: ClassVar[bool] = False  # our documented reconstruction (protocol.md [recon])
    #: raw-value range ``(lower, upper)``, None = unbounded (torchmetrics' plot bounds)
    value_range: ClassVar[tuple[float | None, float | None]] = (None, None)
    #: the paper tables this metric is a column of (read by the reports, via the run record)
    paper: ClassVar[tuple[PaperColumn, ...]] = ()
    #: default gate allowance in raw units (``{"abs": x}`` and/or ``{"rel": y}``); None = the
    #: gate's default (:data:`vfebench.gate.DEFAULT_TOLERANCES`)
    tolerance: ClassVar[dict[str, float] | None] = None
    #: options this class accepts (name → one-line help); merged along the class hierarchy by
    #: :meth:`declared_options`. Any other option is rejected (with a did-you-mean), so a typo
    #: never reaches a cache key or a record.
    options_doc: ClassVar[dict[str, str] | None] = {}

    def __init__(self, mode: str = "clean", **options: Any) -> None:
        from vfebench.registry import did_you_mean

        if mode not in self.modes:
            raise InputError(
                f"metric {self.name!r} has no mode {mode!r}.{did_you_mean(mode, self.modes)} "
                f"Modes: {', '.join(self.modes)}"
            )
        self.check_options(options)
        self.mode = mode
        self.options = options
        self.device = "cpu"
        self._ready = False
        self._run_batch: int | str | None = None

    # -- identity -----------------------------------------------------------------------
    def required_assets(self) -> tuple[str, ...]:
        """Assets this configuration needs; none when a ``weights=PATH`` option replaces them."""
        return () if self.options.get("weights") else tuple(self.assets)

    def weights_file(self, asset: str | None = None) -> Path:
        """The local ``weights=PATH`` option when given (it must exist), else the verified asset
        file (``asset``, default the metric's first declared asset)."""
        w = self.options.get("weights")
        if w:
            p = Path(w).expanduser()
            if not p.is_file():
                raise InputError(f"{self.name}: weights file {p} does not exist (option weights=...)")
            return p
        from vfebench.assets import asset_path

        return asset_path(asset or self.assets[0])

    def identity(self) -> dict[str, Any]:
        """Everything that determines this metric's numbers (goes into cache keys and records).

        Asset hashes come from :meth:`Component.asset_hashes` (an unhashable asset is an error);
        a local ``weights=PATH`` file is recorded by its own sha256 (it must exist)."""
        from vfebench import assets as _assets

        ident = {
            "name": self.name,
            "version": self.version,
            "mode": self.mode,
            "options": dict(sorted(self.options.items())),
            "assets": self.asset_hashes(),
        }
        if self.options.get("weights"):  # a local file replaces the asset: record its own hash
            ident["weights_sha256"] = _assets.file_sha256(self.weights_file())
        return ident

    def fingerprint(self) -> dict[str, Any]:
        """The metric's :meth:`identity`."""
        return self.identity()

    @classmethod
    def info(cls) -> dict[str, Any]:
        """The class metadata as a JSON-ready dict (read by the run record and the reports):
        name, display name, direction, reference need, version, scale, level, pip extra,
        assets, modes, precision, recon flag, paper columns, tolerance, description, options."""
        return {
            "name": cls.name,
            "display": cls.display or cls.name,
            "higher_is_better": cls.higher_is_better,
            "needs_reference": cls.needs_reference,
            "version": cls.version,
            "scale": cls.scale,
            "level": cls.level,
            "extra": cls.extra,
            "assets": list(cls.assets),
            "modes": list(cls.modes),
            "precision": cls.precision,
            "recon": cls.recon,
            "paper": [c.to_dict() for c in cls.paper],
            "tolerance": dict(cls.tolerance) if cls.tolerance else None,
            "description": cls.description,
            "options": cls.declared_options(),
        }

    def set_batch_size(self, n: int | str | None) -> None:
        """Items (frames, samplings) per forward pass chosen at run time (``vfebench run --batch``):
        an int, ``"auto"`` (sized by free CUDA memory, :mod:`vfebench.metrics.batching`; the
        class default on CPU) or None (the class default). Speed only, so it is not part of
        :meth:`identity`; an explicit ``batch_size`` option in the metric spec wins. Metrics
        without batches ignore it."""
        self._run_batch = n

    # -- scoring ------------------------------------------------------------------------
    def score_clip(self, pred: Clip, gt: Clip | None, ctx: ScoreContext) -> ClipResult:
        """Score one prediction clip against its reference (None for no-reference metrics).

        Subclasses implement it; a clip that cannot be scored raises :class:`InputError` (which
        :meth:`score_set` turns into a NaN result) or returns a NaN value with a ``reason``."""
        raise NotImplementedError(f"{type(self).__name__} must implement score_clip")

    def aggregate(self, results: Sequence[ClipResult]) -> float:
        """Mean over clips of the per-clip raw values, ignoring NaN clips."""
        return nanmean([r.value for r in results])

    def score_set(
        self, preds: Sequence[Clip], gts: Sequence[Clip | None] | None, ctx: ScoreContext
    ) -> SetResult:
        """Score every clip (a failing clip becomes NaN with its reason) and aggregate."""
        gts = list(gts) if gts is not None else [None] * len(preds)
        self.ensure_setup(ctx.device)
        out = []
        for p, g in zip(preds, gts):
            try:
                out.append(self.score_clip(p, g, ctx))
            except InputError as exc:
                out.append(ClipResult(p.id, float("nan"), 0, p.num_frames, reason=str(exc)))
        return SetResult(self.aggregate(out), out)

    def _prepare(self, pred: Clip, gt: Clip | None, ctx: ScoreContext) -> tuple[Clip, Clip | None]:
        """Validate inputs and apply ``ctx.max_frames``."""
        if self.needs_reference and gt is None:
            raise InputError(f"metric {self.name!r} needs a reference (GT) clip for {pred.id!r}")
        if not self.needs_reference:
            gt = None
        check_pair(pred, gt, self.name)
        self.ensure_setup(ctx.device)
        pred = pred.head(ctx.max_frames)
        return pred, (gt.head(ctx.max_frames) if gt is not None else None)

    def display_value(self, raw: float) -> float:
        """A raw value as reports show it: ``raw × scale`` (NaN stays NaN)."""
        return raw * self.scale

    def __call__(
        self, pred: Any, gt: Any = None, ctx: ScoreContext | None = None, clip_id: str = "clip"
    ) -> ClipResult:
        """Score one clip given as a Clip or an array (see :func:`as_clip`), pyiqa-style."""
        p = as_clip(pred, clip_id, "prediction")
        g = as_clip(gt, p.id, "reference") if gt is not None else None
        return self.score_clip(p, g, ctx or ScoreContext())

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
        return f"{type(self).__name__}(mode={self.mode!r}{', ' + opts if opts else ''})"


class FrameMetric(Metric):
    """A metric computed per frame (batched) then averaged over the clip's frames.

    Subclasses implement :meth:`score_frames` on ``B×H×W×3`` uint8 batches and return ``B``
    float64 values (NaN for a frame that cannot be scored).
    """

    level: ClassVar[str] = "frame"
    batch_size: ClassVar[int] = 8
    options_doc: ClassVar[dict[str, str]] = {"batch_size": "frames per batch (speed only)"}

    def score_frames(self, pred: np.ndarray, gt: np.ndarray | None) -> np.ndarray | FrameScores:
        """Score a batch: ``pred`` is ``(B, H, W, 3)`` uint8 RGB, ``gt`` the same shape or None.

        Returns ``(B,)`` float64 values (NaN for a frame that cannot be scored, ±inf allowed),
        or a :class:`FrameScores` that also says why each NaN frame could not be scored."""
        raise NotImplementedError(f"{type(self).__name__} must implement score_frames")

    def score_clip(self, pred: Clip, gt: Clip | None, ctx: ScoreContext) -> ClipResult:
        """Run :meth:`score_frames` over the clip in batches of :meth:`frames_per_batch` and
        average the frames (:meth:`frame_result`). An :class:`InputError` from a batch is raised
        again with the clip id and that batch's frame range."""
        pred, gt = self._prepare(pred, gt, ctx)
        vals: list[np.ndarray] = []
        reasons: list[str] = []
        bs = self.frames_per_batch(pred, gt)
        for s in range(0, pred.num_frames, bs):
            p = pred.frames[s : s + bs]
            g = gt.frames[s : s + bs] if gt is not None else None
            try:
                got = self.score_frames(p, g)
            except InputError as exc:
                raise InputError(
                    f"{self.name}: clip {pred.id!r}, frames {s}..{s + len(p) - 1}: {exc}"
                ) from exc
            if isinstance(got, FrameScores):
                v = np.asarray(got.values, dtype=np.float64).reshape(-1)
                reasons.extend(got.reasons)
            else:
                v = np.asarray(got, dtype=np.float64).reshape(-1)
                reasons.extend("" if not np.isnan(x) else "could not be scored" for x in v)
            vals.append(v)
        per_frame = np.concatenate(vals)
        return self.frame_result(pred.id, per_frame, reasons)

    def default_batch_size(self) -> int:
        """The batch size when neither the ``batch_size`` option nor :meth:`set_batch_size`
        chose one: the class's :attr:`batch_size` (a metric may pick one per device)."""
        return self.batch_size

    def frames_per_batch(self, pred: Clip, gt: Clip | None) -> int:
        """The batch size for this clip: the ``batch_size`` option, else the run's
        :meth:`set_batch_size` (``"auto"`` probes one frame on CUDA), else the class default."""
        if "batch_size" in self.options:
            return max(1, int(self.options["batch_size"]))
        rb = self._run_batch
        if rb is None or (rb == "auto" and not str(self.device).startswith("cuda")):
            return max(1, int(self.default_batch_size()))
        if rb != "auto":
            return max(1, int(rb))
        from vfebench.metrics.batching import probe_batch_size

        return probe_batch_size(
            self.device,
            lambda: self.score_frames(pred.frames[:1], gt.frames[:1] if gt is not None else None),
            key=hash((id(self), pred.frames.shape[1:])),
        )

    @staticmethod
    def frame_result(clip_id: str, per_frame: np.ndarray, reasons: Sequence[str] = ()) -> ClipResult:
        """Clip result from ``(T,)`` per-frame values: mean of the non-NaN frames (inf propagates),
        NaN frames skipped and counted, their reasons (one per frame, ``""`` for a scored frame,
        or none at all) summarised. ``per_frame`` is kept as float64."""
        per_frame = np.asarray(per_frame, dtype=np.float64)
        ok = ~np.isnan(per_frame)
        value = nanmean(per_frame)
        reason = ""
        if not ok.all():
            why = [r for r, good in zip(reasons, ok) if not good and r] if reasons else []
            reason = f"{int((~ok).sum())} frame(s) could not be scored"
            if len(set(why)) == 1:
                reason += f": {why[0]}"
            elif why:
                reason += " (" + summarise_reasons(why) + ")"
        return ClipResult(clip_id, value, int(ok.sum()), int((~ok).sum()), reason, per_frame)
