"""Adapters that run published VFE methods from their own checkout and Python environment.

Every baseline pins its own torch / mmcv / basicsr / diffusers stack, so vfebench never imports
them. An adapter:

1. writes the LQ clip in the input form the method expects (a ``%08d.png`` frame folder, or a
   lossless video — ``libx264rgb`` crf 0, so no codec loss reaches the method);
2. for regime **A** (aligned-face restorers) first upsamples the ×4 LQ to 512 (KEEP uses
   bilinear; the interpolation is a config value recorded in the fingerprint); regime **B**
   (video super-resolution) passes the LR frames as they are;
3. runs the method's own entry point as a subprocess with the checkout as working directory and
   the method's interpreter (``python`` config, or ``$VFEBENCH_<NAME>_PYTHON``);
4. finds the outputs (each adapter names its output glob), reads them in natural order, and
   checks frame count and size — never silently resizing — so the runner can record a bad output.

Configuration (all part of the fingerprint, together with the checkout's git commit): ``repo``
(checkout path, or ``$VFEBENCH_<NAME>_REPO``, default ``<cache root>/baselines/<name>``),
``python``, ``timeout`` (s), ``extra_args`` and each adapter's free parameters. Missing checkouts
raise an error that says how to create them. ``../shared/specs/baselines.md`` lists entry points
and traps.
"""

from __future__ import annotations

import abc
import os
import shlex
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from vfebench.errors import ExternalMethodError, InputError
from vfebench.methods.base import Method
from vfebench.utils import cache_root, safe_name
from vfebench.video import Clip, read_clip, write_png_frames, write_video


@dataclass(frozen=True)
class BaselineWeight:
    """A weights file a baseline needs inside its checkout (``path`` relative to the checkout).

    ``sha256`` is ``None`` only when no published hash exists and we could not hash the file
    ourselves; ``vfebench baselines check`` then reports it as unverified rather than passing it.
    """

    path: str
    url: str
    sha256: str | None = None


