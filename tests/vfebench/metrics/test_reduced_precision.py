"""The opt-in ``dtype=bf16|fp16`` option: validated, recorded in the identity, autocast applied."""

from __future__ import annotations

import numpy as np
import pytest

from vfebench.errors import InputError
from vfebench.metrics import build_metric
from vfebench.metrics import reduced_precision as rp

NETWORK_METRICS = ("lpips", "lpips_vgg", "musiq", "ids", "facecons")


@pytest.mark.parametrize("name", NETWORK_METRICS)
def test_dtype_is_part_of_the_identity_and_fp32_is_the_default(name):
    base = build_metric(name).identity()
    assert build_metric(f"{name}:dtype=fp32").identity() == base  # the default spelled out
    bf = build_metric(f"{name}:dtype=bf16").identity()
    fp = build_metric(f"{name}:dtype=FP16").identity()
    assert bf["options"]["dtype"] == "bf16" and fp["options"]["dtype"] == "fp16"
    assert len({repr(base), repr(bf), repr(fp)}) == 3  # never the same cache key or fingerprint
    with pytest.raises(InputError, match="dtype must be one of"):
        build_metric(f"{name}:dtype=int8")


def test_non_network_metrics_reject_dtype_and_insightface_too():
    with pytest.raises(InputError, match="no option 'dtype'"):
        build_metric("psnr:dtype=bf16")
    with pytest.raises(InputError, match="ir_se50"):
        build_metric("ids:backend=insightface,dtype=bf16")


def test_face_feature_versions_differ_by_dtype():
    assert rp.tag(None) == rp.tag("fp32") == ""
    assert rp.tag("bf16") == "-bf16" and rp.tag("fp16") == "-fp16"


def test_autocast_changes_the_arithmetic_on_cpu():
    torch = pytest.importorskip("torch")
    g = torch.Generator().manual_seed(0)
    lin = torch.nn.Linear(256, 64)
    x = torch.randn(8, 256, generator=g)
    with torch.no_grad():
        ref = lin(x)
        with rp.autocast("cpu", None):
            same = lin(x)
        with rp.autocast("cpu", "bf16"):
            low = lin(x)
    assert torch.equal(ref, same)
    assert low.dtype == torch.bfloat16
    d = float((low.float() - ref).abs().max())
    assert 0 < d < 0.1 * float(ref.abs().max())
    assert np.isfinite(d)
