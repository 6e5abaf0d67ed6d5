"""Time the real Wan2.1-T2V-1.3B one-step VividFace on 81×512×512 clips on a CUDA GPU.

Follows the protocol's timing rule (Table 3): LQ frames in memory → restored frames in memory,
model loading and one warm-up clip excluded, device synchronised; reports seconds per clip,
frames/s, the DiT-only and VAE-only split and peak device memory. Paper: 7.43 s on an A100 80GB.

With the weights present (``vividface_dit``, ``wan21_vae``, ``wan21_empty_prompt`` assets, or
``--dit/--vae/--prompt-embeds`` paths) it times the released model; with ``--random`` it builds
the 1.3B architecture with random weights (same FLOPs, no files needed).

    python benchmarks/gpu_time_vividface.py --random --repeats 3
    python benchmarks/gpu_time_vividface.py --dit vividface.ckpt --vae Wan2.1_VAE.pth --prompt-embeds e.safetensors
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--random", action="store_true", help="random 1.3B weights (no files)")
    ap.add_argument("--dit")
    ap.add_argument("--vae")
    ap.add_argument("--prompt-embeds")
    ap.add_argument("--frames", type=int, default=81)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--dtype", default="bfloat16")
    ap.add_argument("--vae-tiling", action="store_true")
    ap.add_argument("--json", help="also write the results here")
    a = ap.parse_args()
    import torch

    if not torch.cuda.is_available():
        raise SystemExit("gpu_time_vividface.py needs a CUDA device")
    from vividface import wan
    from vividface.pipeline import InferenceConfig, OneStepPipeline

    t0 = time.perf_counter()
    if a.random:
        dit = wan.build_dit("wan2.1-t2v-1.3b", seed=0)
        vae = wan.build_vae("wan2.1-t2v-1.3b", seed=1)
        emb = wan.random_prompt_embedding(4096, length=wan.TEXT_LEN)
    else:
        from vfebench.assets import asset_path

        dit = wan.load_dit(a.dit or asset_path("vividface_dit"))
        vae = wan.load_vae(a.vae or asset_path("wan21_vae"))
        emb = wan.load_prompt_embedding(a.prompt_embeds or asset_path("wan21_empty_prompt"), 4096)
    cfg = InferenceConfig(size=a.size, chunk_frames=0, dtype=a.dtype, vae_tiling=a.vae_tiling)
    pipe = OneStepPipeline(dit, vae, emb, cfg, device="cuda")
    load_s = time.perf_counter() - t0
    frames = (np.random.default_rng(0).random((a.frames, a.size, a.size, 3)) * 255).astype(np.uint8)

    def sync():
        torch.cuda.synchronize()

    pipe.restore_frames(frames)  # warm-up
    sync()
    torch.cuda.reset_peak_memory_stats()
    total, dit_t, vae_t = [], [], []
    x = torch.from_numpy(frames).permute(3, 0, 1, 2)[None].float().cuda() / 127.5 - 1
    for _ in range(a.repeats):
        sync()
        s = time.perf_counter()
        pipe.restore_frames(frames)
        sync()
        total.append(time.perf_counter() - s)
        with torch.no_grad():
            s = time.perf_counter()
            z = pipe.encode(x)
            sync()
            e = time.perf_counter()
            v = pipe.velocity(z)
            sync()
            d = time.perf_counter()
            pipe.decode(z - v)
            sync()
            vae_t.append((e - s) + (time.perf_counter() - d))
            dit_t.append(d - e)
    res = {
        "weights": "random 1.3B" if a.random else "released",
        "clip": f"{a.frames}x{a.size}x{a.size}",
        "dtype": a.dtype,
        "gpu": torch.cuda.get_device_name(0),
        "load_s": round(load_s, 2),
        "s_per_clip": round(statistics.median(total), 3),
        "fps": round(a.frames / statistics.median(total), 2),
        "dit_s": round(statistics.median(dit_t), 3),
        "vae_s": round(statistics.median(vae_t), 3),
        "peak_mem_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2),
        "repeats": a.repeats,
    }
    print("| " + " | ".join(res) + " |")
    print("|" + "---|" * len(res))
    print("| " + " | ".join(str(v) for v in res.values()) + " |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=2)


if __name__ == "__main__":
    main()
