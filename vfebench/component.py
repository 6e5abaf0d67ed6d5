"""What metrics and methods share: identity, options schema, assets, set-up, fingerprint.

:class:`~vfebench.metrics.base.Metric` and :class:`~vfebench.methods.base.Method` both derive
from :class:`Component`:

- ``name``, ``version``, ``description``: class attributes.
- ``options_doc``: the options schema (option → one-line help), merged along the class
  hierarchy by :meth:`Component.declared_options`; a class that declares one rejects any other
  option with a did-you-mean (:meth:`Component.check_options`). ``None`` (the default) means
  "not declared": options are not checked.
- ``assets``: names of the pinned weights files it needs (:mod:`vfebench.assets`);
  :meth:`Component.required_assets` may narrow them per configuration.
- :meth:`Component.asset_hashes`: ``{asset: sha256}`` for the fingerprint — the pinned digest,
  else the verified file's own. An asset that is neither pinned nor present, or not declared
  at all, is an error (:class:`~vfebench.errors.MissingAssetError` /
  :class:`~vfebench.errors.UnknownNameError`), never a ``None`` hash: a cache key must never be
  weaker than the weights it stands for.
- :meth:`Component.setup` (load weights onto a device, idempotent) and
  :meth:`Component.ensure_setup`.
- :meth:`Component.fingerprint` and :meth:`Component.fingerprint_hash`: everything that
  determines the component's outputs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from vfebench.utils import config_hash


class Component:
    """Base of every benchmark component a user names in a spec (metrics and methods)."""

    #: what the component is, in error messages ("metric", "method")
    kind: ClassVar[str] = "component"
    name: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    description: ClassVar[str] = ""
    assets: ClassVar[tuple[str, ...]] = ()
    #: options schema (name → help); None = not declared (options are not checked)
    options_doc: ClassVar[dict[str, str] | None] = None
    #: where the user lists what exists, in error messages
    list_hint: ClassVar[str] = ""

    device: str = "cpu"
    _ready: bool = False

    # -- options --------------------------------------------------------------------------
    @classmethod
    def declared_options(cls) -> dict[str, str] | None:
        """Every option this class accepts (name → help), from this class and its bases; None
        when no class in the hierarchy declares a schema."""
        out: dict[str, str] = {}
        declared = False
        for klass in reversed(cls.__mro__):
            doc = klass.__dict__.get("options_doc")
            if doc is not None:
                declared = True
                out.update(doc)
        return out if declared else None

    @classmethod
    def check_options(cls, options: Iterable[str]) -> None:
        """Raise InputError (did-you-mean, known options listed) for an undeclared option."""
        from vfebench.spec import check_options

        known = cls.declared_options()
        if known is not None:
            check_options(f"{cls.kind} {cls.name!r}", options, known, cls.list_hint)

    # -- assets ---------------------------------------------------------------------------
    def required_assets(self) -> tuple[str, ...]:
        """Assets this configuration needs (default: every declared one)."""
        return tuple(self.assets)

    def asset_hashes(self) -> dict[str, str]:
        """``{asset: sha256}`` of :meth:`required_assets`: the pinned digest, else the present
        file's. Raises (never ``None``) when an asset is undeclared or unpinned and absent."""
        from vfebench import assets as _assets

        return {a: _assets.get_asset(a).sha256 or _assets.asset_hash(a) for a in self.required_assets()}

    # -- lifecycle ------------------------------------------------------------------------
    def setup(self, device: str = "cpu") -> None:
        """Import heavy dependencies and load weights onto ``device``. Idempotent; untimed."""
        self.device = device
        self._ready = True

    def ensure_setup(self, device: str = "cpu") -> None:
        """:meth:`setup` once."""
        if not self._ready:
            self.setup(device)

    # -- identity -------------------------------------------------------------------------
    def fingerprint(self) -> dict[str, Any]:
        """Everything that determines this component's outputs (subclasses name the fields)."""
        raise NotImplementedError(f"{type(self).__name__} must implement fingerprint")

    def fingerprint_hash(self) -> str:
        """16 hex of :meth:`fingerprint` (part of every cache key of this component's outputs)."""
        return config_hash(self.fingerprint())
