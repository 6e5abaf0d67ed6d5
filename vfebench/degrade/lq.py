"""Materialised LQ sets: degrade a source once, cache the PNG frames and the parameter manifest.

Layout of an LQ directory::

    <root>/<safe clip id>/00000000.png …   LQ frames (lossless)
    <root>/.params/<safe clip id>.json     sampled parameters of that clip (written last, atomically)
    <root>/manifest.json                   every clip's parameters + GT/LQ content hashes, and
                                           ``failed`` (clip id → reason) for clips that could not be made
    <root>/.locks/                         one lock file per clip (+ the manifest)

``safe clip id`` is :func:`vfebench.utils.safe_name` (ids like ``../x`` or ``manifest.json``
get a hash suffix).

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
from typing import Any, TypeGuard

from tqdm import tqdm

from vfebench.degrade import build_preset
from vfebench.errors import InputError
from vfebench.utils import atomic_write_text, cache_root, file_lock, safe_name
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
        failed: dict[str, str] | None = None,
    ) -> None:
        self.clip_ids = list(clip_ids)
        self._loader = loader
        self._identity = identity
        self.root = root
        self._params = params or {}
        #: clip id → why its LQ could not be made or read (those clips fail, the others run)
        self.failed: dict[str, str] = dict(failed or {})

    def load(self, clip_id: str) -> Clip:
        """The LQ clip of ``clip_id``.

        Raises ``InputError`` when the set has no such clip or its LQ could not be made (the reason).
        """
        if clip_id not in self.clip_ids:
            raise InputError(f"LQ set has no clip {clip_id!r}")
        if clip_id in self.failed:
            raise InputError(f"clip {clip_id!r}: no LQ input ({self.failed[clip_id]})")
        return self._loader(clip_id)

    def path(self, clip_id: str) -> Path | None:
        """Folder of the LQ frames of ``clip_id`` when they are stored in an LQ directory."""
        if self.root is None or clip_id in self.failed:
            return None
        return lq_clip_dir(self.root, clip_id)

    def params(self, clip_id: str) -> dict:
        """The degradation draws recorded for ``clip_id`` (``{}`` when none were recorded)."""
        return self._params.get(clip_id, {})

    def identity(self) -> dict[str, Any]:
        """A copy of what identifies this LQ set in the run record.

        ``kind`` (synthetic, real or shipped), the source and its manifest hash, ``max_frames`` and,
        for synthetic sets, preset, version and seed; synthetic and shipped sets add per-clip LQ hashes.
        """
        return dict(self._identity)

    @property
    def manifest_hash(self) -> str:
        """Hex sha256 of :meth:`identity` as sorted-key JSON."""
        return hashlib.sha256(json.dumps(self._identity, sort_keys=True).encode()).hexdigest()


def _manifest_text(header: dict, clips: dict[str, dict]) -> str:
    return (
        json.dumps({**header, "clips": {k: clips[k] for k in sorted(clips)}}, indent=1, sort_keys=True) + "\n"
    )


def _entry_ok(e: dict | None, pr, seed: int, max_frames: int | None) -> TypeGuard[dict]:
    return (
        isinstance(e, dict)
        and e.get("params", {}).get("preset") == pr.name
        and e["params"].get("version") == pr.version
        and e["params"].get("seed") == int(seed)
        and e.get("max_frames") == max_frames
    )


def _read_entry(pfile: Path) -> dict | None:
    try:
        e = json.loads(pfile.read_text())
    except (OSError, ValueError):
        return None
    return e if isinstance(e, dict) else None


def _locked(out: Path, name: str):
    """Exclusive lock on ``out/.locks/NAME.lock`` (concurrent runs degrade a clip once)."""
    return file_lock(out / ".locks" / f"{name}.lock")


def lq_clip_dir(out: str | Path, clip_id: str) -> Path:
    """Folder of one LQ clip's frames inside an LQ directory (clip id made path-safe)."""
    return Path(out) / safe_name(clip_id)


