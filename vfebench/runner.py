"""The runner: plan → LQ → restore → score → run record. Resumable; cache keys = full identity.

:func:`run` takes a :class:`RunConfig` and

1. resolves the dataset (:func:`vfebench.datasets.build_source`), the methods (registry names,
   ``module:Class`` targets, optional ``:key=value,...`` config) and the metrics (explicit, or by
   default every registered metric whose module imports, whose weights are present and whose
   reference needs the dataset meets — each skipped one is reported with its reason);
2. materialises the LQ inputs: synthetic (:func:`vfebench.degrade.lq.materialize`, cached by
   source manifest, preset + version, seed, max_frames), shipped by the dataset
   (``Source.load_lq``), or the source clips themselves when the dataset has no GT;
3. restores each clip with each method, timed per clip (wall seconds from LQ frames in memory
   to restored frames in memory; model loading and one warm-up clip excluded; CUDA synchronised;
   peak memory = CUDA max allocated, or the process peak RSS on CPU, reset per clip), validates
   the output (a :class:`~vfebench.video.Clip` with the LQ's frame count and the GT size, uint8,
   no NaN) and stores it losslessly as PNG frames;
4. scores every (method, clip) with every metric and stores each value as a small JSON file;
5. writes ``run.json`` (atomically) and ``per_clip.csv`` (see :mod:`vfebench.results`).

Caching and resumption. Everything a run computes lives under the run cache
(``<cache root>/runs``, or ``RunConfig.cache``), keyed by the full identity of what produced it:

- restored clip: ``restored/<method fingerprint>/<LQ-set identity>/<clip>/`` where the
  fingerprint covers the method's name, version, config and weight hashes, and the LQ identity
  covers source manifest hash, preset name + version, seed and max_frames. ``meta.json``
  (timing, content hash) is written after the PNG folder and marks the clip complete.
- score: ``scores/<metric identity>/<key>.json`` where the metric identity covers name,
  version, mode, options and asset hashes and the key covers the restored clip's content hash,
  the reference clip (source manifest, clip id, max_frames) and the seed.

So a killed run re-run with the same command recomputes nothing that finished, and changing a
method's config or version, the preset, the seed or a metric's mode recomputes exactly what
depends on it. One clip's crash or bad output is recorded (``failures``) and the rest continue;
failed clips are retried on the next run.

Extending: ``--method package.module:Class`` runs any :class:`~vfebench.methods.base.Method`
subclass without registering it; modules listed in ``$VFEBENCH_PLUGINS`` (comma-separated) are
imported before planning so they can register methods and metrics by name.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
import re
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vfebench.errors import InputError, MissingAssetError, MissingDependencyError, UnknownNameError
from vfebench.utils import atomic_write_json, cache_root, config_hash, sha256_text
from vfebench.video import Clip

# ----------------------------------------------------------------------------- configuration


@dataclass
class RunConfig:
    """What to run. ``methods``/``metrics`` are spec strings (see :func:`parse_method_spec`).

    Attributes:
        methods: method specs, e.g. ``["bicubic", "vividface:steps=1", "pkg.mod:MyMethod"]``.
        dataset: dataset spec (``demo``, ``vfhq:PATH``, ``folder:PATH``, ``rfv:PATH`` or a path).
        preset: degradation preset for synthetic LQ (ignored when the LQ is shipped / no GT).
        seed: degradation seed (also the base seed of randomised metrics).
        metrics: metric specs (``name`` or ``name:mode``); None = every available metric.
        max_frames: use only the first N frames of every clip (None = all).
        device: ``cpu`` or ``cuda`` (``cuda:1`` ...).
        out: run folder; None = ``runs/<dataset>-<preset>-s<seed>-<run id>``.
        lq: folder of real LQ clips matching the GT clip ids (``folder`` datasets).
        clips: restrict to these clip ids (None = all).
        warmup: warm-up restores (untimed) of the first pending clip before timing a method.
        cache: run cache root (None = ``<cache root>/runs``).
        features: feature-store folder (None = ``<cache root>/features``).
        dataset_options: extra keyword options for the dataset source.
        progress: show progress bars (stderr).
    """

    methods: list[str]
    dataset: str
    preset: str = "vfhq-x4"
    seed: int = 0
    metrics: list[str] | None = None
    max_frames: int | None = None
    device: str = "cpu"
    out: str | None = None
    lq: str | None = None
    clips: list[str] | None = None
    warmup: int = 1
    cache: str | None = None
    features: str | None = None
    dataset_options: dict[str, Any] = field(default_factory=dict)
    progress: bool = True

    def identity(self) -> dict[str, Any]:
        """The fields that decide what a run computes (hashed into the run id)."""
        d = asdict(self)
        for k in ("out", "cache", "features", "progress", "warmup", "device"):
            d.pop(k)
        return d


# ----------------------------------------------------------------------------- methods


def load_plugins() -> list[str]:
    """Import the modules named in ``$VFEBENCH_PLUGINS`` (comma-separated).

    A plugin registers its own methods or metrics at import time
    (``METHODS.register("mine", MyMethod)``), so ``vfebench run --method mine`` finds them.
    """
    import importlib

    names = [n.strip() for n in os.environ.get("VFEBENCH_PLUGINS", "").split(",") if n.strip()]
    for n in names:
        try:
            importlib.import_module(n)
        except ImportError as exc:
            raise InputError(f"VFEBENCH_PLUGINS: cannot import {n!r} ({exc})") from exc
    return names


@dataclass
class MethodSpec:
    label: str
    target: str  # registry name or "module:Class"
    config: dict[str, Any]


def _parse_value(v: str) -> Any:
    try:
        return json.loads(v)
    except ValueError:
        return v


def parse_method_spec(spec: str) -> MethodSpec:
    """``NAME`` | ``NAME:key=value,key=value`` | ``pkg.module:Class`` | ``pkg.module:Class:k=v``.

    Values are parsed as JSON when possible (``steps=1`` → int). The label used in records and
    tables is the name, followed by ``[k=v,...]`` when a config is given.
    """
    spec = spec.strip()
    if not spec:
        raise InputError("empty --method")
    base, config = spec, {}
    head, sep, last = spec.rpartition(":")
    if sep and "=" in last:
        base = head
        for item in last.split(","):
            k, eq, v = item.partition("=")
            if not eq or not k.strip():
                raise InputError(f"--method {spec!r}: bad config item {item!r} (expected key=value)")
            config[k.strip()] = _parse_value(v.strip())
    name = base.rpartition(":")[2] if ":" in base else base
    label = name + (f"[{','.join(f'{k}={v}' for k, v in config.items())}]" if config else "")
    return MethodSpec(label=label, target=base, config=config)


def load_method_class(target: str):
    """The Method class for a registry name or ``module:Class`` (clear errors on failure)."""
    from vfebench.methods import METHODS
    from vfebench.registry import import_target

    if target in METHODS:
        try:
            return METHODS.get(target)
        except ImportError as exc:
            raise MissingDependencyError(
                f"method {target!r} is registered but cannot be imported ({exc}). Install its extra "
                f"(e.g. pip install 'vfebench[{target}]' or 'vfebench[all]') and get its weights with "
                f"`vfebench assets list` / `vfebench assets fetch NAME`."
            ) from exc
    if ":" in target:
        try:
            cls = import_target(target)
        except (ImportError, AttributeError) as exc:
            raise UnknownNameError(f"--method {target!r}: cannot import it ({exc})") from exc
        if not isinstance(cls, type):
            raise InputError(f"--method {target!r} is not a class")
        return cls
    METHODS.get(target)  # raises UnknownNameError with did-you-mean
    raise AssertionError("unreachable")


def build_method(spec: MethodSpec):
    """Instantiate a method and check its weights are present (MissingAssetError names the fix)."""
    from vfebench import assets

    cls = load_method_class(spec.target)
    if not getattr(cls, "name", ""):
        raise InputError(f"--method {spec.target!r}: class {cls.__name__} has no `name` attribute")
    method = cls(**spec.config)
    missing = [a for a in method.required_assets() if not assets.is_present(a)]
    if len(missing) == 1:
        assets.asset_path(missing[0])  # MissingAssetError / AssetHashError naming `vfebench assets`
    elif missing:
        where = assets.asset_dir()
        files = ", ".join(f"{assets.get_asset(a).filename} ({a})" for a in missing)
        raise MissingAssetError(
            f"method {method.name!r} is missing {len(missing)} weights files: {files}, expected in {where}. "
            f"Get them with `vfebench assets fetch {' '.join(missing)}` on a connected machine, or copy "
            f"them into a folder and run `vfebench assets import DIR`."
        )
    return method


# ----------------------------------------------------------------------------- metrics


def parse_metric_specs(items: list[str] | None) -> list[str] | None:
    """Split comma-separated specs, drop blanks and duplicates (order kept).

    ``key=value`` options stay with their metric (``ids:backend=insightface,eps=1`` is one spec;
    see :func:`vfebench.metrics.split_metric_specs`).
    """
    from vfebench.metrics import split_metric_specs

    if items is None:
        return None
    out: list[str] = []
    for it in items:
        for s in split_metric_specs(str(it)):
            if s not in out:
                out.append(s)
    return out or None


def _metric_missing_assets(metric) -> list[str]:
    from vfebench import assets

    return [a for a in metric.required_assets() if not assets.is_present(a)]


def resolve_metrics(specs: list[str] | None, has_gt: bool) -> tuple[dict[str, Any], dict[str, str]]:
    """``({key: Metric}, {skipped name: reason})``.

    Explicit specs must all be usable: unknown names raise UnknownNameError (did-you-mean),
    missing weights raise MissingAssetError naming ``vfebench assets``, a reference metric on a
    dataset without GT raises InputError. With ``specs=None`` every registered metric is tried
    and the unusable ones are skipped with a reason.
    """
    from vfebench import assets
    from vfebench.metrics import METRICS, build_metric
    from vfebench.utils import missing_modules

    chosen: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    if specs is None:
        for name in METRICS.names():
            try:
                m = build_metric(name)
            except ImportError as exc:
                skipped[name] = f"cannot import its module ({exc}); install its extra"
                continue
            except Exception as exc:  # a broken metric module must not stop the others
                skipped[name] = f"cannot be built ({type(exc).__name__}: {exc})"
                continue
            lacking = missing_modules(m.extra) if m.extra else []
            if lacking:
                skipped[name] = f"needs pip install 'vfebench[{m.extra}]' (missing: {', '.join(lacking)})"
                continue
            try:
                missing = _metric_missing_assets(m)
            except Exception as exc:  # e.g. an asset not declared in the catalogue
                skipped[name] = f"its weights cannot be checked ({type(exc).__name__}: {exc})"
                continue
            if missing:
                skipped[name] = (
                    f"weights not present: {', '.join(missing)} (get them with `vfebench assets fetch "
                    f"{missing[0]}` or `vfebench assets import DIR`)"
                )
            elif m.needs_reference and not has_gt:
                skipped[name] = "needs a ground-truth reference; this dataset has none"
            else:
                chosen[name] = m
        return chosen, skipped
    for spec in specs:
        name = spec.partition(":")[0]
        try:
            m = build_metric(spec)
        except ImportError as exc:
            if name in METRICS:
                raise MissingDependencyError(
                    f"metric {name!r} cannot be imported ({exc}); install its extra "
                    f"(pip install 'vfebench[all]')"
                ) from exc
            raise
        lacking = missing_modules(m.extra) if m.extra else []
        if lacking:
            raise MissingDependencyError(
                f"metric {spec!r} needs the optional dependencies {', '.join(lacking)}: "
                f"pip install 'vfebench[{m.extra}]'"
            )
        for a in m.required_assets():
            assets.asset_path(a)
        if m.needs_reference and not has_gt:
            raise InputError(
                f"metric {spec!r} needs a ground-truth reference but the dataset has none; "
                "use no-reference metrics (vfebench ls metrics: kind NR)"
            )
        chosen[spec] = m
    return chosen, skipped


def metric_record(metric) -> dict[str, Any]:
    """Identity plus display metadata of a metric, as stored in ``run.json``."""
    info = type(metric).info()
    ident = metric.identity()
    return {
        **ident,
        "display": info["display"],
        "higher_is_better": info["higher_is_better"],
        "needs_reference": info["needs_reference"],
        "level": getattr(metric, "level", info["level"]),
        "scale": info["scale"],
        "precision": info["precision"],
        "recon": info["recon"],
    }


# ----------------------------------------------------------------------------- LQ sets


class _LQView:
    """The run's LQ inputs (an :class:`~vfebench.degrade.lq.LQSet`) plus per-clip content hashes."""

    def __init__(self, lqset, has_gt: bool):
        self.lqset = lqset
        self._identity = lqset.identity()
        self.kind = self._identity.get("kind", "synthetic")
        self.root = getattr(lqset, "root", None)
        self.manifest_hash = getattr(lqset, "manifest_hash", None)
        self._hashes: dict[str, str] = dict(self._identity.get("lq_hashes") or {})

    def identity(self) -> dict[str, Any]:
        return self._identity

    def load(self, clip_id: str) -> Clip:
        c = self.lqset.load(clip_id)
        self._hashes.setdefault(clip_id, c.content_hash())
        return c

    def clip_hash(self, clip_id: str) -> str:
        """Content hash of the LQ clip (from the LQ manifest when known, else by loading it)."""
        if clip_id not in self._hashes:
            self.load(clip_id)
        return self._hashes[clip_id]

    def path(self, clip_id: str) -> str | None:
        if self.root is None:
            return None
        p = Path(self.root) / clip_id
        return str(p) if p.exists() else None


