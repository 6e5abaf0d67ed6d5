"""Plan stage: resolve a :class:`RunConfig` into a frozen, typed :class:`Plan`.

The plan names everything a run will do before any work starts: the methods (built, weights
checked, not yet loaded), the dataset source and its clip ids, the metrics (explicit, or every
usable registered metric with a reason for each skipped one), how the LQ inputs are obtained,
the run id (hash of the config's identity and the method fingerprints) and the run folder. A
bad name, missing weights or a reference metric without GT fail here, before anything is
computed.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from vfebench.errors import InputError, MissingAssetError, MissingDependencyError, UnknownNameError
from vfebench.methods import build_method, load_method_class  # noqa: F401  (re-exported)
from vfebench.spec import Spec, parse_spec, split_specs
from vfebench.utils import config_hash

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
        progress: show progress (bars on a terminal, else a line every ``progress_every`` s).
        timeout: per-clip restore timeout in seconds for isolated methods (None = no limit).
        isolation: ``process`` (each method in its own worker process) or ``inprocess``
            (debugging: the method runs in this process; no timeout, a crash ends the run).
        overwrite: allow ``out`` to hold another run's record (it is replaced).
        progress_every: seconds between progress lines when stderr is not a terminal.
        shard: ``"I/N"``: compute only slice I of N of the work units into the cache and write
            no record (:mod:`~vfebench.runner.units`); None = the whole run and its record.
        batch: frames per forward pass of the network metrics (an int, ``"auto"`` = sized by
            free device memory on CUDA, None = each metric's default); speed only.
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
    timeout: float | None = 3600.0
    isolation: str = "process"
    overwrite: bool = False
    progress_every: float = 30.0
    shard: str | None = None
    batch: int | str | None = None

    def identity(self) -> dict[str, Any]:
        """The fields that decide what a run computes (hashed into the run id)."""
        d = asdict(self)
        for k in _NOT_IDENTITY:
            d.pop(k, None)
        return d


#: RunConfig fields that change how a run executes or where it writes, not what it measures
_NOT_IDENTITY = (
    "out", "cache", "features", "progress", "warmup", "device", "timeout", "isolation", "overwrite",
    "progress_every", "shard", "batch",
)  # fmt: skip

# ----------------------------------------------------------------------------- methods


def load_plugins() -> list[str]:
    """Import the modules named in ``$VFEBENCH_PLUGINS`` (see :func:`vfebench.registry.load_env_plugins`).

    A plugin registers its own methods or metrics at import time
    (``METHODS.register("mine", MyMethod)``), so ``vfebench run --method mine`` finds them.
    Installed plugins need none of this: they declare entry points (``vfebench.methods`` ...).
    """
    from vfebench.registry import load_env_plugins

    return load_env_plugins()


@dataclass
class MethodSpec:
    label: str
    target: str  # registry name or "module:Class"
    config: dict[str, Any]


def method_label(name: str, config: dict[str, Any]) -> str:
    """The label of a method before its class is known (:meth:`Method.spec_label` without plumbing
    keys); :func:`label_method_spec` replaces it with the class's own label."""
    from vfebench.methods.base import Method

    return Method.spec_label(name, config)


def parse_method_spec(spec: str) -> MethodSpec:
    """``NAME`` | ``NAME:key=value,...`` | ``pkg.module:Class`` | ``pkg.module:Class:key=value``.

    The one spec grammar of :mod:`vfebench.spec` (values parsed as JSON when possible: ``steps=1``
    → int). The label (:func:`method_label`) uses the class name of a ``module:Class`` target.
    """
    s = parse_spec(spec, "--method")
    target = s.head
    return MethodSpec(
        label=method_label(target.rpartition(":")[2], s.options), target=target, config=dict(s.options)
    )


def label_method_spec(spec: MethodSpec) -> MethodSpec:
    """Set ``spec.label`` from the method class (:meth:`Method.spec_label`: plumbing keys such as
    ``repo=``/``python=`` paths never appear in a label). Separate from the parsing on purpose."""
    cls = load_method_class(spec.target)
    name = spec.target.rpartition(":")[2] if ":" in spec.target else spec.target
    hook = getattr(cls, "spec_label", None)
    if callable(hook):
        spec.label = hook(name, dict(spec.config))
    return spec


def check_method_assets(method) -> None:
    """Raise MissingAssetError (naming `vfebench assets fetch/import`) unless every weights file
    ``method`` needs is present and verified."""
    from vfebench import assets

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


# ----------------------------------------------------------------------------- metrics


def parse_metric_specs(items: list[str] | None) -> list[Spec] | None:
    """Parse ``--metrics`` values once (comma-separated lists, blanks and repeats dropped, order
    kept; ``key=value`` options stay with their metric, see :func:`vfebench.spec.split_specs`)."""
    if items is None:
        return None
    return split_specs(items, "metric") or None


def _metric_missing_assets(metric) -> list[str]:
    from vfebench import assets

    return [a for a in metric.required_assets() if not assets.is_present(a)]


