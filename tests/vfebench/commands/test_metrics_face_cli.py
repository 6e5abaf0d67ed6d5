"""`vfebench score PRED GT --metrics akd --json` on a face clip and a copy shifted by k pixels.

Skips until the score command (another helper's file) exists in this checkout.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("mediapipe")
cv2 = pytest.importorskip("cv2")
pytest.importorskip("vfebench.commands.score")


def _numbers(obj):
    """Every float in a JSON tree (counts are ints and are left out)."""
    if isinstance(obj, float):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _numbers(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _numbers(v)


def test_score_cli_akd_json(tmp_path):
    from skimage import data

    from vfebench.video import write_png_frames

    img = cv2.resize(data.astronaut(), (512, 512), interpolation=cv2.INTER_AREA)
    k = 8
    moved = cv2.warpAffine(img, np.float32([[1, 0, k], [0, 1, 0]]), (512, 512), borderMode=cv2.BORDER_REFLECT)
    write_png_frames(np.stack([img] * 2), tmp_path / "gt" / "clip")
    write_png_frames(np.stack([moved] * 2), tmp_path / "pred" / "clip")
    out = {}
    for name, pred in (("self", tmp_path / "gt" / "clip"), ("shift", tmp_path / "pred" / "clip")):
        cmd = [sys.executable, "-m", "vfebench", "score", str(pred), str(tmp_path / "gt" / "clip")]
        r = subprocess.run(cmd + ["--metrics", "akd", "--json"], capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        out[name] = list(_numbers(json.loads(r.stdout)))
    assert 0.0 in out["self"]
    want = k / 512
    assert any(abs(v - want) < 0.1 * want or abs(v - 1000 * want) < 100 * want for v in out["shift"]), out[
        "shift"
    ]
