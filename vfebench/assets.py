"""Pinned weights ("assets"): declared once, verified by sha256, cached in one directory.

Every weights file that a metric or method needs is an :class:`Asset` with its source URLs,
sha256, size, licence and the components that use it. Assets live in one cache directory:
``$VFEBENCH_ASSETS`` if set, else ``<cache root>/assets`` (cache root: ``$VFEBENCH_CACHE`` or
``~/.cache/vfebench``). Files are found by their pinned file name in that directory.

- ``fetch``: download to a temp file, verify sha256, then rename (never a half-written file).
- ``import_dir``: the air-gapped route: copy files from a folder the user brought over, verifying
  each hash.
- Offline mode (``VFEBENCH_OFFLINE=1``) forbids downloads.
- :func:`asset_path` returns a verified local path or raises
  :class:`~vfebench.errors.MissingAssetError` naming the file, where it is expected and the
  command that gets it. Hashes of big files are cached in a ``<file>.sha256`` sidecar keyed by
  size and mtime, so a verified file is not re-hashed on every run.

Each weights file is declared next to the component that needs it: the module of every
registered metric and method defines ``ASSETS: list[Asset]`` (plus :data:`CATALOG_MODULES` for a
package whose components share theirs); :func:`catalog` collects them. Loading code must never unpickle arbitrary objects: use
:func:`load_torch_state_dict` (``weights_only=True`` / safetensors).
"""

from __future__ import annotations

import http.client
import importlib
import json
import os
import shutil
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vfebench.errors import AssetHashError, MissingAssetError, UnknownNameError
from vfebench.registry import did_you_mean
from vfebench.utils import atomic_path, cache_root, sha256_file

#: packages whose weights several components share (a method, its trainer and its CLI), so they
#: declare them in one module of their own; every metric and method otherwise declares its
#: ``ASSETS`` in its own module, found through the registries (:func:`catalog`)
CATALOG_MODULES = ("vividface.assets",)


@dataclass(frozen=True)
class Asset:
    """One pinned weights file.

    Attributes:
        name: catalogue key (e.g. ``"arcface_ir_se50"``).
        filename: file name inside the asset directory.
        urls: source URLs, tried in order.
        sha256: expected hex digest; ``""`` only if it could not be confirmed (``notes`` says why).
        size: expected size in bytes (0 = unknown).
        licence: licence of the weights.
        users: components that need it (metric or method names).
        notes: provenance of the hash and anything a user should know.
    """

    name: str
    filename: str
    urls: tuple[str, ...]
    sha256: str
    size: int = 0
    licence: str = "unknown"
    users: tuple[str, ...] = ()
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


def asset_dir() -> Path:
    """Folder holding the downloaded assets: ``$VFEBENCH_ASSETS`` if set, else ``<cache root>/assets``."""
    env = os.environ.get("VFEBENCH_ASSETS")
    return Path(env).expanduser() if env else cache_root() / "assets"


def offline() -> bool:
    """Whether ``$VFEBENCH_OFFLINE`` is set to something other than empty/0/false/no (no downloads)."""
    return os.environ.get("VFEBENCH_OFFLINE", "").lower() not in ("", "0", "false", "no")


_CATALOG: dict[str, Asset] | None = None
_EXTRA: dict[str, Asset] = {}


def register_asset(asset: Asset) -> None:
    """Add an asset at run time (tests, plug-ins)."""
    _EXTRA[asset.name] = asset
    if _CATALOG is not None:
        _CATALOG[asset.name] = asset


def catalog() -> dict[str, Asset]:
    """All declared assets by name (imports only the light catalogue modules)."""
    global _CATALOG
    if _CATALOG is None:
        cat: dict[str, Asset] = {}
        for mod in _component_modules() + list(CATALOG_MODULES):
            try:
                m = importlib.import_module(mod)
            except ModuleNotFoundError as exc:
                if exc.name == mod:
                    continue
                raise
            for a in getattr(m, "ASSETS", []):
                cat[a.name] = a
        cat.update(_EXTRA)
        _CATALOG = cat
    return _CATALOG


def _component_modules() -> list[str]:
    """Modules of every registered metric and method (where each declares its ``ASSETS``)."""
    from vfebench.methods import METHODS
    from vfebench.metrics import METRICS

    out: list[str] = []
    for reg in (METRICS, METHODS):
        for n in reg.names():
            target = reg.target(n)
            if target.startswith("<"):  # registered as an object (<object …>): its class's module
                obj = reg.get(n)
                mod = getattr(obj, "__module__", "")
            else:
                mod = target.partition(":")[0]
            if mod and mod not in out:
                out.append(mod)
    return out


