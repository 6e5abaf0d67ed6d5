"""RealBasicVSR (real-world video SR, ×4): adapter running https://github.com/ckkelvinchan/RealBasicVSR from its own checkout.

Regime B (LR frames in, ×4 out); see ``baselines/base.py`` and ``shared/specs/baselines.md``.
Checked against ``inference_realbasicvsr.py`` and ``configs/realbasicvsr_x4.py`` at commit b908e08
(``tests/data/baseline_cli/realbasicvsr.json``):

- the script decides "video or folder" by ``os.path.splitext(input_dir)``: a folder whose name has a
  dot (a clip id such as ``id00017.mp4_0``) is rejected. The adapter names the input folder after
  the clip id with dots replaced (the clip id itself is unchanged in the result).
- positional ``config checkpoint input_dir output_dir``; ``--max_seq_len`` (underscore; the README
  spells it ``--max-seq-len``, which argparse rejects) bounds the frames per forward pass
  (default 30 here; unset, the whole clip goes to the GPU); ``--is_save_as_png`` is ``type=bool``,
  so any non-empty value is true.
- PNG outputs keep the input file names (lossless).
- building the model builds its perceptual loss, whose VGG19 is fetched from torchvision on first
  run (``vgg19-dcbb9e9d.pth`` into ``$TORCH_HOME/hub/checkpoints``): the adapter points
  ``TORCH_HOME`` at ``checkpoints/torch`` in the checkout, where setup puts that file.
- the checkpoint is published as ``RealBasicVSR.pth`` (Dropbox / Google Drive / OneDrive); the
  README's commands load it as ``checkpoints/RealBasicVSR_x4.pth``. No hashes are published
  (torchvision's file name carries the sha256 prefix ``dcbb9e9d``).
"""

from __future__ import annotations

from pathlib import Path

from baselines.base import BaselineWeight, ExternalMethod, py
from vfebench.video import Clip

VGG19 = "checkpoints/torch/hub/checkpoints/vgg19-dcbb9e9d.pth"


class RealBasicVSR(ExternalMethod):
    name = "realbasicvsr"
    description = "RealBasicVSR (real-world video SR, ×4)"
    repo_url = "ckkelvinchan/RealBasicVSR"
    regime = "B"
    input_kind = "frames"
    output_glob = "*.png"
    output_is_video = False
    steps = 1
    scale = 4
    pinned_commit = "b908e08323c84e96b08f0d58621026ab27f56bcb"
    entry_point = "inference_realbasicvsr.py"
    weights = (
        BaselineWeight(
            "checkpoints/RealBasicVSR_x4.pth",
            "https://www.dropbox.com/s/eufigxmmkv5woop/RealBasicVSR.pth?dl=1",
        ),
        BaselineWeight(VGG19, "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth"),
    )
    env_setup = (
        # the README's example stack (torch 1.7.1); mmcv-full has no prebuilt wheels for recent torch
        "python3.8 -m venv .venv",
        ".venv/bin/pip install torch==1.7.1 torchvision==0.8.2 openmim",
        ".venv/bin/mim install mmcv-full",
        ".venv/bin/pip install mmedit",
    )
    traps = (
        "input folder named without dots (the script treats a dotted name as a video file); whole clip on "
        "the GPU unless max_seq_len is set; VGG19 for the (unused) perceptual loss is loaded from "
        "TORCH_HOME=<checkout>/checkpoints/torch"
    )

    def command(self, inp: Path, out: Path, lq: Clip) -> list[str]:
        """``inference_realbasicvsr.py CONFIG CKPT IN OUT --max_seq_len N --is_save_as_png True``."""
        return py(
            self,
            self.entry_point,
            self.config.get("config", "configs/realbasicvsr_x4.py"),
            self.config.get("checkpoint", "checkpoints/RealBasicVSR_x4.pth"),
            inp,
            out,
            "--max_seq_len",
            self.config.get("max_seq_len", 30),
            "--is_save_as_png",
            "True",
        )

    def extra_env(self) -> dict[str, str]:
        """``TORCH_HOME`` in the checkout, where setup puts the VGG19 weights of the perceptual loss."""
        return {"TORCH_HOME": str(self.repo.resolve() / "checkpoints" / "torch")}

    def restore(self, lq: Clip, target_size: tuple[int, int] | None = None) -> Clip:
        """Restore with dots in the clip id replaced by ``_`` for the input folder (the script rejects them).

        The returned clip keeps the original id and the LQ fps; frames ``(T, 4h, 4w, 3)`` uint8.
        """
        if "." not in lq.id:
            return super().restore(lq, target_size)
        out = super().restore(Clip(lq.id.replace(".", "_"), lq.frames, lq.fps, lq.meta), target_size)
        return Clip(lq.id, out.frames, lq.fps, out.meta)
