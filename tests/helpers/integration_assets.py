"""Small random weights for every weighted metric, in each asset's real file format.

Used by ``tests/integration/test_integration_weighted.py`` and the metric tests. :func:`write_weights` writes one file per asset
under its pinned file name (``Asset.filename``) into a folder; :func:`register` declares test
assets with those files' sha256 and sizes (monkeypatched into the catalogue, so nothing
persists past the test); then ``vfebench assets import DIR`` and the normal ``asset_path`` route
load them, exactly as real weights would be.

Each builder mirrors how the metric's unit tests make weights (same layouts, same loaders):

- ``tv_alexnet`` / ``tv_vgg16``: torchvision trunks (``features.*`` of a randomly initialised
  model, ``torch.save``); LPIPSNet hard-codes the full trunk, so these are full size (AlexNet
  ~10 MB, VGG16 ~59 MB).
- ``lpips_alex_v01`` / ``lpips_vgg_v01``: the real v0.1 heads from the ``lpips`` wheel when it is
  installed (their sha256 already matches the catalogue), else random heads in the same layout.
- ``musiq_koniq``: pyiqa's MUSIQ (KonIQ configuration is hard-coded: full size, ~108 MB) with
  DataParallel ``module.`` prefixes, like the released file.
- ``clip_rn50``: a tiny CLIP-RN50-layout model traced to a TorchScript archive (OpenAI's format);
  pyiqa's ``build_model`` reads the architecture from the tensors.
- ``arcface_ir_se50``: a tiny IR-SE (our definition; widths/units are read from the tensors).
- ``insightface_w600k_r50``: a tiny IR-SE exported to ONNX (an insightface-style model taking
  (x−127.5)/127.5 and returning raw features).
- ``fan_2dfan4``: face-alignment's ``FAN`` with one hour-glass stack (the loader reads the count).
- ``clip_vit_b32``: a tiny CLIP ViT image tower inside a whole-model TorchScript archive (the
  OpenAI release layout, ``visual.*``); width/depth/patch/size are read from the tensors.
- ``fastervqa_3d``: a tiny FasterVQA saved like the official checkpoint
  (``{"state_dict": ..., "validation_results": (numpy scalars)}``); config read from the tensors.
- ``i3d_torchscript``: a tiny InceptionI3d (``width_div=16``) scripted with ``torch.jit.script``.

Weights are random but scaled so that activations stay input dependent (He-scaled convs, BN near
identity), so scores differ between methods.
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np


def _filename(name: str) -> str:
    from vfebench import assets

    return assets.get_asset(name).filename


def randomise(net, seed: int = 0) -> None:
    """He-scaled conv/linear weights, BN statistics near identity (input-dependent outputs)."""
    import torch

    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in net.state_dict().items():
            if not t.is_floating_point():
                continue
            if "running_var" in name:
                t.copy_(0.8 + 0.4 * torch.rand(t.shape, generator=g))
            elif "running_mean" in name or name.endswith("bias"):
                t.copy_(0.01 * torch.randn(t.shape, generator=g))
            elif t.ndim == 1:
                t.copy_(0.5 + 0.5 * torch.rand(t.shape, generator=g))
            else:
                t.copy_(torch.randn(t.shape, generator=g) * (2.0 / t[0].numel()) ** 0.5)


def tiny_ir_se_file(path: Path) -> Path:
    """A tiny IR-SE (widths 8–32, units 1-2-1-1) state dict saved with ``torch.save`` at ``path``."""
    import torch

    from vfebench.metrics.nets import ir_se

    net = ir_se.build_ir_se(widths=(8, 16, 24, 32), units=(1, 2, 1, 1))
    randomise(net, seed=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(net.state_dict(), path)
    return path


# ----------------------------------------------------------------------------- builders
def _tv_trunk(arch: str) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        import torch
        import torchvision

        torch.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tv = getattr(torchvision.models, arch)(weights=None)
        torch.save({k: v for k, v in tv.state_dict().items() if k.startswith("features.")}, path)

    return build


def _lpips_heads(net: str) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        try:
            import lpips

            shutil.copyfile(Path(lpips.__file__).parent / "weights" / "v0.1" / f"{net}.pth", path)
            return
        except ImportError:
            pass
        import torch

        chans = (64, 192, 384, 256, 256) if net == "alex" else (64, 128, 256, 512, 512)
        g = torch.Generator().manual_seed(1)
        torch.save(
            {f"lin{i}.model.1.weight": torch.rand(1, c, 1, 1, generator=g) for i, c in enumerate(chans)}, path
        )

    return build


def _musiq(path: Path) -> None:
    import torch
    from pyiqa.archs.musiq_arch import MUSIQ

    torch.manual_seed(0)
    net = MUSIQ(num_class=1, pretrained=False).eval()
    torch.save({f"module.{k}": v for k, v in net.state_dict().items()}, path)


def _clip_rn50(path: Path) -> None:
    import torch
    from pyiqa.archs.clip_model import CLIP

    torch.manual_seed(0)
    model = CLIP(32, 224, (1, 1, 1, 1), 16, None, 77, 49408, 64, 1, 1).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(
            model, (torch.rand(1, 3, 64, 64), torch.randint(0, 49407, (2, 77))), check_trace=False
        )
    traced.save(str(path))


def _tiny_ir_se(units=(1, 1, 1, 1)):
    from vfebench.metrics.nets import ir_se

    net = ir_se.build_ir_se(widths=(8, 16, 24, 32), units=units).eval()
    randomise(net)
    return net


def _arcface(path: Path) -> None:
    import torch

    torch.save(_tiny_ir_se().state_dict(), path)


def _insightface(path: Path) -> None:
    import torch

    net = _tiny_ir_se()

    class Raw(torch.nn.Module):  # insightface models return raw (unnormalised) features
        def __init__(self, n):
            super().__init__()
            self.n = n

        def forward(self, x):
            return 3.0 * self.n(x)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Raw(net), torch.zeros(1, 3, 112, 112), str(path), dynamo=False, input_names=["input.1"]
        )


def _fan(path: Path) -> None:
    import torch
    from face_alignment.models import FAN

    torch.manual_seed(0)
    torch.save(FAN(1).state_dict(), path)


def _clip_vit(path: Path) -> None:
    import torch

    from vfebench.metrics.nets.clip_vit import build_clip_vit

    torch.manual_seed(0)
    visual = build_clip_vit(64, 2, 8, 32, 16).eval()
    with torch.no_grad():
        for p in visual.parameters():
            p.add_(0.02 * torch.randn_like(p))

    save_clip_archive(visual, path, 32)


def save_clip_archive(visual, path: Path, size: int) -> None:
    """Write a CLIP image tower the way OpenAI's release holds it: a TorchScript archive of the
    whole model, with the tower as ``visual`` (traced on one ``size``² input)."""
    import torch

    class Full(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.visual = visual
            self.logit_scale = torch.nn.Parameter(torch.ones([]))

        def forward(self, x):
            return self.visual(x) * self.logit_scale

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.jit.save(
            torch.jit.trace(Full().eval(), torch.randn(1, 3, size, size), check_trace=False), str(path)
        )


def _fastervqa(path: Path) -> None:
    import torch

    from vfebench.metrics.nets.swin3d import FasterVQANet, to_official_state_dict

    torch.manual_seed(0)
    # one block per stage (no shifted windows): ~2.5× faster than the unit tests' depth-2 net
    net = FasterVQANet(hidden_channels=8, embed_dim=12, depths=(1, 1, 1, 1), num_heads=(1, 1, 1, 1)).eval()
    with torch.no_grad():
        for p in net.parameters():
            p.normal_(0, 0.1)
    sd = to_official_state_dict(net)
    torch.save({"state_dict": sd, "validation_results": (np.float64(0.81), np.float64(0.83), 0.5)}, path)


def tiny_i3d(seed: int = 0):
    """A tiny InceptionI3d (``width_div=16``) with a variance-preserving random init, so the
    logits depend on the input."""
    import torch

    from vfebench.metrics.nets.i3d import InceptionI3d

    torch.manual_seed(seed)
    m = InceptionI3d(width_div=16).eval()
    with torch.no_grad():
        for name, t in m.state_dict().items():
            if name.endswith("conv3d.weight"):
                torch.nn.init.kaiming_normal_(t, nonlinearity="relu")
            elif name.endswith("running_var"):
                t.uniform_(0.5, 2.0)
            elif name.endswith("running_mean"):
                t.normal_(0, 0.1)
            elif name.endswith("bn.weight"):
                t.normal_(1.0, 0.1)
            elif name.endswith("bn.bias") or name.endswith("conv3d.bias"):
                t.normal_(0, 0.1)
    return m


def _i3d(path: Path) -> None:
    import torch

    torch.jit.save(torch.jit.script(tiny_i3d()), str(path))


BUILDERS: dict[str, Callable[[Path], None]] = {
    "tv_alexnet": _tv_trunk("alexnet"),
    "lpips_alex_v01": _lpips_heads("alex"),
    "tv_vgg16": _tv_trunk("vgg16"),
    "lpips_vgg_v01": _lpips_heads("vgg"),
    "musiq_koniq": _musiq,
    "clip_rn50": _clip_rn50,
    "arcface_ir_se50": _arcface,
    "insightface_w600k_r50": _insightface,
    "fan_2dfan4": _fan,
    "clip_vit_b32": _clip_vit,
    "fastervqa_3d": _fastervqa,
    "i3d_torchscript": _i3d,
}


def assets_for(metric_specs: Iterable[str]) -> list[str]:
    """The asset names the given metric specs need, asked of the metrics themselves."""
    from vfebench.metrics import build_metric

    out: list[str] = []
    for spec in metric_specs:
        out += [a for a in build_metric(spec).required_assets() if a not in out]
    return out


# ----------------------------------------------------------------------------- API
def write_weights(folder: Path, names: Iterable[str]) -> dict[str, Path]:
    """Write each asset's test weights under its pinned file name in ``folder`` (kept if present)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for n in names:
        p = folder / _filename(n)
        if not p.is_file():
            tmp = p.with_name(p.name + ".part")
            BUILDERS[n](tmp)
            tmp.replace(p)
        out[n] = p
    return out


def register(monkeypatch, files: dict[str, Path]) -> dict[str, str]:
    """Declare test assets pinned to ``files`` (sha256 + size) for this test; ``{name: sha256}``.

    Everything else about the catalogue entry (file name, users, licence) is kept, so
    ``vfebench assets import DIR`` / ``asset_path`` find the files under their real names. Other
    entries declaring the same file name (``dists_vgg16`` is the same torchvision file as
    ``tv_vgg16``) get the same pin, as they would agree on the real file.
    """
    from vfebench import assets
    from vfebench.utils import sha256_file

    pins = {}
    for name, path in files.items():
        a = assets.get_asset(name)
        assert path.name == a.filename, (path, a.filename)
        pins[name] = sha256_file(path)
        for other in list(assets.catalog().values()):
            if other.filename == a.filename:
                fields = {**other.__dict__, "sha256": pins[name], "size": path.stat().st_size}
                monkeypatch.setitem(assets._EXTRA, other.name, assets.Asset(**fields))
    monkeypatch.setattr(assets, "_CATALOG", None)
    return pins
