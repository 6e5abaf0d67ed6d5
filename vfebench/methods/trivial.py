"""Weight-free reference methods: the LQ clip upsampled to the GT size.

They let the whole flow (degrade → restore → score → report → gate) run on a fresh machine and
serve as the floor every real method must beat. ``identity`` returns the LQ unchanged when it
already has the target size and otherwise resizes with nearest neighbour (so it is still
comparable frame-for-frame against GT).

Output size (``bicubic:size=512``, ``bicubic:size=512x384`` (W×H), ``bicubic:scale=4``): with GT
the output is always the GT size (the runner checks it; a ``size``/``scale`` that disagrees fails
the clip with both sizes named). Without GT (real LQ) the output is the input size (×1, no
upscaling) unless ``size`` or ``scale`` asks for another: no-reference scores are then compared
at the resolution the clips came in. The rule is in the fingerprint (``output_size``), so
``run.json`` records which one a run used.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from vfebench.errors import InputError
from vfebench.methods.base import Method
from vfebench.video import Clip


def resize_frames(frames: np.ndarray, size: tuple[int, int], interpolation: int) -> np.ndarray:
    """Resize ``T×H×W×3`` uint8 frames to ``size=(H, W)`` with an OpenCV interpolation flag."""
    import cv2

    h, w = size
    if frames.shape[1:3] == (h, w):
        return frames
    return np.stack([cv2.resize(f, (w, h), interpolation=interpolation) for f in frames])


def parse_size(value: object) -> tuple[int, int]:
    """``512`` → ``(512, 512)``; ``"512x384"`` (W×H) → ``(384, 512)`` as ``(H, W)``."""
    text = str(value).lower().replace("×", "x")
    parts = text.split("x")
    try:
        nums = [int(p) for p in parts]
    except ValueError:
        nums = []
    if len(nums) not in (1, 2) or min(nums) < 1:
        raise InputError(f"size={value!r}: expected a positive integer (512) or WIDTHxHEIGHT (512x384)")
    w, h = (nums[0], nums[0]) if len(nums) == 1 else nums
    return h, w


class _Resize(Method):
    scale: ClassVar[int] = 4
    steps: ClassVar[int | None] = 0
    _flag: ClassVar[str] = "INTER_CUBIC"

    def __init__(self, **config) -> None:
        unknown = sorted(set(config) - {"size", "scale"})
        if unknown and type(self).__module__ == __name__:  # subclasses elsewhere add their own keys
            raise InputError(f"{self.name}: unknown option(s) {', '.join(unknown)}; it takes size= or scale=")
        if "size" in config and "scale" in config:
            raise InputError(f"{self.name}: give size= or scale=, not both")
        if "size" in config:
            parse_size(config["size"])
        if "scale" in config:
            k = config["scale"]
            if isinstance(k, bool) or not isinstance(k, (int, float)) or not k > 0:
                raise InputError(f"{self.name}: scale={k!r} must be a positive number")
        super().__init__(**config)

    def output_size(self, lq_size: tuple[int, int], target_size: tuple[int, int] | None) -> tuple[int, int]:
        """``size=`` or ``scale=`` × input when asked (with GT the runner then checks it is the
        GT size), else the GT size, else the input size."""
        if target_size is not None and not ({"size", "scale"} & set(self.config)):
            return target_size
        if "size" in self.config:
            return parse_size(self.config["size"])
        k = float(self.config.get("scale", 1))
        return (round(lq_size[0] * k), round(lq_size[1] * k))

    def output_rule(self) -> str:
        if "size" in self.config:
            h, w = parse_size(self.config["size"])
            return f"GT size; without GT {w}x{h}"
        if "scale" in self.config:
            return f"GT size; without GT x{self.config['scale']}"
        return "GT size; without GT x1 (input size)"

    def fingerprint(self):
        fp = super().fingerprint()
        fp["output_size"] = self.output_rule()
        return fp

    def restore(self, lq: Clip, target_size: tuple[int, int] | None = None) -> Clip:
        import cv2

        out = resize_frames(lq.frames, self.output_size(lq.size, target_size), getattr(cv2, self._flag))
        return Clip(lq.id, np.ascontiguousarray(out), lq.fps, {"method": self.name})


class Identity(_Resize):
    name = "identity"
    scale = 1
    _flag = "INTER_NEAREST"
    description = "LQ as is (nearest-neighbour to the GT size when sizes differ); size=, scale= without GT"


class Bicubic(_Resize):
    name = "bicubic"
    _flag = "INTER_CUBIC"
    description = "OpenCV bicubic to the GT size (no GT: input size, or size=512 / scale=4)"


class Lanczos(_Resize):
    name = "lanczos"
    _flag = "INTER_LANCZOS4"
    description = "OpenCV Lanczos-4 to the GT size (no GT: input size, or size=512 / scale=4)"
