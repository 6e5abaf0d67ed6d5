"""SVFR (Stable Video Diffusion face restoration, 30 steps): adapter running https://github.com/wangzhiyaoo/SVFR from its own checkout.

Regime A (aligned 512×512 faces in); see ``baselines/base.py`` and
``shared/specs/baselines.md``. Trap: output dir is always relative to its cwd; gated SVD weights.
"""

from __future__ import annotations

import os
from pathlib import Path

from baselines.base import ExternalMethod, py
from vfebench.video import Clip


class SVFR(ExternalMethod):
    name = "svfr"
    description = "SVFR (Stable Video Diffusion face restoration, 30 steps)"
    repo_url = "wangzhiyaoo/SVFR"
    regime = "A"
    input_kind = "video"
    output_glob = "**/*.mp4"
    output_is_video = True
    steps = 30
    scale = 1
    deterministic = False
    traps = "output dir is always relative to its cwd; gated SVD weights"

    def command(self, inp: Path, out: Path, lq: Clip) -> list[str]:
        return py(
            self,
            "infer.py",
            "--config",
            self.config.get("config", "config/infer.yaml"),
            "--task_ids",
            0,
            "--input_path",
            inp,
            "--output_dir",
            os.path.relpath(out, self.repo),
            "--restore_frames",
        )
