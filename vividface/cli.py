"""``vividface`` command line: ``train``, ``curate``, ``infer``, ``embed-prompt``.

Heavy imports happen inside each sub-command. Errors derived from
:class:`~vfebench.errors.VfebenchError` are printed without a traceback (exit status 2).

Examples::

    vividface train --config vividface/configs/tiny.json
    vividface train --config vividface/configs/tiny.json --val-metrics lpips,ids_dlib,akd --val-every 100
    accelerate launch -m vividface.cli train --config vividface/configs/paper_stage1.json
    vividface curate /data/raw_clips --endpoint http://localhost:8000 --out curated/
    vividface infer LQ_DIR OUT_DIR [--dit runs/x/dit_original.safetensors] [--tiny-random]
    vividface embed-prompt --text-encoder /models/Wan2.1-T2V-1.3B-Diffusers --out wan21_umt5_empty_prompt.safetensors
"""

from __future__ import annotations

import argparse
import json
import sys


def _train(a: argparse.Namespace) -> int:
    from vividface.train import load_config, train

    val = None
    if a.val_metrics is not None:
        from vfebench.metrics import split_metric_specs

        val = split_metric_specs(a.val_metrics)
    cfg = load_config(
        a.config,
        out_dir=a.out_dir,
        max_steps=a.max_steps,
        resume=a.resume or None,
        val_metrics=val,
        val_every=a.val_every,
    )
    summary = train(cfg, progress=not a.quiet)
    summary.pop("history", None)
    print(json.dumps(summary, indent=2))
    return 0


def _curate(a: argparse.Namespace) -> int:
    from vfebench.datasets import build_source
    from vividface.curate import ChatClient, curate

    src = build_source(a.source)
    client = ChatClient(a.endpoint, model=a.model, api_key=a.api_key, timeout=a.timeout, retries=a.retries)
    clips = [(cid, (lambda cid=cid: src.load(cid))) for cid in src.clip_ids()]
    res = curate(
        clips,
        client,
        a.out,
        threshold=a.threshold,
        num_frames=a.frames,
        crop_size=a.crop_size,
        write_crops=a.write_crops,
        retry_errors=a.retry_errors,
        progress=not a.quiet,
    )
    print(json.dumps(res, indent=2))
    return 0 if res["errors"] == 0 else 1


def _infer(a: argparse.Namespace) -> int:
    from pathlib import Path

    from vfebench.datasets import build_source
    from vfebench.video import write_png_frames
    from vividface.method import VividFaceMethod

    cfg = {
        "dit": a.dit,
        "vae": a.vae,
        "prompt_embeds": a.prompt_embeds,
        "update_rule": a.update_rule,
        "chunk_frames": a.chunk_frames,
        "chunk_overlap": a.chunk_overlap,
        "vae_tiling": a.vae_tiling or None,
        "dtype": a.dtype,
        "tiny_random": a.tiny_random or None,
    }
    m = VividFaceMethod(**{k: v for k, v in cfg.items() if v is not None})
    m.setup(a.device or ("cuda" if _has_cuda() else "cpu"))
    src = build_source(a.input)
    for cid in src.clip_ids():
        out = m.restore(src.load(cid))
        write_png_frames(out.frames, Path(a.output) / cid)
        print(f"{cid}: {out.num_frames} frames → {Path(a.output) / cid}")
    return 0


