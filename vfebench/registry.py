"""Lazy, typed registries: ``name -> "module:attr"`` resolved on first use.

Importing a registry imports nothing heavy; :meth:`Registry.get` imports the target module only
when the component is asked for. A miss raises :class:`~vfebench.errors.UnknownNameError` with
close matches ("did you mean ...").

Where entries come from (shown by ``vfebench ls``, :meth:`Registry.origin`):

- ``builtin``: the core's own table (``vfebench/methods/__init__.py`` ...);
- ``entry point <dist>``: the registry's entry-point group (``vfebench.methods``,
  ``vfebench.metrics``, ``vfebench.datasets``) of every installed distribution, read once, on the
  first lookup (:func:`importlib.metadata.entry_points`; nothing is imported until asked for).
  vfebench's own entries (``baselines``, ``vividface``) are declared in its ``pyproject.toml``;
  when vfebench is imported from a source checkout, that file is read instead of the installed
  metadata (which may be stale: an editable install from another checkout);
- ``VFEBENCH_PLUGINS <module>``: registered by a module named in ``$VFEBENCH_PLUGINS`` while
  :func:`load_env_plugins` imports it;
- ``register() in <module>``: any other :meth:`Registry.register` call.

Every entry is checked against the registry's base class (``base``, ``"module:Class"``) when
it is registered as an object, and when a lazy entry is first imported: a wrong type is an
:class:`~vfebench.errors.InputError` naming the entry, its origin and the expected base.
"""

from __future__ import annotations

import difflib
import importlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Generic, TypeVar

from vfebench.errors import InputError, UnknownNameError

T = TypeVar("T")

#: the module of $VFEBENCH_PLUGINS being imported right now (its registrations get its name)
_loading_plugin: list[str] = []


def did_you_mean(name: str, choices: list[str] | tuple[str, ...]) -> str:
    """Return ``" Did you mean 'x'?"`` for the closest choice, or ``""``."""
    close = difflib.get_close_matches(name, list(choices), n=3, cutoff=0.5)
    if not close:
        return ""
    return " Did you mean " + " or ".join(repr(c) for c in close) + "?"


def import_target(target: str):
    """Import ``"package.module:attr"`` and return the attribute."""
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    if not attr:
        return module
    obj: Any = module
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def load_env_plugins() -> list[str]:
    """Import the modules named in ``$VFEBENCH_PLUGINS`` (comma-separated), once each.

    A plugin registers its own components at import time (``METHODS.register("mine", Mine)``);
    those entries are listed with the origin ``VFEBENCH_PLUGINS <module>``.
    """
    names = [n.strip() for n in os.environ.get("VFEBENCH_PLUGINS", "").split(",") if n.strip()]
    for n in names:
        if n in sys.modules:
            continue
        _loading_plugin.append(n)
        try:
            importlib.import_module(n)
        except ImportError as exc:
            raise InputError(f"VFEBENCH_PLUGINS: cannot import {n!r} ({exc})") from exc
        finally:
            _loading_plugin.pop()
    return names


def _source_pyproject() -> Path | None:
    """``pyproject.toml`` of the source checkout vfebench is imported from (None if installed)."""
    p = Path(__file__).resolve().parent.parent / "pyproject.toml"
    if not p.is_file():
        return None
    try:
        import tomllib
    except ImportError:  # Python 3.10: fall back to the installed metadata
        return None
    try:
        name = tomllib.loads(p.read_text()).get("project", {}).get("name")
    except (OSError, ValueError):
        return None
    return p if name == "vfebench" else None


def entry_point_targets(group: str) -> list[tuple[str, str, str]]:
    """``[(name, "module:attr", origin)]`` of an entry-point group, over every distribution."""
    from importlib.metadata import entry_points

    out: list[tuple[str, str, str]] = []
    own = _source_pyproject()
    if own is not None:
        import tomllib

        table = tomllib.loads(own.read_text()).get("project", {}).get("entry-points", {}).get(group, {})
        out += [(n, str(t), "entry point vfebench (pyproject.toml)") for n, t in table.items()]
    for ep in entry_points(group=group):
        dist = getattr(getattr(ep, "dist", None), "name", None) or "?"
        if own is not None and dist.replace("_", "-").lower() == "vfebench":
            continue  # the checkout's own pyproject wins over a (possibly stale) installed copy
        out.append((ep.name, ep.value, f"entry point {dist}"))
    return out


