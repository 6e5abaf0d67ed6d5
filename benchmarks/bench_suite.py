"""The metric suite against its floor: vfebench's ``score`` path vs reference-style scripts.

Builds full-size random stand-in weights for every network metric (real architectures and
sizes: torchvision VGG16 trunk + the lpips v0.1 VGG heads, IR-SE50, CLIP ViT-B/32, pyiqa's MUSIQ
KonIQ configuration), writes them under their pinned asset names and registers them the way
``tests/helpers/integration_assets.py`` does (each network's parameter count is printed), makes one
restored/GT pair (the first ``--frames`` frames of the first 512×512 clip in
``../shared/data/faces/hq`` when present, else the demo clip; restored = blur + noise + JPEG of
the GT; both written as lossless x264rgb videos) and times, in fresh processes and alternating
the order between repetitions:

(a) ``ours``: :func:`vfebench.commands.score.score` (the ``vfebench score`` path: one decode per
    clip, models loaded once, face analysis shared), timed per metric (setup + scoring) with the
    decode/engine remainder on its own row;
(b) ``reference``: a reference-style loop of our own code written to mimic how the published
    per-metric scripts are structured: each metric decodes both videos itself, builds its own
    network (full torchvision VGG16, a randomly initialised CLIP then loaded, its own MTCNN and
    FaceMesh), calls it frame by frame, and uses the formulas as those scripts write them
    (per-frame float64 SSIM, unfused LPIPS, per-landmark lists);
(c) ``floor``: each network's forward pass on exactly the tensors it needs, already in memory
    (best of the batch sizes tried), and the pure kernels for PSNR/SSIM/NIQE; no decode, no
    loading.

Prints a table per metric (median seconds over the repetitions, values of (a) and (b)) and the
totals with ``reference/ours`` and ``ours/floor``. Run::

    python benchmarks/bench_suite.py [--frames 33] [--size 512] [--repeat 3] [--device cpu|cuda]
        [--metrics psnr,ssim,lpips_vgg,ids,akd,facecons,niqe,musiq] [--threads 2]

The face metrics always analyse at 512×512 (they resize), so ``--size`` only changes the cost of
PSNR/SSIM/LPIPS/NIQE/MUSIQ.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SUITE = ("psnr", "ssim", "lpips_vgg", "ids", "akd", "facecons", "niqe", "musiq")
NET_ASSETS = {
    "lpips_vgg": ("tv_vgg16", "lpips_vgg_v01"),
    "ids": ("arcface_ir_se50",),
    "facecons": ("clip_vit_b32",),
    "musiq": ("musiq_koniq",),
}
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "faces" / "hq"


# ----------------------------------------------------------------------------- weights
def _build_weights(folder: Path) -> dict[str, int]:
    """Full-size random stand-ins under the pinned file names; returns parameter counts."""
    import warnings

    import torch
    import torchvision
    from _testhelpers import integration_assets as _ia

    ia = _ia()

    from vfebench import assets
    from vfebench.metrics.nets import clip_vit, ir_se

    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}

    def dest(name: str) -> Path:
        return folder / assets.get_asset(name).filename

    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        vgg = torchvision.models.vgg16(weights=None)
    feats = {k: v for k, v in vgg.state_dict().items() if k.startswith("features.")}
    torch.save(feats, dest("tv_vgg16"))
    counts["VGG16 trunk (tv_vgg16, LPIPS taps)"] = sum(
        v.numel() for k, v in feats.items() if int(k.split(".")[1]) < 30
    )
    ia.BUILDERS["lpips_vgg_v01"](dest("lpips_vgg_v01"))
    counts["LPIPS v0.1 VGG heads"] = 1472
    ir = ir_se.build_ir_se().eval()  # the real IR-SE50 (widths/units of model_ir_se50.pth)
    ia.randomise(ir)
    torch.save(ir.state_dict(), dest("arcface_ir_se50"))
    counts["IR-SE50 (arcface_ir_se50)"] = sum(p.numel() for p in ir.parameters())
    vit = clip_vit.build_clip_vit(768, 12, 32, 224, 512).eval()  # ViT-B/32
    with torch.no_grad():
        for p in vit.parameters():
            p.add_(0.02 * torch.randn_like(p))
    torch.save({f"visual.{k}": v for k, v in vit.state_dict().items()}, dest("clip_vit_b32"))
    counts["CLIP ViT-B/32 image tower (clip_vit_b32)"] = sum(p.numel() for p in vit.parameters())
    ia.BUILDERS["musiq_koniq"](dest("musiq_koniq"))
    sd = torch.load(dest("musiq_koniq"), weights_only=True)
    counts["MUSIQ KonIQ (musiq_koniq)"] = sum(v.numel() for v in sd.values() if v.is_floating_point())
    return counts


def _register(folder: Path) -> None:
    """Pin the stand-ins (sha256 + size) in this process's catalogue, like the integration tests."""
    import pytest
    from _testhelpers import integration_assets as _ia

    ia = _ia()

    from vfebench import assets

    names = [a for v in NET_ASSETS.values() for a in v]
    files = {n: folder / assets.get_asset(n).filename for n in names}
    mp = pytest.MonkeyPatch()
    ia.register(mp, files)
    assets.import_dir(folder, names)


