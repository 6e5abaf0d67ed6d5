"""BFVR-STC (CVPR 2025): adapter running https://github.com/Dixin-Lab/BFVR-STC from its own checkout.

Regime A (aligned 512×512 faces in); see ``baselines/base.py`` and ``shared/specs/baselines.md``.
Checked against ``scripts/infer_bfvr.py`` at commit 9ac481b (``tests/data/baseline_cli/bfvr_stc.json``):

- the script reads at most 24 frames of its input video (``read_in_video_tensor`` stops at 24), and
  the 3-D VQ autoencoder halves time three times, so a window must be a multiple of 8 frames to
  come back at its own length. The adapter therefore runs the script once per 24-frame window: a
  clip of N ≥ 24 frames is cut into consecutive windows, the last one ending at frame N (it
  overlaps the previous window; only its new frames are kept); a clip shorter than 24 is padded to
  24 by repeating its last frame and the padding is dropped. Each window is a separate process
  (the model is loaded once per window).
- each window's output is min-max rescaled over the whole window (``transform_tensor_to_imgs``),
  so brightness can step at window boundaries. That is the method's own behaviour; it is recorded,
  not corrected.
- the only writer is an MJPG ``.avi`` at 24 fps. The adapter runs the script through
  ``baselines/tools/cv2_png_capture.py``, which replaces ``cv2.VideoWriter`` by a PNG frame
  writer, so the exact uint8 frames the method computed come back (no JPEG loss).
- the input is resized to 512×512 (bilinear) by the script and the writer is 512×512, so the
  output is always 512².
- weights ``weights/STC/ckpt-bfvr.pth`` are downloaded from the ``init`` release on first run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from baselines.base import BaselineWeight, ExternalMethod, py
from vfebench.video import Clip

CAPTURE = Path(__file__).resolve().parent / "tools" / "cv2_png_capture.py"


class BFVRSTC(ExternalMethod):
    name = "bfvr-stc"
    version = "2"  # 24-frame windows over the whole clip; lossless PNG capture of the writer
    description = "BFVR-STC (CVPR 2025)"
    repo_url = "Dixin-Lab/BFVR-STC"
    regime = "A"
    input_kind = "video"
    output_glob = "*_frames/*.png"
    output_is_video = False
    steps = 1
    scale = 1
    window: ClassVar[int] = 24  # frames the script reads per run (hard-coded in read_in_video_tensor)
    pinned_commit = "9ac481b410920fa78b3ce0fa77be451044d65989"
    entry_point = "scripts/infer_bfvr.py"
    weights = (
        BaselineWeight(
            "weights/STC/ckpt-bfvr.pth",
            "https://github.com/Dixin-Lab/BFVR-STC/releases/download/init/ckpt-bfvr.pth",
            None,  # no hash is published (README / release)
        ),
    )
    env_setup = (
        "conda env create -f environment.yaml -p ./.conda-env",
        "conda install -y -p ./.conda-env -c conda-forge dlib ffmpeg",
    )
    traps = (
        "the script reads only 24 frames: run in 24-frame windows (last window overlaps, short clips padded "
        "with the last frame); per-window min-max output rescaling (brightness may step between windows); "
        "its MJPG writer is replaced by a PNG capture of cv2.VideoWriter; output always 512x512"
    )

    def command(self, inp: Path, out: Path, lq: Clip) -> list[str]:
        """The inference script run through ``cv2_png_capture.py`` so its MJPG writer writes lossless PNGs."""
        return py(self, str(CAPTURE), self.entry_point, "-i", inp, "-o", out)

    def fingerprint(self) -> dict[str, Any]:
        """The adapter fingerprint plus the window length and the PNG-capture writer."""
        fp = super().fingerprint()
        fp.update(window=self.window, writer="png capture of cv2.VideoWriter")
        return fp

    def windows(self, n: int) -> list[tuple[int, int]]:
        """``(start, keep_from)`` per window: frames ``start:start+window`` run, ``keep_from:`` kept."""
        w = self.window
        if n <= w:
            return [(0, 0)]
        starts = list(range(0, n - w + 1, w))
        if starts[-1] + w < n:
            starts.append(n - w)
        return [(s, 0 if i == 0 else starts[i - 1] + w - s) for i, s in enumerate(starts)]

    def restore(self, lq: Clip, target_size: tuple[int, int] | None = None) -> Clip:
        """Restore the clip one 24-frame window per process (see :meth:`windows`) and join the kept frames.

        ``lq.frames`` is ``(T, h, w, 3)`` uint8; a clip shorter than a window is padded with its last
        frame and the padding dropped. Returns ``(T, 512, 512, 3)`` uint8 at the LQ fps.
        """
        n, w = lq.num_frames, self.window
        parts = []
        for start, keep_from in self.windows(n):
            frames = lq.frames[start : start + w]
            if len(frames) < w:  # short clip: pad to one window with its last frame
                frames = np.concatenate([frames, np.repeat(frames[-1:], w - len(frames), axis=0)])
            part = super().restore(lq.with_frames(np.ascontiguousarray(frames)), target_size)
            parts.append(part.frames[keep_from : min(w, n - start)])
        return Clip(lq.id, np.ascontiguousarray(np.concatenate(parts)), lq.fps, {"method": self.name})
