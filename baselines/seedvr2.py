"""SeedVR2-3B (one-step diffusion video restoration): adapter running https://github.com/ByteDance-Seed/SeedVR from its own checkout.

Same repository, input form, traps and command as :mod:`baselines.seedvr`; only the entry point,
its DiT checkpoint and the sampling flags differ (``inference_seedvr2_3b.py`` has no
``--cfg_scale`` / ``--sample_steps``: one step, cfg 1.0 inside the script). Checked at commit
``673b56374c2adb21b7628b90df3829d457a52bbb``.
"""

from __future__ import annotations

from baselines.base import BaselineWeight
from baselines.seedvr import _HF, SeedVR


class SeedVR2(SeedVR):
    name = "seedvr2-3b"
    description = "SeedVR2-3B (one-step diffusion video restoration)"
    steps = 1
    entry_point = "projects/inference_seedvr2_3b.py"
    weights = (
        BaselineWeight("ckpts/seedvr2_ema_3b.pth", f"{_HF}/SeedVR2-3B/resolve/main/seedvr2_ema_3b.pth"),
        BaselineWeight("ckpts/ema_vae.pth", f"{_HF}/SeedVR2-3B/resolve/main/ema_vae.pth"),
    )
    sample_flags = False
