"""LPIPS v0.1 network (Zhang et al., CVPR 2018): torchvision AlexNet/VGG16 trunk + linear heads.

Matches the ``lpips`` 0.1.4 package (richzhang/PerceptualSimilarity ``lpips/lpips.py`` and
``lpips/pretrained_networks.py``):

- input ``B×3×H×W`` float in [−1, 1] (RGB), shifted/scaled per channel by
  ``shift = (−.030, −.088, −.188)``, ``scale = (.458, .448, .450)``;
- five trunk activations (AlexNet: after ReLU 1–5 of ``features``; VGG16: relu1_2, relu2_2,
  relu3_3, relu4_3, relu5_3), each unit-normalised over channels (``x / (‖x‖₂ + 1e−10)``);
- squared difference, 1×1 convolution with the non-negative v0.1 weights (no bias), spatial
  mean, summed over the five layers → ``B`` distances.

Weights: the trunk takes a torchvision ImageNet state dict (``features.*`` keys, e.g.
``alexnet-owt-7be5be79.pth``); the heads take the lpips v0.1 file (``lin{k}.model.1.weight``).
Nothing is downloaded here: callers pass state dicts loaded from verified assets.

Only the trunk layers up to the last tap are built (the layer list of torchvision's
``alexnet().features`` / ``vgg16().features``, same indices, so the state dicts load unchanged),
on the ``meta`` device: no classifier (VGG16's is 124 M of its 138 M parameters) and no random
initialisation that the loaded weights would overwrite. The forward pass is fused per tap: the
channel norms, the difference of the unit-normalised activations, its square and the weighted
channel sum are done layer by layer without keeping the normalised taps (equal to the unfused
formula up to float32 rounding; ``tests/vfebench/metrics/test_lpips_fused.py``).

The trunk and its activations are kept channels-last (:mod:`vfebench.metrics.nets.layout`; the
channel norms then reduce over contiguous memory): VGG16 at 4 pairs of 512² measured 20–38 %
faster, distances equal within float32 rounding (largest relative difference 9.4e-8), the size
of the difference between two CPUs' kernels, so the metric version is unchanged.
"""

from __future__ import annotations

from typing import cast

import torch
from torch import nn

from vfebench.errors import InputError, WeightsError
from vfebench.metrics.nets.layout import convs_channels_last, nhwc