class Registry(Generic[T]):
    """A mapping from component names to lazily imported objects.

    ``kind`` is used in error messages ("unknown metric 'x'"); ``hint`` tells the user how to
    list what exists (e.g. ``vfebench ls metrics``); ``group`` is the entry-point group read on
    first use; ``base`` (``"module:Class"``) is the class every entry must be (a subclass of).
    """

    def __init__(
        self,
        kind: str,
        entries: dict[str, str] | None = None,
        hint: str = "",
        *,
        group: str | None = None,
        base: str | None = None,
    ) -> None:
        self.kind = kind
        self.hint = hint
        self.group = group
        self.base = base
        self._targets: dict[str, str] = dict(entries or {})
        self._origins: dict[str, str] = dict.fromkeys(self._targets, "builtin")
        self._loaded: dict[str, T] = {}
        self._scanned = group is None

    # ---------------------------------------------------------------- entry points
    def _scan(self) -> None:
        if self._scanned:
            return
        self._scanned = True
        assert self.group is not None
        for name, target, origin in entry_point_targets(self.group):
            if name in self._targets:
                if self._targets[name] != target:
                    print(
                        f"vfebench: {self.kind} {name!r} from {origin} ({target}) ignored: the name is "
                        f"already taken by {self._origins.get(name, 'register()')} ({self._targets[name]})",
                        file=sys.stderr,
                    )
                continue
            self._targets[name] = target
            self._origins[name] = origin

    # ---------------------------------------------------------------- registration
    def _check_type(self, name: str, obj: Any, origin: str) -> None:
        if self.base is None:
            return
        base = import_target(self.base)
        if not (isinstance(obj, type) and issubclass(obj, base)):
            what = obj.__name__ if isinstance(obj, type) else type(obj).__name__ + " instance"
            raise InputError(
                f"{self.kind} {name!r} ({origin}) is {what}, not a subclass of "
                f"{self.base.replace(':', '.')}; a {self.kind} must derive from it"
            )

    def register(
        self, name: str, target: str | T, *, overwrite: bool = False, origin: str | None = None
    ) -> None:
        """Add ``name``; ``target`` is ``"module:attr"`` or the class itself (type-checked now)."""
        self._scan()
        if name in self._targets and not overwrite:
            raise InputError(
                f"{self.kind} {name!r} is already registered ({self._origins.get(name, 'register()')})"
            )
        if origin is None:
            if _loading_plugin:
                origin = f"VFEBENCH_PLUGINS {_loading_plugin[-1]}"
            else:
                caller = sys._getframe(1).f_globals.get("__name__", "?")
                origin = f"register() in {caller}"
        if isinstance(target, str):
            self._targets[name] = target
            self._loaded.pop(name, None)
        else:
            self._check_type(name, target, origin)
            self._targets[name] = f"<object {target!r}>"
            self._loaded[name] = target
        self._origins[name] = origin

    def unregister(self, name: str) -> None:
        """Remove ``name`` (tests, plugin reloads); a missing name is ignored."""
        self._targets.pop(name, None)
        self._origins.pop(name, None)
        self._loaded.pop(name, None)

    # ---------------------------------------------------------------- lookup
    def names(self) -> list[str]:
        """Sorted names of every registered entry, entry-point plugins included (not imported)."""
        self._scan()
        return sorted(self._targets)

    def __contains__(self, name: object) -> bool:
        self._scan()
        return name in self._targets

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def target(self, name: str) -> str:
        """The ``module:attr`` import target of ``name``; ``UnknownNameError`` with a did-you-mean
        otherwise."""
        self._check(name)
        return self._targets[name]

    def origin(self, name: str) -> str:
        """Where ``name`` comes from (see the module docstring)."""
        self._check(name)
        return self._origins.get(name, "register()")

    def is_loaded(self, name: str) -> bool:
        """Whether ``name``'s object is already in hand (registered as an object, or imported by ``get``)."""
        return name in self._loaded

    def _check(self, name: str) -> None:
        self._scan()
        if name not in self._targets:
            msg = f"unknown {self.kind} {name!r}.{did_you_mean(name, self.names())}"
            msg += f" Known: {', '.join(self.names())}."
            if self.hint:
                msg += f" ({self.hint})"
            raise UnknownNameError(msg)

    def get(self, name: str) -> T:
        """Return the registered object, importing its module on first use (type-checked)."""
        self._check(name)
        if name not in self._loaded:
            try:
                obj = import_target(self._targets[name])
            except AttributeError as exc:
                raise ImportError(f"{self._targets[name]} ({self.origin(name)}): {exc}") from exc
            self._check_type(name, obj, self.origin(name))
            self._loaded[name] = obj
        return self._loaded[name]
