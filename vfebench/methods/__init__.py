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


def build_method(name: str, **config: Any):
    return METHODS.get(name)(**config)
