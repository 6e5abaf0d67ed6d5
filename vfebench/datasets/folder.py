"""``folder`` and ``rfv``: any folder of videos or of frame folders.

- ``folder:PATH`` — the clips are ground truth (users' own HQ clips); runs degrade them with a
  preset, and reference metrics compare against them. Optional ``lq=PATH2``: a parallel folder
  with real LQ clips of the same ids (then no synthetic degradation is needed).
- ``rfv:PATH`` — real-world LQ clips with no ground truth (RFV-LQ and users' data): runs restore
  them as they are and only no-reference metrics apply.

Clip ids are the video file stem or the frame folder name. Two entries with the same id (e.g.
``a.mp4`` and ``a/``) are an error naming both.
"""

from __future__ import annotations

from pathlib import Path

from vfebench.datasets.base import PathSource
from vfebench.errors import InputError
from vfebench.video import Clip, find_clip_paths, read_clip


def scan_clips(root: str | Path) -> dict[str, Path]:
    """``{clip id: path}`` for every video file or frame folder directly inside ``root``."""
    root = Path(root)
    if not root.is_dir():
        raise InputError(
            f"{root}: dataset folder does not exist (expected a folder of videos or frame folders)"
        )
    return dict(find_clip_paths(root))


class FolderSource(PathSource):
    """A folder of GT clips (videos or frame folders); optional parallel LQ folder."""

    name = "folder"
    version = "1"
    has_gt = True

    def __init__(self, root: str, lq: str | None = None) -> None:
        self.root = Path(root)
        self._clips = scan_clips(self.root)
        self._lq = scan_clips(lq) if lq else None
        if self._lq is not None:
            missing = sorted(set(self._clips) - set(self._lq))
            if missing:
                raise InputError(f"{lq}: LQ clips missing for GT clips {missing[:5]} (ids must match {root})")

    def describe(self) -> dict:
        return {**super().describe(), "root": str(self.root), "lq": bool(self._lq)}

    def clip_ids(self) -> list[str]:
        return list(self._clips)

    def clip_path(self, clip_id: str) -> Path:
        try:
            return self._clips[clip_id]
        except KeyError:
            raise InputError(f"{self.root}: no clip {clip_id!r}") from None

    def load(self, clip_id: str, max_frames: int | None = None) -> Clip:
        return read_clip(self.clip_path(clip_id), clip_id, max_frames=max_frames)

    def load_lq(self, clip_id: str, max_frames: int | None = None) -> Clip | None:
        if self._lq is None:
            return None
        return read_clip(self._lq[clip_id], clip_id, max_frames=max_frames)


class RealLQSource(FolderSource):
    """Real-world LQ clips without ground truth (RFV-LQ style); no-reference metrics only."""

    name = "rfv"
    has_gt = False

    def __init__(self, root: str) -> None:
        super().__init__(root)

    def load_lq(self, clip_id: str, max_frames: int | None = None) -> Clip | None:
        return self.load(clip_id, max_frames)
