"""``outputs``: score restored clips produced elsewhere (your own code, another machine).

``--method outputs:dir=PATH,name=LABEL`` reads, for every clip id of the run's LQ set, the
restored clip from ``PATH`` and hands it to the runner like any method's output: it is checked
for frame count and size (:func:`vfebench.runner.restore.validate_output`), stored in the run
cache, scored, and appears in the tables, the gate and the report under ``LABEL`` (default:
the folder's name). ``dir`` and ``name`` are plumbing: neither appears in the fingerprint.

Accepted layouts of ``PATH`` (the layouts ``vfebench degrade --out LQ [--video]`` writes, so
the loop is: export LQ → run your code on ``LQ/<clip>/`` or ``LQ/_videos/<clip>.mp4`` → write
the result with the same name under ``PATH`` → score):

- ``PATH/<clip>/`` — a folder of frames (``.png`` or any of
  :data:`vfebench.video.IMAGE_EXTS`), read in natural order (``1.png, 2.png, 10.png``);
- ``PATH/<clip>.<ext>`` — a video file (:data:`vfebench.video.VIDEO_EXTS`; use a lossless codec
  or the codec loss is scored as your method's);
- ``PATH/_videos/<clip>.<ext>`` — the same, inside a ``_videos`` folder.

One clip found in two layouts is an error (which one was meant?). A clip of the run with no
output in ``PATH`` fails with a reason naming the paths looked at; the others are scored.

Fingerprint: the method name, version and the sha256 of every output file (relative path +
bytes hash, over all clips found) and of the timing sidecar, so a changed folder is a different
method (new run id, new cache entries) and the same folder under another path or label is not.

Timing (optional): ``PATH/timing.json``::

    {"device": "NVIDIA A100-SXM4-80GB",        # free text, recorded
     "clips": {"clip_a": {"seconds": 12.5, "peak_mem_mb": 8123.0},
               "clip_b": 11.0}}                # a bare number = seconds

``seconds`` = wall-clock seconds your code spent restoring the clip (positive number);
``peak_mem_mb`` optional. Clips not listed — or no file at all — are recorded as not measured
(``seconds: null``; the method's ``timing_source`` in ``run.json`` says ``reported`` or
``not measured``). The time vfebench spends reading the files is never recorded as the method's.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

from vfebench.errors import InputError
from vfebench.methods.base import Method
from vfebench.utils import sha256_file
from vfebench.video import IMAGE_EXTS, VIDEO_EXTS, Clip, read_clip

TIMING_FILE = "timing.json"
VIDEO_FOLDER = "_videos"


def _frame_files(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTS]


def find_outputs(root: Path) -> dict[str, list[Path]]:
    """``{clip id: [candidate paths]}`` over the accepted layouts (several = ambiguous)."""
    found: dict[str, list[Path]] = {}
    for base in (root, root / VIDEO_FOLDER):
        if not base.is_dir():
            continue
        for p in sorted(base.iterdir()):
            if p.name.startswith(".") or p.name == TIMING_FILE:
                continue
            if p.is_file() and p.suffix.lower() in VIDEO_EXTS:
                found.setdefault(p.stem, []).append(p)
            elif p.is_dir() and base is root and p.name != VIDEO_FOLDER and _frame_files(p):
                found.setdefault(p.name, []).append(p)
    return found


def read_timing(path: Path) -> dict[str, Any]:
    """Parse and check ``timing.json`` (InputError naming the file and the bad entry)."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read it as JSON ({exc}); see docs/own-method.md") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("clips"), dict):
        raise InputError(f'{path}: expected {{"clips": {{"<clip id>": seconds, ...}}}} (docs/own-method.md)')
    clips: dict[str, dict[str, Any]] = {}
    for cid, v in doc["clips"].items():
        entry = v if isinstance(v, dict) else {"seconds": v}
        s, m = entry.get("seconds"), entry.get("peak_mem_mb")
        if isinstance(s, bool) or not isinstance(s, (int, float)) or not math.isfinite(s) or s <= 0:
            raise InputError(f"{path}: clip {cid!r}: seconds must be a positive number, got {s!r}")
        if m is not None and (isinstance(m, bool) or not isinstance(m, (int, float)) or m < 0):
            raise InputError(f"{path}: clip {cid!r}: peak_mem_mb must be a number ≥ 0, got {m!r}")
        clips[str(cid)] = {"seconds": float(s), "peak_mem_mb": None if m is None else float(m)}
    return {"device": doc.get("device"), "clips": clips}


