"""``vfhq``: the VFHQ-test tree.

Layout (protocol.md): ``<root>/GT/Interval1_512x512_LANCZOS4/<clip>/00000000.png …`` with clip
names ``Clip+<ytid>+P<n>+C<n>+F<a>-<b>``. YouTube ids may start with ``-`` or ``_`` and may
contain them, so names are split on ``+`` only. ``root`` may be the VFHQ-test root, its ``GT``
folder, or the folder that directly holds the clip folders.

The LQ layout of the official archive is unknown: ``lq=SUBSET`` (a folder name under ``root``,
or a path) accepts any ``<subset>/<clip>/*.png`` tree or one video file per clip; missing LQ clips
are an error naming them.
"""

from __future__ import annotations

import re
from pathlib import Path

from vfebench.datasets.folder import FolderSource
from vfebench.errors import InputError
from vfebench.video import Clip

_FRAMES = re.compile(r"^F(\d+)-(\d+)$")


def parse_clip_name(name: str) -> dict:
    """Split a VFHQ clip name on ``+``: ``{ytid, person, clip, first, last}`` (best effort).

    >>> parse_clip_name("Clip+-_aB3+P0+C1+F100-250")["ytid"]
    '-_aB3'
    """
    parts = name.split("+")
    out: dict = {"name": name}
    if len(parts) >= 5 and parts[0] == "Clip":
        out["ytid"] = "+".join(parts[1:-3])  # ids never contain '+', but stay safe
        out["person"], out["clip"] = parts[-3], parts[-2]
        m = _FRAMES.match(parts[-1])
        if m:
            out["first"], out["last"] = int(m.group(1)), int(m.group(2))
    return out


def _find_clip_dir(root: Path) -> Path:
    gt = root / "GT"
    base = gt if gt.is_dir() else root
    subs = [p for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")] if base.is_dir() else []
    # VFHQ-test: GT/Interval1_512x512_LANCZOS4/<clip>/*.png — descend while the level holds no clips
    for _ in range(3):
        if any(p.name.startswith("Clip+") for p in subs) or not subs:
            return base
        if len(subs) == 1 or any(p.name.startswith("Interval") for p in subs):
            pick = next((p for p in subs if p.name.startswith("Interval")), subs[0])
            base = pick
            subs = [p for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")]
        else:
            return base
    return base


class VFHQSource(FolderSource):
    """VFHQ-test: 512×512 GT clips (``Clip+<ytid>+P+C+F`` folders), optional LQ subset."""

    name = "vfhq"
    version = "1"
    has_gt = True

    def __init__(self, root: str, lq: str | None = None, fps: float | str | None = None) -> None:
        base = Path(root)
        if not base.is_dir():
            raise InputError(
                f"{root}: VFHQ-test root not found (expected GT/Interval1_512x512_LANCZOS4/<clip>/)"
            )
        self.clip_dir = _find_clip_dir(base)
        lq_path = None
        if lq:
            lq_path = str(Path(lq) if Path(lq).is_absolute() else base / lq)
        super().__init__(str(self.clip_dir), lq_path, fps=fps)
        self.root = base

    def describe(self) -> dict:
        """The base description plus ``clip_dir``."""
        return {**super().describe(), "clip_dir": str(self.clip_dir)}

    def load(self, clip_id: str, max_frames: int | None = None) -> Clip:
        """Read the clip and add the fields parsed from its VFHQ name to ``meta``."""
        clip = super().load(clip_id, max_frames)
        clip.meta.update(parse_clip_name(clip_id))
        return clip
