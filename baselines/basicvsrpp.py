"""BasicVSR++ (video SR, ×4; mmcv-full 1.x in its own env): adapter running https://github.com/ckkelvinchan/BasicVSR_PlusPlus from its own checkout.

Regime B (LR frames in, ×4 out); see ``baselines/base.py`` and ``docs/baselines.md``.
Checked against ``demo/restoration_video_demo.py`` and ``mmedit/apis/restoration_video_inference.py``
at commit ``bbd417c6ac3b995148e98960f4b7458900774889``:

- the video inference splits the input folder on ``/`` and joins the pieces again
  (``re.split`` + ``reduce(osp.join)``), which drops the leading ``/`` of an absolute path, so the
  input folder is passed relative to the checkout (the command's working directory);
- without ``--max-seq-len`` the whole clip goes to the GPU at once: we pass ``max_seq_len``
  (default 30 frames; the recurrent propagation restarts at each chunk, so it is recorded);
- building the model downloads SPyNet from ``download.openmmlab.com``: ``TORCH_HOME`` points into
  the checkout, where ``vfebench baselines setup`` puts that file, so an offline run finds it;
- ``--device`` is a CUDA index (``torch.device('cuda', i)``): no CPU run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from baselines.base import BaselineWeight, ExternalMethod, py
from vfebench.video import Clip

_SPYNET = "spynet_20210409-c6c1bd09.pth"


class BasicVSRPP(ExternalMethod):
    name = "basicvsr++"
    description = "BasicVSR++ (video SR, ×4; mmcv-full 1.x in its own env)"
    repo_url = "ckkelvinchan/BasicVSR_PlusPlus"
    regime = "B"
    input_kind = "frames"
    output_glob = "*.png"
    output_is_video = False
    steps = 1
    scale = 4
    traps = (
        "absolute input folders lose their leading '/' in mmedit's video inference: input passed "
        "relative to the checkout; --max-seq-len chunks the clip (recorded); SPyNet is downloaded at "
        "model build: TORCH_HOME points at the checkout's prefetched copy; CUDA only"
    )
    pinned_commit = "bbd417c6ac3b995148e98960f4b7458900774889"
    entry_point = "demo/restoration_video_demo.py"
    checkout_files = ("configs/basicvsr_plusplus_reds4.py",)
    weights = (
        # OpenMMLab names files <name>-<first 8 hex of sha256>.pth; the full hash is not published.
        BaselineWeight(
            "chkpts/basicvsr_plusplus_reds4.pth",
            "https://download.openmmlab.com/mmediting/restorers/basicvsr_plusplus/"
            "basicvsr_plusplus_c64n7_8x1_600k_reds4_20210217-db622b2f.pth",
        ),
        BaselineWeight(
            f"chkpts/torch/hub/checkpoints/{_SPYNET}",
            f"https://download.openmmlab.com/mmediting/restorers/basicvsr/{_SPYNET}",
        ),
    )
    env_setup = (
        "${BASE_PYTHON:-python3} -m venv .venv",
        ".venv/bin/pip install 'torch==1.13.1' 'torchvision==0.14.1' openmim",
        ".venv/bin/mim install 'mmcv-full>=1.3.13,<1.7'",
        ".venv/bin/pip install -v -e .",
    )

    def effective_params(self) -> dict[str, Any]:
        """The config file and ``max_seq_len`` (frames per forward pass, default 30) the run uses."""
        return {
            "config": self.config.get("config", self.checkout_files[0]),
            "max_seq_len": int(self.config.get("max_seq_len", 30)),
        }

    def extra_env(self) -> dict[str, str]:
        """``TORCH_HOME`` in the checkout, where setup puts the SPyNet weights (offline runs find them)."""
        return {"TORCH_HOME": str((self.repo / "chkpts" / "torch").resolve())}

    def command(self, inp: Path, out: Path, lq: Clip) -> list[str]:
        """``restoration_video_demo.py CONFIG CKPT INPUT OUT`` with the input relative to the checkout, PNG
        names, ``--max-seq-len``."""
        p = self.effective_params()
        return py(
            self,
            self.entry_point,
            p["config"],
            self.config.get("checkpoint", self.weights[0].path),
            os.path.relpath(Path(inp).resolve(), self.repo.resolve()),
            out,
            "--filename-tmpl",
            "{:08d}.png",
            "--max-seq-len",
            p["max_seq_len"],
        )
