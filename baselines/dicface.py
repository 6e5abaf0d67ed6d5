"""DicFace (Dirichlet-constrained codebook, video face restoration): adapter running https://github.com/fudan-generative-vision/DicFace from its own checkout.

Regime A (aligned 512×512 faces in); see ``baselines/base.py`` and
``shared/specs/baselines.md``.
"""

from __future__ import annotations

from pathlib import Path

from baselines.base import ExternalMethod, py
from vfebench.video import Clip


class DicFace(ExternalMethod):
    name = "dicface"
    description = "DicFace (Dirichlet-constrained codebook, video face restoration)"
    repo_url = "fudan-generative-vision/DicFace"
    regime = "A"
    input_kind = "frames"
    output_glob = "**/restored_faces/*.png"
    output_is_video = False
    steps = 1
    scale = 1
    traps = ""

    def command(self, inp: Path, out: Path, lq: Clip) -> list[str]:
        return py(
            self,
            "scripts/inference.py",
            "-i",
            inp,
            "-o",
            out,
            "--has_aligned",
            "--ckpt_path",
            self.config.get("checkpoint", "ckpts/CodeFormer/bfr_100k.pth"),
        )
