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
"""

from __future__ import annotations

import torch
from torch import nn

from vfebench.errors import InputError, WeightsError

#: (last index + 1) of each slice of torchvision's ``features`` for the five LPIPS taps
SLICES = {"alex": (2, 5, 8, 10, 12), "vgg": (4, 9, 16, 23, 30)}
CHANNELS = {"alex": (64, 192, 384, 256, 256), "vgg": (64, 128, 256, 512, 512)}


def _features(net: str) -> nn.Sequential:
    from torchvision import models

    if net == "alex":
        return models.alexnet(weights=None).features
    if net == "vgg":
        return models.vgg16(weights=None).features
    raise InputError(f"LPIPS backbone must be 'alex' or 'vgg', got {net!r}")


class LPIPSNet(nn.Module):
    """LPIPS distance network. ``forward(x, y)`` → ``B`` distances (float32)."""

    def __init__(self, net: str = "alex") -> None:
        super().__init__()
        self.net_name = net
        self.features = _features(net)[: SLICES[net][-1]]
        self.taps = SLICES[net]
        self.lins = nn.ModuleList(nn.Conv2d(c, 1, 1, bias=False) for c in CHANNELS[net])
        self.register_buffer("shift", torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1))
        self.register_buffer("scale", torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1))
        self.eval()
        for p in self.parameters():
            p.requires_grad_(False)

    def load_weights(self, backbone: dict[str, torch.Tensor], heads: dict[str, torch.Tensor]) -> None:
        """Load a torchvision trunk state dict and an lpips v0.1 heads state dict (strict)."""
        feats = {k[len("features.") :]: v for k, v in backbone.items() if k.startswith("features.")}
        feats = {k: v for k, v in feats.items() if int(k.split(".")[0]) < self.taps[-1]}
        self.features.load_state_dict(feats, strict=True)
        lin = {}
        for i in range(len(self.lins)):
            key = f"lin{i}.model.1.weight"
            if key not in heads:
                raise WeightsError(
                    f"LPIPS heads file lacks {key!r} (expected the lpips v0.1 {self.net_name}.pth)"
                )
            lin[f"{i}.weight"] = heads[key]
        self.lins.load_state_dict(lin, strict=True)

    def taps_of(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Unit-normalised activations at the five taps for ``B×3×H×W`` input in [−1, 1]."""
        h = (x - self.shift) / self.scale
        out = []
        start = 0
        for end in self.taps:
            for i in range(start, end):
                h = self.features[i](h)
            start = end
            out.append(h / (torch.sqrt(torch.sum(h * h, dim=1, keepdim=True)) + 1e-10))
        return out

    def distance(self, fx: list[torch.Tensor], fy: list[torch.Tensor]) -> torch.Tensor:
        """LPIPS from precomputed taps (lets callers reuse the reference's features)."""
        val = 0
        for lin, a, b in zip(self.lins, fx, fy):
            val = val + lin((a - b) ** 2).mean(dim=(2, 3))
        return val.reshape(-1)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        taps = self.taps_of(torch.cat([x, y], 0))
        return self.distance([t[:n] for t in taps], [t[n:] for t in taps])
