"""Test components: small methods and hand-checkable metrics.

Nothing is registered on import: the ``runner_plugin`` fixture (``tests/conftest.py``) adds
them for one test (:func:`register`), child processes load :mod:`helpers.runner_plugin_autoload`
through ``$VFEBENCH_PLUGINS``. Methods ``t_shift`` (adds ``amount`` to every pixel after bicubic),
``t_slow`` (bicubic, sleeps ``delay`` seconds per clip), ``t_bad`` (misbehaves on chosen clips);
metric ``t_mae`` (mean absolute error per frame, modes ``clean`` / ``alt`` where ``alt`` is
the mean squared error).
"""

from __future__ import annotations

import time

import numpy as np

from vfebench.methods import METHODS
from vfebench.methods.trivial import Bicubic
from vfebench.metrics import METRICS
from vfebench.metrics.base import FrameMetric
from vfebench.video import Clip


class Shift(Bicubic):
    name = "t_shift"

    def restore(self, lq, target_size=None):
        out = super().restore(lq, target_size)
        a = int(self.config.get("amount", 0))
        return out.with_frames(np.clip(out.frames.astype(np.int16) + a, 0, 255).astype(np.uint8))


class Slow(Bicubic):
    name = "t_slow"

    def restore(self, lq, target_size=None):
        time.sleep(float(self.config.get("delay", 0.3)))
        return super().restore(lq, target_size)


class _FakeClip:
    def __init__(self, frames):
        self.frames = frames


class Bad(Bicubic):
    """Misbehaves on the clips named in its config (``c0=crash,c1=small,...``).

    ``crash`` raises, ``small`` returns the wrong size, ``nan`` float NaN frames, ``short`` drops
    a frame, ``wrongid`` returns another clip's id, ``segv`` kills its process with SIGSEGV,
    ``exit`` calls ``os._exit(3)``, ``sysexit`` calls ``sys.exit(4)``, ``hang`` sleeps 600 s,
    ``interrupt`` raises KeyboardInterrupt.
    """

    name = "t_bad"

    def restore(self, lq, target_size=None):
        import os
        import signal
        import sys

        out = super().restore(lq, target_size)
        mode = self.config.get(lq.id, "ok")
        if mode == "crash":
            raise RuntimeError("boom on purpose")
        if mode == "segv":
            os.kill(os.getpid(), signal.SIGSEGV)
        if mode == "exit":
            os._exit(3)
        if mode == "sysexit":
            sys.exit(4)
        if mode == "hang":
            time.sleep(600)
        if mode == "interrupt":
            raise KeyboardInterrupt
        if mode == "wrongid":
            return Clip("someone-else", out.frames, lq.fps)
        if mode == "small":
            return Clip(lq.id, out.frames[:, ::2, ::2].copy(), lq.fps)
        if mode == "nan":
            f = out.frames.astype(np.float32)
            f[0, 0, 0, 0] = np.nan
            return _FakeClip(f)
        if mode == "short":
            return Clip(lq.id, out.frames[:-1].copy(), lq.fps)
        return out


class MAE(FrameMetric):
    name = "t_mae"
    display = "MAE"
    higher_is_better = False
    modes = ("clean", "alt")
    precision = 3

    def score_frames(self, pred, gt):
        d = pred.astype(np.float64) - gt.astype(np.float64)
        if self.mode == "alt":
            return (d**2).mean(axis=(1, 2, 3))
        return np.abs(d).mean(axis=(1, 2, 3))


class SetMAE(MAE):
    """Set-level: the value on the set is the worst (largest) clip MAE, not the mean."""

    name = "t_setmae"
    level = "set"

    def score_set(self, preds, gts, ctx):
        from vfebench.metrics.base import SetResult

        res = [self.score_clip(p, g, ctx) for p, g in zip(preds, gts)]
        return SetResult(max(r.value for r in res), res, {"n": len(res)})


class Brightness(FrameMetric):
    """No-reference: mean intensity of the frame (0..255)."""

    name = "t_bright"
    display = "Bright"
    needs_reference = False

    def score_frames(self, pred, gt):
        return pred.reshape(len(pred), -1).mean(axis=1).astype(np.float64)


TEST_METHODS = {"t_shift": Shift, "t_slow": Slow, "t_bad": Bad}
TEST_METRICS = {"t_mae": MAE, "t_setmae": SetMAE, "t_bright": Brightness}


def register(monkeypatch) -> None:
    """Add the test methods and metrics to the registries until ``monkeypatch`` is undone."""
    from helpers.registries import add

    for n, c in TEST_METHODS.items():
        add(monkeypatch, METHODS, n, c)
    for n, c in TEST_METRICS.items():
        add(monkeypatch, METRICS, n, c)


def register_for_process() -> None:
    """Register them for the rest of this process (a ``vfebench`` child process's plugin)."""
    for reg, comps in ((METHODS, TEST_METHODS), (METRICS, TEST_METRICS)):
        for n, c in comps.items():
            if n not in reg:
                reg.register(n, c)