def degrade_to_dir(
    source,
    preset: str,
    seed: int,
    out: str | Path,
    clip_ids: Iterable[str] | None = None,
    max_frames: int | None = None,
    progress: bool = True,
    on_clip: Callable[[], None] | None = None,
) -> dict:
    """Degrade ``clip_ids`` (default: all) of ``source`` into ``out``; returns the manifest dict.

    Clips already done in ``out`` (same preset/version/seed) are not recomputed. A clip whose
    GT cannot be read or degraded does not stop the others: it is listed under the manifest's
    ``failed`` (clip id → reason) and retried next time. Each clip is computed under a lock, so
    concurrent calls on one folder compute it once; the manifest is rewritten only when its
    content changes (a read-only folder with everything done works). Every per-clip entry stores
    whatever parameters the preset returned (``params``) plus the GT/LQ content hashes.
    ``on_clip()`` is called after each clip (progress reporting).
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
    failed: dict[str, str] = {}
    for cid in tqdm(sorted(ids), desc=f"degrade {preset}", unit="clip", disable=not progress):
        if on_clip is not None and cid != sorted(ids)[0]:
            on_clip()
        pfile = pdir / f"{safe_name(cid)}.json"
        cdir = lq_clip_dir(out, cid)
        e = _read_entry(pfile)
        if _entry_ok(e, pr, seed, max_frames) and cdir.is_dir():
            entries[cid] = e
            continue
        with _locked(out, safe_name(cid)):
            e = _read_entry(pfile)  # another process may have finished it while we waited
            if _entry_ok(e, pr, seed, max_frames) and cdir.is_dir():
                entries[cid] = e
                continue
            try:
                gt = source.load(cid, max_frames=max_frames)
                lq, params = pr.apply(gt, seed)
            except (
                Exception
            ) as exc:  # broad on purpose: any error reading/degrading one GT fails that clip, not the run
                failed[cid] = f"{type(exc).__name__}: {exc}"
                continue
            write_png_frames(lq, cdir)
            e = {
                "clip_id": cid,
                "gt_hash": gt.content_hash(),
                "lq_hash": lq.content_hash(),
                "num_frames": gt.num_frames,
                "max_frames": max_frames,
                "params": params,
            }
            atomic_write_text(pfile, json.dumps(e, sort_keys=True) + "\n")
            entries[cid] = e
    if on_clip is not None and ids:
        on_clip()
    # merge with clips done earlier in the same folder (another subset), then write the manifest
    for f in sorted(pdir.glob("*.json")) if pdir.is_dir() else []:
        e = _read_entry(f)
        if e is None:
            continue
        cid = e.get("clip_id", f.stem)
        if (
            cid not in entries
            and cid not in failed
            and lq_clip_dir(out, cid).is_dir()
            and _entry_ok(e, pr, seed, max_frames)
        ):
            entries[cid] = e
    doc = {**header, "failed": dict(sorted(failed.items()))} if failed else dict(header)
    text = _manifest_text(doc, entries)
    mf = out / "manifest.json"
    try:
        same = mf.read_text() == text
    except OSError:
        same = False
    if not same:
        with _locked(out, "manifest"):
            atomic_write_text(mf, text)
    return {**doc, "clips": entries}


def default_lq_root(source, preset: str, seed: int, max_frames: int | None) -> Path:
    """Cache folder of the LQ clips made from ``source`` with ``preset``, ``seed`` and ``max_frames``.

    ``<cache root>/lq/<source>-<manifest hash[:16]>/<preset>-v<version>-seed<seed>[-max<N>]``;
    raises what :func:`build_preset` raises for an unknown preset.
    """
    pr = build_preset(preset)
    mf = f"-max{max_frames}" if max_frames else ""
    return (
        cache_root()
        / "lq"
        / f"{source.name}-{source.manifest_hash()[:16]}"
        / f"{pr.name}-v{pr.version}-seed{seed}{mf}"
    )


def ships_lq(source, ids: list[str]) -> bool:
    """Whether ``source`` ships LQ clips, decided by the first of ``ids`` that can be read."""
    for cid in ids:  # the first clip that answers decides (an unreadable one fails on its own)
        try:
            return source.load_lq(cid, max_frames=1) is not None
        except Exception:  # broad on purpose: an unreadable clip fails later with its own reason
            continue
    return False


def materialize(
    source,
    preset: str | None,
    seed: int = 0,
    root: str | Path | None = None,
    clip_ids: list[str] | None = None,
    max_frames: int | None = None,
    progress: bool = True,
    on_clip: Callable[[], None] | None = None,
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
        man = degrade_to_dir(source, preset, seed, root, ids, max_frames, progress, on_clip)
        failed = {cid: r for cid, r in man.get("failed", {}).items() if cid in ids}
        good = [cid for cid in ids if cid not in failed]
        params = {cid: man["clips"][cid]["params"] for cid in good}

        def load(cid: str) -> Clip:
            c = read_clip(lq_clip_dir(root, cid), cid)
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
            "lq_hashes": {cid: man["clips"][cid]["lq_hash"] for cid in sorted(good)},
        }
        return LQSet(ids, load, ident, root, params, failed)

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
    if ids and ships_lq(source, ids):

        def load_shipped(cid: str) -> Clip:
            c = source.load_lq(cid, max_frames=max_frames)
            if c is None:
                raise InputError(f"clip {cid!r}: the dataset ships no LQ clip for it")
            return c

        lq_hashes, failed = {}, {}
        for cid in sorted(ids):
            try:
                lq_hashes[cid] = load_shipped(cid).content_hash()
            except (
                Exception
            ) as exc:  # broad on purpose: an unreadable LQ clip (any decoder error) fails that clip only
                failed[cid] = f"{type(exc).__name__}: {exc}"
        ident = {
            "kind": "shipped",
            "source": source.name,
            "source_manifest": source.manifest_hash(),
            "max_frames": max_frames,
            "lq_hashes": lq_hashes,
        }
        return LQSet(ids, load_shipped, ident, failed=failed)
    raise InputError(
        f"dataset {source.name!r} ships no LQ clips: choose a degradation preset with --preset "
        "(vfebench ls presets), e.g. --preset vfhq-x4 --seed 0"
    )
