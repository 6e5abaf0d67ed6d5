"""LPIPSNet after issue 18: trunk-only build (no classifier, no init) and the fused distance."""

from __future__ import annotations

import functools

import numpy as np
import pytest

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")

from vfebench.metrics.nets.lpips import CHANNELS, SLICES, LPIPSNet, trunk  # noqa: E402


@functools.cache
def _tv(net: str):  # one build per net per session (VGG16 whole is slow to initialise)
    torch.manual_seed(0)
    return (torchvision.models.alexnet if net == "alex" else torchvision.models.vgg16)(weights=None).eval()


def _heads(net: str):
    g = torch.Generator().manual_seed(1)
    return {
        f"lin{i}.model.1.weight": torch.rand(1, c, 1, 1, generator=g) for i, c in enumerate(CHANNELS[net])
    }


def _unfused(tv, heads, x, y, net: str):
    """The lpips 0.1.4 formula written out: full torchvision trunk, normalised taps kept, 1×1 conv."""
    shift = torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1)
    scale = torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1)

    def taps(z):
        h, out, start = (z - shift) / scale, [], 0
        for end in SLICES[net]:
            for i in range(start, end):
                h = tv.features[i](h)
            start = end
            out.append(h / (torch.sqrt(torch.sum(h * h, dim=1, keepdim=True)) + 1e-10))
        return out

    val = 0
    for i, (a, b) in enumerate(zip(taps(x), taps(y))):
        w = heads[f"lin{i}.model.1.weight"]
        val = val + torch.nn.functional.conv2d((a - b) ** 2, w).mean(dim=(2, 3))
    return val.reshape(-1)


@pytest.mark.parametrize("net", ["alex", "vgg"])
def test_trunk_only_loads_torchvision_state_dict_and_equals_full_build(net):
    torch.set_num_threads(2)
    tv = _tv(net)
    sd = {k: v for k, v in tv.state_dict().items() if k.startswith("features.")}
    t = trunk(net)
    assert all(p.is_meta for p in t.parameters())  # nothing initialised before loading
    keep = {k[9:]: v for k, v in sd.items() if int(k.split(".")[1]) < SLICES[net][-1]}
    t.load_state_dict(keep, strict=True, assign=True)
    assert [type(m) for m in t] == [type(m) for m in tv.features[: SLICES[net][-1]]]
    x = torch.rand(2, 3, 67, 64) * 2 - 1
    with torch.inference_mode():
        assert torch.equal(t(x.clone()), tv.features[: SLICES[net][-1]](x.clone()))
    n = LPIPSNet(net)
    n.load_weights(sd, _heads(net))
    n_params = sum(p.numel() for p in n.parameters())
    assert n_params == sum(p.numel() for p in t.parameters()) + sum(CHANNELS[net])
    assert n_params < 15_000_000  # VGG16 whole: 138 M (classifier not built)


@pytest.mark.parametrize("net", ["alex", "vgg"])
@pytest.mark.parametrize("size", [(48, 64), (67, 61)])
def test_fused_distance_equals_unfused_formula(net, size):
    torch.set_num_threads(2)
    tv = _tv(net)
    sd = {k: v for k, v in tv.state_dict().items() if k.startswith("features.")}
    heads = _heads(net)
    n = LPIPSNet(net)
    n.load_weights(sd, heads)
    g = torch.Generator().manual_seed(size[0])
    x = torch.rand(3, 3, *size, generator=g) * 2 - 1
    y = (x + 0.3 * torch.randn(x.shape, generator=g)).clamp(-1, 1)
    with torch.inference_mode():
        got = n(x, y).double().numpy()
        want = _unfused(tv, heads, x, y, net).double().numpy()
        same = n(x, x).numpy()
    # the net is channels-last, the written-out formula runs torchvision in the default layout
    assert n.features[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert np.allclose(got, want, rtol=1e-5, atol=1e-7), (got, want)
    assert np.all(same == 0)
