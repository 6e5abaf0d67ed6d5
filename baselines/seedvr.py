"""SeedVR-3B (diffusion video restoration, 50 steps): adapter running https://github.com/ByteDance-Seed/SeedVR from its own checkout.

Regime B (LR frames in, ×4 out); see ``baselines/base.py`` and
``shared/specs/baselines.md``. Trap: resizes any input to the target area; mp4 output (lossy).
"""

from __future__ import annotations

from pathlib import Path

from baselines.base import ExternalMethod, py
from vfebench.video import Clip


class SeedVR(ExternalMethod):
    name = "seedvr-3b"
    description = "SeedVR-3B (diffusion video restoration, 50 steps)"
    repo_url = "ByteDance-Seed/SeedVR"
    regime = "B"
    input_kind = "video"
    output_glob = "**/*.mp4"
    output_is_video = True
    steps = 50
    scale = 4
    deterministic = False
    traps = "resizes any input to the target area; mp4 output (lossy)"
    script = "projects/inference_seedvr_3b.py"  # entry point inside the checkout (config `script`)

    def command(self, inp: Path, out: Path, lq: Clip) -> list[str]:
        return py(
            self,
            "-m",
            "torch.distributed.run",
            "--nproc-per-node=1",
            self.config.get("script", self.script),
            "--video_path",
            inp.parent,
            "--output_dir",
            out,
            "--res_h",
            512,
            "--res_w",
            512,
        )
