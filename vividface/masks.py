"""Face masks: pixel masks per HQ frame and their latent alignment (paper Eq. 4–5).

- :func:`face_oval_masks`: the offline default ``M_p`` — MediaPipe FaceMesh (legacy
  ``solutions.face_mesh``, bundled with mediapipe 0.10.21) face-oval contour (its convex hull) filled per frame;
  frames without a detected face get an empty mask. (The paper uses BiSeNet face parsing; a
  parser can be plugged in through ``mask_fn`` wherever masks are computed.)
- :func:`latent_mask`: ``M_p`` (``…×T×H×W``, T = 4k+1, H, W multiples of 8) → ``M_l``
  (``…×(k+1)×H/8×W/8``): nearest-neighbour ×8 spatial downsample (the top-left pixel of each
  8×8 cell, ``F.interpolate(mode="nearest")``), then latent index 0 takes frame 0 and index
  i ≥ 1 the element-wise max over frames 4i−3 … 4i. :func:`expand_channels` replicates it over
  the latent channels.
"""

from __future__ import annotations

import numpy as np

from vfebench.errors import InputError


def latent_mask(mask):
    """Eq. 4–5. ``mask``: float/bool tensor ``…×T×H×W`` → float tensor ``…×(1+(T−1)/4)×H/8×W/8``."""
    import torch

    m = mask.float()
    t, h, w = m.shape[-3:]
    if (t - 1) % 4 or h % 8 or w % 8:
        raise InputError(f"latent_mask: need T = 4k+1 and H, W multiples of 8, got T={t}, H={h}, W={w}")
    m = m[..., ::8, ::8]  # nearest-neighbour ×8 downsample
    first = m[..., :1, :, :]
    if t == 1:
        return first
    rest = m[..., 1:, :, :]
    rest = rest.reshape(*rest.shape[:-3], (t - 1) // 4, 4, h // 8, w // 8).amax(dim=-3)
    return torch.cat([first, rest], dim=-3)


def expand_channels(mask_l, channels: int = 16):
    """``B×T×h×w`` → ``B×C×T×h×w`` (replicated)."""
    return mask_l.unsqueeze(1).expand(-1, channels, -1, -1, -1)


def face_oval_masks(frames: np.ndarray) -> np.ndarray:
    """MediaPipe face-oval masks: ``T×H×W×3`` uint8 RGB → ``T×H×W`` bool (first face per frame)."""
    import cv2

    from vfebench.utils import require

    mp = require("mediapipe", purpose="face-oval masks")
    fm = mp.solutions.face_mesh
    oval = sorted({i for edge in fm.FACEMESH_FACE_OVAL for i in edge})  # 36 contour landmarks
    t, h, w = frames.shape[:3]
    out = np.zeros((t, h, w), bool)
    with fm.FaceMesh(static_image_mode=True, max_num_faces=1, min_detection_confidence=0.5) as mesh:
        for i, f in enumerate(frames):
            res = mesh.process(np.ascontiguousarray(f))
            if not res.multi_face_landmarks:
                continue
            lm = res.multi_face_landmarks[0].landmark
            pts = np.array([[lm[j].x * w, lm[j].y * h] for j in oval], np.float32)
            hull = cv2.convexHull(pts).astype(np.int32)
            m = np.zeros((h, w), np.uint8)
            cv2.fillPoly(m, [hull], 1)
            out[i] = m.astype(bool)
    return out