def get_asset(name: str) -> Asset:
    """The catalogue entry called ``name``; ``UnknownNameError`` with a did-you-mean otherwise."""
    cat = catalog()
    if name not in cat:
        raise UnknownNameError(
            f"unknown asset {name!r}.{did_you_mean(name, list(cat))} (vfebench assets list)"
        )
    return cat[name]


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def file_sha256(path: Path) -> str:
    """sha256 of ``path``, cached in a sidecar keyed by (size, mtime_ns)."""
    st = path.stat()
    key = {"size": st.st_size, "mtime_ns": st.st_mtime_ns}
    side = _sidecar(path)
    try:
        data = json.loads(side.read_text())
        if data.get("size") == key["size"] and data.get("mtime_ns") == key["mtime_ns"]:
            return data["sha256"]
    except (OSError, ValueError, KeyError):
        pass
    digest = sha256_file(path)
    try:
        with atomic_path(side) as tmp:
            tmp.write_text(json.dumps({**key, "sha256": digest}))
    except OSError:
        pass
    return digest


def _missing_message(a: Asset, where: Path) -> str:
    return (
        f"missing weights {a.filename!r} (asset {a.name!r}, used by {', '.join(a.users) or '-'}): "
        f"expected at {where}. Get it with `vfebench assets fetch {a.name}` on a connected "
        f"machine, or copy it into a folder and run `vfebench assets import DIR` "
        f"(set VFEBENCH_ASSETS to use another asset directory)."
    )


def asset_path(name: str, verify: bool = True) -> Path:
    """Local path of a verified asset, or MissingAssetError / AssetHashError with the fix."""
    a = get_asset(name)
    p = asset_dir() / a.filename
    if not p.is_file():
        raise MissingAssetError(_missing_message(a, p))
    if verify and a.sha256:
        got = file_sha256(p)
        if got != a.sha256:
            raise AssetHashError(
                f"{p}: sha256 {got} does not match the pinned {a.sha256} for asset {a.name!r}; "
                f"delete it and run `vfebench assets fetch {a.name}` or `vfebench assets import DIR`"
            )
    return p


def is_present(name: str) -> bool:
    """Whether the asset's file is in :func:`asset_dir` and matches its pinned sha256, if one is pinned.

    Never downloads.
    """
    try:
        asset_path(name)
        return True
    except (MissingAssetError, AssetHashError):
        return False


def asset_hash(name: str) -> str:
    """Hash recorded in results for an asset that is present (the verified file's sha256)."""
    p = asset_path(name)
    return file_sha256(p)


def fetch(name: str, force: bool = False, timeout: float = 60.0) -> Path:
    """Download an asset (temp file → verify → rename). Honours offline mode."""
    a = get_asset(name)
    dest = asset_dir() / a.filename
    if dest.is_file() and not force:
        return asset_path(name)
    if offline():
        raise MissingAssetError(
            f"offline mode (VFEBENCH_OFFLINE) forbids downloading {a.filename!r}; "
            f"use `vfebench assets import DIR`. {_missing_message(a, dest)}"
        )
    errors = []
    for url in a.urls:
        try:
            download_verified(url, dest, a.sha256 or None, timeout=timeout)
            return dest
        except (OSError, http.client.HTTPException, ValueError, AssetHashError) as exc:  # next mirror
            errors.append(f"{url}: {exc}")
    raise MissingAssetError(f"could not download asset {a.name!r}: " + "; ".join(errors))


def download_verified(url: str, dest: str | os.PathLike, sha256: str | None, timeout: float = 60.0) -> str:
    """Download ``url`` to ``dest`` (temp file → sha256 check → rename); return the file's sha256.

    With ``sha256`` given, a mismatching download raises :class:`AssetHashError` and ``dest`` is
    left untouched. Any scheme ``urllib`` opens works (``https://``, ``file://``).
    """
    with atomic_path(dest, suffix=".part") as tmp:
        with urllib.request.urlopen(url, timeout=timeout) as r, open(tmp, "wb") as f:
            shutil.copyfileobj(r, f, 1 << 20)
        got = sha256_file(tmp)
        if sha256 and got != sha256:
            raise AssetHashError(f"{url}: sha256 {got} != pinned {sha256}")
    return got


