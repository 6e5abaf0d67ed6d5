"""Small on-disk GT folders and run configurations shared by the runner, gate and report tests."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from vfebench.runner import RunConfig
from vfebench.video import write_png_frames

TESTS = Path(__file__).resolve().parents[1]


def make_folder(root: Path, n: int = 2, t: int = 4, size: int = 64, seed: int = 0) -> Path:
    """``n`` PNG clips ``c0..`` of ``t`` frames, ``size``² RGB uint8 (shifted ramps plus noise)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    for i in range(n):
        base = ((xx * (i + 2) + yy * 3) % 256).astype(np.uint8)
        frames = np.stack([np.roll(base, k, axis=1) for k in range(t)])[..., None].repeat(3, axis=3)
        frames = np.clip(frames.astype(int) + rng.integers(0, 20, frames.shape), 0, 255).astype(np.uint8)
        write_png_frames(frames, root / f"c{i}")
    return root


def run_config(data: Path, tmp: Path, **kw) -> RunConfig:
    """A quiet, overwriting run of ``bicubic`` on ``folder:data`` scored with ``t_mae``."""
    base = dict(
        methods=["bicubic"],
        dataset=f"folder:{data}",
        metrics=["t_mae"],
        out=str(tmp / "run"),
        progress=False,
        overwrite=True,
    )
    base.update(kw)
    return RunConfig(**base)


def quiet(_msg: str) -> None:
    pass


def plugin_env(**extra: str) -> dict[str, str]:
    """Environment of a ``vfebench`` child process that loads the test components
    (:mod:`helpers.runner_plugin_autoload` through ``$VFEBENCH_PLUGINS``); ``tests/`` is put in
    front of the parent's ``PYTHONPATH`` (kept, so the child imports the same vfebench)."""
    path = os.pathsep.join(p for p in (str(TESTS), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "VFEBENCH_PLUGINS": "helpers.runner_plugin_autoload", **extra}
