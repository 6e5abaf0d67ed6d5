"""``vividface`` as a vfebench method: one-step restoration with the released checkpoint.

Config (all keys optional; every value is in the fingerprint):

- ``dit`` / ``vae`` / ``prompt_embeds``: paths overriding the pinned assets ``vividface_dit``,
  ``wan21_vae``, ``wan21_empty_prompt`` (a diffusers folder or one weights file, either key format
  — e.g. a checkpoint exported by ``vividface train``);
- ``model``: backbone config name (``wan2.1-t2v-1.3b``);
- :class:`~vividface.pipeline.InferenceConfig` fields: ``size``, ``timestep``, ``update_rule``,
  ``chunk_frames``, ``chunk_overlap``, ``vae_tiling``, ``tile``, ``dtype``, ``quantize``;
- ``tiny_random=True``: **developer option, never the default.** Builds tiny random Wan
  components in code (no weights needed) so the whole benchmark flow can be exercised on a CPU;
  its outputs are meaningless and its fingerprint says so.
- ``random_weights=True``: **timing option, never the default.** Builds the ``model`` config
  (default the real-size ``wan2.1-t2v-1.3b``) with random weights and a random empty-prompt
  stand-in: same shapes and FLOPs as the release, meaningless outputs (GPU timing,
  ``benchmarks/gpu_time_vividface.py``).

The defaults are the released inference (whole clip in one pass, ``z_L − v``, t = 400, 512²).
The fingerprint carries ``as_released`` (bool) and ``not_as_released`` (a list of reasons:
chunking, another update rule, random weights, ...) so reports can flag such runs.

Without the weights, :meth:`VividFaceMethod.setup` raises
:class:`~vfebench.errors.MissingAssetError` naming every missing asset and the command that gets it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, ClassVar

from vfebench.methods.base import Method
from vfebench.video import Clip
from vividface.assets import INFERENCE_ASSETS
from vividface.pipeline import InferenceConfig

_PIPE_KEYS = {f.name for f in dataclasses.fields(InferenceConfig)} - {"extra"}
_WEIGHT_KEYS = ("dit", "vae", "prompt_embeds")  # paths of local weights files
_OWN_KEYS = {"dit", "vae", "prompt_embeds", "model", "tiny_random", "random_weights", "seed"}


class VividFaceMethod(Method):
    name = "vividface"
    version = "1"
    scale = 4
    deterministic = True
    extras = ("vividface",)
    assets = INFERENCE_ASSETS
    steps = 1
    description = "VividFace one-step Wan2.1-T2V-1.3B video face enhancement (released checkpoint)"

    _TINY: ClassVar[dict[str, Any]] = {"size": 64}

    def __init__(self, **config: Any) -> None:
        from vfebench.errors import InputError

        unknown = set(config) - _PIPE_KEYS - _OWN_KEYS
        if unknown:
            raise InputError(
                f"vividface: unknown option(s) {sorted(unknown)}; known: {sorted(_PIPE_KEYS | _OWN_KEYS)}"
            )
        if config.get("tiny_random"):
            config = {**self._TINY, **config}
        super().__init__(**config)
        self.pipe = None

    @property
    def tiny(self) -> bool:
        """Whether the developer ``tiny_random`` config is on (tiny random network, meaningless outputs)."""
        return bool(self.config.get("tiny_random"))

    @property
    def random(self) -> bool:
        """Random weights (``tiny_random`` or ``random_weights``): no assets, meaningless outputs."""
        return self.tiny or bool(self.config.get("random_weights"))

    def not_as_released(self) -> list[str]:
        """Reasons this configuration's outputs are not the released model's (empty = as released)."""
        out = []
        if self.tiny:
            out.append("tiny random developer model (not the released weights)")
        elif self.config.get("random_weights"):
            out.append(
                f"random weights, {self.config.get('model', 'wan2.1-t2v-1.3b')} architecture (timing only)"
            )
        elif self.config.get("dit"):
            out.append(
                f"DiT weights from {Path(str(self.config['dit'])).name} (not the released checkpoint asset)"
            )
        cfg = self._inference_config()
        out += cfg.deviations()
        return out

    @classmethod
    def spec_label(cls, name: str, config: dict[str, Any]) -> str:
        """Weight-file options show their file name only: the file's sha256 is in the fingerprint,
        so the same checkpoint at another path is the same method."""
        shown = {k: (Path(str(v)).name if k in _WEIGHT_KEYS else v) for k, v in config.items()}
        return super().spec_label(name, shown)

    def required_assets(self) -> tuple[str, ...]:
        """The weights assets not replaced by local ``dit=``/``vae=``/``prompt_embeds=`` files; none with
        random weights."""
        if self.random:
            return ()
        overrides = {"vividface_dit": "dit", "wan21_vae": "vae", "wan21_empty_prompt": "prompt_embeds"}
        return tuple(a for a in self.assets if not self.config.get(overrides[a]))

    def fingerprint(self) -> dict[str, Any]:
        """The method fingerprint with weight paths reduced to file names and identified by sha256 instead.

        Also records whether the configuration is as released (and why not), and marks random-weight
        configurations as such.
        """
        fp = super().fingerprint()
        for key in _WEIGHT_KEYS:  # identified by their hashes below, not by where they lie
            if key in fp["config"]:
                fp["config"][key] = Path(str(fp["config"][key])).name
        reasons = self.not_as_released()
        fp["as_released"] = not reasons
        fp["not_as_released"] = reasons
        if self.tiny:
            fp["weights"] = {
                "tiny_random": f"seed={self.config.get('seed', 0)} (developer config, not real weights)"
            }
        elif self.random:
            fp["weights"] = {
                "random_weights": f"seed={self.config.get('seed', 0)} {self.config.get('model', 'wan2.1-t2v-1.3b')} "
                "(timing only, not real weights)"
            }
        else:
            from vfebench.utils import sha256_file

            for key in _WEIGHT_KEYS:
                p = self.config.get(key)
                if p:
                    pp = Path(p)
                    fp["weights"][key] = sha256_file(pp) if pp.is_file() else f"dir:{pp.resolve()}"
        return fp

    def _inference_config(self) -> InferenceConfig:
        kw = {k: v for k, v in self.config.items() if k in _PIPE_KEYS}
        if "tile" in kw:
            kw["tile"] = tuple(kw["tile"])
        return InferenceConfig(**kw)

    def setup(self, device: str = "cpu") -> None:
        """Build the one-step pipeline on ``device``: random networks, or the DiT, VAE and prompt embedding
        from files/assets.

        Raises ``MissingAssetError`` listing every missing weights file and how to get it.
        """
        if self._ready and self.device == device:
            return
        from vfebench import assets as A
        from vfebench.errors import MissingAssetError
        from vividface import wan
        from vividface.pipeline import OneStepPipeline

        cfg = self._inference_config()
        if self.random:
            seed = int(self.config.get("seed", 0))
            model = "tiny" if self.tiny else self.config.get("model", "wan2.1-t2v-1.3b")
            dit = (
                wan.load_dit(self.config["dit"], model)
                if self.config.get("dit")
                else wan.build_dit(model, seed=seed)
            )
            vae = wan.build_vae(model, seed=seed + 1)
            length = 16 if self.tiny else wan.TEXT_LEN
            emb = wan.random_prompt_embedding(dit.config.text_dim, length=length, seed=seed + 2)
        else:
            missing = [a for a in self.required_assets() if not A.is_present(a)]
            if missing:
                lines = []
                for a in missing:
                    try:
                        A.asset_path(a)
                    except Exception as exc:  # MissingAssetError / AssetHashError with the fix
                        lines.append(f"  - {a}: {exc}")
                raise MissingAssetError(
                    f"vividface needs {len(missing)} missing weights file(s): {', '.join(missing)}.\n"
                    + "\n".join(lines)
                    + f"\nFetch them with `vfebench assets fetch {' '.join(missing)}` or copy them into a folder "
                    "and run `vfebench assets import DIR`; the empty-prompt embedding is made with "
                    "`vividface embed-prompt`. For a weight-free developer run use "
                    "`vfebench run --method vividface:tiny_random=true` (meaningless outputs)."
                )
            model = self.config.get("model", "wan2.1-t2v-1.3b")
            dit = wan.load_dit(self.config.get("dit") or A.asset_path("vividface_dit"), model)
            vae = wan.load_vae(self.config.get("vae") or A.asset_path("wan21_vae"), model)
            emb = wan.load_prompt_embedding(
                self.config.get("prompt_embeds") or A.asset_path("wan21_empty_prompt"), dit.config.text_dim
            )
        self.pipe = OneStepPipeline(dit, vae, emb, cfg, device=device)
        self.device = device
        self._ready = True

    def restore(self, lq: Clip, target_size: tuple[int, int] | None = None) -> Clip:
        """LQ clip (any size) → restored clip at ``target_size`` (default: the working size)."""
        self.ensure_setup(self.device)
        out = self.pipe.restore_frames(lq.frames, target_size)
        return Clip(lq.id, out, lq.fps, {"method": self.name, "steps": 1})
