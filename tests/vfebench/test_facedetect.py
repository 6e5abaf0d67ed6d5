"""vfebench.facedetect: the one owner of face models (prepare and the face metrics).

- FaceAnalysis's stored face features equal, bit for bit, the facenet-pytorch MTCNN and
  MediaPipe FaceMesh called directly with the settings the features document (the pre-issue-17
  code path, restated here), and prepare's MTCNN equals facenet-pytorch's defaults + 0.9.
- FaceMesh landmark extraction read from the wire format vs the per-landmark path (issue 18).
- Clear errors: unknown detector names, bad settings, missing or too new dependencies.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

landmark_pb2 = pytest.importorskip("mediapipe.framework.formats.landmark_pb2")

from vfebench import facedetect as fd  # noqa: E402
from vfebench.errors import InputError, MissingDependencyError  # noqa: E402
from vfebench.facedetect import N_MESH, landmarks_array  # noqa: E402


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
        "from vfebench.facedetect import import_mediapipe\n"
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


# ----------------------------------------------------------------------------- same values as before
@pytest.fixture(scope="module")
def frames() -> np.ndarray:
    """A face, two smaller faces, and a blank frame (3×512×512×3 uint8)."""
    cv2 = pytest.importorskip("cv2")
    from skimage import data

    face = cv2.resize(data.astronaut(), (512, 512), interpolation=cv2.INTER_AREA)
    two = np.zeros_like(face)
    two[20:276, 0:256] = cv2.resize(face, (256, 256), interpolation=cv2.INTER_AREA)
    two[300:460, 330:490] = cv2.resize(face, (160, 160), interpolation=cv2.INTER_AREA)
    return np.stack([face, two, np.zeros_like(face)])


def test_face_mtcnn_feature_equals_facenet_called_directly(frames):
    torch = pytest.importorskip("torch")
    fp = pytest.importorskip("facenet_pytorch")
    from vfebench.metrics.base import FeatureStore
    from vfebench.metrics.features.faces import MTCNN_THRESHOLDS, FaceAnalysis
    from vfebench.video import Clip

    torch.set_num_threads(1)
    fa = FaceAnalysis(batch_size=2)
    got = fa.mtcnn(Clip("c", frames), FeatureStore())
    built = fa._get_mtcnn()._load()  # the facenet-pytorch model the feature ran
    assert (built.thresholds, built.min_face_size, built.select_largest) == ([0.6, 0.7, 0.8], 20, False)
    # the documented face_mtcnn procedure, without vfebench.facedetect
    mt = fp.MTCNN(keep_all=True, select_largest=False, min_face_size=20, thresholds=list(MTCNN_THRESHOLDS))
    found, box, prob, lm5, n = [], [], [], [], []
    for s in range(0, len(frames), 2):
        with torch.no_grad():
            b, p, pts = mt.detect(frames[s : s + 2], landmarks=True)
        for j in range(len(b)):
            ok = b[j] is not None and len(b[j]) > 0
            found.append(ok)
            n.append(len(b[j]) if ok else 0)
            box.append(b[j][0] if ok else np.full(4, np.nan))
            prob.append(p[j][0] if ok else np.nan)
            lm5.append(pts[j][0] if ok else np.full((5, 2), np.nan))
    assert found == [True, True, False] and n[:2] == [1, 2]
    want = {
        "found": np.array(found),
        "n_faces": np.array(n, np.int32),
        "box": np.array(box, np.float32),
        "prob": np.array(prob, np.float32),
        "lm5": np.array(lm5, np.float32),
    }
    for k, v in want.items():
        assert got[k].dtype == v.dtype and got[k].tobytes() == v.tobytes(), k


def test_face_mtcnn_bfvr_feature_equals_reference_procedure(frames):
    pytest.importorskip("torch")
    pytest.importorskip("facenet_pytorch")
    from vfebench.metrics.base import FeatureStore
    from vfebench.metrics.features import mtcnn_ref
    from vfebench.metrics.features.faces import FaceAnalysis
    from vfebench.video import Clip

    fa = FaceAnalysis()
    got = fa.mtcnn(Clip("c", frames[:2]), FeatureStore(), recipe="bfvr")
    nets = fa._get_mtcnn_ref()._nets  # the networks it loaded (facenet-pytorch's bundled weights)
    assert nets is not None
    for i, f in enumerate(frames[:2]):
        boxes, lms = mtcnn_ref.detect_faces(f, nets)
        assert got["found"][i] and got["n_faces"][i] == len(boxes)
        assert got["box"][i].tobytes() == boxes[0, :4].astype(np.float32).tobytes()
        assert got["prob"][i] == np.float32(boxes[0, 4])
        assert got["lm5"][i].tobytes() == lms[0].astype(np.float32).tobytes()


def test_face_mesh_feature_equals_facemesh_called_directly(frames):
    from vfebench.metrics.base import FeatureStore
    from vfebench.metrics.features.faces import FaceAnalysis
    from vfebench.video import Clip

    got = FaceAnalysis().mesh(Clip("c", frames), FeatureStore())
    mp = fd.import_mediapipe()
    with mp.solutions.face_mesh.FaceMesh(
        static_image_mode=True, max_num_faces=1, refine_landmarks=True, min_detection_confidence=0.5
    ) as fm:
        for i, f in enumerate(frames):
            faces = fm.process(f).multi_face_landmarks
            assert bool(got["found"][i]) == bool(faces)
            if faces:
                want = np.array([(p.x, p.y, p.z) for p in faces[0].landmark], np.float32)
                assert got["lm"][i].tobytes() == want.tobytes()
            else:
                assert np.isnan(got["lm"][i]).all()
    assert got["found"].tolist() == [True, False, False]  # FaceMesh misses the two smaller faces


def test_prepare_mtcnn_is_facenet_defaults_above_0_9(frames):
    torch = pytest.importorskip("torch")
    fp = pytest.importorskip("facenet_pytorch")

    torch.set_num_threads(1)
    mt = fp.MTCNN(keep_all=True)  # facenet-pytorch's defaults, as vfebench prepare always used
    with fd.MTCNNDetector() as det:
        assert det.describe() == {"name": "mtcnn", "min_confidence": 0.9, "package": "facenet-pytorch==2.5.3"}
        for f in frames:
            b, p, pts = mt.detect(f, landmarks=True)
            want = [] if b is None else [(tuple(map(float, x)), float(q)) for x, q in zip(b, p) if q >= 0.9]
            got = det(f)
            assert [(d.box, d.score) for d in got] == want
            for d, pt in zip(got, [] if pts is None else pts):
                assert d.landmarks is not None and d.landmarks.shape == (5, 2)
                np.testing.assert_array_equal(d.landmarks, pt)


# ----------------------------------------------------------------------------- settings and errors
def test_detector_names_settings_and_description():
    with pytest.raises(InputError, match=r"unknown face detector 'mtcn'.*Did you mean 'mtcnn'"):
        fd.get_detector("mtcn")
    assert isinstance(fd.get_detector("mtcnn", min_confidence=0.5), fd.MTCNNDetector)
    with pytest.raises(InputError, match=r"min_confidence must be in \[0, 1\], got 2"):
        fd.MTCNNDetector(min_confidence=2)
    with pytest.raises(InputError, match="three numbers in"):
        fd.MTCNNDetector(thresholds=(0.6, 0.7))
    with pytest.raises(InputError, match="min_face_size"):
        fd.MTCNNDetector(min_face_size=0)
    with pytest.raises(InputError, match="'auto', 'full' or 'short'"):
        fd.MediaPipeDetector(model="long")
    d = fd.MTCNNDetector(0.0, thresholds=(0.6, 0.7, 0.8), select_largest=False, min_face_size=30)
    desc = d.describe()
    assert desc["thresholds"] == [0.6, 0.7, 0.8] and desc["select_largest"] is False
    assert desc["min_face_size"] == 30


def test_missing_or_too_new_dependencies_name_the_fix(monkeypatch, frames):
    import types

    monkeypatch.setitem(sys.modules, "facenet_pytorch", None)  # "not installed"
    with pytest.raises(MissingDependencyError, match=r"facenet_pytorch.*vfebench\[face\]"):
        fd.MTCNNDetector()(frames[0])
    monkeypatch.setitem(sys.modules, "mediapipe", types.ModuleType("mediapipe"))  # no solutions API
    with pytest.raises(MissingDependencyError, match=r"legacy solutions API.*mediapipe==0.10.21"):
        fd.MediaPipeFaceMesh()(frames[0])
    with pytest.raises(MissingDependencyError, match="face detection"):
        fd.MediaPipeDetector()(frames[0])