# ----------------------------------------------------------------------------- data
def _make_pair(out: Path, frames: int, size: int) -> str:
    import cv2
    import numpy as np

    from vfebench.video import read_clip, write_video

    src = None
    if SHARED.is_dir():
        from vfebench.video import probe

        for p in sorted(SHARED.glob("*.mp4")):
            try:
                info = probe(p)
            except Exception:  # an unreadable shared clip: try the next one
                continue
            if (info.width, info.height) == (512, 512) and info.frames >= frames:
                src = p
                break
    if src is not None:
        gt = read_clip(src, max_frames=frames).frames
        origin = f"{src.name} (../shared/data/faces)"
    else:
        from vfebench.datasets import build_source

        ds = build_source("demo")
        c = ds.load(ds.clip_ids()[0], max_frames=frames)
        gt = c.frames
        origin = f"demo clip {c.id}"
        while len(gt) < frames:  # the demo clip is short: play it back and forth
            gt = np.concatenate([gt, gt[::-1]])[:frames]
    if gt.shape[1:3] != (size, size):
        gt = np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA) for f in gt])
    rng = np.random.default_rng(0)
    pred = []
    for f in gt:
        g = cv2.GaussianBlur(f, (5, 5), 1.2).astype(np.float32) + rng.normal(0, 3, f.shape)
        g = np.clip(g, 0, 255).astype(np.uint8)
        ok, enc = cv2.imencode(".jpg", g[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 60])
        pred.append(cv2.imdecode(enc, cv2.IMREAD_COLOR)[..., ::-1])
    (out / "gt").mkdir(parents=True, exist_ok=True)
    (out / "pred").mkdir(parents=True, exist_ok=True)
    write_video(gt, out / "gt" / "clip.mp4")
    write_video(np.stack(pred), out / "pred" / "clip.mp4")
    return f"{origin}, {len(gt)} frames {size}×{size}"


# ----------------------------------------------------------------------------- (a) ours
def child_ours(work: Path, metrics: list[str], device: str) -> dict:
    from vfebench.commands.score import score
    from vfebench.metrics import METRICS

    timings: dict[str, float] = {m: 0.0 for m in metrics}
    originals = {}

    def wrap(cls, meth, name):
        fn = getattr(cls, meth)

        def timed(self, *a, **k):
            if self.name != name:
                return fn(self, *a, **k)
            t = time.perf_counter()
            try:
                return fn(self, *a, **k)
            finally:
                timings[name] += time.perf_counter() - t

        originals[(cls, meth)] = fn
        setattr(cls, meth, timed)

    for m in metrics:
        cls = METRICS.get(m)
        for meth in ("setup", "score_clip"):
            if meth in cls.__dict__ or (cls, meth) not in originals:
                wrap(cls, meth, m)
    t0 = time.perf_counter()
    doc = score(work / "pred" / "clip.mp4", work / "gt" / "clip.mp4", ",".join(metrics), device=device)
    total = time.perf_counter() - t0
    values = {m: doc["metrics"][m]["mean"] for m in metrics}
    timings["decode + engine"] = total - sum(timings[m] for m in metrics)
    return {"t": timings, "values": values, "failures": doc["failures"]}


