"""Restore stage: each method on each clip, timed, validated, stored once in the run cache.

For one method, :func:`restore_method` walks the plan's clips and for each

- reuses a complete cached restoration (``meta.json`` present), or
- under the cache entry's lock (a concurrent run waits, then reuses it), loads the LQ clip and
  the reference (GT) once, restores it through the method's executor (a worker process by
  default, see :mod:`vfebench.runner.worker`), validates the output (:func:`validate_output`)
  and writes the PNG frames then ``meta.json`` atomically;
- hands the row and the in-memory clips to ``on_clip`` (the score stage), so each method's clips
  are scored as they are restored and the restored frames are not read back from disk.

Any failure — unreadable GT/LQ, an exception, a crash, a timeout, a bad output — fails that clip
with its reason; the others go on. Timing: wall seconds from LQ frames in memory to restored
frames in memory, measured in the worker (model loading and ``warmup`` clips excluded, device
synchronised); peak memory is CUDA max allocated or the worker's peak RSS, reset per clip.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import Any

import numpy as np

from vfebench.errors import InputError
from vfebench.runner.cache import read_json
from vfebench.runner.worker import RestoreFailed, free_memory, make_executor, planned_isolation
from vfebench.utils import atomic_write_json
from vfebench.video import Clip, check_frames


def now() -> str:
    """The current UTC time as ISO 8601 text, to the second (``2026-12-02T07:40:23+00:00``)."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def validate_output(out: Any, lq: Clip, target: tuple[int, int] | None, label: str) -> Clip:
    """A method's output as a :class:`Clip`, or InputError naming the method, the clip and the fix.

    Args:
        out: what the method returned: a Clip, or a ``T×H×W×3`` uint8 RGB (0..255) array.
        lq: the clip the method was given (``T`` frames).
        target: ``(H, W)`` the output frames must have (the GT size), or None to accept any.
        label: the method's label, for the message.

    The frames go through :func:`vfebench.video.check_frames` (layout, dtype, NaN/inf,
    emptiness); on top of that the output must have the input's frame count, the target size
    and, when a Clip, the input's clip id. An array is wrapped in a Clip with the input's id and
    fps; a Clip is returned as is.
    """
    who = f"method {label!r} on clip {lq.id!r}"
    frames = getattr(out, "frames", out)
    if not isinstance(frames, np.ndarray):
        raise InputError(f"{who}: returned {type(out).__name__}, expected a vfebench.video.Clip")
    check_frames(frames, f"output of method {label!r} on clip {lq.id!r}")
    if frames.shape[0] != lq.num_frames:
        raise InputError(f"{who}: output has {frames.shape[0]} frames, the input has {lq.num_frames}")
    if target is not None and tuple(frames.shape[1:3]) != tuple(target):
        raise InputError(
            f"{who}: output frames are {frames.shape[2]}×{frames.shape[1]}, expected the GT size "
            f"{target[1]}×{target[0]}"
        )
    if isinstance(out, Clip) and out.id != lq.id:
        raise InputError(f"{who}: returned the clip id {out.id!r}; a method must keep its input's clip id")
    if not isinstance(out, Clip):
        out = Clip(lq.id, frames, lq.fps)
    return out


def clip_row(
    label: str, cid: str, meta: dict, path: str, lq_path: str | None, cached: bool
) -> dict[str, Any]:
    """The record row of a restored clip (``status: ok``): the method label, clip id, the output's
    size, frame count, fps, content hash and path, restore seconds and peak memory from ``meta``,
    and empty ``values`` / ``details`` for the metrics to fill."""
    return {
        "method": label,
        "clip_id": cid,
        "status": "ok",
        "n_frames": meta["n_frames"],
        "height": meta["height"],
        "width": meta["width"],
        "seconds": meta["seconds"],
        "fps": meta["fps"],
        "peak_mem_mb": meta["peak_mem_mb"],
        "peak_mem_kind": meta["peak_mem_kind"],
        "restored_hash": meta["content_hash"],
        "restored_path": path,
        "lq_path": lq_path,
        "restore_cached": cached,
        "values": {},
        "details": {},
    }


def failed_row(label: str, cid: str, stage: str, reason: str, lq_path: str | None) -> dict[str, Any]:
    """The record row of a clip that failed at ``stage`` (``gt``, ``lq``, ``restore`` or ``score``):
    ``status: failed`` with the ``reason``; the other clips' rows are unaffected."""
    return {
        "method": label,
        "clip_id": cid,
        "status": "failed",
        "reason": reason,
        "failed_stage": stage,
        "n_frames": None,
        "height": None,
        "width": None,
        "seconds": None,
        "fps": None,
        "peak_mem_mb": None,
        "peak_mem_kind": None,
        "restored_hash": None,
        "restored_path": None,
        "lq_path": lq_path,
        "restore_cached": False,
        "values": {},
        "details": {},
    }


