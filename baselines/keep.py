"""KEEP (Kalman-inspired feature propagation, ECCV 2024): adapter running https://github.com/jnjaby/KEEP from its own checkout.

Regime A (aligned 512×512 faces in); see ``baselines/base.py`` and ``shared/specs/baselines.md``.
Checked against ``inference_keep.py`` and the README at commit 5c7c472
(``tests/data/baseline_cli/keep.json``):

- clone recursively: ``basicsr/archs/gmflow`` is a git submodule (haofeixu/gmflow); its weights
  come inside the KEEP checkpoint (``flownet_path=None``).
- outputs ``<out>/<input folder name>/restored_faces/%08d.png`` (renumbered, lossless); aligned
  input is resized to 512 (bilinear), so output is always 512².
- the clip is restored in consecutive non-overlapping windows of ``--max_length`` frames (parser
  default 20, the README passes none); the adapter passes it explicitly (``max_length`` config).
- on first run the script downloads ``weights/KEEP/KEEP-a1a14d46.pth`` (the suffix is the first 8 hex
  of its sha256, ``scripts/publish_models.py``) and, because ``FaceRestoreHelper`` is built even for
  aligned input, the face detector and parser into ``weights/facelib/``. ``weights`` lists them for
  prefetching; with the files present nothing is downloaded.
"""

from __future__ import annotations

from pathlib import Path

from baselines.base import BaselineWeight, ExternalMethod, py
from vfebench.video import Clip

_FACELIB = "https://github.com/sczhou/CodeFormer/releases/download/v0.1.0"


class KEEP(ExternalMethod):
    name = "keep"
    description = "KEEP (Kalman-inspired feature propagation, ECCV 2024)"
    repo_url = "jnjaby/KEEP"
    regime = "A"
    input_kind = "frames"
    output_glob = "**/restored_faces/*.png"
    output_is_video = False
    steps = 1
    scale = 1
    default_upsample = "bilinear"  # KEEP upsamples the ×4 LQ with bilinear
    pinned_commit = "5c7c4721c3f3b646e9a88c737bc1454f6cbd0440"
    entry_point = "inference_keep.py"
    weights = (
        BaselineWeight(
            "weights/KEEP/KEEP-a1a14d46.pth",
            "https://github.com/jnjaby/KEEP/releases/download/v0.1.0/KEEP-a1a14d46.pth",
        ),
        BaselineWeight(
            "weights/facelib/detection_Resnet50_Final.pth", f"{_FACELIB}/detection_Resnet50_Final.pth"
        ),
        BaselineWeight("weights/facelib/parsing_parsenet.pth", f"{_FACELIB}/parsing_parsenet.pth"),
    )
    env_setup = (
        "git submodule update --init --recursive",
        "python3.8 -m venv .venv",
        ".venv/bin/pip install -r requirements.txt",
        ".venv/bin/python basicsr/setup.py develop",
    )
    traps = (
        "outputs renumbered under OUT/<clip>/restored_faces/; clone recursively (gmflow submodule); "
        "max_length windows (default 20) passed explicitly; downloads its checkpoint and facelib "
        "detector/parser on first run unless prefetched; output always 512x512"
    )

    def command(self, inp: Path, out: Path, lq: Clip) -> list[str]:
        """``inference_keep.py -i IN -o OUT --has_aligned -s 1 --max_length N`` (N default 20)."""
        return py(
            self,
            self.entry_point,
            "-i",
            inp,
            "-o",
            out,
            "--has_aligned",
            "-s",
            1,
            "--max_length",
            self.config.get("max_length", 20),
        )
