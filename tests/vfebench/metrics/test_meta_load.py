"""Networks built on meta with their weights assigned equal the old build-init-then-copy path."""

from __future__ import annotations

import pytest
from helpers.integration_assets import tiny_ir_se_file

from vfebench.errors import InputError

torch = pytest.importorskip("torch")


def _old_ir_se(sd):
    """The previous loader: random init, then ``load_state_dict`` copies the weights in."""
    from vfebench.metrics.nets import ir_se

    w, u = ir_se.infer_ir_se_arch(sd)
    net = ir_se.build_ir_se(w, u)
    net.load_state_dict(sd, strict=False)
    return net.eval()


def _same(a, b) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        assert sa[k].dtype == sb[k].dtype and torch.equal(sa[k], sb[k]), k
    assert not any(t.is_meta for t in [*b.parameters(), *b.buffers()])


def test_ir_se_loaded_on_meta_equals_the_copying_loader(tmp_path):
    from vfebench.metrics.nets.ir_se import load_ir_se

    path = tiny_ir_se_file(tmp_path / "ir.pth")
    sd = torch.load(path, weights_only=True)
    old, new = _old_ir_se(sd), load_ir_se(path)
    _same(old, new)
    x = torch.rand(3, 3, 112, 112)
    with torch.inference_mode():
        assert torch.equal(old(x), new(x))


def test_missing_batchnorm_counters_are_zero_and_a_missing_weight_is_named(tmp_path):
    from vfebench.metrics.nets.ir_se import load_ir_se

    path = tiny_ir_se_file(tmp_path / "ir.pth")
    sd = torch.load(path, weights_only=True)
    no_counters = {k: v for k, v in sd.items() if not k.endswith("num_batches_tracked")}
    assert len(no_counters) < len(sd)
    torch.save(no_counters, tmp_path / "nc.pth")
    net = load_ir_se(tmp_path / "nc.pth")
    counters = [b for n, b in net.named_buffers() if n.endswith("num_batches_tracked")]
    assert counters and all(int(b) == 0 and b.dtype == torch.long for b in counters)
    _same(_old_ir_se(no_counters), net)
    gone = next(k for k in sd if k.endswith("weight") and "body" in k)
    torch.save({k: v for k, v in sd.items() if k != gone}, tmp_path / "bad.pth")
    with pytest.raises(InputError, match=r"bad\.pth.*missing.*not an IR-SE50 state dict"):
        load_ir_se(tmp_path / "bad.pth")


def test_dtype_and_layout_are_those_the_copy_gave():
    """A float16 or non-contiguous checkpoint tensor ends up float32 and contiguous, as copied."""
    from vfebench.metrics.nets.meta_load import build_loaded

    torch.manual_seed(0)
    ref = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4)).eval()
    sd = {k: v.clone() for k, v in ref.state_dict().items()}
    sd["0.weight"] = sd["0.weight"].half()
    sd["1.running_mean"] = torch.arange(8.0)[::2]  # a strided view
    old = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))
    old.load_state_dict(sd)
    new = build_loaded(
        lambda: torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4)), sd, "x"
    )
    _same(old.eval(), new)
    assert all(t.is_contiguous() for t in new.state_dict().values())
    with pytest.raises(InputError, match="x: weights do not fit"):
        build_loaded(lambda: torch.nn.Conv2d(3, 4, 3), {**sd, "extra": torch.zeros(1)}, "x")


def test_musiq_built_on_meta_equals_the_copying_build():
    pytest.importorskip("pyiqa")
    from pyiqa.archs.musiq_arch import MUSIQ as Arch

    from vfebench.metrics.nets.musiq import build_musiq

    torch.manual_seed(0)
    sd = Arch(num_class=1, pretrained=False).state_dict()
    torch.manual_seed(1)  # the old build: another random init, overwritten by the copy
    old = Arch(num_class=1, pretrained=False, pretrained_model_path=None)
    old.load_state_dict(sd, strict=True)
    new = build_musiq({f"module.{k}": v for k, v in sd.items()})
    _same(old.eval(), new)
    x = torch.rand(1, 3, 224, 224)
    with torch.inference_mode():
        assert torch.equal(old(x), new(x))
