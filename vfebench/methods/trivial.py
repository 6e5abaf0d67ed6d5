"""Weight-free reference methods: the LQ clip upsampled to the GT size.

They let the whole flow (degrade → restore → score → report → gate) run on a fresh machine and
serve as the floor every real method must beat. ``identity`` returns the LQ unchanged when it
already has the target size and otherwise resizes with nearest neighbour (so it is still
comparable frame-for-frame against GT).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from vfebench.methods.base import Method
from vfebench.video import Clip


def resize_frames(frames: np.ndarray, size: tuple[int, int], interpolation: int) -> np.ndarray:
    """Resize ``T×H×W×3`` uint8 frames to ``size=(H, W)`` with an OpenCV interpolation flag."""
    import cv2

    h, w = size
    if frames.shape[1:3] == (h, w):
        return frames
    return np.stack([cv2.resize(f, (w, h), interpolation=interpolation) for f in frames])


class _Resize(Method):
    scale: ClassVar[int] = 4
    steps: ClassVar[int | None] = 0
    _flag: ClassVar[str] = "INTER_CUBIC"

    def restore(self, lq: Clip, target_size: tuple[int, int] | None = None) -> Clip:
        import cv2

        if target_size is None:
            target_size = (lq.size[0] * self.scale, lq.size[1] * self.scale)
        out = resize_frames(lq.frames, target_size, getattr(cv2, self._flag))
        return Clip(lq.id, np.ascontiguousarray(out), lq.fps, {"method": self.name})


class Identity(_Resize):
    name = "identity"
    scale = 1
    _flag = "INTER_NEAREST"
    description = "LQ as is (nearest-neighbour to the GT size when sizes differ)"


class Bicubic(_Resize):
    name = "bicubic"
    _flag = "INTER_CUBIC"
    description = "LQ upsampled to the GT size with OpenCV bicubic"


class Lanczos(_Resize):
    name = "lanczos"
    _flag = "INTER_LANCZOS4"
    description = "LQ upsampled to the GT size with OpenCV Lanczos-4"
