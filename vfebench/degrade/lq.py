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
another order, gives byte-identical frames and manifest. The default cache location
(:func:`default_lq_root`) is keyed by what the source is, the preset name + version, the seed
and ``max_frames``; each clip's entry also records its GT content hash (``source_hash``), so a
run degrades each clip right after decoding it (:class:`SyntheticLQSet`).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeGuard

from tqdm import tqdm

from vfebench.datasets.base import ClipReader
from vfebench.degrade import build_preset
from vfebench.errors import ClipNotDegraded, InputError
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
        known: Callable[[str], str | None] | None = None,
        source=None,
    ) -> None:
        """``known(clip_id)``: the LQ content hash when it can be had without reading the clip;
        ``source``: its manifest hash is added to :meth:`identity` when asked for (not before,
        so a run hashes each clip when it reaches it)."""
        self.clip_ids = list(clip_ids)
        self._loader = loader
        self._known = known
        self._source = source
        self._identity = identity
        self.root = root
        self._params = params or {}
        #: clip id → why its LQ could not be made or read (those clips fail, the others run)
        self.failed: dict[str, str] = dict(failed or {})

    @property
    def kind(self) -> str:
        """``synthetic`` | ``shipped`` | ``real``."""
        return str(self._identity.get("kind", "synthetic"))

    def _check(self, clip_id: str) -> None:
        if clip_id not in self.clip_ids:
            raise InputError(f"LQ set has no clip {clip_id!r}")
        if clip_id in self.failed:
            raise InputError(f"clip {clip_id!r}: no LQ input ({self.failed[clip_id]})")

    def load(self, clip_id: str) -> Clip:
        """The LQ clip of ``clip_id``; ``InputError`` when the set has no such clip or its LQ
        could not be had (with the reason)."""
        self._check(clip_id)
        return self._loader(clip_id)

    def known_hash(self, clip_id: str) -> str | None:
        """The LQ clip's content hash when known without reading or making it, else None."""
        got = (self._identity.get("lq_hashes") or {}).get(clip_id)
        return got if got is not None or self._known is None else self._known(clip_id)

    def path(self, clip_id: str) -> Path | None:
        """Folder of the LQ frames of ``clip_id`` when they are stored in an LQ directory."""
        if self.root is None or clip_id in self.failed:
            return None
        return lq_clip_dir(self.root, clip_id)

    def params(self, clip_id: str) -> dict:
        """The degradation draws recorded for ``clip_id`` (``{}`` when none were recorded)."""
        return self._params.get(clip_id, {})

    def identity(self) -> dict[str, Any]:
        """A copy of what identifies this LQ set in the run record (``kind``, source, ``max_frames``,
        per-clip LQ hashes where known), plus the source's manifest hash when the set has a source."""
        ident = dict(self._identity)
        if self._source is not None:
            ident["source_manifest"] = self._source.manifest_hash()
        return ident

    @property
    def manifest_hash(self) -> str:
        """Hex sha256 of :meth:`identity` as sorted-key JSON."""
        return hashlib.sha256(json.dumps(self.identity(), sort_keys=True).encode()).hexdigest()


def _manifest_text(header: dict, clips: dict[str, dict]) -> str:
    return (
        json.dumps({**header, "clips": {k: clips[k] for k in sorted(clips)}}, indent=1, sort_keys=True) + "\n"
    )


