"""Time one-step VividFace per clip through the ``vividface`` method, split by stage (GPU check).

Builds the real-size Wan2.1-T2V-1.3B DiT and Wan2.1 VAE from the configs kept in the repo
(:data:`vividface.wan.DIT_CONFIGS` / :data:`~vividface.wan.VAE_CONFIGS`), with random weights —
time and memory do not depend on weight values — or loads the released weights when given
(``--weights released``: the ``vividface_dit``/``wan21_vae``/``wan21_empty_prompt`` assets).
Nothing is downloaded.

Follows the protocol's timing rule (Table 3): LQ frames in memory → restored frames in memory,
through :meth:`VividFaceMethod.restore` (what ``vfebench run`` calls), model loading and one
warm-up clip excluded, the device synchronised, peak memory = ``torch.cuda.max_memory_allocated``
reset before each clip. Per variant (dtype × VAE tiling × SDPA backend × torch.compile) it prints
seconds per clip, frames/s, the VAE-encode / DiT / VAE-decode split (device-synchronised stage
timers of :class:`~vividface.pipeline.OneStepPipeline`), the rest (resize, transfers, quantising)
and peak memory. Paper: 7.43 s for 81×512² on an A100 (SeedVR2-3B 19.98 s, SVFR 94.60 s).

    # on the GPU (a few minutes):
    python benchmarks/gpu_time_vividface.py --repeats 3 --dtypes bfloat16,float16,float32 \\
        --tiling off,on --sdpa default,flash,efficient,cudnn --compile --json gpu_vividface.json
    # CPU check of the same code path on the tiny config (seconds):
    python benchmarks/gpu_time_vividface.py --model tiny --device cpu --frames 9 --size 32 --repeats 2
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import numpy as np

SDPA = {
    "flash": "FLASH_ATTENTION",
    "efficient": "EFFICIENT_ATTENTION",
    "cudnn": "CUDNN_ATTENTION",
    "math": "MATH",
}


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize(torch.device(device))


def _reset_peak(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.reset_peak_memory_stats(torch.device(device))


def _peak_gib(device: str) -> float | None:
    if device.startswith("cuda"):
        import torch

        return torch.cuda.max_memory_allocated(torch.device(device)) / 2**30
    return None


def _sdpa_context(name: str):
    import contextlib

    if name == "default":
        return contextlib.nullcontext()
    from torch.nn.attention import SDPBackend, sdpa_kernel

    return sdpa_kernel([getattr(SDPBackend, SDPA[name])])


def build_method(args, dtype: str, tiling: bool):
    """The ``vividface`` method exactly as ``vfebench run --method vividface:...`` builds it."""
    from vfebench.methods import build_method as build

    cfg: dict[str, Any] = {"size": args.size, "dtype": dtype, "vae_tiling": tiling}
    if args.tile:
        cfg["tile"] = [int(v) for v in args.tile.split(",")]
    if args.weights == "random":
        cfg.update(random_weights=True, model=args.model, seed=0)
    elif args.model != "wan2.1-t2v-1.3b":
        raise SystemExit("--weights released needs --model wan2.1-t2v-1.3b")
    return build("vividface", **cfg)


def time_variant(method, frames: np.ndarray, device: str, repeats: int, sdpa: str, label: dict) -> dict:
    """One warm-up restore, then ``repeats`` timed restores of ``frames``; medians."""
    from vfebench.video import Clip

    clip = Clip("bench", frames, 25.0)
    target = frames.shape[1:3]
    pipe = method.pipe
    pipe.profile = True
    totals, stages, peaks = [], {"encode": [], "dit": [], "decode": []}, []
    with _sdpa_context(sdpa):
        t0 = time.perf_counter()
        method.restore(clip, target)  # warm-up (and compilation when --compile)
        _sync(device)
        warm = time.perf_counter() - t0
        for _ in range(repeats):
            _reset_peak(device)
            _sync(device)
            t0 = time.perf_counter()
            out = method.restore(clip, target)
            _sync(device)
            totals.append(time.perf_counter() - t0)
            for k in stages:
                stages[k].append(pipe.stage_seconds[k])
            peaks.append(_peak_gib(device))
    assert out.frames.shape == frames.shape, (out.frames.shape, frames.shape)
    med = statistics.median(totals)
    row = {
        **label,
        "s_per_clip": med,
        "fps": frames.shape[0] / med,
        "encode_s": statistics.median(stages["encode"]),
        "dit_s": statistics.median(stages["dit"]),
        "decode_s": statistics.median(stages["decode"]),
        "warmup_s": warm,
        "peak_mem_gib": max(peaks) if peaks[0] is not None else None,
        "repeats": repeats,
        "passes": len(pipe.last_spans),
    }
    row["other_s"] = med - row["encode_s"] - row["dit_s"] - row["decode_s"]
    return row


def run(args) -> list[dict]:
    import torch

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit(
            "gpu_time_vividface.py: no CUDA device (use --device cpu --model tiny for the CPU check)"
        )
    if args.threads:
        torch.set_num_threads(args.threads)
    frames = (np.random.default_rng(0).random((args.frames, args.size, args.size, 3)) * 255).astype(np.uint8)
    rows = []
    for dtype in args.dtypes.split(","):
        base = None
        for tiling in [t == "on" for t in args.tiling.split(",")]:
            t0 = time.perf_counter()
            m = build_method(args, dtype, tiling)
            if base is None:
                m.setup(args.device)
                base = m
            else:  # same modules, another VAE setting: no second 1.3B initialisation
                from vividface.pipeline import OneStepPipeline

                if not tiling:
                    base.pipe.vae.disable_tiling()
                m.pipe = OneStepPipeline(
                    base.pipe.dit, base.pipe.vae, base.pipe.prompt_embeds, m._inference_config(), args.device
                )
                m.device, m._ready = args.device, True
            if not tiling:
                m.pipe.vae.disable_tiling()
            load_s = time.perf_counter() - t0
            for sdpa in args.sdpa.split(","):
                for compiled in [False, True] if args.compile else [False]:
                    if compiled:
                        m.pipe.dit = torch.compile(m.pipe.dit)
                    label = {
                        "model": args.model,
                        "weights": args.weights,
                        "clip": f"{args.frames}x{args.size}x{args.size}",
                        "dtype": dtype,
                        "vae_tiling": tiling,
                        "sdpa": sdpa,
                        "compile": compiled,
                        "load_s": load_s,
                    }
                    try:
                        rows.append(time_variant(m, frames, args.device, args.repeats, sdpa, label))
                    except Exception as exc:  # an unsupported backend/dtype: say so, keep the others
                        rows.append({**label, "error": f"{type(exc).__name__}: {str(exc)[:200]}"})
                    finally:
                        if compiled:
                            m.pipe.dit = m.pipe.dit._orig_mod
                        if args.device.startswith("cuda"):
                            torch.cuda.empty_cache()
        del base, m
        if args.device.startswith("cuda"):
            torch.cuda.empty_cache()
    return rows


def print_table(rows: list[dict], device_name: str) -> None:
    print(f"VividFace one-step, {device_name}; medians; paper: 7.43 s/clip (81×512², A100)")
    cols = (
        "dtype",
        "vae_tiling",
        "sdpa",
        "compile",
        "s_per_clip",
        "fps",
        "encode_s",
        "dit_s",
        "decode_s",
        "other_s",
        "peak_mem_gib",
        "passes",
    )
    print("| clip | " + " | ".join(cols) + " |")
    print("|---|" + "---:|" * len(cols))
    for r in rows:
        if "error" in r:
            print(
                f"| {r['clip']} | {r['dtype']} | {r['vae_tiling']} | {r['sdpa']} | {r['compile']} | error: {r['error']} |"
            )
            continue
        cells = []
        for c in cols:
            v = r[c]
            cells.append(f"{v:.3f}" if isinstance(v, float) else str(v))
        print(f"| {r['clip']} | " + " | ".join(cells) + " |")


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--model", default="wan2.1-t2v-1.3b", help="config name: wan2.1-t2v-1.3b (real size) or tiny"
    )
    ap.add_argument("--weights", default="random", choices=("random", "released"))
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--frames", type=int, default=81)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--dtypes", default="bfloat16", help="comma list of bfloat16,float16,float32")
    ap.add_argument("--tiling", default="off,on", help="VAE tiling variants: off,on")
    ap.add_argument(
        "--tile", default=None, help="min_h,min_w,stride_h,stride_w in pixels (default 256,256,192,192)"
    )
    ap.add_argument("--sdpa", default="default", help="comma list of default,flash,efficient,cudnn,math")
    ap.add_argument("--compile", action="store_true", help="also time torch.compile(DiT)")
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (0 = torch default)")
    ap.add_argument("--json", help="also write the rows here")
    a = ap.parse_args(argv)
    import torch

    rows = run(a)
    name = (
        torch.cuda.get_device_name(0)
        if a.device.startswith("cuda")
        else f"CPU ({torch.get_num_threads()} threads)"
    )
    print_table(rows, name)
    if a.json:
        from vfebench.utils import atomic_write_json

        atomic_write_json(a.json, {"device": name, "torch": torch.__version__, "rows": rows})
    return rows


if __name__ == "__main__":
    main()
