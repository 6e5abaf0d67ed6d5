"""MGLD-VSR (latent diffusion video SR, 50 DDPM steps): adapter running https://github.com/IanYeung/MGLD-VSR from its own checkout.

Regime B (LR frames in, ×4 out); see ``baselines/base.py`` and
``shared/specs/baselines.md``. Trap: its config hard-codes absolute checkpoint paths: pass config=<rewritten temp config>.
"""

from __future__ import annotations

from pathlib import Path

from baselines.base import ExternalMethod, py
from vfebench.video import Clip


class MGLDVSR(ExternalMethod):
    name = "mgld-vsr"
    description = "MGLD-VSR (latent diffusion video SR, 50 DDPM steps)"
    repo_url = "IanYeung/MGLD-VSR"
    regime = "B"
    input_kind = "frames"
    output_glob = "**/*.png"
    output_is_video = False
    steps = 50
    scale = 4
    deterministic = False
    traps = "its config hard-codes absolute checkpoint paths: pass config=<rewritten temp config>"

    def command(self, inp: Path, out: Path, lq: Clip) -> list[str]:
        return py(
            self,
            "scripts/vsr_val_ddpm_text_T_vqganfin_oldcanvas_tile.py",
            "--seqs-path",
            inp.parent,
            "--outdir",
            out,
            "--ddpm_steps",
            self.config.get("steps", 50),
            "--upscale",
            4,
            *(["--config", self.config["config"]] if "config" in self.config else []),
        )
