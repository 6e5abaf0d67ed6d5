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


class WeightsError(VfebenchError, ValueError):
    """A weights file was read but does not hold what the network expects (layout, shapes)."""


class StorageError(VfebenchError, OSError):
    """A cache / run-folder write failed (disk full, permissions); names the path."""


class MalformedRecordError(InputError):
    """A run record value is not what the record format allows (names the field)."""


class CodecError(VfebenchError, RuntimeError):
    """A video codec round trip (encode → decode) did not give back what it was given."""


class ExternalMethodError(VfebenchError, RuntimeError):
    """A published method's own program (run from its checkout) failed or wrote no output."""


class ComponentFailed(VfebenchError, RuntimeError):
    """A method or metric failed while running (set-up, restore, scoring); carries the reason.

    Raised where an arbitrary exception of third-party code is turned into one failure of one
    clip or one metric (the run goes on with the others)."""


class ClipNotDegraded(VfebenchError):
    """Reading or degrading one GT clip failed (that clip fails, the others go on); ``reason``
    is the underlying ``"ExcType: message"``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
