"""CodeFormer (image face restoration, frame by frame; fidelity weight w): adapter running https://github.com/sczhou/CodeFormer from its own checkout.

Regime A (aligned 512×512 faces in); see ``baselines/base.py`` and
``shared/specs/baselines.md``. Trap: w is a free parameter (default 0.5), recorded in the fingerprint.
"""

from __future__ import annotations

from pathlib import Path

from baselines.base import ExternalMethod, py
from vfebench.video import Clip


class CodeFormer(ExternalMethod):
    name = "codeformer"
    description = "CodeFormer (image face restoration, frame by frame; fidelity weight w)"
    repo_url = "sczhou/CodeFormer"
    regime = "A"
    input_kind = "frames"
    output_glob = "restored_faces/*.png"
    output_is_video = False
    steps = 1
    scale = 1
    traps = "w is a free parameter (default 0.5), recorded in the fingerprint"

    def command(self, inp: Path, out: Path, lq: Clip) -> list[str]:
        return py(
            self,
            "inference_codeformer.py",
            "-w",
            self.config.get("w", 0.5),
            "--has_aligned",
            "--input_path",
            inp,
            "-o",
            out,
        )