def build_lq(source, cfg: RunConfig, clip_ids: list[str], log) -> _LQView:
    """Synthetic LQ (preset + seed) for a GT source without shipped LQ; else the source's own LQ."""
    from vfebench.degrade.lq import materialize

    preset: str | None = cfg.preset
    if not source.has_gt or source.load_lq(clip_ids[0], max_frames=1) is not None:
        preset = None
    else:
        log(f"LQ inputs: preset {cfg.preset}, seed {cfg.seed} (cached after the first run)")
    lqset = materialize(
        source, preset, cfg.seed, clip_ids=clip_ids, max_frames=cfg.max_frames, progress=cfg.progress
    )
    return _LQView(lqset, bool(source.has_gt))


# ----------------------------------------------------------------------------- timing helpers


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize(torch.device(device))


def _reset_peak(device: str) -> str:
    if device.startswith("cuda"):
        import torch

        torch.cuda.reset_peak_memory_stats(torch.device(device))
        return "cuda_max_allocated"
    try:  # Linux: writing 5 to clear_refs resets VmHWM (peak RSS) of this process
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return "cpu_peak_rss"
    except OSError:
        return "cpu_peak_rss_lifetime"


def _read_peak_mb(device: str) -> float | None:
    if device.startswith("cuda"):
        import torch

        return torch.cuda.max_memory_allocated(torch.device(device)) / 2**20
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    try:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    except Exception:
        return None