# ----------------------------------------------------------------------------- (b) reference
def _ref_ssim(a, b) -> float:
    """BasicSR's ``calculate_ssim`` structure: float64, one channel at a time, per map."""
    import cv2
    import numpy as np

    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    k = cv2.getGaussianKernel(11, 1.5)
    w = np.outer(k, k.transpose())
    out = []
    for c in range(3):
        x, y = a[..., c].astype(np.float64), b[..., c].astype(np.float64)
        mu1 = cv2.filter2D(x, -1, w)[5:-5, 5:-5]
        mu2 = cv2.filter2D(y, -1, w)[5:-5, 5:-5]
        s1 = cv2.filter2D(x**2, -1, w)[5:-5, 5:-5] - mu1**2
        s2 = cv2.filter2D(y**2, -1, w)[5:-5, 5:-5] - mu2**2
        s12 = cv2.filter2D(x * y, -1, w)[5:-5, 5:-5] - mu1 * mu2
        m = ((2 * mu1 * mu2 + c1) * (2 * s12 + c2)) / ((mu1**2 + mu2**2 + c1) * (s1 + s2 + c2))
        out.append(m.mean())
    return float(np.mean(out))


def child_reference(work: Path, metrics: list[str], device: str) -> dict:
    import numpy as np
    import torch

    from vfebench import assets
    from vfebench.metrics.features.faces import frames_512
    from vfebench.video import Clip, read_clip

    def decode():
        return (
            read_clip(work / "pred" / "clip.mp4").frames,
            read_clip(work / "gt" / "clip.mp4").frames,
        )

    def run(m: str) -> list[float]:
        pred, gt = decode()
        if m == "psnr":
            vals = [
                10 * np.log10(255.0**2 / np.mean((p.astype(np.float64) - g.astype(np.float64)) ** 2))
                for p, g in zip(pred, gt)
            ]
        elif m == "ssim":
            vals = [_ref_ssim(p, g) for p, g in zip(pred, gt)]
        elif m == "niqe":
            from vfebench.metrics.functional.niqe import niqe

            vals = [float(niqe(p[None])[0]) for p in pred]
        elif m == "lpips_vgg":
            import torchvision

            net = torchvision.models.vgg16(weights=None).features.eval().to(device)  # whole model built
            sd = assets.load_torch_state_dict(assets.asset_path("tv_vgg16"))
            net.load_state_dict({k[9:]: x for k, x in sd.items()})
            heads = assets.load_torch_state_dict(assets.asset_path("lpips_vgg_v01"))
            lins = [heads[f"lin{i}.model.1.weight"].to(device) for i in range(5)]
            shift = torch.tensor([-0.030, -0.088, -0.188], device=device).view(1, 3, 1, 1)
            scale = torch.tensor([0.458, 0.448, 0.450], device=device).view(1, 3, 1, 1)

            def taps(x):
                h, out, start = (x - shift) / scale, [], 0
                for end in (4, 9, 16, 23, 30):
                    for i in range(start, end):
                        h = net[i](h)
                    start = end
                    out.append(h / (torch.sqrt(torch.sum(h**2, dim=1, keepdim=True)) + 1e-10))
                return out

            def im(f):
                return torch.from_numpy(f).permute(2, 0, 1)[None].float().to(device) / 127.5 - 1

            vals = []
            with torch.no_grad():
                for p, g in zip(pred, gt):
                    d = sum(
                        torch.nn.functional.conv2d((a - b) ** 2, w).mean()
                        for a, b, w in zip(taps(im(p)), taps(im(g)), lins)
                    )
                    vals.append(float(d))
        elif m == "musiq":
            from vfebench.metrics.nets.musiq import build_musiq

            net = build_musiq(assets.load_torch_state_dict(assets.asset_path("musiq_koniq"))).to(device)
            with torch.no_grad():
                vals = [
                    float(net(torch.from_numpy(p).permute(2, 0, 1)[None].float().to(device) / 255.0))
                    for p in pred
                ]
        elif m == "ids":
            import facenet_pytorch

            from vfebench.metrics.features.arcface import align_faces, to_arcface_input
            from vfebench.metrics.nets.ir_se import load_ir_se

            det = facenet_pytorch.MTCNN(
                keep_all=True,
                select_largest=False,
                min_face_size=20,
                thresholds=[0.6, 0.7, 0.8],
                device=device,
            )
            net = load_ir_se(assets.asset_path("arcface_ir_se50"), device)

            def emb(f):
                _, _, lm = det.detect(f[None], landmarks=True)
                if lm[0] is None:
                    return None
                face = align_faces(f[None], lm[0][:1].astype(np.float64))
                with torch.no_grad():
                    e = net(to_arcface_input(face).to(device)).float().cpu().numpy()[0]
                return e / np.linalg.norm(e)

            vals = []
            for p, g in zip(frames_512(Clip("p", pred)), frames_512(Clip("g", gt))):  # as BFVR-STC
                a, b = emb(p), emb(g)
                vals.append(float(a @ b) if a is not None and b is not None else np.nan)
        elif m == "akd":
            from vfebench.facedetect import import_mediapipe
            from vfebench.metrics.functional.face import keypoint_distance

            mp = import_mediapipe()
            fm = mp.solutions.face_mesh.FaceMesh(
                static_image_mode=True, max_num_faces=1, refine_landmarks=True, min_detection_confidence=0.5
            )

            def lms(f):
                r = fm.process(np.ascontiguousarray(f)).multi_face_landmarks
                return None if not r else np.array([(q.x, q.y, q.z) for q in r[0].landmark], np.float32)

            vals = []
            for p, g in zip(frames_512(Clip("p", pred)), frames_512(Clip("g", gt))):  # as BFVR-STC
                a, b = lms(p), lms(g)
                vals.append(
                    float(keypoint_distance(a[None], b[None])[0])
                    if a is not None and b is not None
                    else np.nan
                )
            fm.close()
        elif m == "facecons":
            from vfebench.metrics.features import clip_vit
            from vfebench.metrics.nets.clip_vit import build_clip_vit, read_clip_state_dict

            sd = read_clip_state_dict(assets.asset_path("clip_vit_b32"))
            sd = {k[7:]: x for k, x in sd.items() if k.startswith("visual.")}
            net = build_clip_vit(768, 12, 32, 224, 512)  # randomly initialised, then loaded
            net.load_state_dict(sd)
            net = net.eval().to(device)
            with torch.no_grad():
                es = []
                for p in pred:
                    e = net(clip_vit.preprocess_clean(p[None], 224).to(device)).float().cpu().numpy()[0]
                    es.append(e / np.linalg.norm(e))
            vals = [float(es[0] @ e) for e in es[1:]]
        else:
            raise SystemExit(f"bench_suite: no reference-style loop for {m!r}")
        return vals

    t: dict[str, float] = {}
    v: dict[str, float] = {}
    for m in metrics:
        t0 = time.perf_counter()
        vals = run(m)
        t[m] = time.perf_counter() - t0
        v[m] = float(np.nanmean(vals))
    return {"t": t, "values": v}


