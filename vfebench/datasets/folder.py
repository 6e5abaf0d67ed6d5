"""``folder`` and ``rfv``: any folder of videos or of frame folders.

- ``folder:PATH`` — the clips are ground truth (users' own HQ clips); runs degrade them with a
  preset, and reference metrics compare against them. Optional ``lq=PATH2``: a parallel folder
  with real LQ clips of the same ids (then no synthetic degradation is needed).
- ``rfv:PATH`` — real-world LQ clips with no ground truth (RFV-LQ and users' data): runs restore
  them as they are and only no-reference metrics apply.

Clip ids are the video file stem or the frame folder name. Two entries with the same id (e.g.
``a.mp4`` and ``a/``) are an error naming both.

Frame rate of each clip, first match wins (``describe()`` records the value and where it came
from, so the run record shows it):

1. the ``fps=`` dataset option (``folder:PATH,fps=30``) — overrides everything;
2. ``PATH/prepare.json`` written by ``vfebench prepare`` (the source video's rate, or its
   ``--fps``);
3. a video file's own stream rate;
4. :data:`DEFAULT_FPS` (25.0) for frame folders that carry none.
"""

from __future__ import annotations

import json
from pathlib import Path

from vfebench.datasets.base import PathSource
from vfebench.errors import InputError
from vfebench.video import Clip, find_clip_paths, read_clip, video_fps

#: frame rate of a frame folder that states none (no prepare record, no ``fps=`` option)
DEFAULT_FPS = 25.0
PREPARE_RECORD = "prepare.json"


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

    def __init__(self, root: str, lq: str | None = None, fps: float | str | None = None) -> None:
        self.root = Path(root)
        self._clips = scan_clips(self.root)
        self._lq = scan_clips(lq) if lq else None
        if self._lq is not None:
            missing = sorted(set(self._clips) - set(self._lq))
            if missing:
                raise InputError(f"{lq}: LQ clips missing for GT clips {missing[:5]} (ids must match {root})")
        self._fps_override = _parse_fps(fps, f"dataset {self.name}:{root}") if fps is not None else None
        self._prepared = _prepared_fps(self.root)
        self._fps_cache: dict[str, tuple[float, str]] = {}

    def clip_fps(self, clip_id: str) -> tuple[float, str]:
        """``(fps, where it came from)``: ``"fps option"``, ``"prepare.json"``, ``"video"`` or ``"default"``."""
        if clip_id not in self._fps_cache:
            path = self.clip_path(clip_id)
            if self._fps_override is not None:
                v = (self._fps_override, "fps option")
            elif clip_id in self._prepared:
                v = (self._prepared[clip_id], PREPARE_RECORD)
            elif path.is_file():
                try:
                    v = (video_fps(path), "video")
                except InputError:  # unreadable: the clip itself fails (with the reason) when loaded
                    v = (DEFAULT_FPS, "default (video unreadable)")
            else:
                v = (DEFAULT_FPS, "default")
            self._fps_cache[clip_id] = v
        return self._fps_cache[clip_id]

    def describe(self) -> dict:
        """The base description plus the root, whether LQ clips ship, and each clip's fps and where it came
        from."""
        fps = {cid: self.clip_fps(cid) for cid in self.clip_ids()}
        return {
            **super().describe(),
            "root": str(self.root),
            "lq": bool(self._lq),
            "fps": {cid: v[0] for cid, v in fps.items()},
            "fps_from": {cid: v[1] for cid, v in fps.items()},
            "default_fps": DEFAULT_FPS,
        }

    def clip_ids(self) -> list[str]:
        """Clip ids of the videos and frame folders directly inside the root, in natural sort order."""
        return list(self._clips)

    def clip_path(self, clip_id: str) -> Path:
        """The video file or frame folder of ``clip_id``; ``InputError`` naming the root when unknown."""
        try:
            return self._clips[clip_id]
        except KeyError:
            raise InputError(f"{self.root}: no clip {clip_id!r}") from None

    def _with_fps(self, clip: Clip) -> Clip:
        clip.fps, clip.meta["fps_from"] = self.clip_fps(clip.id)
        return clip

    def load(self, clip_id: str, max_frames: int | None = None) -> Clip:
        """Read the clip with its fps from :meth:`clip_fps` (``meta["fps_from"]`` says where it came from)."""
        return self._with_fps(read_clip(self.clip_path(clip_id), clip_id, max_frames=max_frames))

    def load_lq(self, clip_id: str, max_frames: int | None = None) -> Clip | None:
        """The shipped LQ clip of ``clip_id`` (same fps as its GT clip), or None when the folder has no LQ."""
        if self._lq is None:
            return None
        return self._with_fps(read_clip(self._lq[clip_id], clip_id, max_frames=max_frames))


class RealLQSource(FolderSource):
    """Real-world LQ clips without ground truth (RFV-LQ style); no-reference metrics only."""

    name = "rfv"
    has_gt = False

    def __init__(self, root: str, fps: float | str | None = None) -> None:
        super().__init__(root, fps=fps)

    def load_lq(self, clip_id: str, max_frames: int | None = None) -> Clip | None:
        """The clip itself: a real-LQ folder's clips are the inputs."""
        return self.load(clip_id, max_frames)


def _parse_fps(value: float | str, where: str) -> float:
    try:
        fps = float(value)
    except (TypeError, ValueError):
        fps = float("nan")
    if not fps > 0 or fps == float("inf"):
        raise InputError(f"{where}: fps must be a positive number, got {value!r} (e.g. fps=30 or fps=29.97)")
    return fps


def _prepared_fps(root: Path) -> dict[str, float]:
    """``{clip id: fps}`` from ``root/prepare.json`` (clips prepared successfully); {} when absent."""
    rec_path = root / PREPARE_RECORD
    if not rec_path.is_file():
        return {}
    try:
        rec = json.loads(rec_path.read_text())
        clips = rec["clips"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(
            f"{rec_path}: unreadable prepare record ({exc}); re-run vfebench prepare or delete it"
        ) from exc
    out = {}
    for cid, c in clips.items():
        if isinstance(c, dict) and c.get("status") == "ok" and c.get("fps"):
            out[cid] = _parse_fps(c["fps"], f"{rec_path} (clip {cid})")
    return out
