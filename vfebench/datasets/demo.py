"""``demo``: an embedded dataset generated deterministically on first use — nothing downloaded.

Source image: scikit-image's ``astronaut`` (a real 512×512 portrait photograph, NASA, public
domain) that ships inside a core dependency. Each clip animates a face-centred window of it with
plausible head motion — smooth translation, a small rotation, zoom and a slight brightness drift —
rendered by one Lanczos affine warp per frame from the original photo (no accumulated
resampling). Motion parameters come from ``seed_from("demo", version, clip id)``.

Default: 3 clips × 33 frames at 512×512, cached as PNG frames under
``<cache root>/datasets/demo-v<version>/``. ``DemoSource(num_clips=…, num_frames=…, size=…)``
makes other shapes (tests use small ones).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from vfebench.datasets.base import PathSource
from vfebench.errors import InputError
from vfebench.utils import cache_root, seed_from
from vfebench.video import Clip, list_frame_files, read_clip, write_png_frames

CLIP_NAMES = ("astronaut_a", "astronaut_b", "astronaut_c", "astronaut_d", "astronaut_e", "astronaut_f")
#: face-centred window of the photograph: centre (x, y) and side, in source pixels
FACE_CENTRE = (225.0, 130.0)
FACE_SIDE = 280.0


def _motion(clip_id: str, version: str, t: np.ndarray) -> dict[str, np.ndarray]:
    """Smooth per-frame motion curves (sums of two sinusoids with clip-specific phases)."""
    rng = np.random.default_rng(seed_from("demo", version, clip_id))

    def curve(amplitude: float) -> np.ndarray:
        f1, f2 = rng.uniform(0.02, 0.06), rng.uniform(0.06, 0.12)  # cycles per frame
        p1, p2 = rng.uniform(0, 2 * math.pi, size=2)
        a1 = rng.uniform(0.6, 1.0) * amplitude
        return a1 * np.sin(2 * math.pi * f1 * t + p1) + 0.3 * amplitude * np.sin(2 * math.pi * f2 * t + p2)

    return {
        "dx": curve(12.0),  # source pixels
        "dy": curve(8.0),
        "angle": curve(3.0),  # degrees
        "zoom": 1.0 + curve(0.04),
        "gain": 1.0 + curve(0.03),  # brightness drift
    }


def render_demo_clip(clip_id: str, num_frames: int = 33, size: int = 512, version: str = "1") -> np.ndarray:
    """Render one demo clip: ``(num_frames, size, size, 3)`` uint8 RGB, 0..255.

    The face of scikit-image's astronaut photo, moved, rotated, zoomed and brightened along a path
    drawn from ``clip_id`` and ``version`` (same arguments, same frames).
    """
    import cv2
    from skimage import data

    photo = data.astronaut()  # 512×512×3 uint8 RGB
    m = _motion(clip_id, version, np.arange(num_frames, dtype=np.float64))
    frames = np.empty((num_frames, size, size, 3), np.uint8)
    for i in range(num_frames):
        cx, cy = FACE_CENTRE[0] + m["dx"][i], FACE_CENTRE[1] + m["dy"][i]
        scale = size / (FACE_SIDE / m["zoom"][i])  # output px per source px
        # rotate/scale about the moving face centre, then move that centre to the output centre
        a = cv2.getRotationMatrix2D((cx, cy), float(m["angle"][i]), scale)
        a[0, 2] += size / 2 - cx
        a[1, 2] += size / 2 - cy
        warped = cv2.warpAffine(
            photo, a, (size, size), flags=cv2.INTER_LANCZOS4, borderMode=cv2.BORDER_REFLECT_101
        )
        frames[i] = np.clip(np.round(warped.astype(np.float32) * m["gain"][i]), 0, 255).astype(np.uint8)
    return frames


class DemoSource(PathSource):
    """Embedded demo: a real portrait animated with head motion (generated, cached; GT only)."""

    name = "demo"
    version = "1"
    has_gt = True

    def __init__(
        self, num_clips: int = 3, num_frames: int = 33, size: int = 512, root: str | None = None
    ) -> None:
        if not 1 <= int(num_clips) <= len(CLIP_NAMES):
            raise InputError(f"demo: num_clips must be 1..{len(CLIP_NAMES)}, got {num_clips}")
        if int(num_frames) < 1 or int(size) < 16:
            raise InputError(f"demo: need num_frames ≥ 1 and size ≥ 16, got {num_frames}, {size}")
        self.num_clips, self.num_frames, self.size = int(num_clips), int(num_frames), int(size)
        base = Path(root) if root else cache_root() / "datasets"
        self.root = base / f"demo-v{self.version}-{self.num_frames}f-{self.size}px"

    def describe(self) -> dict:
        """The base description plus ``num_clips``, ``num_frames`` and ``size``."""
        return {
            **super().describe(),
            "num_clips": self.num_clips,
            "num_frames": self.num_frames,
            "size": self.size,
        }

    def clip_ids(self) -> list[str]:
        """The first ``num_clips`` demo clip names."""
        return list(CLIP_NAMES[: self.num_clips])

    def clip_path(self, clip_id: str) -> Path:
        """Frame folder of ``clip_id`` under the demo root, rendered (PNG frames) when absent or incomplete.

        Raises ``InputError`` listing the clips when ``clip_id`` is not one of :meth:`clip_ids`.
        """
        if clip_id not in self.clip_ids():
            raise InputError(f"demo has no clip {clip_id!r}; clips: {', '.join(self.clip_ids())}")
        p = self.root / clip_id
        if not p.is_dir() or len(list_frame_files(p) if p.is_dir() else []) != self.num_frames:
            write_png_frames(render_demo_clip(clip_id, self.num_frames, self.size, self.version), p)
        return p

    def load(self, clip_id: str, max_frames: int | None = None) -> Clip:
        """Read the demo clip (rendered on first use) at 25 fps, ``meta["dataset"] = "demo"``."""
        clip = read_clip(self.clip_path(clip_id), clip_id, max_frames=max_frames)
        clip.fps = 25.0
        clip.meta["dataset"] = "demo"
        return clip
