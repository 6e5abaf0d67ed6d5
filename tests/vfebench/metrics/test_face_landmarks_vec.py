"""FaceMesh landmark extraction read from the wire format vs the per-landmark path (issue 18)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

landmark_pb2 = pytest.importorskip("mediapipe.framework.formats.landmark_pb2")

from vfebench.metrics.features.faces import N_MESH, landmarks_array  # noqa: E402


def _per_landmark(msg) -> np.ndarray:  # the pre-issue-18 extraction
    return np.array([(p.x, p.y, p.z) for p in msg.landmark], dtype=np.float32)


def _msg(values: np.ndarray, **extra):
    m = landmark_pb2.NormalizedLandmarkList()
    for x, y, z in values:
        m.landmark.add(x=float(x), y=float(y), z=float(z), **extra)
    return m


@pytest.mark.parametrize("seed", range(5))
def test_wire_read_equals_per_landmark(seed):
    rng = np.random.default_rng(seed)
    v = np.column_stack([rng.random(N_MESH), rng.random(N_MESH), rng.normal(0, 0.05, N_MESH)])
    v[::7] *= -1  # negative and out-of-frame coordinates
    v[::11] *= 3
    m = _msg(v)
    got = landmarks_array(m)
    assert got.dtype == np.float32 and got.shape == (N_MESH, 3)
    assert np.array_equal(got, _per_landmark(m))
    assert np.array_equal(got, v.astype(np.float32))


def test_fallbacks_zero_coordinate_visibility_and_empty():
    rng = np.random.default_rng(9)
    v = rng.random((N_MESH, 3))
    v[5, 2] = 0.0  # proto3 omits a zero field: the wire layout differs, the fallback reads it
    m = _msg(v)
    assert np.array_equal(landmarks_array(m), _per_landmark(m))
    m = _msg(rng.random((10, 3)), visibility=0.5)
    assert np.array_equal(landmarks_array(m), _per_landmark(m))
    assert landmarks_array(landmark_pb2.NormalizedLandmarkList()).shape == (0, 3)


def test_mediapipe_import_leaves_matplotlib_unimported_until_used():
    code = (
        "import sys\n"
        "from vfebench.metrics.features.faces import import_mediapipe\n"
        "mp = import_mediapipe()\n"
        "assert hasattr(mp.solutions, 'face_mesh')\n"
        "assert type(sys.modules['matplotlib.pyplot']).__name__ == '_DeferredModule'\n"
        "assert 'matplotlib.figure' not in sys.modules\n"
        "import matplotlib.pyplot as plt\n"
        "assert callable(plt.figure) and 'matplotlib.figure' in sys.modules\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr[-2000:]
