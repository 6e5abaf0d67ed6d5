"""Test plugin (``$VFEBENCH_PLUGINS``) for the scale-out tests: a method that kills its process once.

``t_killonce`` is bicubic minus 3 grey levels that runs in the calling process (``isolation = "inprocess"``, so
in a Ray task or a ``--workers`` child it *is* that worker) and, the first time it restores a
clip while ``$VFEBENCH_TEST_KILL_ONCE`` names a file that does not exist yet, creates that file
and kills its own process with SIGKILL — a worker dying mid-run, exactly once.
"""

from __future__ import annotations

import os
import signal

import numpy as np

from vfebench.methods import METHODS
from vfebench.methods.trivial import Bicubic


class KillOnce(Bicubic):
    name = "t_killonce"
    isolation = "inprocess"

    def restore(self, lq, target_size=None):
        marker = os.environ.get("VFEBENCH_TEST_KILL_ONCE")
        if marker:
            try:
                fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                pass
            else:
                os.write(fd, f"{os.getpid()} {lq.id}\n".encode())
                os.close(fd)
                os.kill(os.getpid(), signal.SIGKILL)
        out = super().restore(lq, target_size)  # then darker by 3 levels: its own scores
        return out.with_frames(np.clip(out.frames.astype(np.int16) - 3, 0, 255).astype(np.uint8))


if "t_killonce" not in METHODS:
    METHODS.register("t_killonce", KillOnce)
