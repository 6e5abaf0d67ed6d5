"""SeedVR2-3B (one-step diffusion video restoration): adapter running https://github.com/ByteDance-Seed/SeedVR from its own checkout.

Same repository, input form and command as :mod:`baselines.seedvr`; only the entry point and step
count differ. Trap: resizes any input to the target area; mp4 output (lossy); colour fix
optional — set extra_args and record it.
"""

from __future__ import annotations

from baselines.seedvr import SeedVR


class SeedVR2(SeedVR):
    name = "seedvr2-3b"
    description = "SeedVR2-3B (one-step diffusion video restoration)"
    steps = 1
    traps = "resizes any input to the target area; mp4 output (lossy); colour fix optional — set extra_args and record it"
    script = "projects/inference_seedvr2_3b.py"
