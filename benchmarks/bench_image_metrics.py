"""Frames/s of the image metrics at 512×512: vfebench vs a naive frame-by-frame reference loop.

Run: ``python benchmarks/bench_image_metrics.py [--frames 8] [--device cpu] [--metrics psnr,ssim,...]``

For each metric, in one run and on the same frames:
- **vfebench**: the registered metric, scoring one clip (batched frames, weights loaded once through
  the asset path);
- **reference loop**: the reference implementation called once per frame, converting each frame
  to a tensor separately, as a typical evaluation script does (pyiqa's arch classes for
  PSNR/SSIM/NIQE/MUSIQ/CLIP-IQA, the ``lpips`` package for LPIPS).

No real weights are needed: networks get random weights (speed does not depend on the values),
written to a temporary asset directory and pinned for this process only. Both sides use the same
weights, and the script also prints the largest relative difference between the two sides.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np


def _pin(name: str, path: Path) -> None:
    from vfebench import assets
    from vfebench.utils import sha256_file

    a = assets.get_asset(name)
    assets.register_asset(
        assets.Asset(a.name, path.name, a.urls, sha256_file(path), path.stat().st_size, a.licence, a.users)
    )


def _frames(n: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    import cv2
    from skimage.data import astronaut

    base = cv2.resize(astronaut(), (size, size), interpolation=cv2.INTER_AREA)
    rng = np.random.default_rng(0)
    gt = np.stack([np.roll(base, 3 * i, axis=1) for i in range(n)])
    pred = np.clip(gt.astype(np.int16) + rng.normal(0, 6, gt.shape).round().astype(np.int16), 0, 255).astype(
        np.uint8
    )
    return pred, gt


def _to_t(frame: np.ndarray, device: str):
    import torch

    return torch.from_numpy(frame).permute(2, 0, 1)[None].float().to(device) / 255.0


def prepare_refs(names: list[str], adir: Path, device: str) -> dict:
    """Random weights for the networks (pinned in ``adir``) and the per-frame reference callables."""
    import torch

    torch.manual_seed(0)
    refs: dict = {}
    if "psnr" in names or "ssim" in names:
        from pyiqa.archs.psnr_arch import PSNR as P
        from pyiqa.archs.ssim_arch import SSIM as S

        p, s = P(test_y_channel=False).to(device), S(test_y_channel=False).to(device)
        refs["psnr"] = lambda a, b: p(_to_t(a, device), _to_t(b, device))
        refs["ssim"] = lambda a, b: s(_to_t(a, device), _to_t(b, device))
    if "niqe" in names:
        import scipy.io
        from pyiqa.archs.niqe_arch import NIQE as N

        from vfebench.metrics.functional.niqe import pristine_params

        mu, cov = pristine_params()
        scipy.io.savemat(adir / "niqe.mat", {"mu_prisparam": mu[None], "cov_prisparam": cov})
        n = N(pretrained_model_path=str(adir / "niqe.mat")).to(device)
        refs["niqe"] = lambda a, b: n(_to_t(a, device))
    for name, net, trunk_asset, ctor in (
        ("lpips", "alex", "tv_alexnet", "alexnet"),
        ("lpips_vgg", "vgg", "tv_vgg16", "vgg16"),
    ):
        if name not in names:
            continue
        import lpips
        import torchvision

        from vfebench import assets

        feats = {
            k: v
            for k, v in getattr(torchvision.models, ctor)(weights=None).state_dict().items()
            if k.startswith("features.")
        }
        torch.save(feats, adir / assets.get_asset(trunk_asset).filename)
        _pin(trunk_asset, adir / assets.get_asset(trunk_asset).filename)
        assets.import_dir(Path(lpips.__file__).parent / "weights" / "v0.1", [f"lpips_{net}_v01"])
        ref = lpips.LPIPS(net=net, pnet_rand=True, verbose=False)
        sd = {}
        for sname in ("slice1", "slice2", "slice3", "slice4", "slice5"):
            for k in getattr(ref.net, sname).state_dict():
                sd[f"{sname}.{k}"] = feats[f"features.{k}"]
        ref.net.load_state_dict(sd)
        ref = ref.eval().to(device)
        refs[name] = lambda a, b, ref=ref: ref(_to_t(a, device) * 2 - 1, _to_t(b, device) * 2 - 1)
    if "musiq" in names:
        from pyiqa.archs.musiq_arch import MUSIQ as M

        m = M(num_class=1, pretrained=False).eval()
        torch.save(m.state_dict(), adir / "musiq_koniq_ckpt-e95806b9.pth")
        _pin("musiq_koniq", adir / "musiq_koniq_ckpt-e95806b9.pth")
        m = m.to(device)
        refs["musiq"] = lambda a, b: m(_to_t(a, device))
    if "clipiqa" in names:
        from pyiqa.archs.clip_model import CLIP
        from pyiqa.archs.clipiqa_arch import CLIPIQA as C

        clip = CLIP(1024, 224, (3, 4, 6, 3), 64, None, 77, 49408, 512, 8, 12).eval()  # RN50 shapes
        torch.save(clip.state_dict(), adir / "RN50.sd")
        traced = torch.jit.trace(
            clip, (torch.rand(1, 3, 224, 224), torch.randint(0, 49407, (2, 77))), check_trace=False
        )
        traced.save(str(adir / "RN50.pt"))
        _pin("clip_rn50", adir / "RN50.pt")
        c = C(backbone=str(adir / "RN50.pt")).eval().to(device)
        refs["clipiqa"] = lambda a, b: c(_to_t(a, device))
    return refs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--metrics", default="psnr,ssim,niqe,lpips,lpips_vgg,musiq,clipiqa")
    ap.add_argument("--repeat", type=int, default=2, help="timed runs per side (best is kept)")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch default)")
    args = ap.parse_args()
    names = [n.strip() for n in args.metrics.split(",") if n.strip()]

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    tmp = tempfile.TemporaryDirectory(prefix="vfebench-bench-")
    adir = Path(tmp.name)
    os.environ["VFEBENCH_ASSETS"] = str(adir)
    os.environ["VFEBENCH_OFFLINE"] = "1"

    from vfebench.metrics import build_metric
    from vfebench.metrics.base import ScoreContext
    from vfebench.video import Clip

    pred, gt = _frames(args.frames, args.size)
    refs = prepare_refs(names, adir, args.device)
    rows = []
    for n in names:
        m = build_metric(n)
        m.ensure_setup(args.device)
        p, g = Clip("bench", pred), Clip("bench", gt)
        ctx = ScoreContext(device=args.device)
        m.score_clip(Clip("w", pred[:1]), Clip("w", gt[:1]) if m.needs_reference else None, ctx)  # warm-up
        ref = refs[n]
        with torch.inference_mode():
            ref(pred[0], gt[0])  # warm-up
        t_ours = t_ref = float("inf")
        for _ in range(args.repeat):  # alternate the two sides, keep the best of each (shared CPU)
            t0 = time.perf_counter()
            res = m.score_clip(p, g if m.needs_reference else None, ctx)
            t_ours = min(t_ours, time.perf_counter() - t0)
            with torch.inference_mode():
                t0 = time.perf_counter()
                vals = [float(ref(pred[i], gt[i]).reshape(-1)[0]) for i in range(args.frames)]
                t_ref = min(t_ref, time.perf_counter() - t0)
        diff = float(np.max(np.abs(res.per_frame - vals) / np.maximum(np.abs(vals), 1e-12)))
        ref_name = "lpips 0.1.4" if n.startswith("lpips") else "pyiqa 0.1.16 arch"
        rows.append((n, args.frames / t_ours, args.frames / t_ref, ref_name, diff, res.value))
        print(f"  {n}: done", flush=True)
    print(
        f"\n{args.frames} frames {args.size}×{args.size}, device {args.device}, "
        f"torch threads {torch.get_num_threads()}, best of {args.repeat} runs per side"
    )
    print(
        f"{'metric':<10} {'vfebench fps':>13} {'ref loop fps':>13} {'speed-up':>9}  {'reference':<18} {'max rel diff':>12}"
    )
    for n, fo, fr, rn, d, _v in rows:
        print(f"{n:<10} {fo:>13.2f} {fr:>13.2f} {fo / fr:>8.2f}x  {rn:<18} {d:>12.2e}")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