class ExternalMethod(Method, abc.ABC):
    """Base class: subclasses set the class attributes and implement :meth:`command`."""

    repo_url: ClassVar[str] = ""  # GitHub owner/name
    regime: ClassVar[str] = "A"  # A: aligned 512 faces in; B: LR frames in, ×4 out
    input_kind: ClassVar[str] = "frames"  # frames | video
    output_glob: ClassVar[str] = "**/*.png"  # relative to the output dir
    output_is_video: ClassVar[bool] = False
    default_upsample: ClassVar[str] = "bicubic"  # regime A: how the ×4 LQ reaches 512
    traps: ClassVar[str] = ""  # known quirks recorded with the run
    # The real repository, as checked: the commit the command line was read against (40 hex),
    # the script the command runs (relative to the checkout), the weights it needs, and the shell
    # steps that build the method's OWN environment (its requirements, not ours). The CLI summary
    # recorded from the repository at ``pinned_commit`` lives in tests/data/baseline_cli/<name>.json.
    pinned_commit: ClassVar[str] = ""
    entry_point: ClassVar[str] = ""
    weights: ClassVar[tuple[BaselineWeight, ...]] = ()
    env_setup: ClassVar[tuple[str, ...]] = ()
    extras = ()

    # ---------------------------------------------------------------- configuration
    def _env_key(self, what: str) -> str:
        return f"VFEBENCH_{self.name.upper().replace('-', '_').replace('+', 'P')}_{what}"

    @property
    def repo(self) -> Path:
        r = self.config.get("repo") or os.environ.get(self._env_key("REPO"))
        return Path(r).expanduser() if r else cache_root() / "baselines" / self.name

    @property
    def python(self) -> str:
        return str(self.config.get("python") or os.environ.get(self._env_key("PYTHON")) or "python")

    def repo_commit(self) -> str | None:
        try:
            out = subprocess.run(
                ["git", "-C", str(self.repo), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
            )
            return out.stdout.strip() or None if out.returncode == 0 else None
        except (OSError, subprocess.SubprocessError):
            return None

    def fingerprint(self) -> dict[str, Any]:
        fp = super().fingerprint()
        fp["config"] = {k: v for k, v in fp["config"].items() if k not in ("repo", "python", "timeout")}
        fp.update(
            repo=self.repo_url,
            commit=self.repo_commit(),
            regime=self.regime,
            upsample=self.config.get("upsample", self.default_upsample) if self.regime == "A" else None,
        )
        return fp

    def setup(self, device: str = "cpu") -> None:
        if not self.repo.is_dir():
            raise InputError(
                f"baseline {self.name!r}: no checkout at {self.repo}. Clone https://github.com/{self.repo_url} "
                f"there (or set {self._env_key('REPO')} / --method-opt repo=PATH), create its own environment "
                f"as its README says, and point {self._env_key('PYTHON')} at that environment's python."
            )
        super().setup(device)

    # ---------------------------------------------------------------- hooks
    def extra_env(self) -> dict[str, str]:
        """Environment variables the method's entry point needs (e.g. ``PYTHONPATH`` = the checkout)."""
        return {}

    @abc.abstractmethod
    def command(self, inp: Path, out: Path, lq: Clip) -> list[str]:
        """The argv to run inside the checkout (``inp``: the written input, ``out``: output dir)."""

    def prepare_input(self, lq: Clip, target_size: tuple[int, int] | None) -> Clip:
        if self.regime != "A":
            return lq
        import cv2

        h, w = target_size or (512, 512)
        flag = {"bilinear": cv2.INTER_LINEAR, "bicubic": cv2.INTER_CUBIC, "lanczos": cv2.INTER_LANCZOS4}[
            self.config.get("upsample", self.default_upsample)
        ]
        if lq.size == (h, w):
            return lq
        return lq.with_frames(np.stack([cv2.resize(f, (w, h), interpolation=flag) for f in lq.frames]))

    def collect_outputs(self, out: Path, lq: Clip) -> np.ndarray:
        from vfebench.video import natural_key

        files = sorted(
            (p for p in out.glob(self.output_glob) if p.is_file()),
            key=lambda p: natural_key(str(p.relative_to(out))),
        )
        if not files:
            raise ExternalMethodError(f"{self.name}: no output matching {self.output_glob!r} in {out}")
        if self.output_is_video:
            return read_clip(files[0], lq.id).frames
        from vfebench.video import read_image

        return np.stack([read_image(f) for f in files])

    # ---------------------------------------------------------------- restore
    def restore(self, lq: Clip, target_size: tuple[int, int] | None = None) -> Clip:
        self.ensure_setup(self.device)
        x = self.prepare_input(lq, target_size)
        with tempfile.TemporaryDirectory(prefix=f"vfebench-{self.name}-") as td:
            td = Path(td)
            inp = td / "input" / safe_name(lq.id)  # a clip id never escapes the temp dir
            if self.input_kind == "video":
                inp = td / "input" / f"{safe_name(lq.id)}.mp4"
                inp.parent.mkdir(parents=True)
                write_video(x, inp, fps=lq.fps)
            else:
                write_png_frames(x, inp)
            out = td / "output"
            out.mkdir()
            argv = self.command(inp, out, x) + [str(a) for a in self.config.get("extra_args", [])]
            env = {**os.environ, "PYTHONUNBUFFERED": "1", **self.extra_env()}
            if self.device.startswith("cuda"):
                env.setdefault("CUDA_VISIBLE_DEVICES", self.device.partition(":")[2] or "0")
            try:
                proc = subprocess.run(
                    argv,
                    cwd=self.repo,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=float(self.config.get("timeout", 3600)),
                )
            except subprocess.TimeoutExpired as exc:
                raise ExternalMethodError(
                    f"{self.name}: timed out after {exc.timeout} s: {shlex.join(argv)}"
                ) from exc
            if proc.returncode != 0:
                tail = (proc.stdout + proc.stderr)[-2000:]
                raise ExternalMethodError(f"{self.name}: exit {proc.returncode}: {shlex.join(argv)}\n{tail}")
            frames = self.collect_outputs(out, x)
        if frames.shape[0] != lq.num_frames:
            raise ExternalMethodError(
                f"{self.name}: clip {lq.id!r}: {frames.shape[0]} output frames for {lq.num_frames} input frames"
                + (f" ({self.traps})" if self.traps else "")
            )
        if target_size is not None and frames.shape[1:3] != tuple(target_size):
            raise ExternalMethodError(
                f"{self.name}: clip {lq.id!r}: output {frames.shape[2]}×{frames.shape[1]}, expected "
                f"{target_size[1]}×{target_size[0]} (vfebench never resizes outputs silently)"
            )
        return Clip(lq.id, np.ascontiguousarray(frames), lq.fps, {"method": self.name})


def py(method: ExternalMethod, script: str, *args: Any) -> list[str]:
    """``[python, script, *args]`` with everything stringified."""
    return [method.python, script, *[str(a) for a in args]]
