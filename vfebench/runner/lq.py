"""LQ stage: the run's inputs, and the references (GT) they are restored towards.

:func:`build_lq` materialises the LQ inputs (synthetic from the GT with the plan's preset and
seed, cached by :func:`vfebench.degrade.lq.materialize`; shipped by the dataset; or the source
clips themselves when there is no GT). :class:`References` gives each clip's GT content hash
(``None`` + a reason for a clip that cannot be read: that clip fails, the others run), the
dataset manifest hash built from them, and the GT clip itself, decoded once and kept until the
next clip is asked for (restore and score of one clip share it).
"""

from __future__ import annotations

from typing import Any

from vfebench.errors import InputError
from vfebench.runner.cache import RunCache
from vfebench.video import Clip


class LQView:
    """The run's LQ inputs (an :class:`~vfebench.degrade.lq.LQSet`) plus per-clip content hashes."""

    def __init__(self, lqset) -> None:
        self.lqset = lqset
        self._identity = lqset.identity()
        self.kind = self._identity.get("kind", "synthetic")
        self.root = getattr(lqset, "root", None)
        self.manifest_hash = getattr(lqset, "manifest_hash", None)
        self.failed: dict[str, str] = dict(getattr(lqset, "failed", {}) or {})
        self._hashes: dict[str, str] = dict(self._identity.get("lq_hashes") or {})

    def identity(self) -> dict[str, Any]:
        return self._identity

    def load(self, clip_id: str) -> Clip:
        c = self.lqset.load(clip_id)
        self._hashes.setdefault(clip_id, c.content_hash())
        return c

    def clip_hash(self, clip_id: str) -> str:
        """Content hash of the LQ clip (from the LQ manifest when known, else by loading it)."""
        if clip_id not in self._hashes:
            try:
                self.load(clip_id)
            except Exception as exc:  # broad on purpose: recorded for the clip, then re-raised
                self.failed[clip_id] = f"{type(exc).__name__}: {exc}"
                raise
        return self._hashes[clip_id]

    def path(self, clip_id: str) -> str | None:
        p = self.lqset.path(clip_id) if hasattr(self.lqset, "path") else None
        return str(p) if p is not None and p.exists() else None


class References:
    """GT content hashes, reference keys and (one at a time) the GT clips of a run."""

    def __init__(self, source, clip_ids, max_frames: int | None, has_gt: bool, progress=None) -> None:
        self.source, self.max_frames, self.has_gt = source, max_frames, has_gt
        self.hashes: dict[str, str | None] = {}
        self.failed: dict[str, str] = {}
        for cid in clip_ids:
            h, why = source.clip_hash_or_error(cid)
            self.hashes[cid] = h
            if why is not None:
                self.failed[cid] = why
            if progress is not None:
                progress.step()
        #: sha256 over ``id:content_hash`` lines of the whole dataset (``id:unreadable`` for a bad clip)
        self.manifest_hash = source.manifest_hash()
        self._current: tuple[str, Clip | None] | None = None
        self._targets: dict[str, tuple[int, int]] = {}

    def key(self, cid: str) -> str | None:
        """Identity of the reference clip (GT content hash, clip id, max_frames)."""
        if not self.has_gt:
            return None
        return RunCache.reference_key(self.hashes.get(cid), cid, self.max_frames)

    def load(self, cid: str) -> Clip | None:
        """The GT clip (None without GT); decoded once while it is the current clip."""
        if not self.has_gt:
            return None
        if self._current is None or self._current[0] != cid:
            self._current = None
            self._current = (cid, self.source.load(cid, self.max_frames))
        return self._current[1]

    def target(self, cid: str, gt: Clip | None, lq: Clip) -> tuple[int, int] | None:
        """The size a method must restore ``cid`` to (the GT size; None without GT)."""
        if gt is None:
            return None
        if gt.num_frames != lq.num_frames:
            raise InputError(
                f"GT and LQ do not match for clip {cid!r}: the GT has {gt.num_frames} frames, the LQ "
                f"{lq.num_frames}; LQ clips must be frame-aligned with the GT (same ids, same frames)"
            )
        return gt.size


def build_lq(plan, log, bar: bool = False, on_clip=None, clip_ids=None) -> LQView:
    """Synthetic LQ (preset + seed) for a GT source without shipped LQ; else the source's own LQ.

    ``clip_ids`` (default: the plan's) limits it to some clips (a ``--shard``)."""
    from vfebench.degrade.lq import materialize

    cfg = plan.cfg
    if plan.lq_preset is not None:
        log(f"LQ inputs: preset {cfg.preset}, seed {cfg.seed} (cached after the first run)")
    lqset = materialize(
        plan.source,
        plan.lq_preset,
        cfg.seed,
        clip_ids=list(plan.clip_ids if clip_ids is None else clip_ids),
        max_frames=cfg.max_frames,
        progress=bar,
        on_clip=on_clip,
    )
    return LQView(lqset)
