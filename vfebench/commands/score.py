"""``vfebench score PRED [GT] --metrics psnr,ssim [--json]``: score clips directly (pyiqa-style).

PRED and GT are each either one clip (a video file or a folder of frames) or a folder of clips
(videos and/or frame folders), matched by clip id (file stem / folder name). With one clip on
each side they are paired whatever their names. GT may be omitted when every metric is
no-reference. Clips are streamed: one pair is decoded, scored by every metric, then released.
Metric specs are ``name``, ``name:mode`` (e.g. ``lpips:bfvr``) or ``name[:mode]:key=value,...``
(e.g. ``akd:backend=fan68``); see ``vfebench ls metrics``.

Output: a table with one row per clip and the mean over clips (display units, e.g. AKD* ×1000),
or ``--json``: per metric its display metadata (name, direction, scale, precision), identity
(version, mode, options, sha256 of the weights used), raw and display means, and the per-clip
results. A clip or metric that cannot be scored
(different sizes or frame counts, an unreadable file, a metric that cannot run on that input)
is listed under ``failures`` with its reason and the rest is still scored; the exit status is
then 1 (0 when everything was scored, 2 for bad options). Scoring goes through the same engine
as ``vfebench run`` (:mod:`vfebench.runner.engine`), with the same checks of extras, weights
and references.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path


def configure(p: argparse.ArgumentParser) -> None:
    """Add the options of ``vfebench score`` to its sub-parser ``p``."""
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
    """``[(clip id, pred path, gt path or None)]`` in the order of ``pred``.

    Without GT every prediction is unpaired. With one clip on each side they are paired whatever
    their ids (the prediction's id is kept). Otherwise by equal id: GT clips without a
    prediction are ignored, and a prediction without a GT clip raises ``InputError`` naming the
    first five such ids (sorted).
    """
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


def build_metrics(spec: str, has_gt: bool = True) -> dict:
    """``{spec: Metric}`` with the same checks ``vfebench run`` makes (extra, weights, reference)."""
    from vfebench.errors import InputError
    from vfebench.runner import resolve_metrics
    from vfebench.spec import split_specs

    specs = split_specs(spec, "metric")
    if not specs:
        raise InputError("--metrics is empty (e.g. --metrics psnr,ssim,lpips)")
    return resolve_metrics(specs, has_gt=has_gt)[0]


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
    """Score PRED against GT with the given metric specs; returns the JSON-able document.

    The scoring is :class:`vfebench.runner.engine.ScoringEngine`'s, the one ``vfebench run``
    uses: a clip or metric that cannot be scored is listed under ``failures`` (and its value is
    null) while every other clip and metric is still scored.
    """
    from vfebench.errors import InputError, UnknownNameError
    from vfebench.metrics import METRICS
    from vfebench.metrics.base import from_json_value, json_value
    from vfebench.runner.engine import ClipItem, ScoringEngine
    from vfebench.spec import split_specs
    from vfebench.video import read_clip

    if max_frames is not None and max_frames < 1:
        raise InputError(f"--max-frames must be >= 1, got {max_frames}")
    if gt is None:
        fr = []
        for s in split_specs(metrics, "metric"):
            try:
                if METRICS.get(s.name).needs_reference:
                    fr.append(s.text)
            except (UnknownNameError, ImportError):
                pass  # reported by build_metrics (did-you-mean / the extra to install)
        if fr:
            raise InputError(
                f"metric(s) {', '.join(fr)} need a reference: pass GT (vfebench score PRED GT ...) "
                "or choose no-reference metrics (vfebench ls metrics)"
            )
    ms = build_metrics(metrics, has_gt=gt is not None)
    pairs = pair_clips(resolve_clips(pred, "prediction"), resolve_clips(gt, "reference") if gt else None)
    engine = ScoringEngine(ms, device, seed, features=None, max_frames=max_frames)

    def item(cid: str, pp: Path, gp: Path | None) -> ClipItem:
        return ClipItem(
            cid,
            lambda: read_clip(pp, clip_id=cid, max_frames=max_frames),
            (lambda: read_clip(gp, clip_id=cid, max_frames=max_frames)) if gp is not None else None,
        )

    results: dict[str, list] = {n: [] for n in ms}
    failures: list[dict] = []
    for i, (cid, pp, gp) in enumerate(pairs):
        if not engine.clip_keys:
            break
        if progress:
            progress(i, len(pairs), cid)
        it = item(cid, pp, gp)
        for n, o in engine.score_clip(it).items():
            if o.result is not None:
                results[n].append(o.result)
            else:
                results[n].append(
                    {"clip_id": cid, "value": None, "n_frames": 0, "n_skipped": 0, "failed": o.failed}
                )
                failures.append({"clip_id": cid, "metric": n, "reason": o.failed})
        it.release()
    # set-level metrics (FVD dataset mode) score the whole set at once; clips load one at a time
    sets: dict[str, dict] = {}
    for n in engine.set_keys:
        res = engine.score_set(n, [item(c, p, g) for c, p, g in pairs])
        if res["failed"]:
            failures.append({"clip_id": "*", "metric": n, "reason": res["failed"]})
        sets[n] = res
        results[n] = [res["clips"].get(c, {"clip_id": c, "value": None}) for c, _, _ in pairs]
    doc: dict = {"pred": str(pred), "gt": str(gt) if gt else None, "max_frames": max_frames, "metrics": {}}
    for n, m in ms.items():
        ok = [d for d in results[n] if "failed" not in d]
        mean = sets[n]["value"] if n in sets else engine.aggregate(n, ok)
        clips = []
        for d in results[n]:
            d = {k: v for k, v in d.items() if k not in ("metric", "restored_hash", "device")}
            if not per_frame:
                d.pop("per_frame", None)
            clips.append(d)
        doc["metrics"][n] = {
            "display": m.display or m.name,
            "higher_is_better": m.higher_is_better,
            "scale": m.scale,
            "precision": int(m.precision),  # decimals of the display value (after ``scale``)
            "identity": m.identity(),
            "mean": json_value(mean),  # ±inf as "inf" so the JSON stays strict
            "display_mean": None if mean is None else json_value(m.display_value(from_json_value(mean))),
            "n_scored": sum(1 for d in ok if d.get("value") is not None),
            "clips": clips,
        }
        if n in sets:
            doc["metrics"][n]["level"] = "set"
            doc["metrics"][n]["set_extras"] = sets[n]["extras"]
    doc["clips"] = [cid for cid, _, _ in pairs]
    doc["failures"] = failures
    return doc


def format_table(doc: dict) -> str:
    """The plain-text table of a :func:`score` document: one row per clip, then the mean.

    Columns: ``clip`` and one per metric, headed by its display name and ↑/↓ (higher/lower is
    better). Values are in display units (raw × the metric's ``scale``) with the metric's
    precision; ``failed`` for a failed cell, ``nan`` for a missing value, ``∞ (identical)`` /
    ``-∞`` for infinities. Columns are left-aligned and padded to their widest cell; a dashed
    rule precedes the mean row.
    """
    from vfebench.metrics.base import from_json_value

    names = list(doc["metrics"])
    heads = ["clip"] + [
        f"{doc['metrics'][n]['display']}{'↑' if doc['metrics'][n]['higher_is_better'] else '↓'}"
        for n in names
    ]
    rows = []

    def fmt(n: str, v, failed: bool = False) -> str:
        if failed:
            return "failed"
        if v is None:
            return "nan"
        m = doc["metrics"][n]
        v = from_json_value(v)
        if math.isinf(v):
            return "∞ (identical)" if v > 0 else "-∞"
        return f"{v * m['scale']:.{int(m['precision'])}f}"

    for i, cid in enumerate(doc["clips"]):
        cells = [doc["metrics"][n]["clips"][i] for n in names]
        rows.append([cid] + [fmt(n, c.get("value"), "failed" in c) for n, c in zip(names, cells)])
    rows.append(["mean"] + [fmt(n, doc["metrics"][n]["mean"]) for n in names])
    widths = [max(len(h), *(len(r[j]) for r in rows)) for j, h in enumerate(heads)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(heads, widths)).rstrip()]
    for k, r in enumerate(rows):
        if k == len(rows) - 1:
            lines.append("  ".join("-" * w for w in widths))
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    """Run ``vfebench score`` with the parsed ``args``; returns the exit status."""

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
    for f in doc["failures"]:
        print(f"  FAILED {f['metric']} on clip {f['clip_id']!r}: {f['reason']}", file=sys.stderr)
    return 1 if doc["failures"] else 0
