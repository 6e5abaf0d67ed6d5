"""SeedVR-3B (diffusion video restoration, 50 steps): adapter running https://github.com/ByteDance-Seed/SeedVR from its own checkout.

Regime B (LR frames in, ×4 out); see ``baselines/base.py`` and ``docs/baselines.md``. Checked
against ``projects/inference_seedvr_3b.py`` / ``projects/inference_seedvr2_3b.py`` and
``configs_3b/main.yaml`` at commit ``673b56374c2adb21b7628b90df3829d457a52bbb``:

- run as ``python -m torch.distributed.run --standalone --nproc-per-node=1 projects/…``: the script
  imports ``common``, ``data``, ``models``, ``projects`` from the checkout root, but its own folder
  is what lands on ``sys.path``, so ``PYTHONPATH`` = the checkout; ``--standalone`` picks a free
  rendezvous port, so two runs on one host do not collide;
- the DiT and VAE checkpoints are hard-coded (``./ckpts/seedvr_ema_3b.pth`` or
  ``./ckpts/seedvr2_ema_3b.pth``, ``./ckpts/ema_vae.pth`` from the config), as are ``pos_emb.pt`` /
  ``neg_emb.pt`` in the checkout root: all relative to the working directory (the checkout);
- the wavelet colour fix is switched on by the *presence* of
  ``projects/video_diffusion_sr/color_fix.py`` (not in the repo), not by a flag: its presence and
  sha256 are fingerprinted (``color_fix``), and ``color_fix=true|false`` refuses a checkout in
  the other state;
- ``--res_h``/``--res_w`` set a target *area* (the input is area-resized to ``sqrt(res_h·res_w)``
  and cropped to a multiple of 16), so a fixed 512×512 is ×4 only for a 128² LR clip: we pass
  4·H × 4·W of the LR clip (exact ×4 when H and W are multiples of 4; otherwise the crop shows up
  as a size mismatch, never silently resized);
- output is ``mediapy.write_video`` mp4 (H.264, yuv420p): lossy, decoded as it is;
- every file of ``--video_path`` is one sample: the folder holds only our lossless input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from baselines.base import BaselineWeight, ExternalMethod
from vfebench.errors import InputError
from vfebench.video import Clip

COLOR_FIX = "projects/video_diffusion_sr/color_fix.py"
_HF = "https://huggingface.co/ByteDance-Seed"


class SeedVR(ExternalMethod):
    name = "seedvr-3b"
    description = "SeedVR-3B (diffusion video restoration, 50 steps)"
    repo_url = "ByteDance-Seed/SeedVR"
    regime = "B"
    input_kind = "video"
    output_glob = "*.mp4"
    output_is_video = True
    steps = 50
    scale = 4
    deterministic = False
    traps = (
        "needs PYTHONPATH=<checkout> under torchrun; ckpts hard-coded in ./ckpts/; colour fix switched "
        "by the presence of projects/video_diffusion_sr/color_fix.py (fingerprinted); --res_h/--res_w "
        "are a target area: 4H×4W passed; mp4 output (H.264 yuv420p, lossy)"
    )
    pinned_commit = "673b56374c2adb21b7628b90df3829d457a52bbb"
    entry_point = "projects/inference_seedvr_3b.py"
    checkout_files = ("configs_3b/main.yaml", "pos_emb.pt", "neg_emb.pt")
    weights = (
        BaselineWeight("ckpts/seedvr_ema_3b.pth", f"{_HF}/SeedVR-3B/resolve/main/seedvr_ema_3b.pth"),
        BaselineWeight("ckpts/ema_vae.pth", f"{_HF}/SeedVR-3B/resolve/main/ema_vae.pth"),
    )
    env_setup = (
        "${BASE_PYTHON:-python3.10} -m venv .venv",
        ".venv/bin/pip install -r requirements.txt",
        ".venv/bin/pip install flash_attn==2.5.9.post1 --no-build-isolation",
        "# apex: the readme's prebuilt wheel for python 3.10 / torch 2.4 / CUDA 12.1",
        ".venv/bin/pip install "
        "https://huggingface.co/ByteDance-Seed/SeedVR2-3B/resolve/main/apex-0.1-cp310-cp310-linux_x86_64.whl",
        "# optional colour fix (recorded in the fingerprint): put sd-webui-stablesr's "
        "srmodule/colorfix.py at projects/video_diffusion_sr/color_fix.py",
    )
    sample_flags = True  # SeedVR-3B's script has --cfg_scale / --sample_steps; SeedVR2's has not

    def color_fix_state(self) -> str | None:
        """``sha256:<hex>`` of the colour-fix file when present in the checkout, else ``None``."""
        from vfebench.utils import sha256_file

        p = self.repo / COLOR_FIX
        return "sha256:" + sha256_file(p) if p.is_file() else None

    def effective_params(self) -> dict[str, Any]:
        """``seed`` (666), the colour-fix state and, for SeedVR-3B, ``steps`` (50) and ``cfg_scale`` (6.5)."""
        p: dict[str, Any] = {"seed": int(self.config.get("seed", 666)), "color_fix": self.color_fix_state()}
        if self.sample_flags:
            p["steps"] = int(self.config.get("steps", 50))
            p["cfg_scale"] = float(self.config.get("cfg_scale", 6.5))
        return p

    def setup(self, device: str = "cpu") -> None:
        """Check the checkout; ``InputError`` when ``color_fix=`` disagrees with the colour-fix file's
        presence."""
        super().setup(device)
        want = self.config.get("color_fix")
        if want is not None and bool(want) != (self.color_fix_state() is not None):
            have = "has" if self.color_fix_state() else "does not have"
            raise InputError(
                f"baseline {self.name!r}: color_fix={want} asked, but {self.repo} {have} {COLOR_FIX} "
                f"(the script switches the colour fix by that file's presence); "
                f"{'add' if want else 'remove'} the file, or drop color_fix= from the method config"
            )

    def extra_env(self) -> dict[str, str]:
        """``PYTHONPATH`` = the checkout (the script imports its packages from the root)."""
        return {"PYTHONPATH": self._pythonpath(self.repo)}

    def command(self, inp: Path, out: Path, lq: Clip) -> list[str]:
        """The script under ``torch.distributed.run --standalone`` (one process) with target resolution 4·H ×
        4·W."""
        h, w = lq.size
        p = self.effective_params()
        argv = [
            self.python,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc-per-node=1",
            self.entry_point,
            "--video_path",
            str(inp.parent),
            "--output_dir",
            str(out),
            "--seed",
            str(p["seed"]),
            "--res_h",
            str(4 * h),
            "--res_w",
            str(4 * w),
        ]
        if self.sample_flags:
            argv += ["--sample_steps", str(p["steps"]), "--cfg_scale", str(p["cfg_scale"])]
        return argv