# ----------------------------------------------------------------------------- validation


def validate_output(out: Any, lq: Clip, target: tuple[int, int] | None, label: str) -> Clip:
    """Raise InputError naming the clip when a method's output is not a usable restoration."""
    who = f"method {label!r} on clip {lq.id!r}"
    frames = getattr(out, "frames", out)
    if not isinstance(frames, np.ndarray):
        raise InputError(f"{who}: returned {type(out).__name__}, expected a vfebench.video.Clip")
    if np.issubdtype(frames.dtype, np.floating) and not np.isfinite(frames).all():
        raise InputError(f"{who}: output contains NaN or infinite values")
    if frames.dtype != np.uint8:
        raise InputError(f"{who}: output dtype {frames.dtype}, expected uint8 RGB 0..255")
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise InputError(f"{who}: output shape {frames.shape}, expected T×H×W×3")
    if frames.shape[0] != lq.num_frames:
        raise InputError(f"{who}: output has {frames.shape[0]} frames, the input has {lq.num_frames}")
    if target is not None and tuple(frames.shape[1:3]) != tuple(target):
        raise InputError(
            f"{who}: output frames are {frames.shape[2]}×{frames.shape[1]}, expected the GT size "
            f"{target[1]}×{target[0]}"
        )
    if not isinstance(out, Clip):
        out = Clip(lq.id, frames, lq.fps)
    if out.id != lq.id:
        out = Clip(lq.id, out.frames, out.fps, dict(out.meta))
    return out


