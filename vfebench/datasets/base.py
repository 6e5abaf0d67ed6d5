"""Dataset sources: a named, versioned list of clips with an optional ground truth.

A :class:`Source` lists clip ids and loads clips on demand (``load`` reads one clip; nothing is
read at construction). ``has_gt`` says whether :meth:`Source.load` returns ground-truth clips
(VFHQ-test, demo) or only degraded inputs (RFV-LQ-style folders, where :meth:`Source.load`
returns the LQ clip itself). :meth:`Source.manifest_hash` identifies the content:
sha256 over ``id:content_hash`` lines, cached per file path/size/mtime.

A run decodes each clip once (:class:`ClipReader`): when the content hash of a clip is not known
yet, :meth:`Source.load_hashed` decodes the whole clip once, hashes it and hands back its first
``max_frames`` frames, so hashing, degrading and scoring share one decode.
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
        """Content hash of the whole clip (decodes it only when the hash is not known yet)."""
        known = self.known_clip_hash(clip_id)
        return known if known is not None else self.load_hashed(clip_id)[1]

    def hash_memo(self) -> dict[str, tuple[str | None, str | None]]:
        """This object's ``clip id → (content hash, why unreadable)`` memo (one per source object)."""
        return self.__dict__.setdefault("_hash_memo", {})

    def known_clip_hash(self, clip_id: str) -> str | None:
        """The content hash when it is known without decoding (this object's memo), else None."""
        got = self.hash_memo().get(clip_id)
        return got[0] if got is not None else None

    def remember_clip_hash(self, clip_id: str, content_hash: str) -> None:
        """Record the content hash of ``clip_id`` (computed from a decode made for another use)."""
        self.hash_memo()[clip_id] = (content_hash, None)

    def load_hashed(self, clip_id: str, max_frames: int | None = None) -> tuple[Clip, str]:
        """``(clip, content hash of the whole clip)`` from one decode.

        With the hash known, only the first ``max_frames`` frames are decoded; otherwise the whole
        clip is decoded once, hashed (and the hash remembered) and cut to ``max_frames``.
        """
        known = self.known_clip_hash(clip_id)
        if known is not None:
            return self.load(clip_id, max_frames), known
        clip = self.load(clip_id)
        h = clip.content_hash()
        self.remember_clip_hash(clip_id, h)
        if max_frames is not None and clip.num_frames > max_frames:
            clip = Clip(clip.id, clip.frames[:max_frames].copy(), clip.fps, clip.meta)
        return clip, h

    def clip_hash_or_error(self, clip_id: str) -> tuple[str | None, str | None]:
        """``(content hash, None)``, or ``(None, reason)`` when the clip cannot be read."""
        memo = self.hash_memo()
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


class ClipReader:
    """The clips of one source, one at a time: each decoded once for its hash and its frames.

    :meth:`hash_or_error` gives a clip's content hash (decoding it only when no hash is known,
    and then keeping the decoded clip); :meth:`load` gives its first ``max_frames`` frames, from
    the kept clip when it is the current one. Only the current clip is held, so memory stays at
    one clip; asking for another clip (or :meth:`release`) drops it.
    """

    def __init__(self, source: Source, max_frames: int | None = None) -> None:
        self.source, self.max_frames = source, max_frames
        self._current: tuple[str, Clip] | None = None

    def hash_or_error(self, clip_id: str) -> tuple[str | None, str | None]:
        """``(content hash, None)``, or ``(None, reason)`` when the clip cannot be read."""
        memo = self.source.hash_memo()
        if clip_id in memo:
            return memo[clip_id]
        if self.source.known_clip_hash(clip_id) is None:
            try:
                self.load(clip_id)  # one decode: the hash and the frames
            except Exception as exc:  # broad on purpose: an unreadable clip is that clip's failure
                memo[clip_id] = (None, f"{type(exc).__name__}: {exc}")
        return memo[clip_id]

    def load(self, clip_id: str) -> Clip:
        """The clip's first ``max_frames`` frames (decoded now unless it is the current clip)."""
        if self._current is None or self._current[0] != clip_id:
            self._current = None
            clip, _ = self.source.load_hashed(clip_id, self.max_frames)
            self._current = (clip_id, clip)
        return self._current[1]

    def release(self) -> None:
        """Drop the held clip (the next :meth:`load` decodes again)."""
        self._current = None


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

    def _hash_file(self, clip_id: str) -> tuple[Path, Path]:
        """``(clip path, its on-disk hash record)``: keyed by the clip's names, sizes and mtimes."""
        from vfebench.utils import cache_root

        p = self.clip_path(clip_id)
        key = hashlib.sha256(_stat_key(p).encode()).hexdigest()
        return p, cache_root() / "clip-hashes" / f"{key}.json"

    def known_clip_hash(self, clip_id: str) -> str | None:
        """From this object's memo, else from the on-disk record of an unchanged file (no decode)."""
        known = super().known_clip_hash(clip_id)
        if known is not None:
            return known
        try:
            h = json.loads(self._hash_file(clip_id)[1].read_text())["content_hash"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        super().remember_clip_hash(clip_id, h)
        return h

    def remember_clip_hash(self, clip_id: str, content_hash: str) -> None:
        """Remember it here and on disk (a later process reads it back without decoding)."""
        from vfebench.utils import atomic_write_text

        super().remember_clip_hash(clip_id, content_hash)
        p, record = self._hash_file(clip_id)
        try:
            atomic_write_text(record, json.dumps({"path": os.fspath(p), "content_hash": content_hash}))
        except OSError:
            pass