def import_dir(src: str | os.PathLike, names: list[str] | None = None) -> dict[str, str]:
    """Copy pinned files found in ``src`` (searched recursively by file name) into the cache.

    Returns ``{asset name: status}`` with status ``imported``, ``present``, ``absent`` or
    ``hash mismatch (<got>)``. Nothing with a wrong hash is copied.
    """
    src = Path(src)
    if not src.is_dir():
        raise MissingAssetError(f"{src}: not a directory (vfebench assets import DIR)")
    by_name: dict[str, list[Path]] = {}
    for p in src.rglob("*"):
        if p.is_file():
            by_name.setdefault(p.name, []).append(p)
    status = {}
    for a in catalog().values():
        if names and a.name not in names:
            continue
        cands = by_name.get(a.filename, [])
        if not cands:
            status[a.name] = "absent"
            continue
        result = None
        for c in cands:
            got = sha256_file(c)
            if a.sha256 and got != a.sha256:
                result = f"hash mismatch ({got[:12]}…)"
                continue
            dest = asset_dir() / a.filename
            if dest.is_file() and file_sha256(dest) == got:
                result = "present"
                break
            with atomic_path(dest, suffix=".part") as tmp:
                shutil.copyfile(c, tmp)
            result = "imported"
            break
        status[a.name] = result or "absent"
    return status


def verify_all() -> dict[str, str]:
    """``{name: ok | missing | mismatch | unpinned}`` for every catalogue entry."""
    out = {}
    for a in catalog().values():
        p = asset_dir() / a.filename
        if not p.is_file():
            out[a.name] = "missing"
        elif not a.sha256:
            out[a.name] = "unpinned"
        else:
            out[a.name] = "ok" if file_sha256(p) == a.sha256 else "mismatch"
    return out


def is_torchscript_archive(path: str | os.PathLike) -> bool:
    """True for a TorchScript zip archive (has ``constants.pkl`` and ``code/``), e.g. OpenAI's CLIP ``.pt``."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
    except (zipfile.BadZipFile, OSError):
        return False
    return any(n.endswith("/constants.pkl") for n in names) and any("/code/" in n for n in names)


def load_torch_state_dict(path: str | os.PathLike, map_location: str = "cpu") -> dict[str, Any]:
    """Load a state dict without unpickling arbitrary objects.

    ``.safetensors`` files go through safetensors; other files through
    ``torch.load(weights_only=True)`` (tensors and plain containers only). A TorchScript
    archive (OpenAI's CLIP checkpoints) is read with ``torch.jit.load``, whose restricted
    unpickler only builds TorchScript types and never runs Python code, and its
    ``state_dict()`` is returned (non-tensor attributes dropped).
    """
    path = Path(path)
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path), device=map_location)
    import torch

    if is_torchscript_archive(path):
        try:
            module = torch.jit.load(str(path), map_location=map_location)
        except Exception as exc:  # broad on purpose: torch.jit.load raises many types for a bad file
            raise AssetHashError(f"{path}: not a readable TorchScript archive ({exc})") from exc
        return {k: v for k, v in module.state_dict().items() if isinstance(v, torch.Tensor)}
    try:
        return torch.load(str(path), map_location=map_location, weights_only=True)
    except Exception as exc:  # broad on purpose: torch.load raises many types for a bad file
        raise AssetHashError(
            f"{path}: refusing to load: not a plain tensor state dict ({exc}). vfebench never "
            "unpickles arbitrary objects."
        ) from exc


def git_blob_sha1(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Git's object id of a file: sha1 over ``b"blob <size>\\0" + content``."""
    import hashlib

    from vfebench.utils import hash_file

    h = hashlib.sha1()
    h.update(f"blob {Path(path).stat().st_size}\0".encode())
    return hash_file(h, path, chunk)


def verify_git_blob(name: str, path: str | os.PathLike) -> None:
    """When asset ``name`` has no sha256 but a pinned git blob id (``extra["git_blob_sha1"]``),
    check ``path`` against it."""
    a = get_asset(name)
    want = a.extra.get("git_blob_sha1") if not a.sha256 else None
    if not want:
        return
    got = git_blob_sha1(path)
    if got != want:
        raise AssetHashError(
            f"{path}: git blob id {got} does not match the pinned {want} for asset {name!r}; delete it "
            f"and run `vfebench assets fetch {name}` or `vfebench assets import DIR`"
        )