# ----------------------------------------------------------------------------- (c) floor
def child_floor(work: Path, metrics: list[str], device: str) -> dict:
    import numpy as np
    import torch

    from vfebench import assets
    from vfebench.video import read_clip

    pred = read_clip(work / "pred" / "clip.mp4").frames
    gt = read_clip(work / "gt" / "clip.mp4").frames
    n = len(pred)

    def best(fn, batches):
        """Fastest total over the batch sizes tried (each run once, after one warm-up batch)."""
        out = []
        for b in batches:
            b = min(b, n)
            fn(0, b)
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            for s in range(0, n, b):
                fn(s, min(n, s + b))
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            out.append(time.perf_counter() - t0)
        return min(out)

    t: dict[str, float] = {}

    def run(m: str) -> None:
        if m == "psnr":
            from vfebench.metrics.functional.psnr_ssim import psnr

            t0 = time.perf_counter()
            psnr(pred, gt)
            t[m] = time.perf_counter() - t0
        elif m == "ssim":
            from vfebench.metrics.functional.psnr_ssim import ssim

            t0 = time.perf_counter()
            ssim(pred, gt)
            t[m] = time.perf_counter() - t0
        elif m == "niqe":
            from vfebench.metrics.functional.niqe import niqe

            t0 = time.perf_counter()
            niqe(pred)
            t[m] = time.perf_counter() - t0
        elif m == "lpips_vgg":
            from vfebench.metrics.nets.lpips import LPIPSNet

            net = LPIPSNet("vgg")
            net.load_weights(
                assets.load_torch_state_dict(assets.asset_path("tv_vgg16")),
                assets.load_torch_state_dict(assets.asset_path("lpips_vgg_v01")),
            )
            net = net.to(device)
            x = torch.from_numpy(pred).permute(0, 3, 1, 2).float().to(device) / 127.5 - 1
            y = torch.from_numpy(gt).permute(0, 3, 1, 2).float().to(device) / 127.5 - 1
            with torch.inference_mode():
                t[m] = best(lambda s, e: net(x[s:e], y[s:e]), (1, 8) if device == "cpu" else (8, 33))
        elif m == "musiq":
            from vfebench.metrics.nets.musiq import build_musiq

            net = build_musiq(assets.load_torch_state_dict(assets.asset_path("musiq_koniq"))).to(device)
            x = torch.from_numpy(pred).permute(0, 3, 1, 2).float().to(device) / 255.0
            with torch.inference_mode():
                t[m] = best(lambda s, e: net(x[s:e]), (1,) if device == "cpu" else (1, 8))
        elif m == "ids":
            import facenet_pytorch

            from vfebench.metrics.features.arcface import align_faces, to_arcface_input
            from vfebench.metrics.features.faces import frames_512
            from vfebench.metrics.nets.ir_se import load_ir_se

            det = facenet_pytorch.MTCNN(
                keep_all=True,
                select_largest=False,
                min_face_size=20,
                thresholds=[0.6, 0.7, 0.8],
                device=device,
            )
            net = load_ir_se(assets.asset_path("arcface_ir_se50"), device)
            both = np.concatenate([pred, gt])
            from vfebench.video import Clip

            both = frames_512(Clip("b", both))
            with torch.no_grad():
                t0 = time.perf_counter()
                for s in range(0, len(both), 8):
                    det.detect(both[s : s + 8], landmarks=True)
                t_det = time.perf_counter() - t0
                _, _, lm = det.detect(both[:8], landmarks=True)
                ok = [i for i in range(len(lm)) if lm[i] is not None]
                one = (
                    align_faces(both[ok[:1]], lm[ok[0]][:1].astype(np.float64))
                    if ok
                    else np.zeros((1, 112, 112, 3), np.uint8)
                )
                faces = to_arcface_input(np.repeat(one, len(both), 0)).to(device)
                t[m] = t_det + best(lambda s, e: net(faces[s:e]), (len(both),))
        elif m == "akd":
            from vfebench.facedetect import import_mediapipe
            from vfebench.metrics.features.faces import frames_512
            from vfebench.video import Clip

            mp = import_mediapipe()
            fm = mp.solutions.face_mesh.FaceMesh(
                static_image_mode=True, max_num_faces=1, refine_landmarks=True, min_detection_confidence=0.5
            )
            both = frames_512(Clip("b", np.concatenate([pred, gt])))
            t0 = time.perf_counter()
            for f in both:
                fm.process(np.ascontiguousarray(f))
            t[m] = time.perf_counter() - t0
            fm.close()
        elif m == "facecons":
            from vfebench.metrics.features import clip_vit
            from vfebench.metrics.nets.clip_vit import load_clip_vit

            net = load_clip_vit(assets.asset_path("clip_vit_b32"), device)
            x = clip_vit.preprocess_clean(pred, 224).to(device)
            with torch.no_grad():
                t[m] = best(lambda s, e: net(x[s:e]), (8, n))

    for m in metrics:
        run(m)
    return {"t": t, "values": {}}


