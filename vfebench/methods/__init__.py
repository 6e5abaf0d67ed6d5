"""Method registry (lazy): the core's own methods.

Everything else registers through the ``vfebench.methods`` entry-point group (see
:mod:`vfebench.registry`): VividFace and the baseline adapters (top-level ``baselines``
package) are declared in ``pyproject.toml`` like any third-party plugin would be.
"""

from __future__ import annotations

from typing import Any

from vfebench.registry import Registry

METHODS: Registry[Any] = Registry(
    "method",
    {
        "identity": "vfebench.methods.trivial:Identity",
        "bicubic": "vfebench.methods.trivial:Bicubic",
        "lanczos": "vfebench.methods.trivial:Lanczos",
        "outputs": "vfebench.methods.outputs:Outputs",
    },
    hint="vfebench ls methods",
    group="vfebench.methods",
    base="vfebench.methods.base:Method",
)


def load_method_class(target: str):
    """The Method class for a registry name or ``module:Class`` (clear errors on failure)."""
    from vfebench.errors import InputError, MissingDependencyError, UnknownNameError
    from vfebench.registry import import_target

    if target in METHODS:
        try:
            return METHODS.get(target)
        except ImportError as exc:
            raise MissingDependencyError(
                f"method {target!r} is registered but cannot be imported ({exc}). Install its extra "
                f"(e.g. pip install 'vfebench[{target}]' or 'vfebench[all]') and get its weights with "
                f"`vfebench assets list` / `vfebench assets fetch NAME`."
            ) from exc
    if ":" in target:
        try:
            cls = import_target(target)
        except (ImportError, AttributeError) as exc:
            raise UnknownNameError(f"--method {target!r}: cannot import it ({exc})") from exc
        if not isinstance(cls, type):
            raise InputError(f"--method {target!r} is not a class")
        if not getattr(cls, "name", ""):
            raise InputError(f"--method {target!r}: class {cls.__name__} has no `name` attribute")
        return cls
    return METHODS.get(target)  # raises UnknownNameError with did-you-mean


def build_method(name: str, /, **config: Any):
    """Instantiate method ``name`` (a registry name or ``pkg.module:Class``) with ``config``.

    Configuration only: weights are neither checked nor loaded (``vfebench run`` checks them at
    plan time, :func:`vfebench.runner.plan.check_method_assets`; ``setup`` loads them). A class
    that declares ``options_doc`` rejects unknown config keys with a did-you-mean.
    """
    return load_method_class(name)(**config)