def restore_method(
    run, label: str, method, on_clip: Callable, fail: Callable, clip_ids=None
) -> dict[str, Any]:
    """Restore every clip of ``run.plan`` (or ``clip_ids``) with one method (see the module docstring).

    ``run`` is the orchestrator (plan, cache, lq, refs, log, stats); ``on_clip(row, pred, gt)``
    receives each clip's row (``pred``/``gt`` in memory when they were just decoded, else None);
    ``fail(label, cid, stage, metric, reason, tb)`` records a failure. Returns the method's info.
    """
    plan, cache, lq, refs = run.plan, run.cache, run.lq, run.refs
    cfg = plan.cfg
    fp_hash = method.fingerprint_hash()
    info: dict[str, Any] = {
        "name": method.name,
        "fingerprint": method.fingerprint(),
        "fingerprint_hash": fp_hash,
        "steps": method.config.get("steps", getattr(method, "steps", None)),
        "warmup": None,
        "isolation": planned_isolation(method, cfg.isolation),
        "timeout_s": cfg.timeout if planned_isolation(method, cfg.isolation) == "process" else None,
        "worker_restarts": 0,
        "timing_source": "measured",
    }
    reported = getattr(method, "timing", "measured") == "reported"  # outputs made elsewhere
    if reported:
        timed = [c for c in plan.clip_ids if method.reported_timing(c) is not None]
        info["timing_source"] = (
            "not measured"
            if not timed
            else "reported" + ("" if len(timed) == len(plan.clip_ids) else " (some clips)")
        )
    ids = list(plan.clip_ids if clip_ids is None else clip_ids)
    executor = None
    warm = 0 if reported else cfg.warmup  # reading files needs no warm-up
    from vfebench.video import write_png_frames

    # one pass in clip order: each clip is reached once, so its GT is decoded once for its hash,
    # its LQ, its restoration and its scores (References keeps only the current clip)
    try:
        for cid in ids:
            if not refs.readable(cid):  # the first decode of the clip (hash, then LQ and GT from it)
                what = "the GT clip" if plan.has_gt else "the clip"
                on_clip(
                    fail(label, cid, "gt", None, f"cannot read {what}: {refs.failed[cid]}", ""), None, None
                )
                continue
            try:
                lq_hash = None if cid in lq.failed else lq.clip_hash(cid)
            except Exception:  # broad on purpose: clip_hash recorded the reason in lq.failed
                lq_hash = None
            if lq_hash is None:
                on_clip(
                    fail(label, cid, "lq", None, f"no LQ input: {lq.failed.get(cid, '?')}", ""), None, None
                )
                continue
            d = cache.restored_dir(fp_hash, lq_hash, refs.key(cid), cid)
            meta = read_json(d / "meta.json")
            if meta is not None and (d / "frames").is_dir():
                run.stats["restored_cached"] += 1
                on_clip(clip_row(label, cid, meta, str(d / "frames"), lq.path(cid), True), None, None)
                continue
            if executor is None:
                run.log(f"{label}: restoring the clips not in the cache (from {cid!r}, of {len(ids)})")
                executor = make_executor(method, cfg.device, cfg.isolation, cfg.timeout, run.log)
                info["isolation"] = executor.isolation
            with cache.entry(d / "meta.json") as ready:
                meta = read_json(d / "meta.json") if ready else None
                if meta is not None and (d / "frames").is_dir():  # another run just finished it
                    run.stats["restored_cached"] += 1
                    on_clip(clip_row(label, cid, meta, str(d / "frames"), lq.path(cid), True), None, None)
                    continue
                try:
                    lq_clip = lq.load(cid)
                except Exception as exc:  # broad on purpose: any decoder error fails this clip only
                    on_clip(fail(label, cid, "lq", None, f"cannot read the LQ clip: {type(exc).__name__}: {exc}", ""), None, None)  # fmt: skip
                    continue
                try:
                    gt = refs.load(cid)
                    target = refs.target(cid, gt, lq_clip)
                except Exception as exc:  # broad on purpose: any decoder error fails this clip only
                    on_clip(fail(label, cid, "gt", None, str(exc) if isinstance(exc, InputError) else f"cannot read the GT clip: {type(exc).__name__}: {exc}", ""), None, None)  # fmt: skip
                    continue
                try:
                    executor.setup()
                    while warm > 0:  # untimed warm-up on the first pending clip
                        warm -= 1
                        r = executor.restore(lq_clip, target)
                        info["warmup"] = {"clip_id": cid, "seconds": r.seconds}
                    r = executor.restore(lq_clip, target)
                    out = validate_output(r.out, lq_clip, target, label)
                except RestoreFailed as exc:
                    info["worker_restarts"] = executor.restarts
                    on_clip(fail(label, cid, "restore", None, exc.reason, exc.tb), None, None)
                    continue
                except InputError as exc:
                    on_clip(fail(label, cid, "restore", None, f"InputError: {exc}", ""), None, None)
                    continue
                write_png_frames(out, d / "frames")
                seconds, peak, peak_kind = r.seconds, r.peak_mem_mb, r.peak_mem_kind
                if reported:  # never record the time spent reading files as the method's
                    t = method.reported_timing(cid) or {}
                    seconds, peak = t.get("seconds"), t.get("peak_mem_mb")
                    peak_kind = "reported" if peak is not None else None
                meta = {
                    "method": label,
                    "clip_id": cid,
                    "fingerprint": method.fingerprint(),
                    "lq_hash": lq.clip_hash(cid),
                    "gt_key": refs.key(cid),
                    "content_hash": out.content_hash(),
                    "n_frames": out.num_frames,
                    "height": out.size[0],
                    "width": out.size[1],
                    "fps_video": out.fps,
                    "seconds": seconds,
                    "fps": out.num_frames / seconds if seconds else None,
                    "peak_mem_mb": peak,
                    "peak_mem_kind": peak_kind,
                    "device": cfg.device,
                    "isolation": executor.isolation,
                    "created": now(),
                }
                atomic_write_json(d / "meta.json", meta)
            run.stats["restored_computed"] += 1
            row = clip_row(label, cid, meta, str(d / "frames"), lq.path(cid), False)
            on_clip(row, out, gt)
    finally:
        if executor is not None:
            info["worker_restarts"] = executor.restarts
            executor.close()
            free_memory(cfg.device)
    return info
