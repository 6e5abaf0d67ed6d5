"""Work units of a plan, and the deterministic slice ``--shard I/N`` computes.

A run is a set of idempotent units, each stored in the content-addressed run cache
(:class:`~vfebench.runner.cache.RunCache`) under its own lock by whichever process computes it:

- ``lq``: the synthetic LQ input of one clip (when the plan degrades; cached per clip by
  :func:`vfebench.degrade.lq.materialize`);
- ``restore``: one method on one clip;
- ``score``: one clip-level metric on one restored clip;
- ``set``: one set-level metric (FVD ``dataset``) over one method's clips — it needs every clip,
  so it belongs to no shard and is computed by the merge (the plain run).

A shard is a contiguous block of the (method, clip) pairs in plan order (methods in the order
given, clips in the dataset's order): shard ``I`` of ``N`` takes pairs ``[I·P//N, (I+1)·P//N)``
of the ``P`` pairs, with the LQ of their clips and the clip-level scores of their restorations.
Contiguous blocks keep most shards on one or two methods, so a method's model is loaded by few
processes. Every shard is a pure function of the plan and ``(I, N)``, so any scheduler (a shell
loop, a SLURM array, Ray) can fan the shards out with no vfebench code of its own; the merge —
``vfebench run`` with the same arguments and no ``--shard`` — then finds every unit cached,
computes whatever is missing (a shard whose worker died) and the set-level metrics, and writes
the record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vfebench.errors import InputError


@dataclass(frozen=True)
class Unit:
    """One idempotent piece of work: ``stage`` in lq | restore | score | set."""

    stage: str
    method: str | None
    clip_id: str | None
    metric: str | None = None


def parse_shard(spec: str | None) -> tuple[int, int] | None:
    """``"I/N"`` → ``(I, N)`` with 0 ≤ I < N; None → None; anything else is an InputError."""
    if spec is None:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(spec))
    if not m or not 0 <= int(m[1]) < int(m[2]):
        raise InputError(f"--shard {spec!r}: expected I/N with 0 <= I < N (e.g. --shard 0/4 ... --shard 3/4)")
    return int(m[1]), int(m[2])


def parse_batch(spec: int | str | None) -> int | str | None:
    """``--batch``: a positive int, ``"auto"``, or None (each metric's default)."""
    if spec is None:
        return None
    s = str(spec).strip().lower()
    if s == "auto":
        return "auto"
    if s.isdigit() and int(s) >= 1:
        return int(s)
    raise InputError(f"--batch {spec!r}: expected a positive number of frames or 'auto'")


def pairs(plan) -> list[tuple[str, str]]:
    """Every (method label, clip id) of the plan, in plan order."""
    return [(lb, cid) for lb in plan.methods for cid in plan.clip_ids]


def shard_pairs(plan, index: int, count: int) -> list[tuple[str, str]]:
    """The (method, clip) pairs of shard ``index`` of ``count`` (see the module docstring)."""
    p = pairs(plan)
    return p[index * len(p) // count : (index + 1) * len(p) // count]


def work_units(plan, shard: tuple[int, int] | None = None) -> list[Unit]:
    """The plan's units (all, or those of ``shard``), LQ first, set-level units last."""
    chosen = pairs(plan) if shard is None else shard_pairs(plan, *shard)
    clips = list(dict.fromkeys(cid for _, cid in chosen))
    clip_keys = [k for k, m in plan.metrics.items() if m.level != "set"]
    set_keys = [k for k, m in plan.metrics.items() if m.level == "set"]
    out = [Unit("lq", None, cid) for cid in clips] if plan.lq_preset is not None else []
    for lb, cid in chosen:
        out.append(Unit("restore", lb, cid))
        out += [Unit("score", lb, cid, k) for k in clip_keys]
    if shard is None:
        out += [Unit("set", lb, None, k) for lb in plan.methods for k in set_keys]
    return out
