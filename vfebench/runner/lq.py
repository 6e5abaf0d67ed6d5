"""LQ stage: the run's inputs, and the references (GT) they are restored towards.

:func:`build_lq` materialises the LQ inputs (synthetic from the GT with the plan's preset and
seed, cached by :func:`vfebench.degrade.lq.materialize`; shipped by the dataset; or the source
clips themselves when there is no GT). :class:`References` gives each clip's GT content hash
(``None`` + a reason for a clip that cannot be read: that clip fails, the others run), the
dataset manifest hash built from them, and the GT clip itself. Both are lazy and share one
decode per clip: the first time the run reaches a clip its GT is decoded once, hashed, degraded
(synthetic LQ) and kept until the next clip is asked for (restore and score of the clip share it).
"""

from __future__ import annotations

from typing import Any

from vfebench.datasets.base import ClipReader
from vfebench.errors import InputError
from vfebench.runner.cache import RunCache
from vfebench.video import Clip


class LQView:
    """The run's LQ inputs (an :class:`~vfebench.degrade.lq.LQSet`) plus per-clip content hashes."""

    def __init__(self, lqset) -> None:
        self.lqset = lqset
        self.kind = lqset.kind
        self.root = getattr(lqset, "root", None)
        #: clip id → why its LQ cannot be had; the set's own dict (clips fail as they are reached)
        self.failed: dict[str, str] = lqset.failed
        self._hashes: dict[str, str] = {}

    def identity(self) -> dict[str, Any]:
        """What identifies the LQ set in the run record (the set's own :meth:`identity`)."""
        return self.lqset.identity()

    @property
    def manifest_hash(self) -> str | None:
        """The LQ set's manifest hash, None for a set that has none."""
        return getattr(self.lqset, "manifest_hash", None)

    def load(self, clip_id: str) -> Clip:
        """The LQ clip of ``clip_id`` (made or read by the set); its content hash is remembered."""
        c = self.lqset.load(clip_id)
        self._hashes.setdefault(clip_id, c.content_hash())
        return c

    def known_hash(self, clip_id: str) -> str | None:
        """The LQ content hash when known without reading, degrading or decoding anything."""
        return self._hashes.get(clip_id) or self.lqset.known_hash(clip_id)

    def clip_hash(self, clip_id: str) -> str:
        """Content hash of the LQ clip (made or loaded now when not known yet)."""
        if clip_id not in self._hashes:
            try:
                own = getattr(self.lqset, "clip_hash", None)
                h = self.known_hash(clip_id) or (own(clip_id) if own else self.load(clip_id).content_hash())
            except Exception as exc:  # broad on purpose: recorded for the clip, then re-raised
                self.failed.setdefault(clip_id, f"{type(exc).__name__}: {exc}")
                raise
            self._hashes[clip_id] = h
        return self._hashes[clip_id]

    def path(self, clip_id: str) -> str | None:
        """The LQ file or folder of ``clip_id`` as text when the set has one on disk, else None."""
        p = self.lqset.path(clip_id) if hasattr(self.lqset, "path") else None
        return str(p) if p is not None and p.exists() else None

    def finish(self) -> None:
        """Write what the LQ set records once the run's clips are done (its manifest)."""
        write = getattr(self.lqset, "write_manifest", None)
        if write is not None:
            write()


class References:
    """GT content hashes, reference keys and (one at a time) the GT clips of a run.

    Nothing is read up front: a clip is hashed when it is first reached, by the same decode
    that gives its frames (:class:`~vfebench.datasets.base.ClipReader`), and only the current
    clip is held. Without GT the reader serves the source clips themselves (the run's LQ).
    """

    def __init__(self, source, max_frames: int | None, has_gt: bool) -> None:
        self.source, self.max_frames, self.has_gt = source, max_frames, has_gt
        self.reader = ClipReader(source, max_frames)
        #: clip id → why the clip cannot be read (filled as clips are reached)
        self.failed: dict[str, str] = {}

    def hash(self, cid: str) -> str | None:
        """The clip's content hash (decoding it now unless known); None when it cannot be read."""
        h, why = self.reader.hash_or_error(cid)
        if h is None:
            self.failed[cid] = str(why)
        return h

    def readable(self, cid: str) -> bool:
        """True when the clip can be read (its hash is known or computed now); else its
        reason is in :attr:`failed`."""
        return self.hash(cid) is not None

    @property
    def manifest_hash(self) -> str:
        """sha256 over ``id:content_hash`` lines of the whole dataset (``id:unreadable`` for a bad
        clip); clips the run did not reach (outside ``--clips``) are hashed now."""
        return self.source.manifest_hash()

    def key(self, cid: str) -> str | None:
        """Identity of the reference clip (GT content hash, clip id, max_frames)."""
        if not self.has_gt:
            return None
        return RunCache.reference_key(self.hash(cid), cid, self.max_frames)

    def known_key(self, cid: str) -> str | None:
        """:meth:`key` when the GT hash is known without decoding, else None."""
        h = self.source.known_clip_hash(cid)
        return RunCache.reference_key(h, cid, self.max_frames) if h is not None else None

    def load(self, cid: str) -> Clip | None:
        """The GT clip (None without GT); decoded once while it is the current clip."""
        if not self.has_gt:
            return None
        return self.reader.load(cid)

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


def build_lq(plan, log, refs: References, clip_ids=None) -> LQView:
    """Synthetic LQ (preset + seed) for a GT source without shipped LQ; else the source's own LQ.

    Synthetic LQ is made clip by clip when the run reaches the clip, from the GT ``refs`` has
    just decoded; ``clip_ids`` (default: the plan's) limits it to some clips (a ``--shard``)."""
    from vfebench.degrade.lq import materialize

    cfg = plan.cfg
    if plan.lq_preset is not None:
        log(
            f"LQ inputs: preset {cfg.preset}, seed {cfg.seed} (made with each clip, cached after the first run)"
        )
    lqset = materialize(
        plan.source,
        plan.lq_preset,
        cfg.seed,
        clip_ids=list(plan.clip_ids if clip_ids is None else clip_ids),
        max_frames=cfg.max_frames,
        progress=False,
        reader=refs.reader,
        lazy=True,
    )
    return LQView(lqset)
