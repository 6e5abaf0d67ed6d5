"""Time every vfebench metric on one clip pair, on CUDA and/or the CPU (GPU check, issue 16).

Weights: real weights cannot reach the device, and time does not depend on weight values, so
every network metric runs on **full-size random stand-ins** written in each asset's real file
format and registered the way the integration tests register theirs (pinned to the files'
sha256, then loaded through ``asset_path`` and the metric's own loader): torchvision
AlexNet/VGG16 trunks, LPIPS v0.1 heads, MUSIQ-KonIQ, CLIP RN50 (TorchScript), IR-SE50,
an IR-SE50 exported to ONNX for the insightface backend (w600k_r50 is an IResNet-50 of similar
cost), 2D-FAN-4 (4 hour-glass stacks), CLIP ViT-B/32 (TorchScript), FasterVQA (Swin-T 3D) and
Inception-I3D. ``--stand-ins tiny`` uses the integration tests' small ones instead (CPU check).

Pair: the first ``demo`` clip (a real face photograph animated, ``--frames`` × ``--size``²) as
GT and a blurred, noisy copy as the prediction. Per device: setup (weights loading) excluded;
``--warmup`` untimed passes of the whole suite (default 1); then per metric the median of ``--repeats``
stand-alone calls (fresh feature store, so a face metric pays its face analysis), and the suite
total as ``vfebench run`` scores a clip (one shared feature store: faces analysed once).

    python benchmarks/gpu_time_metrics.py --devices cuda,cpu --frames 33 --size 512 --repeats 3
    python benchmarks/gpu_time_metrics.py --devices cpu --stand-ins tiny --frames 5 --size 128 --repeats 1
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _integration():
    from _testhelpers import integration_assets as _ia

    integration_assets = _ia()

    return integration_assets


# ----------------------------------------------------------------------------- full-size stand-ins
def _save_state(net, path: Path) -> None:
    import torch

    torch.save(net.state_dict(), path)


def _ir_se50():
    from vfebench.metrics.nets import ir_se

    net = ir_se.build_ir_se().eval()  # IR-SE50 widths/units
    _integration().randomise(net)
    return net


def _arcface_full(path: Path) -> None:
    _save_state(_ir_se50(), path)


def _insightface_full(path: Path) -> None:
    import torch

    net = _ir_se50()

    class Raw(torch.nn.Module):
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


def _fan_full(path: Path) -> None:
    import torch
    from face_alignment.models import FAN

    torch.manual_seed(0)
    _save_state(FAN(4), path)


def _clip_rn50_full(path: Path) -> None:
    import torch
    from pyiqa.archs.clip_model import CLIP

    torch.manual_seed(0)
    # OpenAI RN50: embed 1024, 224², layers (3,4,6,3), width 64, text 77 tokens × 49408, 512 wide, 8 heads, 12 layers
    model = CLIP(1024, 224, (3, 4, 6, 3), 64, None, 77, 49408, 512, 8, 12).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(
            model, (torch.rand(1, 3, 224, 224), torch.randint(0, 49407, (2, 77))), check_trace=False
        )
    traced.save(str(path))


def _clip_vit_full(path: Path) -> None:
    import torch

    from vfebench.metrics.nets.clip_vit import build_clip_vit

    torch.manual_seed(0)
    visual = build_clip_vit(768, 12, 32, 224, 512).eval()  # ViT-B/32

    _integration().save_clip_archive(visual, path, 224)


def _fastervqa_full(path: Path) -> None:
    import torch

    from vfebench.metrics.nets.swin3d import FasterVQANet, to_official_state_dict

    torch.manual_seed(0)
    net = FasterVQANet().eval()  # Swin-T 3D defaults (embed 96, depths 2,2,6,2)
    with torch.no_grad():
        for p in net.parameters():
            p.normal_(0, 0.02)
    torch.save(
        {
            "state_dict": to_official_state_dict(net),
            "validation_results": (np.float64(0.8), np.float64(0.8), 0.5),
        },
        path,
    )


def _i3d_full(path: Path) -> None:
    import torch

    from vfebench.metrics.nets.i3d import InceptionI3d

    torch.manual_seed(0)
    m = InceptionI3d().eval()
    with torch.no_grad():
        for name, t in m.state_dict().items():
            if name.endswith("conv3d.weight"):
                torch.nn.init.kaiming_normal_(t, nonlinearity="relu")
            elif name.endswith("running_var"):
                t.uniform_(0.5, 2.0)
    torch.jit.save(torch.jit.script(m), str(path))


def builders(kind: str) -> dict:
    ia = _integration()
    if kind == "tiny":
        return dict(ia.BUILDERS)
    full = dict(ia.BUILDERS)  # tv trunks, LPIPS heads and MUSIQ are full size there already
    full.update(
        arcface_ir_se50=_arcface_full,
        insightface_w600k_r50=_insightface_full,
        fan_2dfan4=_fan_full,
        clip_rn50=_clip_rn50_full,
        clip_vit_b32=_clip_vit_full,
        fastervqa_3d=_fastervqa_full,
        i3d_torchscript=_i3d_full,
    )
    return full


def install_stand_ins(folder: Path, kind: str, names: list[str]) -> dict[str, str]:
    """Write stand-ins under their pinned file names in ``folder`` (= ``$VFEBENCH_ASSETS``) and pin them."""
    from vfebench import assets
    from vfebench.utils import sha256_file

    folder.mkdir(parents=True, exist_ok=True)
    os.environ["VFEBENCH_ASSETS"] = str(folder)
    b = builders(kind)
    pins = {}
    for n in names:
        a = assets.get_asset(n)
        p = folder / a.filename
        if not p.is_file():
            b[n](p)
        pins[n] = sha256_file(p)
        for other in list(assets.catalog().values()):  # entries sharing the file agree on its pin
            if other.filename == a.filename:
                assets.register_asset(
                    assets.Asset(**{**other.__dict__, "sha256": pins[n], "size": p.stat().st_size})
                )
    return pins


# ----------------------------------------------------------------------------- timing
def make_pair(frames: int, size: int, cache: Path):
    import cv2

    from vfebench.datasets import build_source
    from vfebench.video import Clip

    src = build_source(f"demo:{cache / 'demo'}", num_clips=1, num_frames=frames, size=size)
    gt = src.load(src.clip_ids()[0])
    rng = np.random.default_rng(0)
    pred = np.stack([cv2.GaussianBlur(f, (0, 0), 1.5) for f in gt.frames]).astype(np.float32)
    pred = np.clip(pred + rng.normal(0, 4, pred.shape), 0, 255).astype(np.uint8)
    return Clip(gt.id, pred, gt.fps), gt


def metric_names(only: str | None) -> list[str]:
    from vfebench.metrics import available_metric_names

    names = available_metric_names()
    return [n for n in names if not only or n in only.split(",")]


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()


def time_device(device: str, specs: list[str], pred, gt, repeats: int, warmup: int = 1) -> dict:
    from vfebench.metrics import build_metric
    from vfebench.metrics.base import FeatureStore, ScoreContext

    metrics, skipped = {}, {}
    for s in specs:
        try:
            m = build_metric(s)
            t0 = time.perf_counter()
            m.setup(device)
            metrics[s] = (m, time.perf_counter() - t0)
        except Exception as exc:  # missing extra / weights: say which, keep the others
            skipped[s] = f"{type(exc).__name__}: {str(exc)[:160]}"

    def suite(ctx):
        vals = {}
        for s, (m, _) in metrics.items():
            r = m.score_set([pred], [gt], ctx)
            vals[s] = r.value
        _sync(device)
        return vals

    for _ in range(warmup):
        suite(ScoreContext(device=device, features=FeatureStore()))
    rows = {}
    for s, (m, setup_s) in metrics.items():
        ts = []
        for _ in range(repeats):
            ctx = ScoreContext(device=device, features=FeatureStore())
            _sync(device)
            t0 = time.perf_counter()
            r = m.score_set([pred], [gt], ctx)
            _sync(device)
            ts.append(time.perf_counter() - t0)
        rows[s] = {"seconds": statistics.median(ts), "setup_s": setup_s, "value": r.value}
        print(f"  {device} {s}: {rows[s]['seconds']:.3f} s (value {r.value:.4g})", flush=True)
    totals = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        suite(ScoreContext(device=device, features=FeatureStore()))
        totals.append(time.perf_counter() - t0)
    peak = None
    if device.startswith("cuda"):
        import torch

        peak = torch.cuda.max_memory_allocated() / 2**30
    return {"rows": rows, "suite_s": statistics.median(totals), "skipped": skipped, "peak_mem_gib": peak}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", default="cuda,cpu", help="comma list, timed in this order")
    ap.add_argument("--frames", type=int, default=33)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1, help="untimed passes of the whole suite per device")
    ap.add_argument(
        "--metrics", default=None, help="comma list of metric specs (default: every registered metric)"
    )
    ap.add_argument("--stand-ins", default="full", choices=("full", "tiny"))
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (0 = torch default)")
    ap.add_argument(
        "--work", default=None, help="folder for the stand-in weights and the demo clip (default: temp)"
    )
    ap.add_argument("--json", help="also write the results here")
    a = ap.parse_args(argv)
    import torch

    if a.threads:
        torch.set_num_threads(a.threads)
    devices = a.devices.split(",")
    if any(d.startswith("cuda") for d in devices) and not torch.cuda.is_available():
        raise SystemExit("gpu_time_metrics.py: no CUDA device (use --devices cpu)")
    with tempfile.TemporaryDirectory(prefix="vf-metrics-") as tmp:
        work = Path(a.work) if a.work else Path(tmp)
        os.environ.setdefault("VFEBENCH_CACHE", str(work / "cache"))
        ia = _integration()
        specs = metric_names(a.metrics)
        needed = [n for n in ia.assets_for(specs) if n in ia.BUILDERS]
        t0 = time.perf_counter()
        install_stand_ins(work / "assets", a.stand_ins, needed)
        build_s = time.perf_counter() - t0
        pred, gt = make_pair(a.frames, a.size, work)
        res = {d: time_device(d, specs, pred, gt, a.repeats, a.warmup) for d in devices}
    names = {
        d: torch.cuda.get_device_name(0)
        if d.startswith("cuda")
        else f"CPU ({torch.get_num_threads()} threads)"
        for d in devices
    }
    print(
        f"metric suite on one {a.frames}×{a.size}² pair, {a.stand_ins} random stand-in weights "
        f"(built in {build_s:.0f} s); medians of {a.repeats}"
    )
    head = " | ".join(f"{names[d]} s" for d in devices)
    speed = len(devices) > 1
    print(f"| metric | {head} |" + (f" speed-up {devices[-1]}/{devices[0]} |" if speed else ""))
    print("|---|" + "---:|" * (len(devices) + speed))
    for s in specs:
        cells = []
        for d in devices:
            r = res[d]["rows"].get(s)
            nan = r is not None and not np.isfinite(r["value"])
            cells.append("skipped" if r is None else f"{r['seconds']:.3f}" + (" (NaN)" if nan else ""))
        extra = ""
        if speed and all(s in res[d]["rows"] for d in devices):
            extra = (
                f" {res[devices[-1]]['rows'][s]['seconds'] / res[devices[0]]['rows'][s]['seconds']:.1f}× |"
            )
        elif speed:
            extra = " - |"
        print(f"| {s} | " + " | ".join(cells) + " |" + extra)
    tot = [f"{res[d]['suite_s']:.3f}" for d in devices]
    extra = f" {res[devices[-1]]['suite_s'] / res[devices[0]]['suite_s']:.1f}× |" if speed else ""
    print("| **suite (shared features)** | " + " | ".join(tot) + " |" + extra)
    for d in devices:
        for s, why in res[d]["skipped"].items():
            print(f"{d}: skipped {s}: {why}")
        if res[d]["peak_mem_gib"] is not None:
            print(f"{d}: peak memory {res[d]['peak_mem_gib']:.2f} GiB")
    out = {"devices": names, "frames": a.frames, "size": a.size, "stand_ins": a.stand_ins, "results": res}
    if a.json:
        from vfebench.utils import atomic_write_json

        atomic_write_json(a.json, out)
    return out


if __name__ == "__main__":
    main()