# ----------------------------------------------------------------------------- misc helpers

_SAFE = re.compile(r"[^A-Za-z0-9._+=-]")


def safe_name(clip_id: str) -> str:
    """A file-system-safe folder name for a clip id (unique: a hash suffix when altered)."""
    s = _SAFE.sub("_", clip_id)
    if s != clip_id or s.startswith("."):
        s = f"{s.lstrip('.')}-{sha256_text(clip_id)[:8]}"
    return s


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _git_info() -> dict[str, Any]:
    root = Path(__file__).resolve().parents[1]
    out: dict[str, Any] = {"git_sha": None, "git_dirty": None}
    try:
        sha = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
        if sha.returncode == 0:
            out["git_sha"] = sha.stdout.strip()
            st = subprocess.run(
                ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                capture_output=True,
                text=True,
                timeout=10,
            )
            out["git_dirty"] = bool(st.stdout.strip()) if st.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        pass
    return out


_PACKAGES = (
    "numpy", "torch", "torchvision", "opencv-python-headless", "av", "scipy", "scikit-image",
    "mediapipe", "facenet-pytorch", "lpips", "pyiqa", "diffusers", "pandas",
)  # fmt: skip


def environment(device: str) -> dict[str, Any]:
    from importlib import metadata

    pk = {}
    for p in _PACKAGES:
        try:
            pk[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            continue
    env: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "device": device,
        "device_name": platform.processor() or platform.machine(),
        "packages": pk,
    }
    if device.startswith("cuda"):
        try:
            import torch

            env["device_name"] = torch.cuda.get_device_name(torch.device(device))
            env["cuda"] = torch.version.cuda
        except Exception as exc:
            env["device_name"] = f"unavailable ({exc})"
    return env


def _short_tb(exc: BaseException, n: int = 6) -> str:
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    return "".join(lines[-n:])[-2000:]


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _progress(iterable, total: int, desc: str, enabled: bool):
    if not enabled:
        return iterable
    from tqdm import tqdm

    return tqdm(
        iterable, total=total, desc=desc, unit="clip", file=sys.stderr, leave=False, dynamic_ncols=True
    )


def default_out(cfg: RunConfig, run_id: str) -> Path:
    ds = re.sub(r"[^A-Za-z0-9]+", "-", Path(cfg.dataset.split(":", 1)[-1]).name or cfg.dataset).strip("-")
    return Path("runs") / f"{ds or 'dataset'}-{cfg.preset}-s{cfg.seed}-{run_id[:8]}"


