"""STAR (text-to-video prior VSR, 15 steps): adapter running https://github.com/NJU-PCALab/STAR from its own checkout.

Regime B (LR frames in, ×4 out); see ``baselines/base.py`` and
``shared/specs/baselines.md``. Trap: writes x264 crf0 yuv420p: chroma subsampling loss in its own writer; needs the gated SVD VAE.
"""

from __future__ import annotations

from pathlib import Path

from baselines.base import ExternalMethod, py
from vfebench.video import Clip


class STAR(ExternalMethod):
    name = "star"
    description = "STAR (text-to-video prior VSR, 15 steps)"
    repo_url = "NJU-PCALab/STAR"
    regime = "B"
    input_kind = "video"
    output_glob = "**/*.mp4"
    output_is_video = True
    steps = 15
    scale = 4
    deterministic = False
    traps = "writes x264 crf0 yuv420p: chroma subsampling loss in its own writer; needs the gated SVD VAE"

    def command(self, inp: Path, out: Path, lq: Clip) -> list[str]:
        return py(
            self,
            "video_super_resolution/scripts/inference_sr.py",
            "--input_path",
            inp,
            "--save_dir",
            out,
            "--upscale",
            4,
            "--steps",
            self.config.get("steps", 15),
        )
