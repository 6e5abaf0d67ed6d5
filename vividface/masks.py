"""Face masks: pixel masks per HQ frame and their latent alignment (paper Eq. 4–5).

- :func:`face_oval_masks`: the offline default ``M_p`` — MediaPipe FaceMesh (legacy
  ``solutions.face_mesh``, bundled with mediapipe 0.10.21) face-oval contour (its convex hull) filled per frame;
  frames without a detected face get an empty mask.
- :class:`MaskBuilder`: the ``M_p`` builder used by training. Sources (:data:`MASK_SOURCES`):
  ``parser`` (the paper's BiSeNet face parser, :mod:`vividface.parsing`, weights = asset
  ``bisenet_face_parsing`` or a path; face labels configurable), ``mediapipe`` (face oval above;
  ``face_oval`` is an alias), ``auto`` (the parser when its weights are present, else
  ``mediapipe``), and the developer sources ``ellipse`` and ``none``. :meth:`MaskBuilder.describe`
  is what runs record (requested and resolved source, parser weights hash, face labels).
- :func:`latent_mask`: ``M_p`` (``…×T×H×W``, T = 4k+1, H, W multiples of 8) → ``M_l``
  (``…×(k+1)×H/8×W/8``): nearest-neighbour ×8 spatial downsample (the top-left pixel of each
  8×8 cell, ``F.interpolate(mode="nearest")``), then latent index 0 takes frame 0 and index
  i ≥ 1 the element-wise max over frames 4i−3 … 4i. :func:`expand_channels` replicates it over
  the latent channels.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vfebench.errors import InputError

#: mask sources accepted by :class:`MaskBuilder` (``face_oval`` = ``mediapipe``, kept for old configs)
MASK_SOURCES = ("auto", "parser", "mediapipe", "face_oval", "ellipse", "none")


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


def ellipse_masks(t: int, h: int, w: int) -> np.ndarray:
    """A centred ellipse over the middle of each frame (``T×H×W`` bool): developer/test masks."""
    yy, xx = np.mgrid[:h, :w]
    m = ((yy - (h - 1) / 2) / (0.35 * h)) ** 2 + ((xx - (w - 1) / 2) / (0.3 * w)) ** 2 <= 1.0
    return np.broadcast_to(m, (t, h, w)).copy()


def resolve_mask_source(source: str, parser_weights: str | os.PathLike | None = None) -> str:
    """The concrete source for ``source``: ``parser``, ``mediapipe``, ``ellipse`` or ``none``.

    ``auto`` → ``parser`` when ``parser_weights`` is given or the ``bisenet_face_parsing`` asset is
    present (and verified), else ``mediapipe``. An explicit ``parser_weights`` that does not exist
    is an error for ``auto`` and ``parser`` alike (it was asked for by name).
    """
    if source not in MASK_SOURCES:
        raise InputError(f"unknown mask source {source!r}; choose one of {MASK_SOURCES}")
    if parser_weights is not None and not Path(parser_weights).is_file():
        raise InputError(
            f"parser_weights {str(parser_weights)!r}: no such file (79999_iter.pth of "
            "zllrunning/face-parsing.PyTorch, or leave it unset to use the bisenet_face_parsing asset)"
        )
    if source == "face_oval":
        return "mediapipe"
    if source == "auto":
        from vfebench.assets import is_present
        from vividface.parsing import PARSER_ASSET

        return "parser" if parser_weights is not None or is_present(PARSER_ASSET) else "mediapipe"
    return source


class MaskBuilder:
    """Pixel face masks ``M_p``: ``T×H×W×3`` uint8 RGB frames → ``T×H×W`` bool.

    Args:
        source: one of :data:`MASK_SOURCES` (resolved once, at construction: see
            :func:`resolve_mask_source`).
        face_labels: CelebAMask-HQ labels that form the parser mask (``None`` →
            :data:`vividface.parsing.DEFAULT_FACE_LABELS`); ignored by other sources.
        parser_weights: parser weights file; ``None`` → the ``bisenet_face_parsing`` asset.
        device, batch_size, input_size: parser network device, frames per forward, square input.
    """

    def __init__(
        self,
        source: str = "auto",
        face_labels: Sequence[str | int] | None = None,
        parser_weights: str | os.PathLike | None = None,
        device: str = "cpu",
        batch_size: int = 8,
        input_size: int = 512,
    ):
        from vividface.parsing import face_label_ids

        self.source = source
        self.resolved = resolve_mask_source(source, parser_weights)
        self.face_labels = face_label_ids(face_labels)  # validated even when unused
        self.parser_weights = parser_weights
        self.device = device
        self.batch_size = batch_size
        self.input_size = input_size
        self._parser = None
        self._described: dict[str, Any] | None = None

    def _weights_path(self) -> Path:
        if self.parser_weights is not None:
            return Path(self.parser_weights)
        from vfebench.assets import asset_path
        from vividface.parsing import PARSER_ASSET

        return asset_path(PARSER_ASSET)  # MissingAssetError with the fix when absent

    @property
    def parser(self):
        """The :class:`~vividface.parsing.FaceParser` (built on first use; ``parser`` source only)."""
        if self._parser is None:
            from vividface.parsing import FaceParser

            self._parser = FaceParser(
                self._weights_path(),
                face_labels=self.face_labels,
                device=self.device,
                batch_size=self.batch_size,
                input_size=self.input_size,
            )
        return self._parser

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        if frames.ndim != 4 or frames.shape[-1] != 3:
            raise InputError(f"face masks need T×H×W×3 frames, got shape {frames.shape}")
        t, h, w = frames.shape[:3]
        if self.resolved == "parser":
            return self.parser.masks(frames)
        if self.resolved == "mediapipe":
            return face_oval_masks(frames)
        if self.resolved == "ellipse":
            return ellipse_masks(t, h, w)
        return np.ones((t, h, w), bool)

    def describe(self) -> dict[str, Any]:
        """What produced the masks (recorded in latents manifests and training summaries)."""
        if self._described is not None:
            return dict(self._described)
        d: dict[str, Any] = {"source": self.source, "resolved": self.resolved}
        if self.resolved == "parser":
            from vfebench.utils import sha256_file
            from vividface.parsing import CELEBAMASK_LABELS

            p = self._weights_path()
            d.update(
                parser="bisenet-celebamaskhq-19",
                weights=p.name,
                weights_sha256=sha256_file(p),
                face_labels=[CELEBAMASK_LABELS[i] for i in self.face_labels],
                input_size=self.input_size,
            )
        self._described = d
        return dict(d)
