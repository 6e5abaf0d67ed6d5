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

Configuration, passed as ``--method NAME:key=value,...``: ``repo`` (checkout path, or
``$VFEBENCH_<NAME>_REPO``, default ``<cache root>/baselines/<name>``), ``python`` (or
``$VFEBENCH_<NAME>_PYTHON``, default ``<repo>/.venv/bin/python`` when that exists — where
``vfebench baselines setup`` builds the method's own environment), ``timeout`` (s), ``extra_args``
and each adapter's free parameters. ``repo``, ``python`` and ``timeout`` are local plumbing and
never enter the fingerprint; everything else does, with :meth:`ExternalMethod.effective_params`
(the free parameters' values actually used, defaults included), the weights' hashes and the
checkout's identity:

- a git checkout: its ``commit`` and ``commit_matches_pin`` (the adapter's ``pinned_commit`` is
  the commit its command line was checked against; a different commit warns once per process);
- any other folder: ``commit: null`` and ``source_hash``, a sha256 over the checkout's source
  files (:func:`source_hash`), so two fake or patched checkouts with different code never share
  cached outputs.

Missing checkouts raise an error naming ``vfebench baselines setup NAME``; ``vfebench baselines
check NAME`` verifies a checkout (commit, entry point, weights) before a long run. The adapters'
traps are listed in ``docs/baselines.md``.
"""

from __future__ import annotations

import abc
import hashlib
import os
import shlex
import subprocess
import tempfile
import warnings
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


class BaselinePinWarning(UserWarning):
    """The checkout is not at the adapter's pinned commit (or is not a git checkout)."""


#: source files that identify a non-git checkout's code (see :func:`source_hash`)
SOURCE_SUFFIXES = (".py", ".yaml", ".yml", ".json", ".txt", ".cfg", ".toml", ".sh")
#: folders never hashed: VCS/env/cache folders and the usual weights and output folders
SKIP_DIRS = frozenset(
    {
        "__pycache__",
        "node_modules",
        "venv",
        "env",
        "ckpts",
        "checkpoints",
        "chkpts",
        "weights",
        "pretrained_weight",
        "pretrained_weights",
        "pretrained_models",
        "experiments",
        "results",
        "outputs",
        "output",
        "exp",
    }
)
MAX_SOURCE_BYTES = 1 << 20  # bigger "source" files are data, not code


def source_hash(root: str | os.PathLike, exclude: tuple[str, ...] = ()) -> tuple[str, int]:
    """``(sha256 hex, file count)`` over the source files under ``root``.

    Hashes, in sorted order of their ``/``-separated relative paths, every regular file whose
    suffix is in :data:`SOURCE_SUFFIXES` and whose size is at most :data:`MAX_SOURCE_BYTES`,
    skipping hidden folders (``.git``, ``.venv``, ``.vfebench`` …), :data:`SKIP_DIRS` and the
    relative paths in ``exclude`` (files the adapter writes itself). Each file contributes its
    relative path and the sha256 of its bytes, so a renamed or edited file changes the hash while
    the checkout's location does not.
    """
    root = Path(root)
    skip = set(exclude)
    entries: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in SKIP_DIRS)
        for fn in filenames:
            p = Path(dirpath) / fn
            rel = p.relative_to(root).as_posix()
            if rel in skip or not fn.endswith(SOURCE_SUFFIXES) or p.is_symlink() or not p.is_file():
                continue
            if p.stat().st_size > MAX_SOURCE_BYTES:
                continue
            entries.append(f"{rel}\0{hashlib.sha256(p.read_bytes()).hexdigest()}\n")
    entries.sort()
    return hashlib.sha256("".join(entries).encode()).hexdigest(), len(entries)


_WARNED: set[tuple[str, str]] = set()  # (method, checkout identity) already warned about


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
    # ``env_setup`` steps run from the checkout root (``vfebench baselines setup``) and build the
    # environment in ``<checkout>/.venv`` (``${BASE_PYTHON:-python3} -m venv .venv`` first), which
    # is then the default ``python``.
    env_setup: ClassVar[tuple[str, ...]] = ()
    # other checkout files the command or the pre-run step relies on (configs, scripts, binaries;
    # recorded in the CLI summary, verified by ``vfebench baselines check``)
    checkout_files: ClassVar[tuple[str, ...]] = ()
    # files :meth:`prepare_checkout` writes into the checkout (excluded from the source hash)
    generated_files: ClassVar[tuple[str, ...]] = ()
    extras = ()
    # local plumbing: never in the run's method label (nor, via Method.fingerprint, its config)
    plumbing = ("repo", "python", "timeout")

    # ---------------------------------------------------------------- configuration
    def _env_key(self, what: str) -> str:
        return f"VFEBENCH_{self.name.upper().replace('-', '_').replace('+', 'P')}_{what}"

    @property
    def repo(self) -> Path:
        """The method's checkout: ``repo=`` option, else ``$VFEBENCH_<NAME>_REPO``, else the cache."""
        r = self.config.get("repo") or os.environ.get(self._env_key("REPO"))
        return Path(r).expanduser() if r else cache_root() / "baselines" / self.name

    @property
    def python(self) -> str:
        """The interpreter of the method's own environment (``python=`` / ``$VFEBENCH_<NAME>_PYTHON``,
        else ``<checkout>/.venv/bin/python`` when it exists, else ``python``)."""
        explicit = self.config.get("python") or os.environ.get(self._env_key("PYTHON"))
        if explicit:
            return str(explicit)
        venv = self.repo / ".venv" / "bin" / "python"
        return str(venv) if venv.exists() else "python"

    def repo_commit(self) -> str | None:
        """``git rev-parse HEAD`` of the checkout, or None when it is not a readable git checkout."""
        try:
            out = subprocess.run(
                ["git", "-C", str(self.repo), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
            )
            return out.stdout.strip() or None if out.returncode == 0 else None
        except (OSError, subprocess.SubprocessError):
            return None

    def checkout_identity(self) -> dict[str, Any]:
        """``commit`` / ``commit_matches_pin`` / ``source_hash`` of the checkout (no local paths).

        Computed once per instance once the checkout exists; warns (:class:`BaselinePinWarning`,
        once per process and checkout) when the commit differs from ``pinned_commit`` or the
        checkout is not a git repository.
        """
        cached = getattr(self, "_identity", None)
        if cached is not None:
            return dict(cached)
        commit = self.repo_commit()
        ident: dict[str, Any] = {"commit": commit, "commit_matches_pin": None, "source_hash": None}
        if commit is not None:
            if self.pinned_commit:
                ident["commit_matches_pin"] = commit == self.pinned_commit
        elif self.repo.is_dir():
            ident["source_hash"] = "sha256:" + source_hash(self.repo, self.generated_files)[0]
        if self.repo.is_dir():
            self._identity = dict(ident)
            self._warn_pin(ident)
        return ident

    def _warn_pin(self, ident: dict[str, Any]) -> None:
        key = (self.name, str(ident["commit"] or ident["source_hash"]))
        if key in _WARNED:
            return
        pin = self.pinned_commit[:12] or "(none)"
        if ident["commit"] is None:
            msg = (
                f"baseline {self.name!r}: {self.repo} is not a git checkout, so its commit cannot be "
                f"checked against the pinned {pin}; it is fingerprinted by its source files' content "
                f"hash instead. `vfebench baselines check {self.name} --dir {self.repo}` says more."
            )
        elif ident["commit_matches_pin"] is False:
            msg = (
                f"baseline {self.name!r}: checkout {self.repo} is at commit {ident['commit'][:12]}, not "
                f"the pinned {pin} its command line was checked against; the run records the actual "
                f"commit (`git -C {self.repo} checkout {self.pinned_commit}` to match)."
            )
        else:
            return
        _WARNED.add(key)
        warnings.warn(msg, BaselinePinWarning, stacklevel=3)

    def required_weights(self) -> tuple[BaselineWeight, ...]:
        """The weights this configuration uses (default: all of :attr:`weights`)."""
        return self.weights

    def weight_hashes(self) -> dict[str, str | None]:
        """Per weights file (path relative to the checkout): its sha256 — of the file when present
        (cached in a sidecar), else the published one, else ``None``."""
        from vfebench.assets import file_sha256

        out: dict[str, str | None] = {}
        for w in self.required_weights():
            p = self.repo / w.path
            out[w.path] = file_sha256(p) if p.is_file() else w.sha256
        return out

    def effective_params(self) -> dict[str, Any]:
        """Free parameters' values actually used (defaults included), recorded in the fingerprint."""
        return {}

    def fingerprint(self) -> dict[str, Any]:
        """The method fingerprint without local plumbing (repo, python, timeout), plus the
        upstream repository, its checked-out commit, the regime and the regime-A upsampling."""
        fp = super().fingerprint()
        fp["config"] = {k: v for k, v in fp["config"].items() if k not in ("repo", "python", "timeout")}
        fp.update(
            repo=self.repo_url,
            **self.checkout_identity(),
            regime=self.regime,
            upsample=self.config.get("upsample", self.default_upsample) if self.regime == "A" else None,
            params=self.effective_params(),
        )
        return fp

    def setup(self, device: str = "cpu") -> None:
        """Check that the checkout exists (an :class:`InputError` saying how to get it otherwise)."""
        if not self.repo.is_dir():
            pin = f" at the pinned commit {self.pinned_commit[:12]}" if self.pinned_commit else ""
            raise InputError(
                f"baseline {self.name!r}: no checkout at {self.repo}. Create it with "
                f"`vfebench baselines setup {self.name} --dir {self.repo} --run` (clones "
                f"https://github.com/{self.repo_url}{pin} as a git checkout, builds its own environment "
                f"and fetches its weights), or point vfebench at an existing checkout with "
                f"`--method {self.name}:repo=PATH` or ${self._env_key('REPO')}; its interpreter is "
                f"`python=PATH` or ${self._env_key('PYTHON')}."
            )
        self.checkout_identity()  # warns once when the checkout is not at the pinned commit
        self.prepare_checkout()
        super().setup(device)

    # ---------------------------------------------------------------- hooks
    def extra_env(self) -> dict[str, str]:
        """Environment variables the method's entry point needs (e.g. ``PYTHONPATH`` = the checkout)."""
        return {}

    def prepare_checkout(self) -> None:
        """Pre-run fix-ups of the checkout the method itself needs (idempotent; default none)."""

    def _pythonpath(self, *dirs: Path) -> str:
        """``PYTHONPATH`` with ``dirs`` (absolute) before whatever the environment already has."""
        rest = os.environ.get("PYTHONPATH", "")
        return os.pathsep.join([str(Path(d).resolve()) for d in dirs] + ([rest] if rest else []))

    @abc.abstractmethod
    def command(self, inp: Path, out: Path, lq: Clip) -> list[str]:
        """The argv to run inside the checkout (``inp``: the written input, ``out``: output dir)."""

    def prepare_input(self, lq: Clip, target_size: tuple[int, int] | None) -> Clip:
        """Regime A: the uint8 ``T×h×w×3`` LQ clip resized (``upsample``, OpenCV) to ``target_size``
        (default 512×512); regime B: the LQ clip unchanged."""
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
        """The method's outputs under ``out`` (``output_glob``, natural order) as uint8 ``T×H×W×3``
        RGB frames; :class:`ExternalMethodError` when there are none."""
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
        """Run the method's entry point on one uint8 ``T×h×w×3`` LQ clip in a temp dir and return
        its uint8 ``T×H×W×3`` output; a failed run, a wrong frame count or size raise
        :class:`ExternalMethodError` with the command line."""
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