CHILDREN = {"ours": child_ours, "reference": child_reference, "floor": child_floor}


# ----------------------------------------------------------------------------- driver
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=33)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--metrics", default=",".join(SUITE))
    ap.add_argument("--work", help="keep weights and clips in this folder (default: a temp folder)")
    ap.add_argument("--_child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    args = ap.parse_args()
    metrics = [m for m in args.metrics.split(",") if m]

    if args._child:
        import torch

        torch.set_num_threads(args.threads)
        work = Path(args.work)
        os.environ["VFEBENCH_ASSETS"] = str(work / "assets")
        _register(work / "weights")
        out = CHILDREN[args._child](work, metrics, args.device)
        print("BENCH_JSON " + json.dumps(out))
        return 0

    tmp = tempfile.TemporaryDirectory() if not args.work else None
    work = Path(args.work or tmp.name)
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), VFEBENCH_CACHE=str(work / "cache"))
    env["VFEBENCH_ASSETS"] = str(work / "assets")
    os.environ.update(VFEBENCH_ASSETS=env["VFEBENCH_ASSETS"], VFEBENCH_CACHE=env["VFEBENCH_CACHE"])
    counts = _build_weights(work / "weights")
    print("stand-in networks (random weights, real sizes):")
    for k, c in counts.items():
        print(f"  {k:<46} {c:>12,} parameters")
    what = _make_pair(work, args.frames, args.size)
    print(f"pair: {what}; device {args.device}, {args.threads} threads, {args.repeat} repetitions")

    runs: dict[str, list[dict]] = {k: [] for k in CHILDREN}
    order = list(CHILDREN)
    for r in range(args.repeat):
        for kind in order[r % 3 :] + order[: r % 3]:  # alternate which path goes first
            cmd = [sys.executable, __file__, "--_child", kind, "--work", str(work), "--device", args.device]
            cmd += ["--threads", str(args.threads), "--metrics", ",".join(metrics)]
            t0 = time.perf_counter()
            p = subprocess.run(cmd, env=env, capture_output=True, text=True)
            line = [x for x in p.stdout.splitlines() if x.startswith("BENCH_JSON ")]
            if p.returncode or not line:
                print(p.stdout[-3000:], p.stderr[-3000:], file=sys.stderr)
                raise SystemExit(f"bench_suite: the {kind} run failed")
            runs[kind].append(json.loads(line[0][len("BENCH_JSON ") :]))
            print(f"  rep {r + 1} {kind:<9} {time.perf_counter() - t0:7.1f} s (process)", flush=True)

    def med(kind: str, row: str) -> float:
        return statistics.median(x["t"].get(row, 0.0) for x in runs[kind])

    print()
    hdr = (
        f"{'metric':<16} {'reference s':>11} {'ours s':>8} {'floor s':>8} {'ref/ours':>8} {'ours/floor':>10}"
    )
    print(hdr + f"  {'value ours':>12} {'value ref':>12}")
    print("-" * (len(hdr) + 27))
    tot = {"reference": 0.0, "ours": 0.0, "floor": 0.0}
    for m in [*metrics, "decode + engine"]:
        r, o = med("reference", m), med("ours", m)
        f = med("floor", m) if m in runs["floor"][0]["t"] else 0.0
        tot["reference"] += r
        tot["ours"] += o
        tot["floor"] += f
        vo = runs["ours"][0]["values"].get(m)
        vr = runs["reference"][0]["values"].get(m)
        ratio_rf = f"{r / o:8.2f}" if o and r else f"{'':>8}"
        ratio_of = f"{o / f:10.2f}" if f else f"{'':>10}"
        vos = f"{vo:12.6g}" if isinstance(vo, float) else f"{'':>12}"
        vrs = f"{vr:12.6g}" if isinstance(vr, float) else f"{'':>12}"
        print(f"{m:<16} {r:11.2f} {o:8.2f} {f:8.2f} {ratio_rf} {ratio_of}  {vos} {vrs}")
    print("-" * (len(hdr) + 27))
    print(
        f"{'total':<16} {tot['reference']:11.2f} {tot['ours']:8.2f} {tot['floor']:8.2f} "
        f"{tot['reference'] / tot['ours']:8.2f} {tot['ours'] / tot['floor']:10.2f}"
    )
    print(f"\nmedians over {args.repeat} alternating repetitions (each a fresh process); machine load varies")
    if runs["ours"][0].get("failures"):
        print("failures (ours):", runs["ours"][0]["failures"])
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
