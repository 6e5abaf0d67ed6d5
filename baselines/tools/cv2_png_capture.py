"""Run a method's script with ``cv2.VideoWriter`` replaced by a lossless PNG frame writer.

Usage (the method's own python, from its checkout): ``python cv2_png_capture.py SCRIPT ARGS...``.
The script runs as ``__main__`` with ``sys.argv = [SCRIPT, *ARGS]``; every ``cv2.VideoWriter(path,
fourcc, fps, size)`` it opens writes ``<path without extension>_frames/%08d.png`` instead of an
encoded video, so a method whose only writer is a lossy codec (BFVR-STC: MJPG) hands back the
exact uint8 frames it computed. Nothing else about the script changes.
"""

from __future__ import annotations

import os
import runpy
import sys


class PNGFrameWriter:
    """Drop-in for the part of ``cv2.VideoWriter`` that writer code uses (write/release/isOpened)."""

    def __init__(self, filename, *args, **kwargs):  # fourcc, fps, frameSize, isColor are ignored
        root, _ = os.path.splitext(str(filename))
        self.dir = root + "_frames"
        os.makedirs(self.dir, exist_ok=True)
        self.count = 0

    def isOpened(self):  # noqa: N802 (cv2's spelling)
        """Always True: the frame folder was created in ``__init__``."""
        return True

    def write(self, frame):
        """Write one ``(H, W, 3)`` uint8 BGR frame (as ``cv2.imwrite`` takes it) as the next ``%08d.png``;
        ``OSError`` if it fails."""
        import cv2

        path = os.path.join(self.dir, f"{self.count:08d}.png")
        if not cv2.imwrite(path, frame):
            raise OSError(f"could not write {path}")
        self.count += 1

    def release(self):
        """Nothing to flush: every frame is already a file."""
        pass


def main(argv: list[str]) -> None:
    """Run ``argv[0]`` as ``__main__`` with ``argv`` as ``sys.argv`` and ``cv2.VideoWriter`` replaced by
    :class:`PNGFrameWriter`."""
    if not argv:
        raise SystemExit("usage: cv2_png_capture.py SCRIPT [ARGS...]")
    import cv2

    cv2.VideoWriter = PNGFrameWriter  # the script's `cv2.VideoWriter(...)` now resolves here
    sys.argv = list(argv)
    sys.path[0] = os.path.dirname(os.path.abspath(argv[0]))  # as `python SCRIPT` would set it
    runpy.run_path(argv[0], run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
