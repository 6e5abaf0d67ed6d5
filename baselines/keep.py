"""KEEP (Kalman-inspired feature propagation, ECCV 2024): adapter running https://github.com/jnjaby/KEEP from its own checkout.

Regime A (aligned 512×512 faces in); see ``baselines/base.py`` and
``shared/specs/baselines.md``. Trap: outputs renumbered under OUT/<clip>/restored_faces/; clone recursively.
"""

from __future__ import annotations

from pathlib import Path

from baselines.base import ExternalMethod, py
from vfebench.video import Clip


class KEEP(ExternalMethod):
    name = "keep"
    description = "KEEP (Kalman-inspired feature propagation, ECCV 2024)"
    repo_url = "jnjaby/KEEP"
    regime = "A"
    input_kind = "frames"
    output_glob = "**/restored_faces/*.png"
    output_is_video = False
    steps = 1
    scale = 1
    default_upsample = "bilinear"  # KEEP upsamples the ×4 LQ with bilinear
    traps = "outputs renumbered under OUT/<clip>/restored_faces/; clone recursively"

    def command(self, inp: Path, out: Path, lq: Clip) -> list[str]:
        return py(self, "inference_keep.py", "-i", inp, "-o", out, "--has_aligned", "-s", 1)
