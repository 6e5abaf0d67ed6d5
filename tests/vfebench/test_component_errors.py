"""The shared component base (vfebench.component) and the one error hierarchy (vfebench.errors)."""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import pytest

import vfebench
from vfebench import assets
from vfebench.component import Component
from vfebench.errors import InputError, MissingAssetError, UnknownNameError, VfebenchError
from vfebench.methods.base import Method
from vfebench.metrics.base import Metric

PKG = Path(vfebench.__file__).parent


def test_metric_and_method_share_the_base():
    assert issubclass(Metric, Component) and issubclass(Method, Component)
    for name in ("setup", "ensure_setup", "asset_hashes", "fingerprint_hash", "declared_options"):
        assert name not in Metric.__dict__ and name not in Method.__dict__, name


class _M(Method):
    name = "t_unpinned"
    assets = ("t_unpinned_asset",)
    options_doc = {"strength": "how much"}

    def restore(self, lq, target_size=None):
        return lq


class _Mt(Metric):
    name = "t_metric_unpinned"
    assets = ("t_unpinned_asset",)


def test_missing_asset_hash_is_an_error_never_none(tmp_path, monkeypatch):
    monkeypatch.setenv("VFEBENCH_ASSETS", str(tmp_path))
    assets.register_asset(assets.Asset("t_unpinned_asset", "t_unpinned.bin", (), sha256=""))
    with pytest.raises(MissingAssetError, match="t_unpinned.bin"):
        _M().fingerprint()
    with pytest.raises(MissingAssetError, match="t_unpinned.bin"):
        _Mt().identity()
    (tmp_path / "t_unpinned.bin").write_bytes(b"abc")
    want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # sha256("abc")
    assert _M().fingerprint()["weights"] == {"t_unpinned_asset": want}
    assert _Mt().identity()["assets"] == {"t_unpinned_asset": want}

    class Undeclared(_M):
        assets = ("no_such_asset",)

    with pytest.raises(UnknownNameError, match="no_such_asset"):
        Undeclared().fingerprint()


def test_method_options_schema_when_declared():
    assert _M(strength=2).config == {"strength": 2}
    with pytest.raises(InputError, match="Did you mean 'strength'"):
        _M(strenght=2)
    # a method without a schema accepts its config as before
    from vfebench.methods.trivial import Bicubic

    assert Bicubic.declared_options() is None


def test_every_project_error_is_under_vfebench_errors():
    from baselines.base import ExternalMethodError
    from vfebench.gate import Malformed
    from vfebench.runner.cache import StorageError
    from vfebench.runner.worker import RestoreFailed

    for cls in (ExternalMethodError, Malformed, StorageError, RestoreFailed):
        assert issubclass(cls, VfebenchError), cls
    assert issubclass(Malformed, ValueError)  # callers that caught ValueError still do
    # every exception class defined in vfebench/ derives from a vfebench.errors class
    for f in PKG.rglob("*.py"):
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.ClassDef) and node.name != "VfebenchError":
                bases = {ast.unparse(b) for b in node.bases}
                builtin = {b for b in bases if isinstance(getattr(builtins, b, None), type)}
                if any(issubclass(getattr(builtins, b), Exception) for b in builtin):
                    assert bases - builtin, f"{f.relative_to(PKG)}: {node.name} is not under vfebench.errors"


def test_functional_cores_raise_project_errors():
    import numpy as np

    from vfebench.metrics.functional.frechet import frechet_distance

    with pytest.raises(InputError):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(2), np.eye(2))


def test_no_unexplained_broad_except():
    """Every ``except Exception`` in vfebench/ is narrowed or says why it is broad."""
    bad = []
    for f in PKG.rglob("*.py"):
        for i, line in enumerate(f.read_text().splitlines(), 1):
            if "except Exception" in line and "broad on purpose:" not in line:
                bad.append(f"{f.relative_to(PKG)}:{i}")
    assert not bad, bad
