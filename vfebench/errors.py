"""Exceptions raised by vfebench.

Every error a user can trigger derives from :class:`VfebenchError` and carries a message that
names the offending file or value and says how to fix it. The CLI prints these messages without
a traceback and exits with status 2.
"""

from __future__ import annotations


class VfebenchError(Exception):
    """Base class of all user-facing vfebench errors."""


class InputError(VfebenchError, ValueError):
    """A clip, frame, file or option is invalid (names the file/value and the fix)."""


class UnknownNameError(VfebenchError, KeyError):
    """A registry lookup missed (method, metric, dataset, preset, asset ...)."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class MissingAssetError(VfebenchError, FileNotFoundError):
    """A pinned weights file is not in the cache; the message names the fetch/import command."""


class MissingDependencyError(VfebenchError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


class AssetHashError(VfebenchError):
    """A weights file exists but its sha256 does not match the pinned value."""
