"""BFVR-STC (CVPR 2025): adapter running https://github.com/Dixin-Lab/BFVR-STC from its own checkout.

Regime A (aligned 512×512 faces in); see ``baselines/base.py`` and
``shared/specs/baselines.md``. Trap: restores only the first 24 frames (run with --max-frames 24); per-clip min-max output normalisation; MJPG avi.
"""

from __future__ import annotations

from pathlib import Path

from baselines.base import ExternalMethod, py
from vfebench.video import Clip


class BFVRSTC(ExternalMethod):
    name = "bfvr-stc"
    description = "BFVR-STC (CVPR 2025)"
    repo_url = "Dixin-Lab/BFVR-STC"
    regime = "A"
    input_kind = "video"
    output_glob = "**/*.avi"
    output_is_video = True
    steps = 1
    scale = 1
    traps = "restores only the first 24 frames (run with --max-frames 24); per-clip min-max output normalisation; MJPG avi"

    def command(self, inp: Path, out: Path, lq: Clip) -> list[str]:
        return py(self, "scripts/infer_bfvr.py", "-i", inp, "-o", out)
