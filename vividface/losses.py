"""Training losses: stochastic face-focused loss (paper Eq. 6), stage 1 and stage 2, DISTS.

Eq. 6: with probability ``p`` a sample's loss is the masked MSE ``mean((M ⊙ (pred − gt))²)``,
otherwise the global MSE ``mean((pred − gt)²)``; the Bernoulli draw is made per sample and comes
from a caller-supplied ``torch.Generator`` (reproducible). ``p = 0`` is exactly the global loss,
``p = 1`` exactly the masked loss. Means run over all elements of the sample (the literal
``‖M ⊙ (pred − gt)‖²`` normalised by size), so masked and global losses share one scale.

Stage 1 (latent): ``face_focused_loss(z_pred, z_H, M_l)``. Stage 2 (pixel, after the frozen VAE
decoder): ``face_focused_loss(x_pred, x_H, M_p) + λ·DISTS(x_pred, x_H)`` with λ = 0.1, DISTS
averaged over frames.

:class:`DISTS` (Ding et al. 2020): VGG16 with L2 pooling, features of the image and the five
stages (3, 64, 128, 256, 512, 512 channels), structure + texture similarity weighted by the
learned ``alpha``/``beta``; ``DISTS = 1 − Σ_k (α_k·S1_k + β_k·S2_k)`` on RGB in [0, 1] after
ImageNet normalisation. Matches ``pyiqa/archs/dists_arch.py`` (reference test uses random
weights); real weights: assets ``dists_alpha_beta`` + ``dists_vgg16``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vfebench.errors import InputError


def face_focused_loss(pred, gt, mask, p: float = 0.5, generator=None, draws=None):
    """Eq. 6 per sample, averaged over the batch.

    Args:
        pred, gt: ``B×…`` float tensors of one shape.
        mask: broadcastable to ``pred`` (``B×…``), values in [0, 1].
        p: probability of the masked (face-focused) loss.
        generator: ``torch.Generator`` for the per-sample Bernoulli draws.
        draws: optional precomputed ``B`` bool tensor (True = masked) overriding the draw.

    Returns ``(loss, draws)``.
    """
    import torch

    if pred.shape != gt.shape:
        raise InputError(f"face_focused_loss: pred {tuple(pred.shape)} and gt {tuple(gt.shape)} differ")
    if not 0.0 <= p <= 1.0:
        raise InputError(f"face-focused probability p must be in [0, 1], got {p}")
    b = pred.shape[0]
    if draws is None:
        draws = torch.rand(b, generator=generator) < p
    diff = (pred - gt).float()
    global_l = diff.pow(2).reshape(b, -1).mean(1)
    masked_l = (mask.float() * diff).pow(2).reshape(b, -1).mean(1)
    sel = draws.to(pred.device)
    return torch.where(sel, masked_l, global_l).mean(), draws


def _l2pool_filter(channels: int):
    import torch

    a = np.hanning(5)[1:-1]
    g = torch.tensor(a[:, None] * a[None, :], dtype=torch.float32)
    g = g / g.sum()
    return g[None, None].repeat(channels, 1, 1, 1)


def _make_dists_module():
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    import torchvision

    class L2Pool(nn.Module):
        def __init__(self, channels: int):
            super().__init__()
            self.register_buffer("filter", _l2pool_filter(channels))

        def forward(self, x):
            out = F.conv2d(x.pow(2), self.filter, stride=2, padding=1, groups=x.shape[1])
            return (out + 1e-12).sqrt()

    class DISTSNet(nn.Module):
        chns = (3, 64, 128, 256, 512, 512)

        def __init__(self):
            super().__init__()
            feats = torchvision.models.vgg16(weights=None).features
            cuts = [(0, 4), (5, 9), (10, 16), (17, 23), (24, 30)]
            pools = [None, 64, 128, 256, 512]
            for s, ((a, b), pc) in enumerate(zip(cuts, pools), start=1):
                seq = nn.Sequential()
                if pc:
                    seq.add_module(str(a - 1), L2Pool(pc))
                for j in range(a, b):
                    seq.add_module(str(j), feats[j])
                setattr(self, f"stage{s}", seq)
            self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, -1, 1, 1))
            self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, -1, 1, 1))
            self.alpha = nn.Parameter(torch.full((1, sum(self.chns), 1, 1), 0.1))
            self.beta = nn.Parameter(torch.full((1, sum(self.chns), 1, 1), 0.1))
            for prm in self.parameters():
                prm.requires_grad_(False)

        def features(self, x):
            h = (x - self.mean) / self.std
            out = [x]
            for s in range(1, 6):
                h = getattr(self, f"stage{s}")(h)
                out.append(h)
            return out

        def forward(self, x, y):
            """``N×3×H×W`` in [0, 1] each → ``N`` DISTS distances (lower = more similar)."""
            f0, f1 = self.features(x), self.features(y)
            c1 = c2 = 1e-6
            w_sum = self.alpha.sum() + self.beta.sum()
            alpha = torch.split(self.alpha / w_sum, list(self.chns), dim=1)
            beta = torch.split(self.beta / w_sum, list(self.chns), dim=1)
            d1 = d2 = 0
            for k in range(len(self.chns)):
                xm = f0[k].mean([2, 3], keepdim=True)
                ym = f1[k].mean([2, 3], keepdim=True)
                s1 = (2 * xm * ym + c1) / (xm**2 + ym**2 + c1)
                d1 = d1 + (alpha[k] * s1).sum(1, keepdim=True)
                xv = ((f0[k] - xm) ** 2).mean([2, 3], keepdim=True)
                yv = ((f1[k] - ym) ** 2).mean([2, 3], keepdim=True)
                cov = (f0[k] * f1[k]).mean([2, 3], keepdim=True) - xm * ym
                s2 = (2 * cov + c2) / (xv + yv + c2)
                d2 = d2 + (beta[k] * s2).sum(1, keepdim=True)
            return (1 - (d1 + d2)).reshape(-1)

    return DISTSNet


def build_dists(vgg_path: Any = None, alpha_beta_path: Any = None, seed: int | None = 0):
    """DISTS network; with both paths the real weights (asset files), else random (tests)."""
    import torch

    from vividface.wan import read_state_dict

    if seed is not None:
        torch.manual_seed(seed)
    net = _make_dists_module()()
    if (vgg_path is None) != (alpha_beta_path is None):
        raise InputError("DISTS needs both the VGG16 and the alpha/beta weights (or neither, for random)")
    if vgg_path is not None:
        vgg = read_state_dict(vgg_path)
        feat = {k[len("features.") :]: v for k, v in vgg.items() if k.startswith("features.")}
        own = net.state_dict()
        mapped = {}
        for name in own:
            parts = name.split(".")
            if (
                name.startswith("stage")
                and parts[-1] in ("weight", "bias")
                and f"{parts[1]}.{parts[2]}" in feat
            ):
                mapped[name] = feat[f"{parts[1]}.{parts[2]}"]
        ab = read_state_dict(alpha_beta_path)
        mapped["alpha"], mapped["beta"] = ab["alpha"], ab["beta"]
        n_conv = sum(1 for k in own if k.startswith("stage") and not k.endswith("filter"))
        if len(mapped) != n_conv + 2:
            raise InputError(
                f"{vgg_path}: not a torchvision VGG16 state dict ({len(mapped) - 2}/{n_conv} tensors)"
            )
        net.load_state_dict(mapped, strict=False)
    return net.eval()


def stage2_loss(pred, gt, mask, dists, p: float = 0.5, lam: float = 0.1, generator=None, draws=None):
    """Pixel loss: ``face_focused_loss(pred, gt, mask) + lam · mean_frames DISTS``.

    ``pred``/``gt``: ``B×3×T×H×W`` in [−1, 1]; ``mask``: ``B×1×T×H×W`` (or broadcastable).
    Returns ``(loss, parts)`` with the float values of each term.
    """
    mse, draws = face_focused_loss(pred, gt, mask, p, generator, draws)
    b, c, t, h, w = pred.shape
    to01 = lambda x: ((x.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w) + 1) / 2).clamp(0, 1)  # noqa: E731
    d = dists(to01(pred), to01(gt)).mean() if lam else pred.new_zeros(())
    return mse + lam * d, {
        "mse": float(mse.detach()),
        "dists": float(d.detach()),
        "masked_draws": int(draws.sum()),
    }
