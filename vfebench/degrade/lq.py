"""Materialised LQ sets: degrade a source once, cache the PNG frames and the parameter manifest.

Layout of an LQ directory::

    <root>/<clip id>/00000000.png …      LQ frames (lossless)
    <root>/.params/<clip id>.json        sampled parameters of that clip (written last, atomically)
    <root>/manifest.json                 every clip's parameters + GT/LQ content hashes

A clip is done when its ``.params`` file exists, so an interrupted run resumes where it stopped.
The manifest is sorted by clip id and has no timestamps: degrading twice, or with the clips in
another order, gives byte-identical frames and manifest. The default cache location is keyed by
the source's manifest hash, the preset name + version, the seed and ``max_frames``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from tqdm import tqdm

from vfebench.degrade import build_preset
from vfebench.errors import InputError
from vfebench.utils import atomic_write_text, cache_root
from vfebench.video import Clip, read_clip, write_png_frames

MANIFEST_SCHEMA = 1


class LQSet:
    """The LQ inputs of a run: ``load(clip_id)`` returns the LQ clip, ``params(clip_id)`` its draws."""

    def __init__(
        self,
        clip_ids: list[str],
        loader: Callable[[str], Clip],
        identity: dict[str, Any],
        root: Path | None = None,
        params: dict[str, dict] | None = None,
    ) -> None:
        self.clip_ids = list(clip_ids)
        self._loader = loader
        self._identity = identity
        self.root = root
        self._params = params or {}

    def load(self, clip_id: str) -> Clip:
        if clip_id not in self.clip_ids:
            raise InputError(f"LQ set has no clip {clip_id!r}")
        return self._loader(clip_id)

    def params(self, clip_id: str) -> dict:
        return self._params.get(clip_id, {})

    def identity(self) -> dict[str, Any]:
        return dict(self._identity)

    @property
    def manifest_hash(self) -> str:
        return hashlib.sha256(json.dumps(self._identity, sort_keys=True).encode()).hexdigest()


def _manifest_text(header: dict, clips: dict[str, dict]) -> str:
    return (
        json.dumps({**header, "clips": {k: clips[k] for k in sorted(clips)}}, indent=1, sort_keys=True) + "\n"
    )


def degrade_to_dir(
    source,
    preset: str,
    seed: int,
    out: str | Path,
    clip_ids: Iterable[str] | None = None,
    max_frames: int | None = None,
    progress: bool = True,
) -> dict:
    """Degrade ``clip_ids`` (default: all) of ``source`` into ``out``; returns the manifest dict.

    Clips already done in ``out`` (same preset/version/seed) are not recomputed.
    """
    if not source.has_gt:
        raise InputError(
            f"dataset {source.name!r} has no ground truth (its clips are already LQ); "
            "synthetic degradation applies to GT clips only"
        )
    pr = build_preset(preset)
    out = Path(out)
    ids = list(clip_ids) if clip_ids is not None else source.clip_ids()
    unknown = sorted(set(ids) - set(source.clip_ids()))
    if unknown:
        raise InputError(f"dataset {source.name!r} has no clips {unknown[:5]}")
    header = {
        "schema": MANIFEST_SCHEMA,
        **pr.identity(),
        "seed": int(seed),
        "max_frames": max_frames,
        "source": source.describe(),
    }
    pdir = out / ".params"
    entries: dict[str, dict] = {}
    for cid in tqdm(sorted(ids), desc=f"degrade {preset}", unit="clip", disable=not progress):
        pfile = pdir / f"{cid}.json"
        if pfile.is_file() and (out / cid).is_dir():
            e = json.loads(pfile.read_text())
            if (
                e.get("params", {}).get("preset") == pr.name
                and e["params"].get("version") == pr.version
                and e["params"].get("seed") == int(seed)
                and e.get("max_frames") == max_frames
            ):
                entries[cid] = e
                continue
        gt = source.load(cid, max_frames=max_frames)
        lq, params = pr.apply(gt, seed)
        write_png_frames(lq, out / cid)
        e = {
            "gt_hash": gt.content_hash(),
            "lq_hash": lq.content_hash(),
            "num_frames": gt.num_frames,
            "max_frames": max_frames,
            "params": params,
        }
        atomic_write_text(pfile, json.dumps(e, sort_keys=True) + "\n")
        entries[cid] = e
    # merge with clips done earlier in the same folder (another subset), then write the manifest
    for f in sorted(pdir.glob("*.json")) if pdir.is_dir() else []:
        cid = f.stem
        if cid not in entries and (out / cid).is_dir():
            e = json.loads(f.read_text())
            if e.get("params", {}).get("preset") == pr.name and e["params"].get("seed") == int(seed):
                entries[cid] = e
    atomic_write_text(out / "manifest.json", _manifest_text(header, entries))
    return {**header, "clips": entries}


def default_lq_root(source, preset: str, seed: int, max_frames: int | None) -> Path:
    pr = build_preset(preset)
    mf = f"-max{max_frames}" if max_frames else ""
    return (
        cache_root()
        / "lq"
        / f"{source.name}-{source.manifest_hash()[:16]}"
        / f"{pr.name}-v{pr.version}-seed{seed}{mf}"
    )


def materialize(
    source,
    preset: str | None,
    seed: int = 0,
    root: str | Path | None = None,
    clip_ids: list[str] | None = None,
    max_frames: int | None = None,
    progress: bool = True,
) -> LQSet:
    """The LQ inputs for a run.

    - ``preset`` given: synthetic LQ from the source's GT, written once under ``root`` (default:
      a cache folder keyed by source manifest hash, preset + version, seed, max_frames).
    - ``preset`` None: the source's own LQ — real-world clips of a no-GT source (``rfv``), or the
      LQ subset shipped with a GT source (``vfhq:…,lq=LQ``); otherwise an error asking for
      ``--preset``.
    """
    ids = list(clip_ids) if clip_ids is not None else source.clip_ids()
    if preset is not None:
        root = Path(root) if root else default_lq_root(source, preset, seed, max_frames)
        man = degrade_to_dir(source, preset, seed, root, ids, max_frames, progress)
        params = {cid: man["clips"][cid]["params"] for cid in ids}

        def load(cid: str) -> Clip:
            c = read_clip(root / cid, cid)
            c.fps = params[cid].get("fps", c.fps)
            c.meta["degradation"] = params[cid]
            return c

        ident = {
            "kind": "synthetic",
            "preset": man["preset"],
            "version": man["version"],
            "seed": int(seed),
            "max_frames": max_frames,
            "source": source.name,
            "source_manifest": source.manifest_hash(),
            "lq_hashes": {cid: man["clips"][cid]["lq_hash"] for cid in sorted(ids)},
        }
        return LQSet(ids, load, ident, root, params)

    if not source.has_gt:

        def load_real(cid: str) -> Clip:
            return source.load(cid, max_frames=max_frames)

        ident = {
            "kind": "real",
            "source": source.name,
            "source_manifest": source.manifest_hash(),
            "max_frames": max_frames,
        }
        return LQSet(ids, load_real, ident)
    if ids and source.load_lq(ids[0], max_frames=1) is not None:

        def load_shipped(cid: str) -> Clip:
            c = source.load_lq(cid, max_frames=max_frames)
            assert c is not None
            return c

        lq_hashes = {cid: load_shipped(cid).content_hash() for cid in sorted(ids)}
        ident = {
            "kind": "shipped",
            "source": source.name,
            "source_manifest": source.manifest_hash(),
            "max_frames": max_frames,
            "lq_hashes": lq_hashes,
        }
        return LQSet(ids, load_shipped, ident)
    raise InputError(
        f"dataset {source.name!r} ships no LQ clips: choose a degradation preset with --preset "
        "(vfebench ls presets), e.g. --preset vfhq-x4 --seed 0"
    )
