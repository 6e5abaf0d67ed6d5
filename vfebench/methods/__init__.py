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


def build_method(name: str, **config: Any):
    return METHODS.get(name)(**config)
