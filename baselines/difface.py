"""DifFace (diffusion image face restoration, frame by frame): adapter running https://github.com/zsyOAOA/DifFace from its own checkout.

Regime A (aligned 512×512 faces in); see ``baselines/base.py`` and
``shared/specs/baselines.md``. Trap: eta is a free parameter (default 0.5); stochastic.
"""

from __future__ import annotations

from pathlib import Path

from baselines.base import ExternalMethod, py
from vfebench.video import Clip


class DifFace(ExternalMethod):
    name = "difface"
    description = "DifFace (diffusion image face restoration, frame by frame)"
    repo_url = "zsyOAOA/DifFace"
    regime = "A"
    input_kind = "frames"
    output_glob = "restored_faces/*.png"
    output_is_video = False
    steps = 1
    scale = 1
    deterministic = False
    traps = "eta is a free parameter (default 0.5); stochastic"

    def command(self, inp: Path, out: Path, lq: Clip) -> list[str]:
        return py(
            self,
            "inference_difface.py",
            "-i",
            inp,
            "-o",
            out,
            "--task",
            "restoration",
            "--eta",
            self.config.get("eta", 0.5),
            "--aligned",
        )
