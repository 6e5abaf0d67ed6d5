"""Shared fixtures. Tests that read ../shared/data/faces skip cleanly when it is absent.

Layout: ``tests/<package>/<subpackage>/test_*.py`` mirrors the code, ``tests/integration/``
holds end-to-end runs, ``tests/helpers/`` importable helpers (``from helpers import ...``;
they register nothing on import), ``tests/data/`` golden files. Test file basenames are unique
across the tree (pytest's default ``prepend`` import mode, no ``__init__.py`` in test folders).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_FACES = Path(os.environ.get("VFEBENCH_SHARED_FACES", REPO.parent / "shared" / "data" / "faces"))

# keep CPU tests predictable on small machines
os.environ.setdefault("OMP_NUM_THREADS", "2")


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own vfebench cache and asset dir (never the user's)."""
    root = tmp_path_factory.mktemp("vfecache")
    monkeypatch.setenv("VFEBENCH_CACHE", str(root))
    monkeypatch.setenv("VFEBENCH_ASSETS", str(root / "assets"))
    monkeypatch.setenv("VFEBENCH_OFFLINE", "1")
    import vfebench.assets as assets

    monkeypatch.setattr(assets, "_CATALOG", None)
    yield


@pytest.fixture
def pin_local_asset(monkeypatch):
    """``pin(name, path)``: declare a locally generated file as asset ``name`` (its own sha256
    pinned, the rest of the real catalogue entry kept) and place it in the isolated asset dir,
    so the real ``asset_path`` route — hash check included — is what loads it."""
    import shutil

    import vfebench.assets as assets
    from vfebench.utils import sha256_file

    def pin(name: str, path: Path) -> Path:
        a = assets.get_asset(name)
        monkeypatch.setitem(assets._EXTRA, name, assets.Asset(**{**a.__dict__, "sha256": sha256_file(path)}))
        monkeypatch.setattr(assets, "_CATALOG", None)
        dest = assets.asset_dir() / a.filename
        if Path(path).resolve() != dest.resolve():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
        return dest

    return pin


@pytest.fixture
def shared_faces() -> Path:
    if not SHARED_FACES.is_dir():
        pytest.skip("../shared/data/faces is absent")
    return SHARED_FACES


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def weights_dir(tmp_path_factory) -> Path:
    """One folder of stand-in weights (:mod:`helpers.integration_assets`) for the whole session:
    ``write_weights(weights_dir, names)`` builds a file the first time a test asks for it and
    keeps it; later tests only read it (each test pins the file's own sha256, so nothing
    depends on which test built it)."""
    return tmp_path_factory.mktemp("stand-in-weights")


@pytest.fixture(scope="module")
def runner_plugin():
    """The test methods ``t_shift`` / ``t_slow`` / ``t_bad`` and metrics ``t_mae`` /
    ``t_setmae`` / ``t_bright`` (:mod:`helpers.runner_plugin`), registered while one test module
    runs (module scope, so module-scoped fixtures can run with them) and removed after it."""
    from helpers import runner_plugin as plugin

    with pytest.MonkeyPatch.context() as mp:
        plugin.register(mp)
        yield plugin
