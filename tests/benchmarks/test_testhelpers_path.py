"""The benchmark scripts reach ``tests/helpers`` without ``tests/vfebench`` shadowing the package."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import sys
sys.path.insert(0, {bench!r})
import _testhelpers
ia = _testhelpers.integration_assets()
import vfebench, vfebench.metrics.base
print(vfebench.__file__)
print(ia.__file__)
"""


def test_integration_assets_keeps_the_real_package(tmp_path: Path) -> None:
    """Run as a script would (``sys.path[0]`` = benchmarks/, the repository root not on the
    path): before the fix, an editable install resolved ``vfebench`` to ``tests/vfebench``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if os.environ.get("PYTHONPATH"):  # a worktree run without an editable install: keep it importable
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(bench=str(REPO / "benchmarks"))],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    pkg, helpers = out.stdout.split()
    assert Path(pkg).resolve() == (REPO / "vfebench" / "__init__.py").resolve()
    assert Path(helpers).resolve() == (REPO / "tests" / "helpers" / "integration_assets.py").resolve()
