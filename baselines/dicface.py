"""DicFace (Dirichlet-constrained codebook, video face restoration): adapter running https://github.com/fudan-generative-vision/DicFace from its own checkout.

Regime A (aligned 512×512 faces in); see ``baselines/base.py`` and ``shared/specs/baselines.md``.
Checked against ``scripts/inference.py`` and the README at commit df08bb7
(``tests/data/baseline_cli/dicface.json``):

- ``--max_length`` (the temporal window centred on each frame) defaults to 20 in the parser, but
  every README command uses 10; the adapter passes 10 (``max_length`` config). The network runs
  once per frame on its whole window, so the cost grows with ``max_length``.
- the entry point lives in ``scripts/`` and imports ``basicsr`` and ``facelib`` from the checkout
  root, which is not on ``sys.path`` for ``python scripts/inference.py``: the adapter sets
  ``PYTHONPATH`` to the checkout.
- with ``--has_aligned`` each frame is resized to 512 (bilinear) and written as
  ``<out>/<input folder name>/restored_faces/%08d.png`` (renumbered, lossless); output is always 512².
- ``FaceRestoreHelper`` is built even for aligned input, so the face detector and parser weights
  (``ckpts/facelib/``) are downloaded from CodeFormer's release on first run; the restorer
  checkpoint ``ckpts/CodeFormer/bfr_100k.pth`` comes from the HF repo
  ``fudan-generative-ai/DicFace_model`` (or Baidu); no hashes are published. The file path inside
  that HF repo is taken from the README's checkpoint tree and was not verified (the hub was not
  reachable when this adapter was checked).
"""

from __future__ import annotations

import os
from pathlib import Path

from baselines.base import BaselineWeight, ExternalMethod, py
from vfebench.video import Clip

_HF = "https://huggingface.co/fudan-generative-ai/DicFace_model/resolve/main"
_FACELIB = "https://github.com/sczhou/CodeFormer/releases/download/v0.1.0"


class DicFace(ExternalMethod):
    name = "dicface"
    version = "2"  # --max_length 10 as in the README (was the parser default 20)
    description = "DicFace (Dirichlet-constrained codebook, video face restoration)"
    repo_url = "fudan-generative-vision/DicFace"
    regime = "A"
    input_kind = "frames"
    output_glob = "**/restored_faces/*.png"
    output_is_video = False
    steps = 1
    scale = 1
    pinned_commit = "df08bb76d0512899d24dad2732fcb1adb79433a4"
    entry_point = "scripts/inference.py"
    weights = (
        BaselineWeight("ckpts/CodeFormer/bfr_100k.pth", f"{_HF}/CodeFormer/bfr_100k.pth"),
        BaselineWeight(
            "ckpts/facelib/detection_Resnet50_Final.pth", f"{_FACELIB}/detection_Resnet50_Final.pth"
        ),
        BaselineWeight("ckpts/facelib/parsing_parsenet.pth", f"{_FACELIB}/parsing_parsenet.pth"),
    )
    env_setup = (
        "python3.10 -m venv .venv",
        ".venv/bin/pip install torch==2.4.1 torchvision==0.19.1 torchaudio==2.4.1",
        ".venv/bin/pip install -r requirements.txt",
        ".venv/bin/python basicsr/setup.py develop",
    )
    traps = (
        "--max_length 10 as in the README (parser default 20); needs PYTHONPATH=<checkout>; downloads "
        "facelib detector/parser weights on first run even for aligned input; output always 512x512"
    )

    def command(self, inp: Path, out: Path, lq: Clip) -> list[str]:
        """``scripts/inference.py -i IN -o OUT --has_aligned --max_length N --ckpt_path CKPT`` (N default 10,
        as the README)."""
        return py(
            self,
            self.entry_point,
            "-i",
            inp,
            "-o",
            out,
            "--has_aligned",
            "--max_length",
            self.config.get("max_length", 10),
            "--ckpt_path",
            self.config.get("checkpoint", "ckpts/CodeFormer/bfr_100k.pth"),
        )

    def extra_env(self) -> dict[str, str]:
        """``PYTHONPATH`` with the checkout first (the script imports ``basicsr`` and ``facelib`` from it)."""
        parts = [str(self.repo.resolve()), os.environ.get("PYTHONPATH", "")]
        return {"PYTHONPATH": os.pathsep.join(p for p in parts if p)}
