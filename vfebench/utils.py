"""Small shared helpers: optional-dependency checks, atomic writes, hashing, seeding."""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vfebench.errors import MissingDependencyError


@dataclass(frozen=True)
class OptionalModule:
    """One optional dependency: its PyPI distribution and the pip extras that install it.

    ``extras[0]`` is the extra an error message names; ``checked``: whether each of ``extras``
    counts as unusable without it (:func:`missing_modules`; some modules are needed only by one
    backend of a metric, so their absence is reported when that backend loads them).
    """

    dist: str
    extras: tuple[str, ...]
    checked: bool = True


#: The one table of optional dependencies (import name → :class:`OptionalModule`). The maps
#: below are derived from it, and a test checks pyproject's ``[project.optional-dependencies]``
#: against it (tests/vfebench/test_extras_table.py).
OPTIONAL_MODULES: dict[str, OptionalModule] = {
    "torch": OptionalModule("torch", ("iqa", "torch", "pyiqa", "face", "video", "vividface", "torchmetrics")),
    "torchvision": OptionalModule("torchvision", ("iqa", "torch")),
    "lpips": OptionalModule("lpips", ("iqa",)),
    "pyiqa": OptionalModule("pyiqa", ("pyiqa",)),
    "facenet_pytorch": OptionalModule("facenet-pytorch", ("face",)),
    "mediapipe": OptionalModule("mediapipe", ("face",)),
    "onnxruntime": OptionalModule("onnxruntime", ("face",), checked=False),
    "face_alignment": OptionalModule("face-alignment", ("face",), checked=False),
    "dlib": OptionalModule("dlib-bin", ("dlib",)),
    "diffusers": OptionalModule("diffusers", ("vividface",)),
    "accelerate": OptionalModule("accelerate", ("vividface",), checked=False),
    "safetensors": OptionalModule("safetensors", ("iqa",), checked=False),
    "matplotlib": OptionalModule("matplotlib", ("report",)),
    "jinja2": OptionalModule("jinja2", ("report",), checked=False),
    "torchmetrics": OptionalModule("torchmetrics", ("torchmetrics",)),
}

#: extra (pip install 'vfebench[EXTRA]') named for each optional module (derived)
EXTRA_OF: dict[str, str] = {m: o.extras[0] for m, o in OPTIONAL_MODULES.items()}

#: modules each pip extra provides, checked with find_spec without importing them (derived)
EXTRA_MODULES: dict[str, tuple[str, ...]] = {
    e: tuple(m for m, o in OPTIONAL_MODULES.items() if o.checked and e in o.extras)
    for e in dict.fromkeys(e for o in OPTIONAL_MODULES.values() for e in o.extras)
}


def missing_modules(extra: str) -> list[str]:
    """Modules of the pip extra ``extra`` that are not installed (nothing is imported)."""
    import importlib.util

    out = []
    for m in EXTRA_MODULES.get(extra, ()):
        try:
            if importlib.util.find_spec(m) is None:
                out.append(m)
        except (ImportError, ValueError):
            out.append(m)
    return out


def require(module: str, extra: str | None = None, purpose: str = ""):
    """Import an optional dependency or raise :class:`MissingDependencyError` with the fix."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        extra = extra or EXTRA_OF.get(module, "all")
        what = f" (needed for {purpose})" if purpose else ""
        raise MissingDependencyError(
            f"the optional dependency {module!r} is not installed{what}: "
            f"pip install 'vfebench[{extra}]'  ({exc})"
        ) from exc


def hash_file(h: Any, path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Feed the file at ``path`` into the hashlib object ``h`` in chunks; its hex digest."""
    with open(path, "rb") as f:
        while b := f.read(chunk):
            h.update(b)
    return h.hexdigest()


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file."""
    return hash_file(hashlib.sha256(), path, chunk)


def sha256_text(text: str) -> str:
    """Hex sha256 of ``text`` encoded as UTF-8."""
    return hashlib.sha256(text.encode()).hexdigest()


def stable_json(obj: Any) -> str:
    """Canonical JSON (sorted keys, no whitespace) used for hashing configs."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def config_hash(obj: Any, n: int = 16) -> str:
    """First ``n`` hex digits of the sha256 of ``obj``'s canonical JSON (:func:`stable_json`)."""
    return sha256_text(stable_json(obj))[:n]


def seed_from(*parts: Any) -> int:
    """A 64-bit seed derived only from ``parts`` (never from global state or order)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "little")


@contextlib.contextmanager
def atomic_path(final: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temp path next to ``final``; rename it onto ``final`` only on success."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=suffix or ".tmp", dir=final.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, final)
    except OSError as exc:
        if exc.filename is None:  # e.g. ENOSPC from write(): name the file for the message
            exc.filename = os.fspath(final)
        raise
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` through a temp file renamed on success (readers never see half a file)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def atomic_write_json(path: str | os.PathLike, obj: Any) -> None:
    """Atomically write ``obj`` as indented JSON (non-JSON values via ``str``) plus a newline."""
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n")


@contextlib.contextmanager
def atomic_dir(final: str | os.PathLike) -> Iterator[Path]:
    """Yield a temp directory next to ``final``; it replaces ``final`` only on success."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    try:
        yield tmp
        if final.exists():
            old = final.with_name(f".{final.name}.old{os.getpid()}")
            os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
    except OSError as exc:
        if exc.filename is None:
            exc.filename = os.fspath(final)
        raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def cache_root() -> Path:
    """Root of vfebench's caches (``$VFEBENCH_CACHE`` or ``~/.cache/vfebench``)."""
    env = os.environ.get("VFEBENCH_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "vfebench"


_UNSAFE = re.compile(r"[^A-Za-z0-9._+=-]")
#: names that file layouts use next to clip folders (a clip id equal to one gets a hash suffix)
RESERVED_NAMES = frozenset({"manifest.json", "meta.json", "frames", "run.json", "config.json"})


def safe_name(clip_id: str) -> str:
    """A file-system-safe, unique folder name for a clip id.

    Ids made only of ``A-Z a-z 0-9 . _ + = -`` that do not start with a dot and are not a
    layout name (:data:`RESERVED_NAMES`) are kept as they are; anything else (``../x``, ``a/b``,
    ``.hidden``, ``manifest.json``, non-ASCII) is replaced character by character and suffixed
    with 8 hex of the id's sha256, so two different ids never share a folder and nothing is
    written outside the folder it belongs in.
    """
    s = _UNSAFE.sub("_", str(clip_id))
    if s != clip_id or s.startswith(".") or s in RESERVED_NAMES or not s:
        s = f"{s.lstrip('.')}-{sha256_text(str(clip_id))[:8]}"
    return s


@contextlib.contextmanager
def file_lock(lock_path: str | os.PathLike) -> Iterator[None]:
    """Exclusive ``flock`` on ``lock_path`` (created if missing) across processes.

    The kernel releases it when the holder exits or dies, so a killed run never leaves a stale
    lock. The one lock primitive of the LQ sets and the run cache.
    """
    import fcntl

    lf = Path(lock_path)
    lf.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lf, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
