"""Extra layouts of a materialised LQ set, for running external methods on exactly our inputs.

An LQ set written by :func:`vfebench.degrade.lq.degrade_to_dir` already holds frame folders
``<root>/<clip>/%08d.png`` (what BasicVSR++, CodeFormer, KEEP, DicFace … take). This adds:

- ``<root>/_videos/<clip>.mp4`` — one lossless video per clip (``libx264rgb`` crf 0, RGB, no
  chroma subsampling; or ``ffv1`` in ``.mkv``) at the clip's recorded fps, for tools that only
  take video files (STAR, SVFR, PGTFormer, BFVR-STC);
- ``<root>/_upsampled-<interp>/<clip>/%08d.png`` — regime A (baselines.md): the ×4 LQ resized to
  the GT size with OpenCV ``linear`` (what KEEP's inference does), ``cubic``, ``lanczos`` or
  ``area``; with videos as well, ``<root>/_upsampled-<interp>/_videos/<clip>.mp4``.

``<root>/exports.json`` records every export: its folder, the interpolation (OpenCV flag), the
size, codec, fps, and the content hash of each clip's exported frames (which equal the LQ set's
frames for the plain layouts). Each file is written atomically; re-running rewrites them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from vfebench.degrade import ops
from vfebench.errors import InputError
from vfebench.utils import atomic_write_text
from vfebench.video import Clip, read_clip, write_png_frames, write_video

UPSAMPLE = {
    "linear": "INTER_LINEAR",
    "cubic": "INTER_CUBIC",
    "lanczos": "INTER_LANCZOS4",
    "area": "INTER_AREA",
}
VIDEO_EXT = {"libx264rgb": ".mp4", "ffv1": ".mkv"}


def _write_videos(clips: dict[str, Clip], folder: Path, codec: str) -> dict[str, str]:
    out = {}
    for cid, c in clips.items():
        p = write_video(c, folder / f"{cid}{VIDEO_EXT[codec]}", fps=c.fps, codec=codec)
        out[cid] = p.name
    return out


def export_lq(
    root: str | Path, video: bool = False, video_codec: str = "libx264rgb", upsample: str | None = None
) -> dict[str, Any]:
    """Write the extra layouts of the LQ set in ``root``; returns the ``exports.json`` content."""
    root = Path(root)
    man_path = root / "manifest.json"
    if not man_path.is_file():
        raise InputError(f"{root}: no manifest.json; degrade into it first (vfebench degrade … --out {root})")
    if video_codec not in VIDEO_EXT:
        raise InputError(f"video codec {video_codec!r} is not lossless here; use {' or '.join(VIDEO_EXT)}")
    if upsample is not None and upsample not in UPSAMPLE:
        raise InputError(f"--upsample {upsample!r}: use one of {', '.join(UPSAMPLE)}")
    man = json.loads(man_path.read_text())
    clips_meta: dict[str, dict] = man["clips"]
    for name in ("_videos", f"_upsampled-{upsample}"):
        if name in clips_meta:
            raise InputError(f"{root}: a clip is named {name!r}, which is an export folder; rename the clip")
    exports_path = root / "exports.json"
    exports = json.loads(exports_path.read_text()) if exports_path.is_file() else {}
    exports.update(preset=man["preset"], version=man["version"], seed=man["seed"])
    layouts: dict[str, Any] = exports.setdefault("layouts", {})
    lq = {}
    for cid, e in sorted(clips_meta.items()):
        c = read_clip(root / cid, cid)
        c.fps = float(e["params"].get("fps") or c.fps)
        lq[cid] = c
    layouts["frames"] = {"folder": ".", "pattern": "<clip>/%08d.png", "size": "LQ"}
    if video:
        names = _write_videos(lq, root / "_videos", video_codec)
        layouts["videos"] = {
            "folder": "_videos",
            "codec": f"{video_codec} ({'crf 0, rgb24' if video_codec == 'libx264rgb' else 'bgr0'}, lossless)",
            "files": names,
            "fps": {cid: c.fps for cid, c in lq.items()},
            "content_hashes": {cid: c.content_hash() for cid, c in lq.items()},
        }
    if upsample is not None:
        ups = {}
        for cid, c in lq.items():
            gh, gw = clips_meta[cid]["params"]["gt_size"]
            if c.size == (gh, gw):
                raise InputError(
                    f"{root}: clip {cid!r} is already at the GT size {gw}×{gh} "
                    f"({man['preset']} upsamples itself); --upsample is for the ×4 presets"
                )
            frames = np.stack([ops.resize(f, (gh, gw), upsample) for f in c.frames])
            ups[cid] = Clip(cid, frames, c.fps)
            write_png_frames(frames, root / f"_upsampled-{upsample}" / cid)
        entry: dict[str, Any] = {
            "folder": f"_upsampled-{upsample}",
            "pattern": "<clip>/%08d.png",
            "interpolation": f"{upsample} (OpenCV cv2.resize, cv2.{UPSAMPLE[upsample]}, on the uint8 LQ)",
            "size": "GT",
            "content_hashes": {cid: c.content_hash() for cid, c in ups.items()},
        }
        if video:
            entry["videos"] = _write_videos(ups, root / f"_upsampled-{upsample}" / "_videos", video_codec)
        layouts[f"upsampled-{upsample}"] = entry
    atomic_write_text(exports_path, json.dumps(exports, indent=1, sort_keys=True) + "\n")
    return exports
