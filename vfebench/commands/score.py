"""``vfebench score PRED [GT] --metrics psnr,ssim [--json]``: score clips directly (pyiqa-style).

PRED and GT are each either one clip (a video file or a folder of frames) or a folder of clips
(videos and/or frame folders), matched by clip id (file stem / folder name). With one clip on
each side they are paired whatever their names. GT may be omitted when every metric is
no-reference. Clips are streamed: one pair is decoded, scored by every metric, then released.
Metric specs are ``name``, ``name:mode`` (e.g. ``lpips:bfvr``) or ``name[:mode]:key=value,...``
(e.g. ``akd:backend=fan68``); see ``vfebench ls metrics``.

Output: a table with one row per clip and the mean over clips (display units, e.g. AKD* ×1000),
or ``--json``: per metric its identity (version, mode, options, sha256 of the weights used),
raw and display means, and the per-clip results. Invalid inputs (different sizes or frame
counts, unreadable files) stop with an error naming the clip.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("pred", help="restored clip (video or frame folder) or folder of clips")
    p.add_argument("gt", nargs="?", help="reference clip or folder of clips (omit for no-reference metrics)")
    p.add_argument(
        "--metrics", "-m", default="psnr,ssim", help="comma-separated metric[:mode][:key=value,...] list"
    )
    p.add_argument("--json", action="store_true", help="print a JSON document instead of a table")
    p.add_argument("--max-frames", type=int, default=None, help="score only the first N frames of each clip")
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1 ... (default cpu)")
    p.add_argument("--per-frame", action="store_true", help="include per-frame values in --json output")
    p.add_argument("--seed", type=int, default=0, help="base seed for metrics with random sampling")
    p.add_argument("--out", help="also write the JSON document to this file")


def resolve_clips(path: str | Path, role: str) -> dict[str, Path]:
    """``{clip id: path}``: one clip, or every clip directly inside a folder."""
    from vfebench.errors import InputError
    from vfebench.video import find_clip_paths

    try:
        return dict(find_clip_paths(path))
    except InputError as exc:
        raise InputError(f"{role} {exc}") from exc


def pair_clips(pred: dict[str, Path], gt: dict[str, Path] | None) -> list[tuple[str, Path, Path | None]]:
    from vfebench.errors import InputError

    if gt is None:
        return [(cid, p, None) for cid, p in pred.items()]
    if len(pred) == 1 and len(gt) == 1:
        (cid, p), (_, g) = next(iter(pred.items())), next(iter(gt.items()))
        return [(cid, p, g)]
    missing = sorted(set(pred) - set(gt))
    if missing:
        raise InputError(
            f"no reference clip for prediction clip(s) {missing[:5]}{' …' if len(missing) > 5 else ''}; "
            f"GT ids are matched by file stem / folder name"
        )
    return [(cid, p, gt[cid]) for cid, p in pred.items()]


def build_metrics(spec: str):
    from vfebench.errors import InputError
    from vfebench.metrics import build_metric, split_metric_specs

    names = split_metric_specs(spec)
    if not names:
        raise InputError("--metrics is empty (e.g. --metrics psnr,ssim,lpips)")
    return [(n, build_metric(n)) for n in names]


def score(
    pred: str | Path,
    gt: str | Path | None,
    metrics: str,
    max_frames: int | None = None,
    device: str = "cpu",
    seed: int = 0,
    per_frame: bool = False,
    progress=None,
) -> dict:
    """Score PRED against GT with the given metric specs; returns the JSON-able document."""
    from vfebench.errors import InputError
    from vfebench.metrics.base import ScoreContext
    from vfebench.video import read_clip

    if max_frames is not None and max_frames < 1:
        raise InputError(f"--max-frames must be >= 1, got {max_frames}")
    ms = build_metrics(metrics)
    fr = [n for n, m in ms if m.needs_reference]
    if gt is None and fr:
        raise InputError(
            f"metric(s) {', '.join(fr)} need a reference: pass GT (vfebench score PRED GT ...) "
            "or choose no-reference metrics (vfebench ls metrics)"
        )
    pairs = pair_clips(resolve_clips(pred, "prediction"), resolve_clips(gt, "reference") if gt else None)
    for _, m in ms:
        m.ensure_setup(device)
    ctx = ScoreContext(device=device, max_frames=max_frames, seed=seed)
    results: dict[str, list] = {n: [] for n, _ in ms}
    per_clip = [(n, m) for n, m in ms if m.level != "set"]
    for i, (cid, pp, gp) in enumerate(pairs):
        if progress:
            progress(i, len(pairs), cid)
        if not per_clip:
            break
        pc = read_clip(pp, clip_id=cid, max_frames=max_frames)
        gc = read_clip(gp, clip_id=cid, max_frames=max_frames) if gp is not None else None
        for n, m in per_clip:
            results[n].append(m.score_clip(pc, gc if m.needs_reference else None, ctx))
        del pc, gc
    # set-level metrics (FVD dataset mode) score the whole set at once; clips load one at a time
    sets = {}
    for n, m in ms:
        if m.level == "set":
            from vfebench.metrics.base import LazyClips

            preds = LazyClips(
                [lambda c=c, p=p: read_clip(p, clip_id=c, max_frames=max_frames) for c, p, _ in pairs]
            )
            gts = LazyClips(
                [
                    lambda c=c, g=g: read_clip(g, clip_id=c, max_frames=max_frames) if g else None
                    for c, _, g in pairs
                ]
            )
            sets[n] = m.score_set(preds, gts if m.needs_reference else None, ctx)
            results[n] = sets[n].clips
    doc: dict = {"pred": str(pred), "gt": str(gt) if gt else None, "max_frames": max_frames, "metrics": {}}
    for n, m in ms:
        mean = sets[n].value if n in sets else m.aggregate(results[n])
        doc["metrics"][n] = {
            "display": m.display or m.name,
            "higher_is_better": m.higher_is_better,
            "scale": m.scale,
            "identity": m.identity(),
            "mean": None if mean != mean else mean,
            "display_mean": None if mean != mean else m.display_value(mean),
            "clips": [r.to_dict(with_frames=per_frame) for r in results[n]],
        }
        if n in sets:
            doc["metrics"][n]["level"] = "set"
            doc["metrics"][n]["set_extras"] = sets[n].extras
    doc["clips"] = [cid for cid, _, _ in pairs]
    return doc


def format_table(doc: dict) -> str:
    names = list(doc["metrics"])
    heads = ["clip"] + [
        f"{doc['metrics'][n]['display']}{'↑' if doc['metrics'][n]['higher_is_better'] else '↓'}"
        for n in names
    ]
    rows = []

    def fmt(n: str, v) -> str:
        if v is None:
            return "nan"
        m = doc["metrics"][n]
        return f"{v * m['scale']:.{_precision(n)}f}"

    for i, cid in enumerate(doc["clips"]):
        rows.append([cid] + [fmt(n, doc["metrics"][n]["clips"][i]["value"]) for n in names])
    rows.append(["mean"] + [fmt(n, doc["metrics"][n]["mean"]) for n in names])
    widths = [max(len(h), *(len(r[j]) for r in rows)) for j, h in enumerate(heads)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(heads, widths)).rstrip()]
    for k, r in enumerate(rows):
        if k == len(rows) - 1:
            lines.append("  ".join("-" * w for w in widths))
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    return "\n".join(lines)


def _precision(name: str) -> int:
    from vfebench.metrics import METRICS

    try:
        return int(METRICS.get(name.partition(":")[0]).precision)
    except Exception:
        return 4


def main(args: argparse.Namespace) -> int:
    def progress(i: int, n: int, cid: str) -> None:
        if n > 1 and not args.json:
            print(f"[{i + 1}/{n}] {cid}", file=sys.stderr)

    doc = score(
        args.pred, args.gt, args.metrics, args.max_frames, args.device, args.seed, args.per_frame, progress
    )
    text = json.dumps(doc, indent=2, default=str)
    if args.out:
        from vfebench.utils import atomic_write_text

        atomic_write_text(args.out, text + "\n")
    print(text if args.json else format_table(doc))
    return 0
