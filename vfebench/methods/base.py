"""Method interface: ``restore(lq) -> Clip`` with a fingerprint that identifies its outputs.

- Shared with metrics (:class:`vfebench.component.Component`): name, version, options schema,
  assets, setup/ensure_setup, fingerprint (a missing asset hash is an error, never ``None``).
- Class attributes: ``name``, ``version``, ``scale`` (nominal upscaling), ``deterministic``,
  ``extras`` (pip extras needed), ``assets`` (pinned weights needed), ``steps`` (sampling steps,
  for Table 3).
- ``__init__(**config)`` stores configuration only; :meth:`Method.setup` loads weights.
- :meth:`Method.restore` receives the LQ clip and the target ``(H, W)`` (the GT size, or the
  method's natural output size when there is no GT) and must keep the clip id and frame count.
- :meth:`Method.fingerprint` = name, version, config and weight hashes; it is part of every cache
  key of restored clips, so changing any of them recomputes exactly what depends on it.
- Isolation: ``vfebench run`` builds the method again inside a worker process (from its class's
  ``module:QualName`` and ``config``), calls ``setup`` there once and ``restore`` per clip, so a
  crash, ``sys.exit`` or hang costs one clip (see :mod:`vfebench.runner.worker`). The config must
  therefore be picklable and the class importable by name; a class that must run in the
  runner's own process sets ``isolation = "inprocess"``.
- Labels: a run names a method ``name[k=v,...]`` (:meth:`Method.spec_label`). Config keys that are
  local plumbing (a checkout path, an interpreter, a timeout: ``plumbing``) are left out of the
  label and of the fingerprint, so the same method run from another path is the same method.
- Timing: ``timing = "measured"`` (the runner times :meth:`Method.restore`); a method whose
  outputs were produced elsewhere sets ``timing = "reported"`` and returns the seconds someone
  else measured from :meth:`Method.reported_timing` (None: "not measured").
"""

from __future__ import annotations

from typing import Any, ClassVar

from vfebench.component import Component
from vfebench.video import Clip


class Method(Component):
    """Base class of every method (see the module docstring and :class:`Component`)."""

    kind: ClassVar[str] = "method"
    list_hint: ClassVar[str] = "vfebench ls methods"
    scale: ClassVar[int] = 4
    deterministic: ClassVar[bool] = True
    extras: ClassVar[tuple[str, ...]] = ()
    steps: ClassVar[int | None] = None
    isolation: ClassVar[str] = "process"  # "inprocess": never run in a worker process
    #: config keys that are local plumbing: never in the label nor the fingerprint
    plumbing: ClassVar[tuple[str, ...]] = ()
    #: "measured": the runner times restore(); "reported": see reported_timing()
    timing: ClassVar[str] = "measured"

    def __init__(self, **config: Any) -> None:
        self.check_options(config)
        self.config = dict(config)
        self.device = "cpu"
        self._ready = False

    @classmethod
    def spec_label(cls, name: str, config: dict[str, Any]) -> str:
        """The label of ``--method name:config`` in records and tables (plumbing keys left out)."""
        shown = {k: v for k, v in config.items() if k not in cls.plumbing}
        return name + (f"[{','.join(f'{k}={v}' for k, v in shown.items())}]" if shown else "")

    def reported_timing(self, clip_id: str) -> dict[str, Any] | None:
        """For ``timing = "reported"``: ``{"seconds": s, "peak_mem_mb": m or None}`` or None."""
        return None

    def weight_hashes(self) -> dict[str, str]:
        """``{asset: sha256}`` of the weights this configuration needs (:meth:`asset_hashes`)."""
        return self.asset_hashes()

    def fingerprint(self) -> dict[str, Any]:
        """Identity of this method's outputs (name, version, config, weight hashes)."""
        return {
            "name": self.name,
            "version": self.version,
            "config": {k: v for k, v in sorted(self.config.items()) if k not in self.plumbing},
            "weights": self.weight_hashes(),
        }

    def restore(self, lq: Clip, target_size: tuple[int, int] | None = None) -> Clip:
        """Restore ``lq``; return a clip with the same id and frame count, ``target_size`` frames."""
        raise NotImplementedError(f"{type(self).__name__} must implement restore")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config})"