def _entry_ok(
    e: dict | None, pr, seed: int, max_frames: int | None, source_hash: str | None = None
) -> TypeGuard[dict]:
    return (
        isinstance(e, dict)
        and e.get("params", {}).get("preset") == pr.name
        and e["params"].get("version") == pr.version
        and e["params"].get("seed") == int(seed)
        and e.get("max_frames") == max_frames
        and (source_hash is None or e.get("source_hash") == source_hash)
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
    header = _header(source, pr, seed, max_frames)
    entries: dict[str, dict] = {}
    failed: dict[str, str] = {}
    for cid in tqdm(sorted(ids), desc=f"degrade {preset}", unit="clip", disable=not progress):
        if on_clip is not None and cid != sorted(ids)[0]:
            on_clip()
        try:
            load_gt = functools.partial(source.load, cid, max_frames=max_frames)
            entries[cid], _ = degrade_clip(pr, seed, out, cid, max_frames, load_gt)
        except ClipNotDegraded as exc:
            failed[cid] = exc.reason
    if on_clip is not None and ids:
        on_clip()
    return write_manifest(out, header, entries, failed, pr, seed, max_frames)


def degrade_clip(
    pr,
    seed: int,
    out: Path,
    cid: str,
    max_frames: int | None,
    load_gt: Callable[[], Clip],
    source_hash: str | None = None,
) -> tuple[dict, Clip | None]:
    """One clip of an LQ directory: ``(entry, LQ clip)``, under the clip's lock.

    A done entry (same preset, version, seed and ``max_frames``, and the same ``source_hash`` —
    the content hash of the whole GT clip — when one is given) is reused and the LQ clip is None;
    otherwise ``load_gt()`` is degraded, the frames and then the entry are written, and the LQ
    clip made now is returned. Reading or degrading the GT failing raises :class:`ClipNotDegraded`.
    """
    pfile = out / ".params" / f"{safe_name(cid)}.json"
    cdir = lq_clip_dir(out, cid)
    e = _read_entry(pfile)
    if _entry_ok(e, pr, seed, max_frames, source_hash) and cdir.is_dir():
        return e, None
    with _locked(out, safe_name(cid)):
        e = _read_entry(pfile)  # another process may have finished it while we waited
        if _entry_ok(e, pr, seed, max_frames, source_hash) and cdir.is_dir():
            return e, None
        try:
            gt = load_gt()
            lq, params = pr.apply(gt, seed)
        except Exception as exc:  # broad on purpose: any error reading/degrading one GT fails that clip
            raise ClipNotDegraded(f"{type(exc).__name__}: {exc}") from exc
        write_png_frames(lq, cdir)
        e = {
            "clip_id": cid,
            "gt_hash": gt.content_hash(),
            "lq_hash": lq.content_hash(),
            "num_frames": gt.num_frames,
            "max_frames": max_frames,
            "params": params,
        }
        if source_hash is not None:
            e["source_hash"] = source_hash
        atomic_write_text(pfile, json.dumps(e, sort_keys=True) + "\n")
        return e, lq


def write_manifest(
    out: Path, header: dict, entries: dict[str, dict], failed: dict[str, str], pr, seed, max_frames
) -> dict:
    """Merge ``entries`` with the clips done earlier in ``out`` (another subset), write the
    manifest when its content changed; returns the manifest dict."""
    entries = dict(entries)
    pdir = out / ".params"
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


def _header(source, pr, seed: int, max_frames: int | None) -> dict:
    return {
        "schema": MANIFEST_SCHEMA,
        **pr.identity(),
        "seed": int(seed),
        "max_frames": max_frames,
        "source": source.describe(),
    }


def default_lq_root(source, preset: str, seed: int, max_frames: int | None) -> Path:
    """The cache folder of a source's synthetic LQ: keyed by what the source is (its name and
    :meth:`describe`: root folder, options), the preset + version, the seed and ``max_frames``.

    Not by the dataset's content: each clip's entry records the content hash of its whole GT
    clip (``source_hash``) and is remade when that changes, so a clip can be degraded as soon
    as it is decoded, before the other clips are read, and an edited clip remakes only itself.
    """
    from vfebench.utils import config_hash

    pr = build_preset(preset)
    mf = f"-max{max_frames}" if max_frames else ""
    return (
        cache_root()
        / "lq"
        / f"{source.name}-{config_hash(source.describe())[:16]}"
        / f"{pr.name}-v{pr.version}-seed{seed}{mf}"
    )


class SyntheticLQSet(LQSet):
    """Synthetic LQ made clip by clip, when a clip is first asked for (the run's stream).

    The GT comes from a :class:`~vfebench.datasets.base.ClipReader`, so the decode that gives a
    clip's content hash also feeds its degradation (and, in a run, its references): one decode
    per clip. A clip is reused when its entry in ``root`` is done for this preset, version, seed,
    ``max_frames`` and the same GT content; the LQ made now is kept in memory until another clip
    is asked for. A clip whose GT cannot be read or degraded is listed in :attr:`failed`.
    :meth:`write_manifest` writes ``root/manifest.json`` of the clips reached.
    """

    def __init__(
        self, source, preset: str, seed: int, root: Path, clip_ids: list[str], max_frames: int | None, reader
    ) -> None:
        super().__init__(clip_ids, self._read, {}, Path(root))
        self.source, self.reader = source, reader
        self.pr = build_preset(preset)
        self.seed, self.max_frames = int(seed), max_frames
        self._entries: dict[str, dict] = {}
        self._current: tuple[str, Clip] | None = None

    def entry(self, clip_id: str) -> dict | None:
        """The clip's entry (degrading it now unless done); None when its LQ cannot be made."""
        if clip_id in self._entries or clip_id in self.failed:
            return self._entries.get(clip_id)
        h, why = self.reader.hash_or_error(clip_id)
        if h is None:
            self.failed[clip_id] = str(why)
            return None
        assert self.root is not None  # a synthetic set always has its folder
        try:
            e, lq = degrade_clip(
                self.pr, self.seed, self.root, clip_id, self.max_frames, lambda: self.reader.load(clip_id), h
            )
        except ClipNotDegraded as exc:
            self.failed[clip_id] = exc.reason
            return None
        self._entries[clip_id] = e
        self._params[clip_id] = e["params"]
        if lq is not None:
            self._current = (clip_id, self._with_params(Clip(clip_id, lq.frames), clip_id))
        return e

    def _with_params(self, c: Clip, clip_id: str) -> Clip:
        """The LQ clip as a run sees it: the source frame rate and the sampled parameters."""
        assert self.root is not None
        params = self._params[clip_id]
        c.fps = params.get("fps", c.fps)
        c.meta["source"] = str(lq_clip_dir(self.root, clip_id))
        c.meta["degradation"] = params
        return c

    def _read(self, clip_id: str) -> Clip:
        if self._current is not None and self._current[0] == clip_id:
            return self._current[1]
        self._current = None
        assert self.root is not None
        return self._with_params(read_clip(lq_clip_dir(self.root, clip_id), clip_id), clip_id)

    def load(self, clip_id: str) -> Clip:
        """The LQ clip of ``clip_id``, degraded now (from its one GT decode) unless already made."""
        if clip_id in self.clip_ids:
            self.entry(clip_id)
        return super().load(clip_id)

    def known_hash(self, clip_id: str) -> str | None:
        """The LQ content hash without degrading anything: from this run's entries, or from
        the on-disk entry when it matches the preset, seed, ``max_frames`` and the GT's known
        content hash; else None."""
        if clip_id in self._entries:
            return self._entries[clip_id]["lq_hash"]
        h = self.source.known_clip_hash(clip_id) if clip_id in self.clip_ids else None
        if h is None or self.root is None:
            return None
        e = _read_entry(self.root / ".params" / f"{safe_name(clip_id)}.json")
        ok = _entry_ok(e, self.pr, self.seed, self.max_frames, h) and lq_clip_dir(self.root, clip_id).is_dir()
        return e["lq_hash"] if ok and e is not None else None

    def clip_hash(self, clip_id: str) -> str:
        """The LQ clip's content hash (degrading the clip now unless it is done)."""
        self._check(clip_id)
        e = self.entry(clip_id)
        if e is None:
            raise InputError(f"clip {clip_id!r}: no LQ input ({self.failed.get(clip_id, '?')})")
        return e["lq_hash"]

    def identity(self) -> dict[str, Any]:
        """The set's identity; it needs every clip, so each clip not reached yet is made now."""
        good = [cid for cid in self.clip_ids if self.entry(cid) is not None]
        return {
            "kind": "synthetic",
            "preset": self.pr.name,
            "version": self.pr.version,
            "seed": self.seed,
            "max_frames": self.max_frames,
            "source": self.source.name,
            "source_manifest": self.source.manifest_hash(),
            "lq_hashes": {cid: self._entries[cid]["lq_hash"] for cid in sorted(good)},
        }

    @property
    def kind(self) -> str:
        """Always ``synthetic``."""
        return "synthetic"

    def write_manifest(self) -> dict:
        """Write ``root/manifest.json`` of the set's clips (merged with earlier ones); a clip not
        reached yet is made now, and one that cannot be made is listed under ``failed``."""
        assert self.root is not None
        for cid in self.clip_ids:
            self.entry(cid)
        header = _header(self.source, self.pr, self.seed, self.max_frames)
        return write_manifest(
            self.root, header, self._entries, self.failed, self.pr, self.seed, self.max_frames
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
    reader=None,
    lazy: bool = False,
) -> LQSet:
    """The LQ inputs for a run.

    - ``preset`` given: synthetic LQ from the source's GT (a :class:`SyntheticLQSet`), written
      once under ``root`` (default: :func:`default_lq_root`); every clip is made now, or with
      ``lazy`` each clip when it is first asked for (then call its ``write_manifest`` at the end).
      ``reader`` (a :class:`~vfebench.datasets.base.ClipReader`) is where the GT clips and their
      hashes come from, so a caller that also needs the GT shares its decodes.
    - ``preset`` None: the source's own LQ — real-world clips of a no-GT source (``rfv``), or the
      LQ subset shipped with a GT source (``vfhq:…,lq=LQ``); otherwise an error asking for
      ``--preset``.
    """
    ids = list(clip_ids) if clip_ids is not None else source.clip_ids()
    if preset is not None:
        if not source.has_gt:
            raise InputError(
                f"dataset {source.name!r} has no ground truth (its clips are already LQ); "
                "synthetic degradation applies to GT clips only"
            )
        unknown = sorted(set(ids) - set(source.clip_ids()))
        if unknown:
            raise InputError(f"dataset {source.name!r} has no clips {unknown[:5]}")
        root = Path(root) if root else default_lq_root(source, preset, seed, max_frames)
        lqset = SyntheticLQSet(
            source, preset, seed, root, ids, max_frames, reader or ClipReader(source, max_frames)
        )
        if lazy:
            return lqset
        for cid in tqdm(sorted(ids), desc=f"degrade {preset}", unit="clip", disable=not progress):
            lqset.entry(cid)
            if on_clip is not None:
                on_clip()
        lqset.write_manifest()
        return lqset

    if not source.has_gt:

        def load_real(cid: str) -> Clip:
            if reader is not None:  # the clip the run has just hashed: no second decode
                return reader.load(cid)
            return source.load(cid, max_frames=max_frames)

        ident = {"kind": "real", "source": source.name, "max_frames": max_frames}
        # the whole source clip is the LQ clip, so its (cached) content hash is the LQ hash
        known = source.known_clip_hash if max_frames is None else None
        return LQSet(ids, load_real, ident, known=known, source=source)
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
        ident = {"kind": "shipped", "source": source.name, "max_frames": max_frames, "lq_hashes": lq_hashes}
        return LQSet(ids, load_shipped, ident, failed=failed, source=source)
    raise InputError(
        f"dataset {source.name!r} ships no LQ clips: choose a degradation preset with --preset "
        "(vfebench ls presets), e.g. --preset vfhq-x4 --seed 0"
    )