# ----------------------------------------------------------------------------- the run


@dataclass
class RunOutcome:
    """What :func:`run` returns: the record, its folder and the cache counters."""

    record: dict[str, Any]
    out: Path
    stats: dict[str, int]


class _Runner:
    def __init__(self, cfg: RunConfig, log: Callable[[str], None]):
        self.cfg = cfg
        self.log = log
        self.cache = Path(cfg.cache) if cfg.cache else cache_root() / "runs"
        self.stats = {"restored_computed": 0, "restored_cached": 0, "scores_computed": 0, "scores_cached": 0}
        self.failures: list[dict[str, Any]] = []

    # -- planning --------------------------------------------------------------------
    def plan(self) -> None:
        from vfebench.datasets import build_source

        cfg = self.cfg
        load_plugins()
        if not cfg.methods:
            raise InputError("no method given: use --method NAME (vfebench ls methods)")
        if cfg.max_frames is not None and cfg.max_frames < 1:
            raise InputError(f"--max-frames must be ≥ 1, got {cfg.max_frames}")
        self.specs = [parse_method_spec(s) for s in cfg.methods]
        labels = [s.label for s in self.specs]
        dup = sorted({lb for lb in labels if labels.count(lb) > 1})
        if dup:
            raise InputError(f"method(s) given twice: {', '.join(dup)}")
        self.methods = {s.label: build_method(s) for s in self.specs}  # fail fast, before any work
        opts = dict(cfg.dataset_options)
        if cfg.lq:
            opts["lq"] = cfg.lq
        self.source = build_source(cfg.dataset, **opts)
        ids = list(self.source.clip_ids())
        if cfg.clips:
            unknown = [c for c in cfg.clips if c not in ids]
            if unknown:
                from vfebench.registry import did_you_mean

                raise InputError(
                    f"dataset {cfg.dataset!r} has no clip {unknown[0]!r}.{did_you_mean(unknown[0], ids)}"
                )
            ids = [c for c in ids if c in cfg.clips]
        if not ids:
            raise InputError(f"dataset {cfg.dataset!r} has no clips")
        self.clip_ids = ids
        self.has_gt = bool(self.source.has_gt)
        self.metrics, self.skipped = resolve_metrics(parse_metric_specs(cfg.metrics), self.has_gt)
        self.run_id = config_hash(
            {"config": cfg.identity(), "methods": {lb: m.fingerprint() for lb, m in self.methods.items()}}
        )
        self.out = Path(cfg.out) if cfg.out else default_out(cfg, self.run_id)

    # -- paths -----------------------------------------------------------------------
    def restored_dir(self, label: str, cid: str) -> Path:
        fp = self.methods[label].fingerprint_hash()
        key = config_hash({"lq": self.lq.clip_hash(cid), "ref": self.gt_key(cid)})
        return self.cache / "restored" / fp / key / safe_name(cid)

    def gt_key(self, cid: str) -> str | None:
        """Identity of the reference clip (content hash of the GT, clip id, max_frames)."""
        if not self.has_gt:
            return None
        if cid not in self._gt_keys:
            h = self.source.clip_hash(cid)
            self._gt_keys[cid] = config_hash({"gt": h, "clip": cid, "max_frames": self.cfg.max_frames})
        return self._gt_keys[cid]

    def score_file(self, mkey: str, restored_hash: str, cid: str) -> Path:
        mid = config_hash(self.metric_ids[mkey])
        k = config_hash({"pred": restored_hash, "ref": self.gt_key(cid), "seed": self.cfg.seed}, n=32)
        return self.cache / "scores" / f"{self.metric_ids[mkey]['name']}-{mid}" / k[:2] / f"{k}.json"

    # -- phases ----------------------------------------------------------------------
    def run(self) -> RunOutcome:
        cfg = self.cfg
        self.plan()
        self.out.mkdir(parents=True, exist_ok=True)
        started = _now()
        self.source_hash = self.source.manifest_hash()
        self.metric_ids = {k: m.identity() for k, m in self.metrics.items()}
        atomic_write_json(
            self.out / "config.json",
            {"run_id": self.run_id, "config": asdict(cfg), "started": started, "metrics": list(self.metrics)},
        )
        for name, why in self.skipped.items():
            self.log(f"skipping metric {name}: {why}")
        self._gt_keys: dict[str, str] = {}
        self.lq = build_lq(self.source, cfg, self.clip_ids, self.log)
        self.targets: dict[str, tuple[int, int] | None] = {}
        clips: dict[tuple[str, str], dict[str, Any]] = {}
        method_info: dict[str, dict[str, Any]] = {}
        for label, method in self.methods.items():
            method_info[label] = self.restore_all(label, method, clips)
        self.score_all(clips)
        record = self.record(clips, method_info, started)
        from vfebench.results import CSV_FILE, RUN_FILE, write_per_clip_csv

        atomic_write_json(self.out / RUN_FILE, record)
        write_per_clip_csv(record, self.out / CSV_FILE)
        return RunOutcome(record, self.out, dict(self.stats))

    def _target(self, cid: str, lq: Clip) -> tuple[int, int] | None:
        if not self.has_gt:
            return None
        if cid not in self.targets:
            gt = self.source.load(cid, self.cfg.max_frames)
            if gt.num_frames != lq.num_frames:
                raise InputError(
                    f"GT and LQ do not match for clip {cid!r}: the GT has {gt.num_frames} frames, the LQ "
                    f"{lq.num_frames}; LQ clips must be frame-aligned with the GT (same ids, same frames)"
                )
            self.targets[cid] = gt.size
        return self.targets[cid]

    def restore_all(self, label: str, method, clips: dict) -> dict[str, Any]:
        cfg = self.cfg
        steps = method.config.get("steps", getattr(method, "steps", None))
        info: dict[str, Any] = {
            "name": method.name,
            "fingerprint": method.fingerprint(),
            "fingerprint_hash": method.fingerprint_hash(),
            "steps": steps,
            "warmup": None,
        }
        pending = []
        for cid in self.clip_ids:
            d = self.restored_dir(label, cid)
            meta = _read_json(d / "meta.json")
            if meta is not None and (d / "frames").is_dir():
                clips[(label, cid)] = self._clip_row(label, cid, meta, cached=True)
                self.stats["restored_cached"] += 1
            else:
                pending.append(cid)
        if not pending:
            return info
        self.log(f"{label}: restoring {len(pending)} clip(s) ({len(self.clip_ids) - len(pending)} cached)")
        try:
            method.ensure_setup(cfg.device)
        except Exception as exc:
            for cid in pending:
                self._fail(label, cid, "restore", None, exc, clips, prefix="setup failed: ")
            return info
        warm = cfg.warmup
        from vfebench.video import write_png_frames

        for cid in _progress(pending, len(pending), f"restore {label}", cfg.progress):
            lq = self.lq.load(cid)
            target = self._target(cid, lq)  # InputError (GT/LQ mismatch) stops the run
            while warm > 0:  # untimed warm-up on the first pending clip
                warm -= 1
                t0 = time.perf_counter()
                try:
                    method.restore(lq, target)
                    _sync(cfg.device)
                except Exception:
                    pass  # the timed call below records the failure
                info["warmup"] = {"clip_id": cid, "seconds": time.perf_counter() - t0}
            try:
                kind = _reset_peak(cfg.device)
                t0 = time.perf_counter()
                out = method.restore(lq, target)
                _sync(cfg.device)
                secs = time.perf_counter() - t0
                peak = _read_peak_mb(cfg.device)
                out = validate_output(out, lq, target, label)
            except Exception as exc:
                self._fail(label, cid, "restore", None, exc, clips)
                self._free(cfg.device)
                continue
            d = self.restored_dir(label, cid)
            write_png_frames(out, d / "frames")
            meta = {
                "method": label,
                "clip_id": cid,
                "fingerprint": method.fingerprint(),
                "lq_hash": lq.content_hash(),
                "gt_key": self.gt_key(cid),
                "content_hash": out.content_hash(),
                "n_frames": out.num_frames,
                "height": out.size[0],
                "width": out.size[1],
                "fps_video": out.fps,
                "seconds": secs,
                "fps": out.num_frames / secs if secs > 0 else None,
                "peak_mem_mb": peak,
                "peak_mem_kind": kind,
                "device": cfg.device,
                "created": _now(),
            }
            atomic_write_json(d / "meta.json", meta)
            clips[(label, cid)] = self._clip_row(label, cid, meta, cached=False)
            self.stats["restored_computed"] += 1
        # drop the loaded model before scoring (metrics need the device memory): a fresh,
        # not-set-up instance with the same config keeps the same fingerprint
        self.methods[label] = type(method)(**method.config)
        del method
        self._free(cfg.device)
        return info

    @staticmethod
    def _free(device: str) -> None:
        import gc

        gc.collect()
        if device.startswith("cuda"):
            try:
                import torch

                torch.cuda.empty_cache()
            except Exception:
                pass

    def _clip_row(self, label: str, cid: str, meta: dict, cached: bool) -> dict[str, Any]:
        d = self.restored_dir(label, cid)
        return {
            "method": label,
            "clip_id": cid,
            "status": "ok",
            "n_frames": meta["n_frames"],
            "height": meta["height"],
            "width": meta["width"],
            "seconds": meta["seconds"],
            "fps": meta["fps"],
            "peak_mem_mb": meta["peak_mem_mb"],
            "peak_mem_kind": meta["peak_mem_kind"],
            "restored_hash": meta["content_hash"],
            "restored_path": str(d / "frames"),
            "lq_path": self.lq.path(cid),
            "restore_cached": cached,
            "values": {},
            "details": {},
        }

    def _fail(self, label, cid, stage, metric, exc, clips, prefix: str = "") -> None:
        reason = prefix + f"{type(exc).__name__}: {exc}"
        self.failures.append(
            {
                "method": label,
                "clip_id": cid,
                "stage": stage,
                "metric": metric,
                "reason": reason,
                "traceback": _short_tb(exc),
            }
        )
        where = f"{label} / {cid}" + (f" / {metric}" if metric else "")
        self.log(f"FAILED {stage} {where}: {reason}")
        if stage == "restore":
            clips[(label, cid)] = {
                "method": label,
                "clip_id": cid,
                "status": "failed",
                "reason": reason,
                "n_frames": None,
                "height": None,
                "width": None,
                "seconds": None,
                "fps": None,
                "peak_mem_mb": None,
                "peak_mem_kind": None,
                "restored_hash": None,
                "restored_path": None,
                "lq_path": self.lq.path(cid),
                "restore_cached": False,
                "values": {},
                "details": {},
            }

    def score_all(self, clips: dict) -> None:
        from vfebench.metrics.base import FeatureStore, ScoreContext
        from vfebench.video import read_clip

        cfg = self.cfg
        feats = Path(cfg.features) if cfg.features else cache_root() / "features"
        ctx = ScoreContext(device=cfg.device, features=FeatureStore(feats), max_frames=None, seed=cfg.seed)
        clip_metrics = {k: m for k, m in self.metrics.items() if m.level != "set"}
        set_metrics = {k: m for k, m in self.metrics.items() if m.level == "set"}
        labels = list(self.methods)
        work = [(cid, lb) for cid in self.clip_ids for lb in labels]
        gt_cache: dict[str, Clip | None] = {}
        for cid, label in _progress(work, len(work), "score", cfg.progress and bool(clip_metrics)):
            row = clips[(label, cid)]
            if row["status"] != "ok":
                continue
            todo = []
            for key in clip_metrics:
                f = self.score_file(key, row["restored_hash"], cid)
                got = _read_json(f)
                if got is not None:
                    self._put(row, key, got, cached=True)
                    self.stats["scores_cached"] += 1
                else:
                    todo.append((key, f))
            if not todo:
                continue
            pred = read_clip(row["restored_path"], cid)
            if cid not in gt_cache:
                gt_cache.clear()
                gt_cache[cid] = self.source.load(cid, cfg.max_frames) if self.has_gt else None
            gt = gt_cache[cid]
            for key, f in todo:
                m = clip_metrics[key]
                try:
                    m.ensure_setup(cfg.device)
                    res = m.score_clip(pred, gt, ctx)
                except Exception as exc:
                    self._fail(label, cid, "score", key, exc, clips)
                    row["values"][key] = None
                    row["details"][key] = {"reason": f"failed: {type(exc).__name__}: {exc}"}
                    continue
                d = res.to_dict(with_frames=True)
                d["metric"] = self.metric_ids[key]
                d["restored_hash"] = row["restored_hash"]
                d["device"] = cfg.device
                atomic_write_json(f, d)
                self._put(row, key, d, cached=False)
                self.stats["scores_computed"] += 1
        for key, m in set_metrics.items():
            self._score_set(key, m, clips, ctx)

    def _score_set(self, key: str, m, clips: dict, ctx) -> None:
        from vfebench.metrics.base import LazyClips
        from vfebench.video import read_clip

        for label in self.methods:
            rows = [clips[(label, cid)] for cid in self.clip_ids if clips[(label, cid)]["status"] == "ok"]
            if not rows:
                continue
            ident = [(r["clip_id"], r["restored_hash"], self.gt_key(r["clip_id"])) for r in rows]
            mid = config_hash(self.metric_ids[key])
            k = config_hash({"clips": ident, "seed": self.cfg.seed}, n=32)
            f = self.cache / "scores" / f"{self.metric_ids[key]['name']}-{mid}" / "set" / f"{k}.json"
            got = _read_json(f)
            if got is None:
                try:
                    m.ensure_setup(self.cfg.device)
                    # loaded one at a time as the metric walks them (a dataset need not fit in memory)
                    preds = LazyClips([lambda r=r: read_clip(r["restored_path"], r["clip_id"]) for r in rows])
                    gts = (
                        LazyClips(
                            [lambda r=r: self.source.load(r["clip_id"], self.cfg.max_frames) for r in rows]
                        )
                        if self.has_gt
                        else None
                    )
                    res = m.score_set(preds, gts, ctx)
                except Exception as exc:
                    self._fail(label, "*", "score", key, exc, clips)
                    continue
                got = {
                    "value": None if math.isnan(res.value) else float(res.value),
                    "extras": res.extras,
                    "clips": [c.to_dict() for c in res.clips],
                    "metric": self.metric_ids[key],
                }
                atomic_write_json(f, got)
                self.stats["scores_computed"] += 1
            else:
                self.stats["scores_cached"] += 1
            per = {c["clip_id"]: c for c in got.get("clips", [])}
            for r in rows:
                if r["clip_id"] in per:
                    self._put(r, key, per[r["clip_id"]], cached=True)
            self._set_values = getattr(self, "_set_values", {})
            self._set_values[(label, key)] = got.get("value")
            self._set_results = getattr(self, "_set_results", {})
            self._set_results[(label, key)] = {"value": got.get("value"), "extras": got.get("extras") or {}}

    @staticmethod
    def _put(row: dict, key: str, d: dict, cached: bool) -> None:
        row["values"][key] = d.get("value")
        det = {"n_frames": d.get("n_frames"), "n_skipped": d.get("n_skipped"), "cached": cached}
        if d.get("reason"):
            det["reason"] = d["reason"]
        row["details"][key] = det

    # -- record ----------------------------------------------------------------------
    def record(self, clips: dict, method_info: dict, started: str) -> dict[str, Any]:
        from vfebench import __version__
        from vfebench.metrics.base import nanmean
        from vfebench.results import SCHEMA, SCHEMA_VERSION

        cfg = self.cfg
        rows = [clips[(lb, cid)] for lb in self.methods for cid in self.clip_ids]
        set_values = getattr(self, "_set_values", {})
        set_results = getattr(self, "_set_results", {})
        for label, info in method_info.items():
            mine = [r for r in rows if r["method"] == label]
            ok = [r for r in mine if r["status"] == "ok"]
            secs = [r["seconds"] for r in ok if r["seconds"] is not None]
            fps = [r["fps"] for r in ok if r["fps"] is not None]
            mem = [r["peak_mem_mb"] for r in ok if r["peak_mem_mb"] is not None]
            info["n_clips"] = len(mine)
            info["n_ok"] = len(ok)
            info["n_failed"] = len(mine) - len(ok)
            info["timing"] = {
                "seconds_mean": float(np.mean(secs)) if secs else None,
                "seconds_median": float(np.median(secs)) if secs else None,
                "fps_mean": float(np.mean(fps)) if fps else None,
                "peak_mem_mb_max": float(max(mem)) if mem else None,
                "peak_mem_kind": ok[0]["peak_mem_kind"] if ok else None,
                "frames_per_clip_mean": float(np.mean([r["n_frames"] for r in ok])) if ok else None,
            }
            aggs = {}
            sets = {}
            for key, m in self.metrics.items():
                if m.level == "set":
                    aggs[key] = set_values.get((label, key))
                    if (label, key) in set_results:  # e.g. FVD dataset mode: n_samples, window, eps
                        sets[key] = set_results[(label, key)]
                else:
                    v = nanmean([r["values"].get(key) for r in ok])
                    aggs[key] = None if math.isnan(v) else v
            info["aggregates"] = aggs
            if sets:
                info["set_results"] = sets
        synthetic = self.lq.kind == "synthetic"
        ident = self.lq.identity()
        status = "complete" if not self.failures else "partial"
        return {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "run_id": self.run_id,
            "status": status,
            "started": started,
            "finished": _now(),
            "code": {"vfebench_version": __version__, **_git_info()},
            "environment": environment(cfg.device),
            "config": {**asdict(cfg), "metrics": list(self.metrics)},
            "dataset": {
                "spec": cfg.dataset,
                "name": self.source.name,
                "version": self.source.version,
                "has_gt": self.has_gt,
                "manifest_hash": self.source_hash,
                "clip_ids": list(self.clip_ids),
                "n_clips": len(self.clip_ids),
                "describe": self.source.describe(),
            },
            "lq": {
                "kind": self.lq.kind,
                "identity": ident,
                "manifest_hash": self.lq.manifest_hash,
                "root": str(self.lq.root) if self.lq.root else None,
            },
            "degradation": (
                {
                    "preset": ident.get("preset", cfg.preset),
                    "version": ident.get("version", ident.get("preset_version")),
                    "seed": ident.get("seed", cfg.seed),
                }
                if synthetic
                else None
            ),
            "metrics": {k: metric_record(m) for k, m in self.metrics.items()},
            "skipped_metrics": dict(self.skipped),
            "methods": method_info,
            "clips": rows,
            "failures": self.failures,
            "cache": {"root": str(self.cache), **self.stats},
        }


def run(cfg: RunConfig, log: Callable[[str], None] | None = None) -> RunOutcome:
    """Run ``cfg`` (see module docstring); returns the record, its folder and cache counters."""
    log = log or (lambda s: print(s, file=sys.stderr))
    return _Runner(cfg, log).run()
