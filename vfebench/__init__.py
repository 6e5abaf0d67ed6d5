"""vfebench: the reproducible benchmark for video face enhancement.

Importing this package imports no heavy dependency; components are resolved lazily through the
registries in :mod:`vfebench.datasets`, :mod:`vfebench.degrade`, :mod:`vfebench.methods` and
:mod:`vfebench.metrics`.
"""

__version__ = "0.1.0"
