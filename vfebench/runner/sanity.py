"""Plan-time warnings about a dataset that is probably not what the user meant.

Nothing here stops a run; each warning says what will happen and how to say what was meant:

- **mixed GT sizes**: the clips of a GT dataset come in several frame sizes (1920×1080, 590²,
  512² ...). Every metric is computed at each clip's own size and the set's averages mix them;
  no-reference and face metrics depend on resolution, so such averages compare little.
- **a bare path that looks like real LQ**: ``--dataset clips/lq`` (no ``NAME:``) is read as
  ground truth (``folder:``) and degraded again; when the folder has no ``prepare.json`` (it
  was not made by ``vfebench prepare``) and its clips are small (longer side below
  :data:`LOW_RES` px) it is probably real low-quality footage, meant as ``rfv:PATH``.

Sizes come from :func:`vfebench.video.probe` (a header and one frame per clip), only for
datasets whose clips are files (:class:`~vfebench.datasets.base.PathSource`).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

#: a clip whose longer side is below this many pixels is "low resolution" for a GT set
LOW_RES = 384


def clip_sizes(source, clip_ids) -> dict[str, tuple[int, int]]:
    """``{clip id: (H, W)}`` from the clips' headers (clips that cannot be probed are left out)."""
    from vfebench.video import probe

    if not hasattr(source, "clip_path"):
        return {}
    out: dict[str, tuple[int, int]] = {}
    for cid in clip_ids:
        try:
            info = probe(source.clip_path(cid))
        except (
            Exception
        ):  # broad on purpose: an unreadable clip (any decoder error) fails later, with its own reason
            continue
        out[cid] = (info.height, info.width)
    return out


def _sizes_text(sizes: dict[str, tuple[int, int]], limit: int = 3) -> str:
    by: dict[tuple[int, int], list[str]] = {}
    for cid, s in sizes.items():
        by.setdefault(s, []).append(cid)
    parts = []
    for (h, w), n in Counter(sizes.values()).most_common():
        ids = by[(h, w)]
        shown = ", ".join(ids[:limit]) + (", …" if len(ids) > limit else "")
        parts.append(f"{w}×{h}: {n} clip(s) ({shown})")
    return "; ".join(parts)


def dataset_warnings(spec: str, source, clip_ids, lq_preset: str | None) -> list[str]:
    """The warnings for ``--dataset spec`` (see the module docstring)."""
    from vfebench.datasets import DATASETS

    if not source.has_gt:
        return []
    sizes = clip_sizes(source, clip_ids)
    out: list[str] = []
    if len(set(sizes.values())) > 1:
        out.append(
            f"dataset {spec!r}: the GT clips have {len(set(sizes.values()))} different sizes "
            f"({_sizes_text(sizes)}). Each clip is restored and scored at its own size and the averages "
            "mix them (no-reference and face metrics depend on resolution). To compare like with like, "
            "prepare them to one size first (vfebench prepare SRC OUT --size 512, or --aligned for clips "
            "that are already aligned faces), or pick one size with --clips."
        )
    head = spec.split(",")[0]
    bare = ":" not in head and head not in DATASETS
    root = Path(head)
    if bare and lq_preset is not None and sizes and not (root / "prepare.json").is_file():
        longest = max(max(s) for s in sizes.values())
        if longest < LOW_RES:
            out.append(
                f"dataset {spec!r} is a bare path, so it is read as ground truth (folder:{head}): its "
                f"clips will be degraded again with preset {lq_preset} and the restorations scored against "
                f"them. It has no prepare.json and its clips are small (largest side {longest} px), so they "
                f"may be real low-quality clips: for those say --dataset rfv:{head} (no ground truth: "
                f"no-reference metrics, methods keep the input size). If they are ground truth, say "
                f"--dataset folder:{head} and this warning goes."
            )
    return out
