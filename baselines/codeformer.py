"""CodeFormer (image face restoration, frame by frame; fidelity weight w): adapter running https://github.com/sczhou/CodeFormer from its own checkout.

Regime A (aligned 512×512 faces in); see ``baselines/base.py`` and ``shared/specs/baselines.md``.
Checked against ``inference_codeformer.py`` and ``scripts/download_pretrained_models.py`` at
commit b33cc7d (``tests/data/baseline_cli/codeformer.json``):

- ``-w`` (``--fidelity_weight``, default 0.5) is a free parameter, recorded in the fingerprint.
- with ``--has_aligned`` each input image is resized to 512 (bilinear) and written as
  ``<out>/restored_faces/<input stem>.png`` (lossless); output is always 512².
- when the network raises for a frame (e.g. CUDA out of memory) the script prints
  ``Failed inference for CodeFormer`` and writes the *input* face as the result, exiting 0. The
  adapter rejects an output frame identical to its input frame instead of scoring the LQ.
- on first run the script downloads ``weights/CodeFormer/codeformer.pth`` and, because
  ``FaceRestoreHelper`` is built even for aligned input, the face detector and parser into
  ``weights/facelib/`` (``scripts/download_pretrained_models.py CodeFormer|facelib`` fetches the
  same files). ``weights`` lists them for prefetching; no hashes are published.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from baselines.base import BaselineWeight, ExternalMethod, ExternalMethodError, py
from vfebench.video import Clip

_RELEASE = "https://github.com/sczhou/CodeFormer/releases/download/v0.1.0"


class CodeFormer(ExternalMethod):
    name = "codeformer"
    description = "CodeFormer (image face restoration, frame by frame; fidelity weight w)"
    repo_url = "sczhou/CodeFormer"
    regime = "A"
    input_kind = "frames"
    output_glob = "restored_faces/*.png"
    output_is_video = False
    steps = 1
    scale = 1
    pinned_commit = "b33cc7d639d6545bfcccc7e0bc6ae51f24e79c2b"
    entry_point = "inference_codeformer.py"
    weights = (
        BaselineWeight("weights/CodeFormer/codeformer.pth", f"{_RELEASE}/codeformer.pth"),
        BaselineWeight(
            "weights/facelib/detection_Resnet50_Final.pth", f"{_RELEASE}/detection_Resnet50_Final.pth"
        ),
        BaselineWeight("weights/facelib/parsing_parsenet.pth", f"{_RELEASE}/parsing_parsenet.pth"),
    )
    env_setup = (
        "python3.8 -m venv .venv",
        ".venv/bin/pip install -r requirements.txt",
        ".venv/bin/python basicsr/setup.py develop",
    )
    traps = (
        "w is a free parameter (default 0.5), recorded in the fingerprint; a frame whose inference fails is "
        "silently replaced by its input (rejected here); downloads codeformer.pth and facelib weights on first "
        "run unless prefetched; output always 512x512"
    )

    def command(self, inp: Path, out: Path, lq: Clip) -> list[str]:
        """``inference_codeformer.py -w W --has_aligned --input_path IN -o OUT``."""
        return py(
            self,
            self.entry_point,
            "-w",
            self.config.get("w", 0.5),
            "--has_aligned",
            "--input_path",
            inp,
            "-o",
            out,
        )

    def collect_outputs(self, out: Path, lq: Clip) -> np.ndarray:
        """The restored ``(T, H, W, 3)`` uint8 frames; ``ExternalMethodError`` if any frame equals its input.

        CodeFormer writes the input face unchanged when inference fails for a frame (e.g. CUDA out of
        memory) and still exits 0; such output is rejected rather than scored as a restoration.
        """
        frames = super().collect_outputs(out, lq)
        if frames.shape == lq.frames.shape:
            same = (frames == lq.frames).reshape(len(frames), -1).all(1)
            if same.any():
                raise ExternalMethodError(
                    f"{self.name}: clip {lq.id!r}: frames {np.flatnonzero(same).tolist()} are the input unchanged "
                    "(CodeFormer writes the input face when inference fails, e.g. CUDA out of memory)"
                )
        return frames
