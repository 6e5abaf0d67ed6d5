"""STAR (text-to-video prior VSR, I2VGen-XL based, 15 steps): adapter running https://github.com/NJU-PCALab/STAR from its own checkout.

Regime B (LR frames in, ×4 out); see ``baselines/base.py`` and ``docs/baselines.md``.
Checked against ``video_super_resolution/scripts/inference_sr.py`` (and ``inference_utils.py``,
``video_to_video/video_to_video_model.py``) at commit ``69b8bc53e4bb04267265fa9a288ee30882c5b2ed``:

- ``--file_name`` has no default and is only used when saving, after the whole diffusion run: it is
  always passed (``<clip>.mp4``);
- two released weights, ``heavy_deg.pt`` and ``light_deg.pt`` (``weights=heavy|light``, default
  heavy: our LQ are synthetic, heavily degraded clips); the file used is recorded;
- ``--solver_mode fast`` (the default) forces 15 steps whatever ``--steps`` says: ``steps`` other
  than 15 switch to ``normal`` mode, and ``fast`` with other steps is refused;
- the writer shells out to ``ffmpeg`` with libx264 crf 0 **yuv420p** (chroma subsampled: lossy);
- the SVD temporal VAE (gated) and the OpenCLIP text encoder come from the Hugging Face hub when
  the model is built: prefetched by the setup steps, and the run is offline (``HF_HUB_OFFLINE=1``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from baselines.base import BaselineWeight, ExternalMethod, py
from vfebench.errors import InputError
from vfebench.utils import safe_name
from vfebench.video import Clip

_HF = "https://huggingface.co/SherryX/STAR/resolve/main/I2VGen-XL-based"


class STAR(ExternalMethod):
    name = "star"
    description = "STAR (text-to-video prior VSR, 15 steps)"
    repo_url = "NJU-PCALab/STAR"
    regime = "B"
    input_kind = "video"
    output_glob = "*.mp4"
    output_is_video = True
    steps = 15
    scale = 4
    deterministic = False
    traps = (
        "--file_name has no default (save fails after the diffusion run): always passed; weights "
        "heavy_deg.pt / light_deg.pt recorded; fast mode forces 15 steps; writes x264 crf0 yuv420p "
        "(chroma loss) via system ffmpeg; gated SVD VAE + OpenCLIP from the HF hub (prefetched, run offline)"
    )
    pinned_commit = "69b8bc53e4bb04267265fa9a288ee30882c5b2ed"
    entry_point = "video_super_resolution/scripts/inference_sr.py"
    checkout_files = ("inference_utils.py",)
    weights = (
        BaselineWeight("pretrained_weight/heavy_deg.pt", f"{_HF}/heavy_deg.pt"),
        BaselineWeight("pretrained_weight/light_deg.pt", f"{_HF}/light_deg.pt"),
    )
    env_setup = (
        "${BASE_PYTHON:-python3.10} -m venv .venv",
        ".venv/bin/pip install -r requirements.txt",
        "command -v ffmpeg  # its writer runs the system ffmpeg",
        ".venv/bin/python -c \"import open_clip; open_clip.create_model_and_transforms('ViT-H-14', "
        "pretrained='laion2b_s32b_b79k')\"",
        "# gated model: accept its licence on huggingface.co and `huggingface-cli login` first",
        '.venv/bin/python -c "from diffusers import AutoencoderKLTemporalDecoder as A; '
        "A.from_pretrained('stabilityai/stable-video-diffusion-img2vid', subfolder='vae', variant='fp16')\"",
    )

    def effective_params(self) -> dict[str, Any]:
        """The weights file (heavy/light), solver mode, steps, cfg and chunk length the run uses.

        Raises ``InputError`` for an unknown ``weights=`` or ``solver_mode=``, and for ``fast`` with steps ≠
        15.
        """
        variant = str(self.config.get("weights", "heavy"))
        if variant not in ("heavy", "light"):
            raise InputError(f"star: weights={variant!r}; expected heavy or light")
        steps = int(self.config.get("steps", 15))
        mode = str(self.config.get("solver_mode", "fast" if steps == 15 else "normal"))
        if mode not in ("fast", "normal"):
            raise InputError(f"star: solver_mode={mode!r}; expected fast or normal")
        if mode == "fast" and steps != 15:
            raise InputError(
                f"star: solver_mode=fast always samples 15 steps (steps={steps} asked); use solver_mode=normal"
            )
        return {
            "weights_file": f"{variant}_deg.pt",
            "solver_mode": mode,
            "steps": steps,
            "cfg": float(self.config.get("cfg", 7.5)),
            "max_chunk_len": int(self.config.get("max_chunk_len", 32)),
        }

    def required_weights(self) -> tuple[BaselineWeight, ...]:
        """Only the weights file of the chosen variant (``heavy_deg.pt`` or ``light_deg.pt``)."""
        f = self.effective_params()["weights_file"]
        return tuple(w for w in self.weights if w.path.endswith("/" + f))

    def extra_env(self) -> dict[str, str]:
        """``HF_HUB_OFFLINE=1``: the VAE and text encoder are prefetched from the hub by setup."""
        return {"HF_HUB_OFFLINE": "1"}

    def command(self, inp: Path, out: Path, lq: Clip) -> list[str]:
        """``inference_sr.py`` on the input with ``<clip>.mp4`` as the file name, the variant's weights, ×4
        and the sampling options."""
        p = self.effective_params()
        return py(
            self,
            self.entry_point,
            "--input_path",
            inp,
            "--save_dir",
            out,
            "--file_name",
            f"{safe_name(lq.id)}.mp4",
            "--model_path",
            self.required_weights()[0].path,
            "--upscale",
            4,
            "--solver_mode",
            p["solver_mode"],
            "--steps",
            p["steps"],
            "--cfg",
            p["cfg"],
            "--max_chunk_len",
            p["max_chunk_len"],
        )
