"""MGLD-VSR (latent diffusion video SR, 50 DDPM steps): adapter running https://github.com/IanYeung/MGLD-VSR from its own checkout.

Regime B (LR frames in, ×4 out); see ``baselines/base.py`` and ``docs/baselines.md``.
Checked against ``scripts/vsr_val_ddpm_text_T_vqganfin_oldcanvas_tile.py`` and its configs at
commit ``9aa77315e8227ff1f9d54d0f64bc05335b7bb219``:

- the script imports ``scripts.*``, ``ldm`` and ``basicsr`` from the checkout root, so it needs
  ``PYTHONPATH`` = the checkout (the README leaves this out);
- the default ``--config`` (``configs/stable-diffusion/v1-inference.yaml``) is not in the repo,
  and ``--ckpt`` / ``--vqgan_ckpt`` default to files the README never names: all three are passed;
- the script loads a second config from the hard-coded ``configs/video_autoencoder/…`` while the
  repo ships it as ``configs/video_vae/…``, and both configs hold absolute ``/home/notebook/…``
  checkpoint paths that model construction reads. The pre-run step writes the main config to
  ``.vfebench/`` and the second one to the hard-coded path, both with those paths made relative
  to the checkout (``checkpoints/…``);
- ``--dec_w 1.0 --colorfix_type adain`` as in the README (the argparse defaults are 0.5 / nofix);
- the OpenCLIP ViT-H-14 text encoder (``laion2b_s32b_b79k``) comes from the Hugging Face hub when
  the model is built: prefetched by the setup steps, and the run is offline (``HF_HUB_OFFLINE=1``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from baselines.base import BaselineWeight, ExternalMethod, py
from vfebench.errors import InputError
from vfebench.utils import atomic_write_text
from vfebench.video import Clip

_MAIN_CONFIG = "configs/mgldvsr/mgldvsr_512_realbasicvsr_deg.yaml"
_VAE_CONFIG = "configs/video_vae/video_autoencoder_kl_64x64x4_resi.yaml"
_VAE_CONFIG_EXPECTED = "configs/video_autoencoder/video_autoencoder_kl_64x64x4_resi.yaml"  # hard-coded
_REWRITTEN_MAIN = ".vfebench/mgldvsr_512_realbasicvsr_deg.yaml"
# the authors' absolute checkout prefix in both configs (checkpoint / flow-net paths)
_ABS_PREFIX = re.compile(r"/home/notebook/code/personal/[^/\s]+/MGLD-VSR/")
_ONEDRIVE = (
    "https://connectpolyu-my.sharepoint.com/:f:/g/personal/19046191r_connect_polyu_hk/"
    "EvI_j1SUiVFBlwEy4i62ckgB1XEHeqfFcJS4Ho6JQrTAWA?e=rDT4M4"
)


def relative_config(text: str) -> str:
    """The config with the authors' absolute checkout prefix removed (paths relative to the checkout)."""
    return _ABS_PREFIX.sub("", text)


