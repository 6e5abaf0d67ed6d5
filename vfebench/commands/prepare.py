"""``vfebench prepare SRC OUT``: raw talking-head videos → VFHQ-style square face clips.

SRC is a video file, a frame folder, or a folder of video files and/or frame folders. For every
clip: per-frame face boxes, their union over the clip, squared (``--scale`` × the union's longer
side), fitted to the frame (``--fit shrink|shift|pad``), every frame cropped with that one window and
resized to ``--size`` (Lanczos), written as ``OUT/<clip>/%08d.png`` (atomically). See
:mod:`vfebench.faceregion` for the details.

``OUT/prepare.json`` records, per clip, the boxes, window, parameters and the frame rate
(rewritten atomically after each clip): the source video's rate, ``--fps`` when given, or 25.0
for a source frame folder (``fps_from`` says which). ``folder:OUT`` datasets read it back. A clip whose folder exists and whose record shows the same parameters is
skipped; a clip that fails (no face, unreadable file) is reported, recorded with its error, and
the others continue. Exit status: 0 when every clip is ready, 1 when some failed.

``--aligned``: the sources are already aligned square faces (HDTF, most talking-head sets):
no detection and never a crop; a clip whose side is ``--size`` is written as it decodes
(lossless), another square side is resized whole to ``--size``; a non-square clip fails.
Either way, every clip whose face window was upscaled by more than 10 % (a crop smaller than
``--size``, or an aligned clip smaller than ``--size``) is named in a warning at the end: its
frames hold less detail than their size says.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

SCHEMA = 1


def configure(p: argparse.ArgumentParser) -> None:
    """Add the options of ``vfebench prepare`` to its sub-parser ``p``."""
    from vfebench.facedetect import DETECTORS

    p.add_argument(
        "src", type=Path, help="a video file, a frame folder, or a folder of videos / frame folders"
    )
    p.add_argument("out", type=Path, help="output root: OUT/<clip>/%%08d.png and OUT/prepare.json")
    p.add_argument("--size", type=int, default=512, help="output side in pixels (default 512)")
    p.add_argument("--max-frames", type=int, default=None, metavar="N", help="keep only the first N frames")
    p.add_argument(
        "--detect-every", type=int, default=1, metavar="K", help="run the face detector on every K-th frame"
    )
    p.add_argument(
        "--scale",
        type=float,
        default=1.8,
        help="window side = scale × the union face box's longer side (default 1.8; 1.0 = tight)",
    )
    p.add_argument(
        "--fit",
        choices=("shrink", "shift", "pad"),
        default="shrink",
        help="window leaving the frame: shrink it around the face (default), shift it inside "
        "(face may be off-centre), or pad with black",
    )
    p.add_argument("--detector", choices=tuple(DETECTORS), default="mediapipe")
    p.add_argument(
        "--resample",
        choices=("lanczos", "lanczos4"),
        default="lanczos",
        help="lanczos: PIL antialiased (default); lanczos4: OpenCV INTER_LANCZOS4 (VFHQ-like)",
    )
    p.add_argument(
        "--detect-size",
        type=int,
        default=640,
        help="detect on frames downscaled to this longer side (0 = full resolution)",
    )
    p.add_argument(
        "--min-face-ratio",
        type=float,
        default=0.5,
        help="fail a clip when faces are found in fewer of the examined frames (default 0.5)",
    )
    p.add_argument(
        "--fps",
        type=float,
        default=None,
        help="frame rate to record for every clip (default: the source video's; 25 for frame folders)",
    )
    p.add_argument(
        "--aligned",
        action="store_true",
        help="sources are already-aligned square faces: no detection, no crop; resized only when "
        "their side differs from --size",
    )
    p.add_argument("--overwrite", action="store_true", help="redo clips that are already prepared")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _load_record(path: Path) -> dict[str, Any]:
    from vfebench.errors import InputError

    if not path.exists():
        return {"schema": SCHEMA, "clips": {}}
    try:
        rec = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: unreadable ({exc}); delete it or choose another OUT") from exc
    if not isinstance(rec, dict) or not isinstance(rec.get("clips"), dict):
        raise InputError(f"{path}: not a vfebench prepare record; delete it or choose another OUT")
    return rec


def main(args: argparse.Namespace) -> int:
    """Run ``vfebench prepare`` with the parsed ``args``; returns the exit status."""
    from tqdm import tqdm

    from vfebench import __version__
    from vfebench.errors import InputError, VfebenchError
    from vfebench.facedetect import get_detector
    from vfebench.faceregion import clip_params, prepare_clip
    from vfebench.utils import atomic_write_json
    from vfebench.video import find_clip_paths, probe

    for name, v, lo in (("--size", args.size, 1), ("--detect-every", args.detect_every, 1)):
        if v < lo:
            raise InputError(f"{name} must be at least {lo}, got {v}")
    if args.max_frames is not None and args.max_frames < 1:
        raise InputError(f"--max-frames must be at least 1, got {args.max_frames}")
    if not args.scale > 0:
        raise InputError(f"--scale must be positive, got {args.scale}")
    if args.fps is not None and not 0 < args.fps < float("inf"):
        raise InputError(f"--fps must be a positive number, got {args.fps}")
    clips = find_clip_paths(args.src)
    out: Path = args.out
    if out.resolve() == Path(args.src).resolve():
        raise InputError(f"{out}: OUT must differ from SRC")
    out.mkdir(parents=True, exist_ok=True)
    rec_path = out / "prepare.json"
    record = _load_record(rec_path)
    record.update({"schema": SCHEMA, "vfebench_version": __version__, "src": str(args.src)})

    # one set of options for the recorded params and for every clip
    opts: dict = {"max_frames": args.max_frames, "resample": args.resample}
    if args.aligned:
        from vfebench.faceregion import aligned_params

        params = aligned_params(args.size, **opts)
    else:
        opts.update(
            scale=args.scale,
            fit=args.fit,
            detector=get_detector(args.detector),
            detect_every=args.detect_every,
            detect_size=args.detect_size or None,
            min_face_ratio=args.min_face_ratio,
        )
        params = clip_params(args.size, **opts)
    ok = skipped = 0
    failed: list[tuple[str, str]] = []
    bar = tqdm(total=len(clips), unit="clip", disable=args.quiet, file=sys.stderr, dynamic_ncols=True)
    try:
        for cid, path in clips:
            bar.set_postfix_str(cid[:40])
            dest = out / cid
            prev = record["clips"].get(cid) or {}
            done = dest.is_dir() and prev.get("status") == "ok"
            if done and not args.overwrite and prev.get("params") == params:
                if args.fps is not None and prev.get("fps") != args.fps:
                    prev.update(fps=args.fps, fps_from="--fps")  # a rate fix needs no re-crop
                    atomic_write_json(rec_path, record)
                skipped += 1
                bar.update(1)
                continue
            if dest.exists() and not args.overwrite:
                # never touch (or forget) what is there: report and move on
                why = "was prepared with other parameters" if done else "has no finished record"
                msg = f"{dest} exists but {why} in {rec_path.name}; pass --overwrite to redo it, or choose another OUT"
                failed.append((cid, msg))
                bar.write(f"vfebench prepare: {cid}: FAILED: {msg}", file=sys.stderr)
                bar.update(1)
                continue
            t0 = time.perf_counter()
            try:
                n_expect = probe(path).frames
                if args.max_frames:
                    n_expect = min(n_expect, args.max_frames) if n_expect else args.max_frames
                with tqdm(
                    total=2 * n_expect or None, unit="frame", leave=False, disable=args.quiet, file=sys.stderr
                ) as fbar:
                    if args.aligned:
                        from vfebench.faceregion import prepare_aligned

                        res = prepare_aligned(
                            path, dest, args.size, clip_id=cid, progress=fbar.update, **opts
                        )
                    else:
                        res = prepare_clip(path, dest, args.size, clip_id=cid, progress=fbar.update, **opts)
                res["seconds"] = round(time.perf_counter() - t0, 3)
                if args.fps is not None:
                    res.update(fps=args.fps, fps_from="--fps")
                else:
                    res["fps_from"] = "video" if Path(path).is_file() else "default (frame folder)"
                record["clips"][cid] = res
                ok += 1
            except VfebenchError as exc:
                record["clips"][cid] = {
                    "clip": cid,
                    "status": "failed",
                    "source": str(path),
                    "error": str(exc),
                    "params": params,
                }
                failed.append((cid, str(exc)))
                bar.write(f"vfebench prepare: {cid}: FAILED: {exc}", file=sys.stderr)
            atomic_write_json(rec_path, record)
            bar.update(1)
    finally:
        bar.close()
        if opts.get("detector") is not None:
            opts["detector"].close()
    from vfebench.faceregion import UPSCALE_WARN, upscale_factor

    ups = []
    for cid, _ in clips:
        r = record["clips"].get(cid) or {}
        f = upscale_factor(r) if r.get("status") == "ok" else None
        if f is not None and f > UPSCALE_WARN:
            ups.append(f"{cid} (×{f:.2f}: {r['window']['side']} px → {r['size']})")
    if ups:
        print(
            f"vfebench prepare: warning: {len(ups)} clip(s) upscaled by more than {UPSCALE_WARN - 1:.0%} "
            f"(their frames hold less detail than {args.size}² says): {', '.join(ups)}. "
            + (
                "Use a smaller --size, or drop such clips."
                if args.aligned
                else "Use a larger --scale or a smaller --size, or --aligned for sources that are already aligned faces."
            ),
            file=sys.stderr,
        )
    print(f"prepared {ok}, skipped {skipped} (already done), failed {len(failed)}; record: {rec_path}")
    for cid, err in failed:
        print(f"  FAILED {cid}: {err}")
    return 1 if failed else 0
