"""SeedVR2-3B (one-step diffusion video restoration): adapter running https://github.com/ByteDance-Seed/SeedVR from its own checkout.

Regime B (LR frames in, ×4 out); see ``baselines/base.py`` and
``shared/specs/baselines.md``. Trap: resizes any input to the target area; mp4 output (lossy); colour fix optional — set extra_args and record it.
"""

from __future__ import annotations

from pathlib import Path

from baselines.base import ExternalMethod, py
from vfebench.video import Clip


class SeedVR2(ExternalMethod):
    name = "seedvr2-3b"
    description = "SeedVR2-3B (one-step diffusion video restoration)"
    repo_url = "ByteDance-Seed/SeedVR"
    regime = "B"
    input_kind = "video"
    output_glob = "**/*.mp4"
    output_is_video = True
    steps = 1
    scale = 4
    deterministic = False
    traps = "resizes any input to the target area; mp4 output (lossy); colour fix optional — set extra_args and record it"

    def command(self, inp: Path, out: Path, lq: Clip) -> list[str]:
        return py(
            self,
            "-m",
            "torch.distributed.run",
            "--nproc-per-node=1",
            self.config.get("script", "projects/inference_seedvr2_3b.py"),
            "--video_path",
            inp.parent,
            "--output_dir",
            out,
            "--res_h",
            512,
            "--res_w",
            512,
        )