class MGLDVSR(ExternalMethod):
    name = "mgld-vsr"
    description = "MGLD-VSR (latent diffusion video SR, 50 DDPM steps)"
    repo_url = "IanYeung/MGLD-VSR"
    regime = "B"
    input_kind = "frames"
    output_glob = "**/*.png"
    output_is_video = False
    steps = 50
    scale = 4
    deterministic = False
    traps = (
        "needs PYTHONPATH=<checkout>; default --config missing from the repo; a second config is read "
        "from a hard-coded path under another name and both hold absolute checkpoint paths: rewritten "
        "by the pre-run step; README flags --dec_w 1.0 --colorfix_type adain; OpenCLIP text encoder "
        "from the HF hub (prefetched, run offline); weights only on Baidu/OneDrive"
    )
    pinned_commit = "9aa77315e8227ff1f9d54d0f64bc05335b7bb219"
    entry_point = "scripts/vsr_val_ddpm_text_T_vqganfin_oldcanvas_tile.py"
    checkout_files = (_MAIN_CONFIG, _VAE_CONFIG)
    generated_files = (_REWRITTEN_MAIN, _VAE_CONFIG_EXPECTED)
    weights = (
        # the released U-net and video VAE (OneDrive / Baidu folder: manual download); local names
        # are the script's own --ckpt / --vqgan_ckpt defaults
        BaselineWeight("checkpoints/stablevsr_025.ckpt", _ONEDRIVE),
        BaselineWeight("checkpoints/vqgan_cfw_00011.ckpt", _ONEDRIVE),
        # read by model construction through the configs' ckpt_path / load_path
        BaselineWeight(
            "checkpoints/v2-1_512-ema-pruned.ckpt",
            "https://huggingface.co/stabilityai/stable-diffusion-2-1-base/resolve/main/v2-1_512-ema-pruned.ckpt",
        ),
        BaselineWeight(
            "checkpoints/flownets/raft-things.pth",
            # princeton-vl/RAFT download_models.sh: a zip holding raft-things.pth (manual unzip)
            "https://dl.dropboxusercontent.com/s/4j4z58wuv8o0mfz/models.zip",
        ),
    )
    env_setup = (
        "${BASE_PYTHON:-python3} -m venv .venv",
        ".venv/bin/pip install -r requirements.txt",
        ".venv/bin/mim install mmcv",
        ".venv/bin/python -c \"import open_clip; open_clip.create_model_and_transforms('ViT-H-14', "
        "pretrained='laion2b_s32b_b79k')\"",
    )

    def effective_params(self) -> dict[str, Any]:
        """DDPM ``steps`` (50), ``dec_w`` (1.0), ``colorfix_type`` (adain) and ``seed`` (42) the run uses."""
        return {
            "steps": int(self.config.get("steps", 50)),
            "dec_w": float(self.config.get("dec_w", 1.0)),
            "colorfix_type": str(self.config.get("colorfix_type", "adain")),
            "seed": int(self.config.get("seed", 42)),
        }

    def extra_env(self) -> dict[str, str]:
        """``PYTHONPATH`` = the checkout, and ``HF_HUB_OFFLINE=1`` (the text encoder is prefetched by
        setup)."""
        return {"PYTHONPATH": self._pythonpath(self.repo), "HF_HUB_OFFLINE": "1"}

    def prepare_checkout(self) -> None:
        """Write the two configs the script reads with their absolute checkpoint paths made relative.

        The main config goes to ``.vfebench/`` and the VAE config to the path the script hard-codes;
        files already up to date are left alone. ``InputError`` when a source config is missing.
        """
        for src, dst in ((_MAIN_CONFIG, _REWRITTEN_MAIN), (_VAE_CONFIG, _VAE_CONFIG_EXPECTED)):
            s = self.repo / src
            if not s.is_file():
                raise InputError(
                    f"baseline {self.name!r}: {s} is missing; is {self.repo} a checkout of "
                    f"https://github.com/{self.repo_url} at {self.pinned_commit[:12]}? "
                    f"(`vfebench baselines check {self.name} --dir {self.repo}`)"
                )
            text = relative_config(s.read_text())
            d = self.repo / dst
            if not d.is_file() or d.read_text() != text:
                atomic_write_text(d, text)

    def command(self, inp: Path, out: Path, lq: Clip) -> list[str]:
        """The MGLD-VSR script on the clip's parent folder with both configs and checkpoints, ×4, one GPU."""
        p = self.effective_params()
        return py(
            self,
            self.entry_point,
            "--config",
            self.config.get("config", _REWRITTEN_MAIN),
            "--ckpt",
            self.config.get("ckpt", self.weights[0].path),
            "--vqgan_ckpt",
            self.config.get("vqgan_ckpt", self.weights[1].path),
            "--seqs-path",
            inp.parent,
            "--outdir",
            out,
            "--ddpm_steps",
            p["steps"],
            "--dec_w",
            p["dec_w"],
            "--colorfix_type",
            p["colorfix_type"],
            "--seed",
            p["seed"],
            "--upscale",
            4,
            "--select_idx",
            0,
            "--n_gpus",
            1,
        )
