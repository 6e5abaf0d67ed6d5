"""Lazy, typed registries: ``name -> "module:attr"`` resolved on first use.

Importing a registry imports nothing heavy; :meth:`Registry.get` imports the target module only
when the component is asked for. A miss raises :class:`~vfebench.errors.UnknownNameError` with
close matches ("did you mean ...").
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterator
from typing import Generic, TypeVar

from vfebench.errors import InputError, UnknownNameError

T = TypeVar("T")


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
    return getattr(module, attr) if attr else module


class Registry(Generic[T]):
    """A mapping from component names to lazily imported objects.

    ``kind`` is used in error messages ("unknown metric 'x'"); ``hint`` tells the user how to
    list what exists (e.g. ``vfebench ls metrics``).
    """

    def __init__(self, kind: str, entries: dict[str, str] | None = None, hint: str = "") -> None:
        self.kind = kind
        self.hint = hint
        self._targets: dict[str, str] = dict(entries or {})
        self._loaded: dict[str, T] = {}

    def register(self, name: str, target: str | T, *, overwrite: bool = False) -> None:
        """Add ``name``; ``target`` is ``"module:attr"`` or the object itself."""
        if name in self._targets and not overwrite:
            raise InputError(
                f"{self.kind} {name!r} is already registered (pass overwrite=True to replace it)"
            )
        if isinstance(target, str):
            self._targets[name] = target
            self._loaded.pop(name, None)
        else:
            self._targets[name] = f"<object {target!r}>"
            self._loaded[name] = target

    def names(self) -> list[str]:
        return sorted(self._targets)

    def __contains__(self, name: object) -> bool:
        return name in self._targets

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def target(self, name: str) -> str:
        self._check(name)
        return self._targets[name]

    def _check(self, name: str) -> None:
        if name not in self._targets:
            msg = f"unknown {self.kind} {name!r}.{did_you_mean(name, self.names())}"
            msg += f" Known: {', '.join(self.names())}."
            if self.hint:
                msg += f" ({self.hint})"
            raise UnknownNameError(msg)

    def get(self, name: str) -> T:
        """Return the registered object, importing its module on first use."""
        self._check(name)
        if name not in self._loaded:
            self._loaded[name] = import_target(self._targets[name])
        return self._loaded[name]
