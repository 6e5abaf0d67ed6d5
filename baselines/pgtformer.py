"""PGTFormer (parsing-guided temporal transformer; 3-frame window): adapter running https://github.com/kepengxu/PGTFormer from its own checkout.

Regime A (aligned 512×512 faces in); see ``baselines/base.py`` and ``docs/baselines.md``.
Checked against ``inference.py`` at commit ``e78a26cd463182f4a5aa96b8681110da8615d44d``:

- it pipes frames through its bundled ``ffmpeg_lib/ffmpeg``, which is committed without the
  executable bit (mode 100644): the pre-run step sets it (``chmod +x``, the method's own binary);
- the network comes from the Hugging Face hub at run time
  (``PGTFormer.from_pretrained("kepeng/pgtformer-base")``; the ``weights/`` path is commented
  out): prefetched by the setup steps, and the run is offline (``HF_HUB_OFFLINE=1``);
- it writes libx265 crf 18 (lossy; no flag changes it) at ``int(fps)`` — the frame count is
  unchanged and our clip keeps the LQ fps, so only the pixels carry the codec loss;
- a 3-frame window, the first and last frames padded by repetition: one output per input frame.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from baselines.base import ExternalMethod, py
from vfebench.utils import safe_name
from vfebench.video import Clip

FFMPEG = "ffmpeg_lib/ffmpeg"


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
    traps = (
        "bundled ffmpeg_lib/ffmpeg committed without the exec bit: chmod +x before the run; network "
        "from the HF hub (kepeng/pgtformer-base) at run time: prefetched, run offline; x265 crf 18 "
        "output (lossy) at int(fps)"
    )
    pinned_commit = "e78a26cd463182f4a5aa96b8681110da8615d44d"
    entry_point = "inference.py"
    checkout_files = (FFMPEG, "options/release_test_stage_IIII_dont_need_align_version.yml")
    weights = ()  # from the HF hub (kepeng/pgtformer-base), into the HF cache: see env_setup
    env_setup = (
        "${BASE_PYTHON:-python3.8} -m venv .venv",
        "# `requirements` is a `pip list` dump (name, version columns), not a requirements file",
        "awk 'NR > 2 && NF >= 2 {print $1 \"==\" $2}' requirements > .venv/requirements.txt",
        ".venv/bin/pip install -r .venv/requirements.txt",
        f"chmod +x {FFMPEG}",
        '.venv/bin/python -c "from archs.pgtformer_arch import PGTFormer; '
        "PGTFormer.from_pretrained('kepeng/pgtformer-base')\"",
    )

    def prepare_checkout(self) -> None:
        """Set the executable bit of the bundled ``ffmpeg_lib/ffmpeg`` (committed without it)."""
        f = self.repo / FFMPEG
        if f.is_file() and not os.access(f, os.X_OK):
            f.chmod(f.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)

    def extra_env(self) -> dict[str, str]:
        """``HF_HUB_OFFLINE=1``: the network is prefetched from the hub by setup."""
        return {"HF_HUB_OFFLINE": "1"}

    def command(self, inp: Path, out: Path, lq: Clip) -> list[str]:
        """``inference.py --input_video IN --output_video OUT/<clip>.mp4``."""
        return py(
            self, self.entry_point, "--input_video", inp, "--output_video", out / f"{safe_name(lq.id)}.mp4"
        )
