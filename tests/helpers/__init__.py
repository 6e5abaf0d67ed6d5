"""Test helpers (importable as ``helpers.*``: ``tests/`` is on ``sys.path`` through pytest's
``pythonpath`` setting). Importing a helper never changes global state: components are added
to the registries by fixtures (``tests/conftest.py``) and removed again after each test."""

from pathlib import Path

#: the repository root, ``tests/data/`` (golden files) and the sibling ``../shared`` folder
REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
SHARED = REPO.parent / "shared"
