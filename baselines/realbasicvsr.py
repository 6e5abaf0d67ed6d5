"""RealBasicVSR (real-world video SR, ×4): adapter running https://github.com/ckkelvinchan/RealBasicVSR from its own checkout.

Regime B (LR frames in, ×4 out); see ``baselines/base.py`` and
``shared/specs/baselines.md``. Trap: whole clip on the GPU unless max_seq_len is set.
"""

from __future__ import annotations

from pathlib import Path

from baselines.base import ExternalMethod, py
from vfebench.video import Clip


class RealBasicVSR(ExternalMethod):
    name = "realbasicvsr"
    description = "RealBasicVSR (real-world video SR, ×4)"
    repo_url = "ckkelvinchan/RealBasicVSR"
    regime = "B"
    input_kind = "frames"
    output_glob = "*.png"
    output_is_video = False
    steps = 1
    scale = 4
    traps = "whole clip on the GPU unless max_seq_len is set"

    def command(self, inp: Path, out: Path, lq: Clip) -> list[str]:
        return py(
            self,
            "inference_realbasicvsr.py",
            self.config.get("config", "configs/realbasicvsr_x4.py"),
            self.config.get("checkpoint", "checkpoints/RealBasicVSR_x4.pth"),
            inp,
            out,
            "--max_seq_len",
            self.config.get("max_seq_len", 30),
            "--is_save_as_png",
            "True",
        )
