"""Pure functional cores of the metrics (numpy only unless a function says otherwise).

Each function takes frames in the canonical layout (``H×W×3`` or ``B×H×W×3`` uint8 RGB, or
float arrays on the 0..255 scale) and returns plain floats / float64 arrays. The metric
classes in :mod:`vfebench.metrics` are thin wrappers that add validation and aggregation.
"""

from vfebench.metrics.functional.psnr_ssim import psnr, rgb_to_y, ssim

__all__ = ["psnr", "ssim", "rgb_to_y"]
