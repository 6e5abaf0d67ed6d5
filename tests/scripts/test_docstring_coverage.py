"""scripts/docstring_coverage.py: counts, the "no shape" check and ``--fail-under`` on a temp package."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "docstring_coverage.py"


@pytest.fixture(scope="module")
def dc():
    spec = importlib.util.spec_from_file_location("docstring_coverage", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up while the class is built
    try:
        spec.loader.exec_module(mod)
        yield mod
    finally:
        sys.modules.pop(spec.name, None)


def _package(tmp_path: Path) -> Path:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "mod.py").write_text(
        textwrap.dedent(
            '''
            import numpy as np
            import torch

            def undocumented(x):
                return x

            def no_shape(frames: np.ndarray) -> float:
                """Mean brightness of the frames."""
                return 0.0

            def with_shape(frames: "np.ndarray") -> torch.Tensor:
                """Frames ``(T, H, W, 3)`` uint8 to a tensor ``(T,3,H,W)`` float32 in [0, 1]."""

            def shape_word(x: torch.Tensor):
                """Returns a tensor of the same shape."""

            def plain(n: int) -> int:
                """Not an array function."""
                return n

            class Thing:
                def method(self, img: "np.ndarray | None" = None):
                    pass

                def _private(self):
                    pass

            def _hidden(x: np.ndarray):
                pass
            '''
        )
    )
    (pkg / "_private_mod.py").write_text("def skipped(x: np.ndarray):\n    pass\n")
    return pkg


def test_counts_and_offenders(dc, tmp_path):
    _package(tmp_path)
    cov = dc.coverage("pkg", root=tmp_path)
    assert (cov.documented, cov.public) == (4, 6)
    assert cov.arrays == 4  # no_shape, with_shape, shape_word, Thing.method
    assert cov.no_shape == 2  # no_shape (documented) and Thing.method (undocumented)
    by_name = {line.split(" ", 1)[1]: line.split(" ", 1)[0] for line in cov.missing}
    assert set(by_name) == {
        "undocumented (undocumented)",
        "no_shape (no shape)",
        "Thing.method (undocumented)",
    }
    assert by_name["no_shape (no shape)"] == str(Path("pkg") / "mod.py") + ":8"


def test_fail_under(dc, tmp_path, capsys):
    _package(tmp_path)
    assert dc.main(["pkg", "--missing"], root=tmp_path) == 0
    out = capsys.readouterr().out
    assert "| pkg | 4 | 6 | 67 % | 4 | 2 | 50 % |" in out
    assert "no_shape (no shape)" in out
    assert dc.main(["pkg", "--fail-under", "60"], root=tmp_path) == 1  # shape coverage 50 %
    err = capsys.readouterr().err
    assert "pkg: shape coverage 50.0 % < 60 %" in err
    assert "docstring coverage" not in err
    assert dc.main(["pkg", "--fail-under", "50"], root=tmp_path) == 0


def test_shape_patterns(dc):
    for doc in [
        "frames (T, H, W, 3) uint8",
        "a (N,3,H,W) batch",
        "vector (D,)",
        "same shape",
        "a scalar",
        "``T×H×W×3`` uint8",
    ]:
        assert dc.states_shape(doc), doc
    for doc in ["Mean brightness (in [0, 1]).", "see (above)", "returns float32", "a 3× upscale"]:
        assert not dc.states_shape(doc), doc


def test_missing_package_is_named(dc, tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        dc.coverage("nope", root=tmp_path)
