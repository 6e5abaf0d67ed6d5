"""DifFace (diffusion image face restoration, frame by frame): adapter running https://github.com/zsyOAOA/DifFace from its own checkout.

Regime A (aligned 512×512 faces in); see ``baselines/base.py`` and ``shared/specs/baselines.md``.
Checked against ``inference_difface.py``, ``sampler.py`` and ``configs/sample/iddpm_ffhq512_swinir.yaml``
at commit 5c9ab80 (``tests/data/baseline_cli/difface.json``):

- sampling: the diffusion has 1000 steps (the config), the script respaces it to ``ddim250`` and
  starts restoration at respaced step 100 (``_START_TIMESTEPS['restoration']``), so every frame
  takes **100 DDIM steps** after one SwinIR estimate (``sampler.py``: ``range(start_timesteps)``).
  ``steps`` records 100 (it said 1 before).
- the README's command passes ``--use_fp16``; the adapter does too (``fp16`` config, default
  true). ``--seed`` (default 12345) is passed explicitly; ``eta`` (default 0.5) is a free
  parameter.
- outputs ``<out>/restored_faces/<input stem>.png`` (lossless).
- weights ``weights/diffusion/iddpm_ffhq512_ema500000.pth`` and
  ``weights/estimator/swinir_restoration512_L1.pth`` are downloaded from the V1.0 release on first
  run when missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from baselines.base import BaselineWeight, ExternalMethod, py
from vfebench.video import Clip

_RELEASE = "https://github.com/zsyOAOA/DifFace/releases/download/V1.0"


class DifFace(ExternalMethod):
    name = "difface"
    version = "2"  # README's --use_fp16, explicit --seed
    description = "DifFace (diffusion image face restoration, frame by frame; 100 DDIM steps)"
    repo_url = "zsyOAOA/DifFace"
    regime = "A"
    input_kind = "frames"
    output_glob = "restored_faces/*.png"
    output_is_video = False
    steps = 100  # ddim250 respacing of 1000 steps, started at respaced step 100
    scale = 1
    deterministic = False
    pinned_commit = "5c9ab801b2872544b221d4bfdeead7d430af4ed2"
    entry_point = "inference_difface.py"
    weights = (
        BaselineWeight(
            "weights/diffusion/iddpm_ffhq512_ema500000.pth", f"{_RELEASE}/iddpm_ffhq512_ema500000.pth"
        ),
        BaselineWeight(
            "weights/estimator/swinir_restoration512_L1.pth", f"{_RELEASE}/swinir_restoration512_L1.pth"
        ),
    )
    env_setup = ("conda env create -f environment.yaml -p ./.conda-env",)
    traps = (
        "100 DDIM steps per frame (ddim250 respacing, start at step 100); eta is a free parameter "
        "(default 0.5); fp16 as in the README; stochastic (seed passed explicitly)"
    )

    def command(self, inp: Path, out: Path, lq: Clip) -> list[str]:
        """``inference_difface.py`` in restoration mode on aligned faces, with ``eta``, ``seed`` and
        ``--use_fp16`` (unless fp16=false)."""
        argv = py(
            self,
            self.entry_point,
            "-i",
            inp,
            "-o",
            out,
            "--task",
            "restoration",
            "--eta",
            self.config.get("eta", 0.5),
            "--seed",
            self.config.get("seed", 12345),
            "--aligned",
        )
        return argv + (["--use_fp16"] if self.config.get("fp16", True) else [])

    def fingerprint(self) -> dict[str, Any]:
        """The adapter fingerprint plus the sampling schedule (1000 steps respaced to ddim250, 100 DDIM steps
        from step 100)."""
        fp = super().fingerprint()
        fp["sampling"] = {
            "diffusion_steps": 1000,
            "respacing": "ddim250",
            "start_step": 100,
            "ddim_steps": 100,
        }
        return fp
