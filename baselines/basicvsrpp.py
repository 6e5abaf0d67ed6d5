"""BasicVSR++ (video SR, ×4; mmcv-full 1.3.13–1.6 in its own env): adapter running https://github.com/ckkelvinchan/BasicVSR_PlusPlus from its own checkout.

Regime B (LR frames in, ×4 out); see ``baselines/base.py`` and
``shared/specs/baselines.md``.
"""

from __future__ import annotations

from pathlib import Path

from baselines.base import ExternalMethod, py
from vfebench.video import Clip


class BasicVSRPP(ExternalMethod):
    name = "basicvsr++"
    description = "BasicVSR++ (video SR, ×4; mmcv-full 1.3.13–1.6 in its own env)"
    repo_url = "ckkelvinchan/BasicVSR_PlusPlus"
    regime = "B"
    input_kind = "frames"
    output_glob = "*.png"
    output_is_video = False
    steps = 1
    scale = 4
    traps = ""

    def command(self, inp: Path, out: Path, lq: Clip) -> list[str]:
        return py(
            self,
            "demo/restoration_video_demo.py",
            self.config.get("config", "configs/basicvsr_plusplus_reds4.py"),
            self.config.get("checkpoint", "chkpts/basicvsr_plusplus_reds4.pth"),
            inp,
            out,
            "--filename-tmpl",
            "{:08d}.png",
        )