def resolve_metrics(
    specs: list[Spec] | list[str] | None, has_gt: bool
) -> tuple[dict[str, Any], dict[str, str]]:
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
            except Exception as exc:  # broad on purpose: a broken metric module must not stop the others
                skipped[name] = f"cannot be built ({type(exc).__name__}: {exc})"
                continue
            lacking = missing_modules(m.extra) if m.extra else []
            if lacking:
                skipped[name] = f"needs pip install 'vfebench[{m.extra}]' (missing: {', '.join(lacking)})"
                continue
            try:
                missing = _metric_missing_assets(m)
            except (UnknownNameError, OSError) as exc:  # an undeclared asset / an unreadable file
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
        if not isinstance(spec, Spec):
            spec = parse_spec(spec, "metric")
        name = spec.name
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
                f"metric {spec.text!r} needs the optional dependencies {', '.join(lacking)}: "
                f"pip install 'vfebench[{m.extra}]'"
            )
        for a in m.required_assets():
            assets.asset_path(a)
        if m.needs_reference and not has_gt:
            raise InputError(
                f"metric {spec.text!r} needs a ground-truth reference but the dataset has none; "
                "use no-reference metrics (vfebench ls metrics: kind NR)"
            )
        chosen[spec.text] = m
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
        "paper": info["paper"],
        "tolerance": info["tolerance"],
    }


def default_out(cfg: RunConfig, run_id: str) -> Path:
    """The default run folder: ``runs/<dataset name>-<preset>-s<seed>-<first 8 of run_id>``
    (the dataset's last path part, runs of non-alphanumerics replaced by ``-``)."""
    ds = re.sub(r"[^A-Za-z0-9]+", "-", Path(cfg.dataset.split(":", 1)[-1]).name or cfg.dataset).strip("-")
    return Path("runs") / f"{ds or 'dataset'}-{cfg.preset}-s{cfg.seed}-{run_id[:8]}"


# ----------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class Plan:
    """What a run will do; frozen (mappings are read-only views).

    Attributes:
        cfg: the configuration it was made from.
        run_id: 16 hex, hash of ``cfg.identity()`` and every method's fingerprint.
        out: the run folder.
        methods: label → :class:`~vfebench.methods.base.Method` (configured, not set up).
        specs: label → the parsed :class:`MethodSpec`.
        source: the dataset :class:`~vfebench.datasets.base.Source`.
        has_gt: whether the source has ground truth.
        clip_ids: the clips of this run, in the dataset's order.
        metrics: metric key → metric (not set up).
        skipped: default-set metrics left out → reason.
        lq_preset: the degradation preset for synthetic LQ, or None for shipped / real LQ.
        warnings: things about the inputs that are probably not what was meant
            (:mod:`vfebench.runner.sanity`); the run logs and records them, and goes on.
    """

    cfg: RunConfig
    run_id: str
    out: Path
    methods: MappingProxyType
    specs: MappingProxyType
    source: Any
    has_gt: bool
    clip_ids: tuple[str, ...]
    metrics: MappingProxyType
    skipped: MappingProxyType
    lq_preset: str | None
    warnings: tuple[str, ...] = ()


def make_plan(cfg: RunConfig) -> Plan:
    """Resolve ``cfg``; every user error (names, weights, options) is raised here."""
    from vfebench.datasets import build_source

    load_plugins()
    if not cfg.methods:
        raise InputError("no method given: use --method NAME (vfebench ls methods)")
    if cfg.max_frames is not None and cfg.max_frames < 1:
        raise InputError(f"--max-frames must be ≥ 1, got {cfg.max_frames}")
    if cfg.timeout is not None and not cfg.timeout > 0:
        raise InputError(f"--timeout must be > 0 seconds, got {cfg.timeout}")
    if cfg.isolation not in ("process", "inprocess"):
        raise InputError(f"isolation must be 'process' or 'inprocess', got {cfg.isolation!r}")
    from vfebench.runner.units import parse_batch, parse_shard

    parse_shard(cfg.shard)  # InputError naming the value and the form
    parse_batch(cfg.batch)
    specs = [label_method_spec(parse_method_spec(s)) for s in cfg.methods]
    labels = [s.label for s in specs]
    dup = sorted({lb for lb in labels if labels.count(lb) > 1})
    if dup:
        raise InputError(f"method(s) given twice: {', '.join(dup)}")
    methods = {s.label: build_method(s.target, **s.config) for s in specs}  # fail fast
    for m in methods.values():
        check_method_assets(m)
    opts = dict(cfg.dataset_options)
    if cfg.lq:
        opts["lq"] = cfg.lq
    source = build_source(cfg.dataset, **opts)
    ids = list(source.clip_ids())
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
    has_gt = bool(source.has_gt)
    metrics, skipped = resolve_metrics(parse_metric_specs(cfg.metrics), has_gt)
    run_id = config_hash(
        {"config": cfg.identity(), "methods": {lb: m.fingerprint() for lb, m in methods.items()}}
    )
    out = Path(cfg.out) if cfg.out else default_out(cfg, run_id)
    lq_preset: str | None = cfg.preset
    from vfebench.degrade.lq import ships_lq

    if not has_gt or ships_lq(source, ids):
        lq_preset = None
    from vfebench.runner.sanity import dataset_warnings

    warnings = tuple(dataset_warnings(cfg.dataset, source, ids, lq_preset))
    return Plan(
        cfg=cfg,
        run_id=run_id,
        out=out,
        methods=MappingProxyType(methods),
        specs=MappingProxyType({s.label: s for s in specs}),
        source=source,
        has_gt=has_gt,
        clip_ids=tuple(ids),
        metrics=MappingProxyType(metrics),
        skipped=MappingProxyType(skipped),
        lq_preset=lq_preset,
        warnings=warnings,
    )
