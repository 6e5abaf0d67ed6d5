"""Method registry (lazy). Baseline adapters live in the top-level ``baselines`` package."""

from __future__ import annotations

from typing import Any

from vfebench.registry import Registry

METHODS: Registry[Any] = Registry(
    "method",
    {
        "identity": "vfebench.methods.trivial:Identity",
        "bicubic": "vfebench.methods.trivial:Bicubic",
        "lanczos": "vfebench.methods.trivial:Lanczos",
        "vividface": "vividface.method:VividFaceMethod",
        # published methods, run from their own checkout + environment (baselines/)
        "basicvsr++": "baselines.basicvsrpp:BasicVSRPP",
        "realbasicvsr": "baselines.realbasicvsr:RealBasicVSR",
        "mgld-vsr": "baselines.mgldvsr:MGLDVSR",
        "star": "baselines.star:STAR",
        "seedvr2-3b": "baselines.seedvr2:SeedVR2",
        "seedvr-3b": "baselines.seedvr:SeedVR",
        "pgtformer": "baselines.pgtformer:PGTFormer",
        "bfvr-stc": "baselines.bfvr_stc:BFVRSTC",
        "keep": "baselines.keep:KEEP",
        "svfr": "baselines.svfr:SVFR",
        "dicface": "baselines.dicface:DicFace",
        "codeformer": "baselines.codeformer:CodeFormer",
        "difface": "baselines.difface:DifFace",
    },
    hint="vfebench ls methods",
)


def load_method_class(target: str):
    """The Method class for a registry name or ``module:Class`` (clear errors on failure)."""
    from vfebench.errors import InputError, MissingDependencyError, UnknownNameError
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
        if not getattr(cls, "name", ""):
            raise InputError(f"--method {target!r}: class {cls.__name__} has no `name` attribute")
        return cls
    return METHODS.get(target)  # raises UnknownNameError with did-you-mean


def build_method(name: str, **config: Any):
    """Instantiate method ``name`` (a registry name or ``pkg.module:Class``) with ``config``.

    Configuration only: weights are neither checked nor loaded (``vfebench run`` checks them at
    plan time, :func:`vfebench.runner.plan.check_method_assets`; ``setup`` loads them). A class
    that declares ``options_doc`` rejects unknown config keys with a did-you-mean.
    """
    return load_method_class(name)(**config)
