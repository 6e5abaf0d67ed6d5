"""PGTFormer (parsing-guided temporal transformer; 3-frame window): adapter running https://github.com/kepengxu/PGTFormer from its own checkout.

Regime A (aligned 512×512 faces in); see ``baselines/base.py`` and
``shared/specs/baselines.md``. Trap: x265 crf18 output (lossy).
"""

from __future__ import annotations

from pathlib import Path

from baselines.base import ExternalMethod, py
from vfebench.video import Clip


class PGTFormer(ExternalMethod):
    name = "pgtformer"
    description = "PGTFormer (parsing-guided temporal transformer; 3-frame window)"
    repo_url = "kepengxu/PGTFormer"
    regime = "A"
    input_kind = "video"
    output_glob = "*.mp4"
    output_is_video = True
    steps = 1
    scale = 1
    traps = "x265 crf18 output (lossy)"

    def command(self, inp: Path, out: Path, lq: Clip) -> list[str]:
        return py(self, "inference.py", "--input_video", inp, "--output_video", out / f"{lq.id}.mp4")
