"""The scoring engine: one path from (prediction, reference) clips to metric results.

Used by ``vfebench run`` (score stage, with the run cache) and ``vfebench score`` (no cache), so
both give the same per-clip values for the same inputs. For each clip it

- loads the prediction and the reference at most once (loaders are called lazily, only when some
  metric's result is not cached, and the decoded clip is shared by every metric);
- runs every clip-level metric; a metric that cannot run on this input (wrong size, no face,
  flat frames, an exception) is a per-clip failure with its reason and the other metrics go on;
  a metric that cannot be set up fails on every clip with the same reason, tried once;
- with a :class:`~vfebench.runner.cache.RunCache`, reads and writes each result under the
  entry's lock (concurrent runs compute a score once) and atomically.

Set-level metrics (FVD ``dataset``) score a whole method's clip list (loaded one at a time).
:meth:`ScoringEngine.aggregate` applies the metric's own ``aggregate`` to the per-clip results.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from vfebench.errors import ComponentFailed
from vfebench.metrics.base import json_value
from vfebench.runner.cache import RunCache, read_json
from vfebench.runner.worker import short_tb
from vfebench.utils import atomic_write_json
from vfebench.video import Clip


@dataclass
class ClipItem:
    """One clip to score: lazy loaders plus the keys its cached results are stored under."""

    clip_id: str
    pred: Callable[[], Clip]
    gt: Callable[[], Clip | None] | None = None
    pred_hash: str | None = None
    ref_key: str | None = None
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)

    def load(self, which: str) -> Clip | None:
        """The clip ``which`` (``"pred"`` or ``"gt"``), decoded on first use and kept until
        :meth:`release`; None when the item has no GT loader."""
        if which not in self._memo:
            fn = self.pred if which == "pred" else self.gt
            self._memo[which] = fn() if fn is not None else None
        return self._memo[which]

    def release(self) -> None:
        """Drop the decoded clips (the next :meth:`load` decodes again)."""
        self._memo.clear()


@dataclass
class Outcome:
    """A metric's result on one clip: ``result`` (ClipResult dict) or ``failed`` (reason)."""

    result: dict[str, Any] | None = None
    failed: str | None = None
    tb: str = ""
    cached: bool = False

    @property
    def value(self) -> float | None:
        """The raw scalar value of the result, None when failed or when the metric gave no value."""
        return None if self.result is None else self.result.get("value")


def clip_result_of(d: dict[str, Any]):
    """A :class:`~vfebench.metrics.base.ClipResult` from its stored dict (``to_dict`` form)."""
    from vfebench.metrics.base import ClipResult

    v = d.get("value")
    return ClipResult(
        d.get("clip_id", ""),
        float("nan") if v is None else float(v),
        int(d.get("n_frames") or 0),
        int(d.get("n_skipped") or 0),
        d.get("reason", "") or "",
        None,
        dict(d.get("extras") or {}),
    )