#: (last index + 1) of each slice of torchvision's ``features`` for the five LPIPS taps
SLICES = {"alex": (2, 5, 8, 10, 12), "vgg": (4, 9, 16, 23, 30)}
CHANNELS = {"alex": (64, 192, 384, 256, 256), "vgg": (64, 128, 256, 512, 512)}
#: torchvision ``features`` layer lists: (out channels, kernel, stride, padding) for a conv,
#: "R" a ReLU, ("M", kernel, stride) a max pool (torchvision/models/alexnet.py and vgg.py)
_ALEX = [(64, 11, 4, 2), "R", ("M", 3, 2), (192, 5, 1, 2), "R", ("M", 3, 2), (384, 3, 1, 1), "R"]
_ALEX += [(256, 3, 1, 1), "R", (256, 3, 1, 1), "R", ("M", 3, 2)]
_VGG: list = []
for _c in (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"):
    _VGG += [("M", 2, 2)] if _c == "M" else [(_c, 3, 1, 1), "R"]
_LAYERS = {"alex": _ALEX, "vgg": _VGG}
EPS = 1e-10


def trunk(net: str, device: str | torch.device = "meta") -> nn.Sequential:
    """torchvision's ``features`` of AlexNet/VGG16 up to the last LPIPS tap, same layer indices.

    Built on ``device`` (default ``meta``: shapes only, nothing initialised; load weights with
    ``load_state_dict(..., assign=True)``)."""
    if net not in _LAYERS:
        raise InputError(f"LPIPS backbone must be 'alex' or 'vgg', got {net!r}")
    layers: list[nn.Module] = []
    cin = 3
    for spec in _LAYERS[net][: SLICES[net][-1]]:
        if spec == "R":
            layers.append(nn.ReLU(inplace=True))
        elif spec[0] == "M":
            layers.append(nn.MaxPool2d(kernel_size=spec[1], stride=spec[2]))
        else:
            cout, k, st, pad = spec
            layers.append(nn.Conv2d(cin, cout, k, st, pad, device=device))
            cin = cout
    return nn.Sequential(*layers)


class LPIPSNet(nn.Module):
    """LPIPS distance network. ``forward(x, y)`` → ``B`` distances (float32).

    Built empty (``meta`` tensors); :meth:`load_weights` must be called before use."""

    shift: torch.Tensor  # buffers (register_buffer)
    scale: torch.Tensor

    def __init__(self, net: str = "alex") -> None:
        super().__init__()
        self.net_name = net
        self.features = trunk(net)
        self.taps = SLICES[net]
        self.lins = nn.ModuleList(nn.Conv2d(c, 1, 1, bias=False, device="meta") for c in CHANNELS[net])
        self.register_buffer("shift", torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1))
        self.register_buffer("scale", torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1))
        self.eval()
        for p in self.parameters():
            p.requires_grad_(False)

    def load_weights(self, backbone: dict[str, torch.Tensor], heads: dict[str, torch.Tensor]) -> None:
        """Load a torchvision trunk state dict and an lpips v0.1 heads state dict (strict).

        ``backbone``: torchvision's ImageNet AlexNet / VGG16 state dict; only the ``features.{i}.*``
        keys of layers before the last tap are used (conv ``weight`` (cout, cin, k, k) and
        ``bias`` (cout,)), the classifier and later layers are ignored, and every used key must
        be there with the right shape. ``heads``: the lpips v0.1 file, ``lin{k}.model.1.weight``
        shaped (1, C_k, 1, 1) for k = 0…4 (C_k from :data:`CHANNELS`); other keys are ignored.
        The tensors are assigned, not copied (``assign=True``): the network takes their device
        and dtype, so pass float32 CPU tensors and move the network with ``.to()``. Raises
        :class:`~vfebench.errors.WeightsError` for a missing head and torch's ``RuntimeError``
        for a missing or mis-shaped trunk key.
        """
        feats = {k[len("features.") :]: v for k, v in backbone.items() if k.startswith("features.")}
        feats = {k: v for k, v in feats.items() if int(k.split(".")[0]) < self.taps[-1]}
        self.features.load_state_dict(feats, strict=True, assign=True)
        lin = {}
        for i in range(len(self.lins)):
            key = f"lin{i}.model.1.weight"
            if key not in heads:
                raise WeightsError(
                    f"LPIPS heads file lacks {key!r} (expected the lpips v0.1 {self.net_name}.pth)"
                )
            lin[f"{i}.weight"] = heads[key]
        self.lins.load_state_dict(lin, strict=True, assign=True)
        for p in self.parameters():
            p.requires_grad_(False)
        convs_channels_last(self.features)  # see the module docstring

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """``B×3×H×W`` inputs in [−1, 1] → ``B`` LPIPS distances (fused per tap, see module doc).

        ``x`` and ``y``: the same shape, RGB, float32 on the network's device. Returns shape
        (B,), the distances ≥ 0 (the v0.1 head weights are non-negative), 0 for identical inputs.
        """
        n = x.shape[0]
        h = nhwc((torch.cat([x, y], 0) - self.shift) / self.scale)
        val: torch.Tensor | None = None
        start = 0
        for lin, end in zip(self.lins, self.taps):
            for i in range(start, end):
                h = self.features[i](h)
            start = end
            inv = torch.linalg.vector_norm(h, dim=1, keepdim=True).add_(EPS).reciprocal_()
            hn = h * inv  # unit-normalised taps of x and y (one temporary per tap)
            d = hn[:n].sub_(hn[n:]).square_()
            w = cast(nn.Conv2d, lin).weight.reshape(1, -1, 1, 1).to(d.dtype)
            layer = (d * w).sum(dim=1).mean(dim=(1, 2))
            val = layer if val is None else val + layer
        assert val is not None  # five taps, never empty
        return val.reshape(-1)
