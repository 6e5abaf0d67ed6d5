"""SVFR (Stable Video Diffusion face restoration): adapter running https://github.com/wangzhiyaoo/SVFR from its own checkout.

Regime A (aligned 512×512 faces in); see ``baselines/base.py`` and ``shared/specs/baselines.md``.
Checked against ``infer.py`` and ``config/infer.yaml`` at commit 3a45390
(``tests/data/baseline_cli/svfr.json``):

- outputs: ``<output_dir>/<name>_<seed>_gen.mp4`` (restored), ``<name>_<seed>_ori.mp4`` (a copy of
  the LQ input) and, with ``--restore_frames``, the restored frames as lossless PNGs in
  ``<output_dir>/result_frames/<name>_<seed>/%08d.png``. The adapter reads only those PNGs (an
  ``**/*.mp4`` glob matched the LQ copy too and picked by sort order).
- ``output_dir`` is joined as ``./<output_dir>``, so it must be relative to the checkout.
- sampling: the first 16-frame window is sampled with 50 steps (hard-coded) only to produce the
  identity reference (its last frame → ArcFace embedding); the whole clip is then sampled with
  ``num_inference_steps`` of the config (30 in ``config/infer.yaml``). Both numbers are in the
  fingerprint (the config's value is read from the file actually used).
- ``--seed`` (default 77) is passed explicitly; the parser's default ``--config``
  (``./configs/infer.yaml``) does not exist, so ``--config`` is always passed.
- the script needs CUDA (models are moved to ``"cuda"`` unconditionally) and fails with an
  IndexError when no face is detected in the reference frame.
- weights: the gated ``stabilityai/stable-video-diffusion-img2vid-xt`` (git-lfs clone into
  ``models/``) and the SVFR checkpoints from a Google Drive folder (no direct file URLs, no hashes).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from baselines.base import BaselineWeight, ExternalMethod, py
from vfebench.video import Clip

_DRIVE = "https://drive.google.com/drive/folders/1nzy9Vk-yA_DwXm1Pm4dyE2o0r7V6_5mn"
_SVD = "https://huggingface.co/stabilityai/stable-video-diffusion-img2vid-xt"
REFERENCE_STEPS = 50  # infer.py: the first window's pipe(...) call, num_inference_steps=50


class SVFR(ExternalMethod):
    name = "svfr"
    version = "2"  # reads the lossless result_frames PNGs (was: first *.mp4 by sort order)
    description = "SVFR (Stable Video Diffusion face restoration, 30 steps)"
    repo_url = "wangzhiyaoo/SVFR"
    regime = "A"
    input_kind = "video"
    output_glob = "result_frames/*/*.png"
    output_is_video = False
    steps = 30
    scale = 1
    deterministic = False
    pinned_commit = "3a4539054281b1d3765e427c2294dd1776f0a57e"
    entry_point = "infer.py"
    weights = (
        BaselineWeight("models/face_align/yoloface_v5m.pt", _DRIVE, None),
        BaselineWeight("models/face_restoration/unet.pth", _DRIVE, None),
        BaselineWeight("models/face_restoration/id_linear.pth", _DRIVE, None),
        BaselineWeight("models/face_restoration/insightface_glint360k.pth", _DRIVE, None),
        BaselineWeight("models/stable-video-diffusion-img2vid-xt/model_index.json", _SVD, None),
    )
    env_setup = (
        "python3.9 -m venv .venv",
        ".venv/bin/pip install torch==2.2.2 torchvision==0.17.2 torchaudio==2.2.2",
        ".venv/bin/pip install -r requirements.txt",
        # gated on the HF hub: accept the licence and log in (huggingface-cli login) first
        f"git lfs install && git clone {_SVD} models/stable-video-diffusion-img2vid-xt",
        f"# SVFR checkpoints: download {_DRIVE} into models/ (face_align/, face_restoration/) by hand",
    )
    traps = (
        "outputs read from result_frames/<name>_<seed>/ PNGs (the mp4s are lossy and include an LQ copy); "
        "output dir relative to its cwd; first window sampled with 50 steps for the identity reference, "
        "the clip with the config's num_inference_steps; CUDA only; gated SVD weights"
    )

    def _config_path(self) -> str:
        return str(self.config.get("config", "config/infer.yaml"))

    def command(self, inp: Path, out: Path, lq: Clip) -> list[str]:
        """``infer.py --config CFG --task_ids 0 --seed S --input_path IN --output_dir OUT --restore_frames``
        (OUT relative to the checkout)."""
        import os

        return py(
            self,
            self.entry_point,
            "--config",
            self._config_path(),
            "--task_ids",
            0,
            "--seed",
            self.config.get("seed", 77),
            "--input_path",
            inp,
            "--output_dir",
            os.path.relpath(out, self.repo),
            "--restore_frames",
        )

    def sampling_steps(self) -> int | None:
        """``num_inference_steps`` of the config file the run uses (None when it cannot be read)."""
        p = Path(self._config_path())
        p = p if p.is_absolute() else self.repo / p
        try:
            m = re.search(r"^num_inference_steps:\s*(\d+)", p.read_text(), re.M)
        except OSError:
            return None
        return int(m.group(1)) if m else None

    def fingerprint(self) -> dict[str, Any]:
        """The adapter fingerprint plus the sampling steps of the reference window (50) and of the clip (the
        config's)."""
        fp = super().fingerprint()
        fp["steps"] = {"reference_window": REFERENCE_STEPS, "clip": self.sampling_steps()}
        return fp