class ScoringEngine:
    def __init__(
        self,
        metrics: Mapping[str, Any],
        device: str = "cpu",
        seed: int = 0,
        features: str | Path | None = None,
        max_frames: int | None = None,
        cache: RunCache | None = None,
        batch: int | str | None = None,
    ) -> None:
        """``batch``: frames per forward pass of every network metric (an int, ``"auto"``, or
        None = each metric's default; see :meth:`~vfebench.metrics.base.Metric.set_batch_size`)."""
        from vfebench.metrics.base import FeatureStore, ScoreContext

        self.metrics = dict(metrics)
        if batch is not None:
            for m in self.metrics.values():
                m.set_batch_size(batch)
        self.device = device
        self.seed = seed
        self.cache = cache
        self.ctx = ScoreContext(
            device=device, features=FeatureStore(features), max_frames=max_frames, seed=seed
        )
        self.ids = {k: m.identity() for k, m in self.metrics.items()}
        self.stats = {"scores_computed": 0, "scores_cached": 0}
        self._setup_failed: dict[str, tuple[str, str]] = {}

    @property
    def clip_keys(self) -> list[str]:
        """Metric keys scored clip by clip (every level except ``set``), in spec order."""
        return [k for k, m in self.metrics.items() if m.level != "set"]

    @property
    def set_keys(self) -> list[str]:
        """Metric keys scored once over the whole set (``level == "set"``, e.g. FVD), in spec order."""
        return [k for k, m in self.metrics.items() if m.level == "set"]

    def _setup(self, key: str) -> None:
        if key in self._setup_failed:
            raise _SetupFailed(*self._setup_failed[key])
        try:
            self.metrics[key].ensure_setup(self.device)
        except Exception as exc:  # broad on purpose: a metric's set-up failing fails that metric only
            self._setup_failed[key] = (f"setup failed: {type(exc).__name__}: {exc}", short_tb(exc))
            raise _SetupFailed(*self._setup_failed[key]) from exc

    def _compute(self, key: str, item: ClipItem) -> Outcome:
        m = self.metrics[key]
        try:
            self._setup(key)
        except _SetupFailed as exc:
            return Outcome(failed=exc.reason, tb=exc.tb)
        for which in ("pred", "gt") if m.needs_reference else ("pred",):
            try:
                item.load(which)
            except Exception as exc:  # broad on purpose: any decoder error fails this (clip, metric) only
                role = "prediction" if which == "pred" else "reference (GT)"
                return Outcome(
                    failed=f"cannot read the {role}: {type(exc).__name__}: {exc}", tb=short_tb(exc)
                )
        try:
            res = m.score_clip(item.load("pred"), item.load("gt") if m.needs_reference else None, self.ctx)
        except Exception as exc:  # broad on purpose: third-party metric code fails one (clip, metric) only
            return Outcome(failed=f"{type(exc).__name__}: {exc}", tb=short_tb(exc))
        d = res.to_dict(with_frames=True)
        d["metric"] = self.ids[key]
        d["restored_hash"] = item.pred_hash
        d["device"] = self.device
        return Outcome(result=d)

    def score_clip(self, item: ClipItem, keys: list[str] | None = None) -> dict[str, Outcome]:
        """Every clip-level metric (or ``keys``) on one clip; never raises for a bad input."""
        out: dict[str, Outcome] = {}
        for key in keys if keys is not None else self.clip_keys:
            if self.cache is None or item.pred_hash is None:
                o = self._compute(key, item)
                if o.result is not None:
                    self.stats["scores_computed"] += 1
                out[key] = o
                continue
            f = self.cache.score_file(self.ids[key], item.pred_hash, item.ref_key, self.seed)
            with self.cache.entry(f) as ready:
                got = read_json(f) if ready else None
                if got is not None:
                    self.stats["scores_cached"] += 1
                    out[key] = Outcome(result=got, cached=True)
                    continue
                o = self._compute(key, item)
                if o.result is not None:  # failures are not cached: retried on the next run
                    atomic_write_json(f, o.result)
                    self.stats["scores_computed"] += 1
                out[key] = o
        return out

    def score_set(self, key: str, items: list[ClipItem]) -> dict[str, Any]:
        """A set-level metric over ``items``: ``{value, extras, clips: {id: dict}, failed, cached}``."""
        from vfebench.metrics.base import LazyClips

        m = self.metrics[key]
        f = None
        if self.cache is not None and all(it.pred_hash for it in items):
            ident = [(it.clip_id, it.pred_hash, it.ref_key) for it in items]
            f = self.cache.set_score_file(self.ids[key], ident, self.seed)
        if f is not None:
            got = read_json(f)
            if got is not None:
                self.stats["scores_cached"] += 1
                return {**_set_view(got), "cached": True}

        def compute() -> dict[str, Any]:
            try:
                self._setup(key)
                preds = LazyClips([partial(it.load, "pred") for it in items])
                gts = LazyClips([partial(it.load, "gt") for it in items]) if m.needs_reference else None
                res = m.score_set(preds, gts, self.ctx)
            except _SetupFailed as exc:
                return {"failed": exc.reason, "tb": exc.tb}
            except Exception as exc:  # broad on purpose: a set-level metric failing fails that metric only
                return {"failed": f"{type(exc).__name__}: {exc}", "tb": short_tb(exc)}
            finally:
                for it in items:
                    it.release()
            return {
                "value": json_value(res.value),
                "extras": res.extras,
                "clips": [c.to_dict() for c in res.clips],
                "metric": self.ids[key],
            }

        if f is None:
            got = compute()
            if "failed" not in got:
                self.stats["scores_computed"] += 1
            return {**_set_view(got), "cached": False}
        assert self.cache is not None  # f is the cache's file
        with self.cache.entry(f) as ready:
            got = read_json(f) if ready else None
            if got is not None:
                self.stats["scores_cached"] += 1
                return {**_set_view(got), "cached": True}
            got = compute()
            if "failed" not in got:
                atomic_write_json(f, got)
                self.stats["scores_computed"] += 1
            return {**_set_view(got), "cached": False}

    def aggregate(self, key: str, results: list[dict[str, Any]]) -> float | None:
        """The metric's own aggregate of per-clip result dicts (None when NaN / no clip)."""
        if not results:
            return None
        v = self.metrics[key].aggregate([clip_result_of(d) for d in results])
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def _set_view(got: dict[str, Any]) -> dict[str, Any]:
    if "failed" in got:
        return {"failed": got["failed"], "tb": got.get("tb", ""), "value": None, "extras": {}, "clips": {}}
    return {
        "failed": None,
        "value": got.get("value"),
        "extras": got.get("extras") or {},
        "clips": {c["clip_id"]: c for c in got.get("clips", [])},
    }


class _SetupFailed(ComponentFailed):
    def __init__(self, reason: str, tb: str) -> None:
        super().__init__(reason)
        self.reason, self.tb = reason, tb
