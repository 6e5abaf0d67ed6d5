"""Check the runner's timing of ``vividface`` against ``gpu_time_vividface.py`` (GPU check, issue 16).

1. ``vfebench run --method vividface:random_weights=true,... --device DEV`` on a small synthetic
   set (the ``demo`` dataset: ``--clips`` clips of ``--frames`` frames at ``--size``², degraded
   with the ``vfhq-x4`` preset, so the LQ is ``size/4``² and VividFace resizes it to ``size``²),
   in a fresh cache, one warm-up; reads ``seconds``, ``fps`` and ``peak_mem_mb`` per clip from
   the run record (``run.json``).
2. The benchmark's timing of the same method config on the same LQ frames, in this process
   (:func:`gpu_time_vividface.time_variant`: the same ``VividFaceMethod.restore`` call).
3. Prints both and their ratio; exit status 1 when the medians differ by more than
   ``--tolerance`` (default 20 %) or, on CUDA, the peak memories by more than 10 %.

    python benchmarks/gpu_check_runner_vividface.py --device cuda                   # real size, 81×512²
    python benchmarks/gpu_check_runner_vividface.py --device cpu --model tiny --frames 9 --size 32
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


def method_spec(a) -> str:
    return f"vividface:random_weights=true,model={a.model},size={a.size},dtype={a.dtype},seed=0"


def run_vfebench(a, work: Path) -> dict:
    cmd = [
        sys.executable,
        "-m",
        "vfebench",
        "run",
        "--method",
        method_spec(a),
        "--dataset",
        f"demo:{work / 'demo'},num_clips={a.clips},num_frames={a.frames},size={a.size}",
        "--metrics",
        "psnr",
        "--device",
        a.device,
        "--out",
        str(work / "run"),
        "--cache",
        str(work / "cache"),
        "--warmup",
        "1",
        "--quiet",
        "--no-progress",
    ]
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"vfebench run failed (exit {p.returncode}):\n{p.stderr[-3000:]}")
    return json.loads((work / "run" / "run.json").read_text())


def bench_same_lq(a, record: dict) -> dict:
    """Time the same method config on the first clip's LQ frames (as stored by the runner)."""
    sys.path.insert(0, str(Path(__file__).parent))
    import gpu_time_vividface as g

    from vfebench.methods import build_method
    from vfebench.video import read_clip

    row = next(r for r in record["clips"] if r["status"] == "ok")
    lq = read_clip(row["lq_path"])
    m = build_method("vividface", random_weights=True, model=a.model, size=a.size, dtype=a.dtype, seed=0)
    m.setup(a.device)
    return g.time_variant(
        m, lq.frames, a.device, a.repeats, "default", {"clip": f"LQ {lq.frames.shape}", "target": a.size}
    ), row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--model", default="wan2.1-t2v-1.3b")
    ap.add_argument("--dtype", default="auto")
    ap.add_argument("--frames", type=int, default=81)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument(
        "--clips", type=int, default=3, help="clips in the synthetic set (first one is the warm-up)"
    )
    ap.add_argument("--repeats", type=int, default=3, help="benchmark repeats")
    ap.add_argument("--tolerance", type=float, default=0.2)
    ap.add_argument("--json", help="also write the comparison here")
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="vf-runner-check-") as tmp:
        rec = run_vfebench(a, Path(tmp))
        rows = [r for r in rec["clips"] if r["status"] == "ok"]
        if not rows:
            raise SystemExit(f"no clip restored: {rec.get('failures')}")
        timing = next(iter(rec["methods"].values()))["timing"]
        bench, _ = bench_same_lq(a, rec)
        # the benchmark's target size is the GT size, like the runner's
    run_s = statistics.median(r["seconds"] for r in rows)
    ratio = run_s / bench["s_per_clip"]
    out = {
        "device": a.device,
        "method": method_spec(a),
        "runner": {
            "clips": [
                {k: r[k] for k in ("clip_id", "n_frames", "seconds", "fps", "peak_mem_mb", "peak_mem_kind")}
                for r in rows
            ],
            "seconds_median": run_s,
            "fps_mean": timing.get("fps_mean"),
            "peak_mem_mb_max": timing.get("peak_mem_mb_max"),
            "peak_mem_kind": timing.get("peak_mem_kind"),
        },
        "benchmark": bench,
        "seconds_ratio_runner_over_benchmark": ratio,
    }
    print(
        f"runner:    {run_s:.3f} s/clip (median of {len(rows)}), fps {timing.get('fps_mean'):.2f}, "
        f"peak {timing.get('peak_mem_mb_max')} MB ({timing.get('peak_mem_kind')})"
    )
    print(
        f"benchmark: {bench['s_per_clip']:.3f} s/clip (median of {bench['repeats']}), fps {bench['fps']:.2f}, "
        f"encode {bench['encode_s']:.3f} / DiT {bench['dit_s']:.3f} / decode {bench['decode_s']:.3f} s, "
        f"peak {None if bench['peak_mem_gib'] is None else round(bench['peak_mem_gib'] * 1024, 1)} MB"
    )
    print(f"ratio runner/benchmark: {ratio:.3f}")
    bad = abs(ratio - 1) > a.tolerance
    if a.device.startswith("cuda") and bench["peak_mem_gib"] and timing.get("peak_mem_mb_max"):
        mem_ratio = timing["peak_mem_mb_max"] / (bench["peak_mem_gib"] * 1024)
        out["peak_mem_ratio_runner_over_benchmark"] = mem_ratio
        print(f"peak memory ratio runner/benchmark: {mem_ratio:.3f}")
        bad = bad or abs(mem_ratio - 1) > 0.1
    if a.json:
        from vfebench.utils import atomic_write_json

        atomic_write_json(a.json, out)
    print("AGREE" if not bad else "DISAGREE")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
