"""The test suite's stand-in builders (``tests/helpers``) for the benchmark scripts.

``tests/`` mirrors the package (``tests/vfebench/...`` has no ``__init__.py``), and an editable
install resolves ``vfebench`` through a finder that runs *after* ``sys.path``: with ``tests/`` on
the path and ``vfebench`` not yet imported, ``import vfebench`` would find ``tests/vfebench`` as a
namespace package. So the real package is imported first, and ``tests/`` is appended, not
prepended.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

TESTS = Path(__file__).resolve().parents[1] / "tests"


def integration_assets() -> ModuleType:
    """``tests/helpers/integration_assets.py`` (random stand-in weights in the real file formats)."""
    import vfebench  # noqa: F401  (the real package first; see the module docstring)

    if str(TESTS) not in sys.path:
        sys.path.append(str(TESTS))
    from helpers import integration_assets as ia

    return ia