class Outputs(Method):
    """Restored clips read from a folder (see the module docstring for layouts and timing)."""

    name = "outputs"
    version = "1"
    scale = 1
    steps = None
    description = "restored clips from a folder: outputs:dir=PATH,name=LABEL (docs/own-method.md)"
    isolation = "inprocess"  # it only reads files
    plumbing = ("dir", "name")
    timing = "reported"

    def __init__(self, **config: Any) -> None:
        unknown = sorted(set(config) - {"dir", "name"})
        if unknown:
            raise InputError(
                f"outputs: unknown option(s) {', '.join(unknown)}; use outputs:dir=PATH,name=LABEL"
            )
        if not config.get("dir"):
            raise InputError("outputs: no folder given; use --method outputs:dir=PATH,name=LABEL")
        super().__init__(**config)
        self.root = Path(str(config["dir"])).expanduser()
        if not self.root.is_dir():
            raise InputError(f"outputs: {self.root} is not a folder (--method outputs:dir=PATH)")
        self.found = find_outputs(self.root)
        if not self.found:
            raise InputError(
                f"outputs: {self.root} holds no restored clips (expected <clip>/ frame folders, <clip>.mp4 "
                f"or {VIDEO_FOLDER}/<clip>.mp4; docs/own-method.md)"
            )
        tp = self.root / TIMING_FILE
        self._timing = read_timing(tp) if tp.is_file() else None
        self._fp: dict[str, Any] | None = None

    @classmethod
    def spec_label(cls, name: str, config: dict[str, Any]) -> str:
        """``name=`` when given, else the folder's name (never its path)."""
        label = config.get("name") or Path(str(config.get("dir", "outputs"))).expanduser().resolve().name
        return str(label)

    def fingerprint(self) -> dict[str, Any]:
        """Name, version and the content hashes of every output file and of ``timing.json``."""
        if self._fp is None:
            h = hashlib.sha256()
            for cid in sorted(self.found):
                for p in sorted(
                    q for c in self.found[cid] for q in ([c] if c.is_file() else _frame_files(c))
                ):
                    h.update(f"{p.relative_to(self.root).as_posix()}:{sha256_file(p)}\n".encode())
            tp = self.root / TIMING_FILE
            fp = super().fingerprint()
            fp.update(
                outputs=h.hexdigest(),
                n_clips=len(self.found),
                timing_file=sha256_file(tp) if tp.is_file() else None,
            )
            self._fp = fp
        return dict(self._fp)

    def restore(self, lq: Clip, target_size: tuple[int, int] | None = None) -> Clip:
        """The stored restored clip of ``lq.id``, at the LQ clip's fps (``target_size`` is not used: the files
        are what they are).

        Raises ``InputError`` naming the folder when the clip is missing or stored twice.
        """
        cands = self.found.get(lq.id)
        if not cands:
            raise InputError(
                f"outputs {self.root}: no restored clip {lq.id!r} (looked for {lq.id}/ with frames, "
                f"{lq.id}.<video> and {VIDEO_FOLDER}/{lq.id}.<video>)"
            )
        if len(cands) > 1:
            raise InputError(
                f"outputs {self.root}: clip {lq.id!r} is there twice ({', '.join(str(c) for c in cands)}); "
                "keep one"
            )
        out = read_clip(cands[0], lq.id)
        return Clip(lq.id, out.frames, lq.fps, {"method": self.name, "source": str(cands[0])})

    def reported_timing(self, clip_id: str) -> dict[str, Any] | None:
        """The ``timing.json`` entry of ``clip_id`` (the method's own timing), or None when there is none."""
        if self._timing is None:
            return None
        return self._timing["clips"].get(clip_id)
