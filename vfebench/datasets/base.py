"""Dataset sources: a named, versioned list of clips with an optional ground truth.

A :class:`Source` lists clip ids and loads clips on demand (``load`` reads one clip; nothing is
read at construction). ``has_gt`` says whether :meth:`Source.load` returns ground-truth clips
(VFHQ-test, demo) or only degraded inputs (RFV-LQ-style folders, where :meth:`Source.load`
returns the LQ clip itself). :meth:`Source.manifest_hash` identifies the content:
sha256 over ``id:content_hash`` lines, cached per file path/size/mtime.
"""

from __future__ import annotations

import abc
import hashlib
import json
import os
from pathlib import Path
from typing import ClassVar

from vfebench.video import Clip


class Source(abc.ABC):
    name: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    has_gt: ClassVar[bool] = True

    @abc.abstractmethod
    def clip_ids(self) -> list[str]:
        """Clip ids in a stable order."""

    @abc.abstractmethod
    def load(self, clip_id: str, max_frames: int | None = None) -> Clip:
        """Ground-truth clip (or the LQ clip when ``has_gt`` is False)."""

    def load_lq(self, clip_id: str, max_frames: int | None = None) -> Clip | None:
        """A shipped LQ clip for ``clip_id`` (None when the dataset ships no LQ)."""
        return None

    def describe(self) -> dict:
        """JSON-able description for the run record: ``name``, ``version``, ``has_gt`` (subclasses add their
        settings)."""
        return {"name": self.name, "version": self.version, "has_gt": self.has_gt}

    def clip_hash(self, clip_id: str) -> str:
        """Content hash of one clip (:meth:`Clip.content_hash` of the loaded frames); raises what ``load``
        raises."""
        return self.load(clip_id).content_hash()

    def clip_hash_or_error(self, clip_id: str) -> tuple[str | None, str | None]:
        """``(content hash, None)``, or ``(None, reason)`` when the clip cannot be read."""
        memo = self.__dict__.setdefault("_hash_memo", {})
        if clip_id not in memo:
            try:
                memo[clip_id] = (self.clip_hash(clip_id), None)
            except Exception as exc:  # broad on purpose: an unreadable clip is that clip's failure
                memo[clip_id] = (None, f"{type(exc).__name__}: {exc}")
        return memo[clip_id]

    def manifest_lines(self) -> list[str]:
        """``id:content_hash`` per clip (``id:unreadable`` for a clip that cannot be read)."""
        return [f"{cid}:{self.clip_hash_or_error(cid)[0] or 'unreadable'}" for cid in self.clip_ids()]

    def manifest_hash(self) -> str:
        """Hex sha256 over :meth:`manifest_lines` joined by newlines: identifies the dataset's content."""
        return hashlib.sha256("\n".join(self.manifest_lines()).encode()).hexdigest()

    def __len__(self) -> int:
        return len(self.clip_ids())


def _stat_key(path: Path) -> str:
    """Cheap identity of a file or frame folder (names, sizes, mtimes)."""
    if path.is_file():
        st = path.stat()
        return f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    parts = [str(path.resolve())]
    for p in sorted(path.iterdir()):
        if p.is_file():
            st = p.stat()
            parts.append(f"{p.name}|{st.st_size}|{st.st_mtime_ns}")
    return "\n".join(parts)


class PathSource(Source):
    """A source whose clips are files or frame folders on disk; clip hashes are cached."""

    @abc.abstractmethod
    def clip_path(self, clip_id: str) -> Path:
        """The file or frame folder of ``clip_id``."""

    def clip_hash(self, clip_id: str) -> str:
        """Content hash of one clip, cached under ``<cache root>/clip-hashes`` keyed by path, sizes and
        mtimes.

        A stale or unreadable cache entry is recomputed; a cache that cannot be written is skipped.
        """
        from vfebench.utils import atomic_write_text, cache_root

        p = self.clip_path(clip_id)
        key = hashlib.sha256(_stat_key(p).encode()).hexdigest()
        cache = cache_root() / "clip-hashes" / f"{key}.json"
        try:
            return json.loads(cache.read_text())["content_hash"]
        except (OSError, ValueError, KeyError):
            pass
        h = self.load(clip_id).content_hash()
        try:
            atomic_write_text(cache, json.dumps({"path": os.fspath(p), "content_hash": h}))
        except OSError:
            pass
        return h