def _embed(a: argparse.Namespace) -> int:
    from pathlib import Path

    from vividface.embed_prompt import embed_prompt

    info = embed_prompt(
        a.text_encoder, a.out, prompt=a.prompt, dtype=a.dtype, device=a.device, text_dim=a.text_dim or None
    )
    print(
        f"wrote {info['path']}: prompt_embeds {info['shape'][0]}x{info['shape'][1]} float32, "
        f"{info['tokens']} prompt token(s), rows {info['tokens']}..{info['shape'][0] - 1} zero (checked)\n"
        f"tensor sha256 {info['tensor_sha256']}\n"
        f"file sha256   {info['file_sha256']}\n"
        f"install it with `vfebench assets import {Path(info['path']).parent}`"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``vividface`` argument parser: ``train``, ``curate``, ``infer`` and ``embed-prompt``, each bound to
    its handler."""
    p = argparse.ArgumentParser(prog="vividface", description="VividFace: training, curation and inference.")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train the DiT (stage 1 latent / stage 2 pixel) from a JSON config")
    t.add_argument("--config", required=True, help="JSON config (see vividface/configs/)")
    t.add_argument("--out-dir", help="override out_dir")
    t.add_argument("--max-steps", type=int, help="override max_steps")
    t.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in out_dir")
    t.add_argument(
        "--val-metrics",
        help="validation metrics, vfebench score --metrics grammar (default lpips,ids,akd; '' = none)",
    )
    t.add_argument("--val-every", type=int, help="validate every N steps (default: after the last step)")
    t.add_argument("--quiet", action="store_true")
    t.set_defaults(func=_train)

    c = sub.add_parser("curate", help="MLLM-Face90 curation: face crop, Qwen2.5-VL scores, keep > threshold")
    c.add_argument("source", help="clips: a folder of videos / frame folders, or a dataset spec")
    c.add_argument("--endpoint", required=True, help="OpenAI-compatible server, e.g. http://localhost:8000")
    c.add_argument("--out", required=True, help="output folder (manifest.jsonl, clips/)")
    c.add_argument("--model", default="Qwen/Qwen2.5-VL-72B-Instruct", help="served model name")
    c.add_argument("--api-key", default=None)
    c.add_argument("--threshold", type=float, default=90.0, help="keep clips whose total is above this")
    c.add_argument("--frames", type=int, default=8, help="frames sampled per clip")
    c.add_argument("--crop-size", type=int, default=448)
    c.add_argument("--timeout", type=float, default=120.0)
    c.add_argument("--retries", type=int, default=3)
    c.add_argument("--write-crops", action="store_true", help="write kept clips' face crops to OUT/clips/")
    c.add_argument("--retry-errors", action="store_true", help="re-score clips that failed before")
    c.add_argument("--quiet", action="store_true")
    c.set_defaults(func=_curate)

    i = sub.add_parser("infer", help="restore clips (folder of videos / frame folders) to PNG folders")
    i.add_argument("input")
    i.add_argument("output")
    i.add_argument("--dit", help="DiT weights (default: the vividface_dit asset)")
    i.add_argument("--vae")
    i.add_argument("--prompt-embeds")
    i.add_argument("--update-rule", choices=("released", "flow"), default=None)
    i.add_argument(
        "--chunk-frames",
        type=int,
        default=None,
        help="0 = whole clip in one pass (default, as released); 4k+1 = temporal chunks (not as released)",
    )
    i.add_argument("--chunk-overlap", type=int, default=None, help="frames crossfaded between chunks (8)")
    i.add_argument("--vae-tiling", action="store_true")
    i.add_argument("--dtype", default=None, choices=("auto", "float32", "bfloat16", "float16"))
    i.add_argument("--device", default=None, help="cuda or cpu (default: cuda when available)")
    i.add_argument(
        "--tiny-random", action="store_true", help="developer option: tiny random model, no weights"
    )
    i.set_defaults(func=_infer)

    e = sub.add_parser("embed-prompt", help="write the empty-prompt umT5 embedding asset")
    e.add_argument("--text-encoder", required=True, help="diffusers folder with text_encoder/ and tokenizer/")
    e.add_argument("--out", default="wan21_umt5_empty_prompt.safetensors")
    e.add_argument("--prompt", default="")
    e.add_argument("--dtype", default="bfloat16", choices=("bfloat16", "float32"))
    e.add_argument("--device", default="cpu")
    e.add_argument(
        "--text-dim", type=int, default=4096, help="expected embedding width (umT5-XXL: 4096; 0 = any)"
    )
    e.set_defaults(func=_embed)
    return p


def _has_cuda() -> bool:
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return False
    import torch

    return torch.cuda.is_available()


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``vividface COMMAND ...``; a :class:`VfebenchError` prints ``vividface CMD: error: ...``
    and returns 2, Ctrl-C 130."""
    args = build_parser().parse_args(argv)
    from vfebench.errors import VfebenchError

    try:
        return int(args.func(args) or 0)
    except VfebenchError as exc:
        print(f"vividface {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
