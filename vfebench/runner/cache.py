"""The run cache: one object owning every path, key and lock of what a run stores.

Layout under the root (``<cache root>/runs`` or ``--cache DIR``)::

    restored/<method fingerprint>/<LQ + reference key>/<safe clip id>/frames/…png
    restored/<method fingerprint>/<LQ + reference key>/<safe clip id>/meta.json   (written last)
    scores/<metric name>-<metric identity>/<k[:2]>/<k>.json                         (per clip)
    scores/<metric name>-<metric identity>/set/<k>.json                            (set level)
    .locks/<sha256 of the entry path>.lock

Keys: a restored clip by the method fingerprint, the LQ clip's content hash and the reference
clip (GT content hash, clip id, max_frames); a score by the metric identity, the restored clip's
content hash, the reference clip and the seed. An entry is complete when its final file exists
(``meta.json`` for a restored clip, the JSON for a score); every file is written to a temp name
and renamed, so a reader never sees half an entry.

Concurrency: :meth:`RunCache.entry` takes an exclusive ``flock`` on the entry's lock file and
re-checks completeness, so two runs sharing a cache never compute (or write) the same entry
twice; the second waits and reads the first's result. A complete entry is read without a lock,
so a read-only cache works when everything needed is already there.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from vfebench.errors import StorageError
from vfebench.utils import cache_root, config_hash, file_lock, safe_name, sha256_text

#: errno values that mean "this storage cannot take the write" (not a bug, not bad input)
STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS})


def storage_error(exc: OSError, path: str | os.PathLike | None = None) -> StorageError:
    """A one-line :class:`StorageError` naming the path and the fix for an ``OSError``."""
    where = os.fspath(path) if path is not None else (exc.filename or "?")
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        fix = "free some space there, or point --out / --cache / $VFEBENCH_CACHE at a disk with room"
    elif exc.errno == errno.EROFS:
        fix = "the file system is read-only; use a writable --out / --cache / $VFEBENCH_CACHE"
    else:
        fix = (
            "make it writable (check owner/permissions), or choose another --out / --cache / $VFEBENCH_CACHE"
        )
    return StorageError(f"cannot write {where}: {os.strerror(exc.errno or 0)}; {fix}")


def is_storage_error(exc: BaseException) -> bool:
    """True for an ``OSError`` whose errno means the storage refused the write.

    That is disk full, quota exceeded, permission denied, operation not permitted or read-only
    file system (:data:`STORAGE_ERRNOS`): the cases :func:`storage_error` turns into a
    :class:`StorageError`. Any other exception, ``OSError`` or not, gives False.
    """
    return isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``, or None when it is missing or unreadable."""
    try:
        d = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    return d if isinstance(d, dict) else None


class RunCache:
    """Paths, keys and per-entry locks of the run cache (see the module docstring)."""

    def __init__(self, root: str | os.PathLike | None = None) -> None:
        self.root = Path(root) if root else cache_root() / "runs"

    # -- keys and paths ------------------------------------------------------------------
    @staticmethod
    def reference_key(gt_hash: str | None, clip_id: str, max_frames: int | None) -> str | None:
        """Identity of a reference clip (GT content hash, clip id, max_frames); None without GT."""
        if gt_hash is None:
            return None
        return config_hash({"gt": gt_hash, "clip": clip_id, "max_frames": max_frames})

    def restored_dir(self, fingerprint_hash: str, lq_hash: str, ref_key: str | None, clip_id: str) -> Path:
        """Folder of one restored clip: ``restored/<fingerprint>/<key>/<safe clip id>``.

        ``key`` hashes the LQ clip's content hash with the reference key
        (:meth:`reference_key`, None without GT); the clip id is made file-name safe. The folder
        holds ``frames/`` and ``meta.json`` (the completeness marker); nothing is created here.
        """
        key = config_hash({"lq": lq_hash, "ref": ref_key})
        return self.root / "restored" / fingerprint_hash / key / safe_name(clip_id)

    @staticmethod
    def _metric_dir(metric_id: dict[str, Any]) -> str:
        return f"{metric_id['name']}-{config_hash(metric_id)}"

    def score_file(
        self, metric_id: dict[str, Any], restored_hash: str, ref_key: str | None, seed: int
    ) -> Path:
        """JSON file of one per-clip score: ``scores/<name>-<identity hash>/<k[:2]>/<k>.json``.

        ``metric_id``: the metric's identity dict (with its ``name``); ``k`` is a 32-hex-digit
        hash of the restored clip's content hash, the reference key and the seed. Not created
        here.
        """
        k = config_hash({"pred": restored_hash, "ref": ref_key, "seed": seed}, n=32)
        return self.root / "scores" / self._metric_dir(metric_id) / k[:2] / f"{k}.json"

    def set_score_file(self, metric_id: dict[str, Any], clips: list, seed: int) -> Path:
        """JSON file of one set-level score: ``scores/<name>-<identity hash>/set/<k>.json``.

        ``clips``: a JSON-able list identifying the set, in order (the engine passes one
        ``(clip id, restored hash, reference key)`` triple per clip); ``k`` is a 32-hex-digit
        hash of it and the seed. Not created here.
        """
        k = config_hash({"clips": clips, "seed": seed}, n=32)
        return self.root / "scores" / self._metric_dir(metric_id) / "set" / f"{k}.json"

    # -- locking -------------------------------------------------------------------------
    def lock_file(self, entry: Path) -> Path:
        """Lock file of ``entry``: ``.locks/<first 32 hex digits of sha256(entry path)>.lock``.

        The path is hashed as given (not resolved), so callers build entries from this cache's
        own path methods; :meth:`lock` creates the file.
        """
        return self.root / ".locks" / f"{sha256_text(os.fspath(entry))[:32]}.lock"

    @contextlib.contextmanager
    def lock(self, entry: Path) -> Iterator[None]:
        """Exclusive lock on ``entry`` across processes (``flock``; released on exit or death)."""
        lf = self.lock_file(entry)
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(file_lock(lf))
            except OSError as exc:  # taking the lock; errors of the body pass through unchanged
                if is_storage_error(exc):
                    raise storage_error(exc, lf) from exc
                raise
            yield

    @contextlib.contextmanager
    def entry(self, done: Path) -> Iterator[bool]:
        """``with cache.entry(final_file) as ready:`` — ``ready`` True: it exists, read it.

        False: this process holds the entry's lock and must compute and write it before the
        block ends (another process asking for the same entry waits, then sees it ready).
        """
        if done.exists():
            yield True
            return
        with self.lock(done):
            yield done.exists()
