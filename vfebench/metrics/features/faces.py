"""One face-analysis pass per clip, shared by IDS, AKD, TLME and FaceCons.

Each component runs at most once per clip content (``FeatureStore`` key = kind, version, clip
content hash), whichever metric asks first; the others, later runs and reports read the stored
arrays. Models are loaded once per process (:func:`get_analysis`).

Frames are analysed at 512×512: clips of another size are resized first with OpenCV bilinear
(``cv2.resize`` default), as BFVR-STC's ``read_frames`` does before both IDS and AKD.

Components (all arrays are numpy; frame ``t`` without a face has ``found[t] = False`` and NaN
rows):

``face_mtcnn`` — facenet-pytorch 2.5.3 MTCNN (P/R/O-Net weights bundled with the package),
    thresholds 0.6/0.7/0.8 and min face 20 px as TreB1eN's ``mtcnn.py`` used by BFVR-STC
    (facenet-pytorch's default O-Net threshold is 0.7). Faces are ordered by detection
    probability and the **first** (most confident) is used, like the reference's
    ``landmarks[0]``. Keys: ``found`` (T,) bool, ``n_faces`` (T,) int32, ``box`` (T,4) float32
    x1,y1,x2,y2 px, ``prob`` (T,), ``lm5`` (T,5,2) float32 px (left eye, right eye, nose, mouth
    left, mouth right).
``face_mtcnn_bfvr`` — the same keys from the IDS reference's MTCNN procedure (TreB1eN's port as
    BFVR-STC runs it: pyramid factor 0.707, PIL bilinear resizes, its P-Net softmax axis; see
    :mod:`vfebench.metrics.features.mtcnn_ref`) on facenet-pytorch's bundled weights. Used by
    the IDS compat modes ``bfvr`` / ``bfvr_bug``.
``face_mesh`` — MediaPipe 0.10.21 legacy FaceMesh (``static_image_mode=True``,
    ``refine_landmarks=True``, ``max_num_faces=1``, ``min_detection_confidence=0.5``): 478
    landmarks in MediaPipe's normalised coordinates (x/W, y/H, z). BFVR-STC asks for up to 3 faces
    and takes ``multi_face_landmarks[0]``; in static mode that is the detection with the highest
    score, the one ``max_num_faces=1`` returns. Keys: ``found`` (T,), ``lm`` (T,478,3) float32.
``arcface_<backend>`` — identity embeddings of the MTCNN-aligned 112×112 face (see
    :mod:`vfebench.metrics.features.arcface`): ``found`` (T,), ``emb`` (T,512) float32 unit norm.
    ``arcface_<backend>_bfvr``: the same from ``face_mtcnn_bfvr`` landmarks with the reference's
    alignment (template → image fit, inverted; ``align_faces(recipe="bfvr")``).
    Backends: ``ir_se50`` (our IR-SE50, ``model_ir_se50.pth``) and ``insightface`` (an insightface
    ArcFace ONNX model such as ``buffalo_l/w600k_r50.onnx`` through onnxruntime; input RGB,
    ``(x − 127.5)/127.5``).
``clip_<preprocess>`` — CLIP ViT-B/32 image embeddings of whole frames: ``emb`` (T,512) float32
    unit norm. ``preprocess`` is ``clean`` or ``evalcrafter`` (see
    :mod:`vfebench.metrics.features.clip_vit`).

The versions below are bumped whenever any stored value would change.
"""

from __future__ import annotations

import os
import threading
import types
from pathlib import Path
from typing import Any

import numpy as np

from vfebench.errors import ComponentFailed, InputError
from vfebench.metrics import reduced_precision
from vfebench.metrics.base import FeatureStore
from vfebench.utils import require
from vfebench.video import Clip

ANALYSIS_SIZE = 512
N_MESH = 478
MTCNN_VERSION = "1"
MESH_VERSION = "1"
ARCFACE_VERSION = "1"
CLIP_VERSION = "1"
MTCNN_THRESHOLDS = (0.6, 0.7, 0.8)
#: frames per CLIP ViT call: on CPU a whole 33-frame clip in one call was the fastest batch
#: (issue 18's profile; 8 was slower per frame); memory is ~0.2 MB per frame at 224²
CLIP_BATCH = 64


#: wire layout of one ``NormalizedLandmark`` holding x, y, z only (fields 1–3, fixed32 floats):
#: submessage tag 0x0A, length 15, then tag 0x0D + x, 0x15 + y, 0x1D + z (little-endian)
_LANDMARK_WIRE = np.dtype(
    [
        ("tag", "u1"),
        ("len", "u1"),
        ("tx", "u1"),
        ("x", "<f4"),
        ("ty", "u1"),
        ("y", "<f4"),
        ("tz", "u1"),
        ("z", "<f4"),
    ]
)


def landmarks_array(landmark_list) -> np.ndarray:
    """``N×3`` float32 (x, y, z) of a MediaPipe ``NormalizedLandmarkList`` message.

    Reads the message's serialised bytes as one numpy record array when every landmark holds
    exactly x, y and z (FaceMesh's output); otherwise (a coordinate equal to 0 is omitted from
    the wire, or visibility/presence are set) falls back to reading each landmark. Equal to
    ``[(p.x, p.y, p.z) for p in landmark_list.landmark]`` in both cases."""
    pts = landmark_list.landmark
    n = len(pts)
    buf = landmark_list.SerializeToString()
    if len(buf) == _LANDMARK_WIRE.itemsize * n:
        r = np.frombuffer(buf, _LANDMARK_WIRE)
        if (
            (r["tag"] == 0x0A).all()
            and (r["len"] == 15).all()
            and (r["tx"] == 0x0D).all()
            and (r["ty"] == 0x15).all()
            and (r["tz"] == 0x1D).all()
        ):
            return np.stack([r["x"], r["y"], r["z"]], axis=1)
    return np.array([(p.x, p.y, p.z) for p in pts], dtype=np.float32).reshape(n, 3)


class _DeferredModule(types.ModuleType):
    """Placeholder in ``sys.modules`` that imports the real module on first attribute use."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.__spec__ = None  # read by the import system; must not trigger the import

    def __getattr__(self, attr: str):
        import importlib
        import sys

        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        real = importlib.import_module(self.__name__)
        self.__dict__.update(real.__dict__)
        return getattr(real, attr)


def import_mediapipe():
    """``import mediapipe`` without importing matplotlib: mediapipe's drawing utilities import
    ``matplotlib.pyplot`` at module level (1.5–3 s measured on this loaded 2-core machine) and
    FaceMesh never draws, so matplotlib and pyplot are placeholders that import the real modules
    the first time anything reads an attribute of them."""
    import sys

    if "mediapipe" not in sys.modules and "matplotlib" not in sys.modules:
        # ``import matplotlib.pyplot as plt`` imports the package, then reads its ``pyplot``
        # attribute: both are placeholders until something else touches them
        mpl, plt = _DeferredModule("matplotlib"), _DeferredModule("matplotlib.pyplot")
        mpl.__dict__["pyplot"] = plt
        sys.modules["matplotlib"], sys.modules["matplotlib.pyplot"] = mpl, plt
    return require("mediapipe", purpose="FaceMesh landmarks (AKD, TLME)")


def frames_512(clip: Clip) -> np.ndarray:
    """``T×512×512×3`` uint8 frames (bilinear resize when the clip has another size)."""
    if clip.size == (ANALYSIS_SIZE, ANALYSIS_SIZE):
        return clip.frames
    import cv2

    return np.stack([cv2.resize(f, (ANALYSIS_SIZE, ANALYSIS_SIZE)) for f in clip.frames])


def _weights_tag(path: str | os.PathLike) -> str:
    from vfebench.assets import file_sha256

    return file_sha256(Path(path))[:16]


class FaceAnalysis:
    """Face models of one process/device, loaded lazily and shared by all face metrics."""

    def __init__(self, device: str = "cpu", batch_size: int = 8) -> None:
        self.device = device
        self.batch_size = batch_size
        self._mtcnn = None
        self._ref_nets: tuple[Any, Any, Any] | None = None  # mtcnn_ref P/R/O-Nets, loaded lazily
        self._mesh = None
        self._nets: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ models
    def _get_mtcnn(self):
        if self._mtcnn is None:
            require("torch", purpose="face analysis")
            fp = require("facenet_pytorch", purpose="MTCNN face detection (IDS)")
            self._mtcnn = fp.MTCNN(
                keep_all=True,
                select_largest=False,
                min_face_size=20,
                thresholds=list(MTCNN_THRESHOLDS),
                device=self.device,
            )
        return self._mtcnn

    def _get_mesh(self):
        if self._mesh is None:
            os.environ.setdefault("GLOG_minloglevel", "2")
            mp = import_mediapipe()
            if not hasattr(mp, "solutions"):
                from vfebench.errors import MissingDependencyError

                raise MissingDependencyError(
                    f"mediapipe {getattr(mp, '__version__', '?')} lacks the legacy solutions.face_mesh API; "
                    "pip install mediapipe==0.10.21 (pip install 'vfebench[face]')"
                )
            self._mesh = mp.solutions.face_mesh.FaceMesh(
                static_image_mode=True,
                max_num_faces=1,
                refine_landmarks=True,
                min_detection_confidence=0.5,
            )
        return self._mesh

    def _get_net(self, kind: str, path: Path):
        key = (kind, str(path))
        if key not in self._nets:
            if kind == "ir_se50":
                from vfebench.metrics.nets.ir_se import load_ir_se

                self._nets[key] = load_ir_se(path, self.device)
            elif kind == "insightface":
                ort = require("onnxruntime", purpose="insightface ArcFace ONNX backend")
                self._nets[key] = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
            elif kind == "clip":
                from vfebench.metrics.nets.clip_vit import load_clip_vit

                self._nets[key] = load_clip_vit(path, self.device)
            else:
                raise InputError(f"unknown face network {kind!r}")
        return self._nets[key]

    # ------------------------------------------------------------------ components
    def mtcnn(self, clip: Clip, store: FeatureStore, recipe: str = "clean") -> dict[str, np.ndarray]:
        """MTCNN boxes, probabilities and 5 landmarks of every frame (first face).

        ``recipe="bfvr"``: the IDS reference's detector procedure (``face_mtcnn_bfvr``)."""
        if recipe == "bfvr":
            return store.get("face_mtcnn_bfvr", MTCNN_VERSION, clip, self._compute_mtcnn_bfvr)
        if recipe != "clean":
            raise InputError(f"unknown MTCNN recipe {recipe!r} (clean or bfvr)")
        return store.get("face_mtcnn", MTCNN_VERSION, clip, self._compute_mtcnn)

    def _compute_mtcnn_bfvr(self, clip: Clip) -> dict[str, np.ndarray]:
        from vfebench.metrics.features import mtcnn_ref
        from vfebench.metrics.nets.mtcnn import load_mtcnn_nets

        if self._ref_nets is None:
            require("facenet_pytorch", purpose="MTCNN face detection (IDS)")
            self._ref_nets = load_mtcnn_nets(self.device)
        nets = self._ref_nets
        assert nets is not None  # loaded just above
        frames = frames_512(clip)
        t = len(frames)
        out = _no_faces(t)
        with self._lock:
            for i, fr in enumerate(frames):
                boxes, lms = mtcnn_ref.detect_faces(np.ascontiguousarray(fr), nets, self.device)
                if not len(boxes):
                    continue
                out["found"][i] = True
                out["n_faces"][i] = len(boxes)
                out["box"][i] = boxes[0, :4]
                out["prob"][i] = boxes[0, 4]
                out["lm5"][i] = lms[0]
        return out

    def _compute_mtcnn(self, clip: Clip) -> dict[str, np.ndarray]:
        import torch

        det = self._get_mtcnn()
        frames = frames_512(clip)
        t = len(frames)
        out = _no_faces(t)
        with self._lock, torch.no_grad():
            for s in range(0, t, self.batch_size):
                batch = frames[s : s + self.batch_size]
                boxes, probs, lms = det.detect(batch, landmarks=True)
                for j in range(len(batch)):
                    if boxes[j] is None or len(boxes[j]) == 0:
                        continue
                    i = s + j
                    out["found"][i] = True
                    out["n_faces"][i] = len(boxes[j])
                    out["box"][i] = boxes[j][0]
                    out["prob"][i] = probs[j][0]
                    out["lm5"][i] = lms[j][0]
        return out

    def mesh(self, clip: Clip, store: FeatureStore) -> dict[str, np.ndarray]:
        """MediaPipe FaceMesh 478 refined landmarks (normalised x, y, z) of every frame."""
        return store.get("face_mesh", MESH_VERSION, clip, self._compute_mesh)

    def _compute_mesh(self, clip: Clip) -> dict[str, np.ndarray]:
        fm = self._get_mesh()
        frames = frames_512(clip)
        t = len(frames)
        found = np.zeros(t, bool)
        lm = np.full((t, N_MESH, 3), np.nan, np.float32)
        with self._lock:
            for i, fr in enumerate(frames):
                res = fm.process(np.ascontiguousarray(fr))
                faces = res.multi_face_landmarks
                if not faces:
                    continue
                n = len(faces[0].landmark)
                if n != N_MESH:
                    raise ComponentFailed(f"FaceMesh returned {n} landmarks, expected {N_MESH}")
                lm[i] = landmarks_array(faces[0])
                found[i] = True
        return {"found": found, "lm": lm}

    def arcface(
        self,
        clip: Clip,
        store: FeatureStore,
        weights: str | os.PathLike,
        backend: str = "ir_se50",
        recipe: str = "clean",
        dtype: str | None = None,
    ) -> dict[str, np.ndarray]:
        """Unit-norm identity embeddings of the MTCNN-aligned face of every frame.

        ``recipe``: ``clean`` (facenet-pytorch MTCNN, direct least-squares alignment) or ``bfvr``
        (the reference's MTCNN procedure and cp2tform alignment). ``dtype``: ``bf16``/``fp16``
        autocast of the network (:mod:`vfebench.metrics.reduced_precision`; stored apart)."""
        if backend not in ("ir_se50", "insightface"):
            from vfebench.errors import InputError

            raise InputError(f"unknown identity backend {backend!r}; use ir_se50 or insightface")
        weights = Path(weights)
        version = f"{ARCFACE_VERSION}-{MTCNN_VERSION}-{_weights_tag(weights)}{reduced_precision.tag(dtype)}"
        det = self.mtcnn(clip, store, recipe)

        def compute(c: Clip) -> dict[str, np.ndarray]:
            from vfebench.metrics.features.arcface import align_faces

            frames = frames_512(c)
            found = det["found"].copy()
            emb = np.full((len(frames), 512), np.nan, np.float32)
            idx = np.flatnonzero(found)
            for s in range(0, len(idx), self.batch_size):
                ii = idx[s : s + self.batch_size]
                faces = align_faces(frames[ii], det["lm5"][ii].astype(np.float64), recipe=recipe)
                emb[ii] = self.embed_faces(faces, weights, backend, dtype)
            return {"found": found, "emb": emb}

        kind = f"arcface_{backend}" + ("_bfvr" if recipe == "bfvr" else "")
        return store.get(kind, version, clip, compute)

    def embed_faces(
        self, faces: np.ndarray, weights: Path, backend: str = "ir_se50", dtype: str | None = None
    ) -> np.ndarray:
        """``B×112×112×3`` uint8 aligned faces → ``B×512`` float32 unit-norm embeddings."""
        if backend == "ir_se50":
            import torch

            from vfebench.metrics.features.arcface import to_arcface_input

            net = self._get_net("ir_se50", weights)
            with torch.no_grad(), reduced_precision.autocast(self.device, dtype):
                e = net(to_arcface_input(faces).to(self.device)).float().cpu().numpy()
        else:
            sess = self._get_net("insightface", weights)
            x = (faces.astype(np.float32) - 127.5) / 127.5
            x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
            name = sess.get_inputs()[0].name
            e = np.concatenate([sess.run(None, {name: x[k : k + 1]})[0] for k in range(len(x))])
        e = e.reshape(len(faces), -1).astype(np.float64)
        e /= np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)
        return e.astype(np.float32)

    def clip_embed(
        self,
        clip: Clip,
        store: FeatureStore,
        weights: str | os.PathLike,
        preprocess: str = "clean",
        antialias: bool = False,
        dtype: str | None = None,
    ) -> dict[str, np.ndarray]:
        """Unit-norm CLIP image embeddings of whole frames (FaceCons)."""
        from vfebench.metrics.features import clip_vit

        weights = Path(weights)
        tag = preprocess + ("-aa" if (preprocess == "evalcrafter" and antialias) else "")
        version = f"{CLIP_VERSION}-{_weights_tag(weights)}{reduced_precision.tag(dtype)}"

        def compute(c: Clip) -> dict[str, np.ndarray]:
            import torch

            net = self._get_net("clip", weights)
            size = int(net.image_size)
            embs = []
            with torch.no_grad(), reduced_precision.autocast(self.device, dtype):
                for s in range(0, c.num_frames, CLIP_BATCH):
                    fr = c.frames[s : s + CLIP_BATCH]
                    if preprocess == "clean":
                        x = clip_vit.preprocess_clean(fr, size)
                    elif preprocess == "evalcrafter":
                        x = clip_vit.preprocess_evalcrafter(fr, size, antialias=antialias)
                    else:
                        raise InputError(f"unknown CLIP preprocess {preprocess!r} (clean or evalcrafter)")
                    embs.append(net(x.to(self.device)).float().cpu().numpy())
            e = np.concatenate(embs).astype(np.float64)
            e /= np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)
            return {"emb": e.astype(np.float32)}

        return store.get(f"clip_{tag}", version, clip, compute)


_ANALYSES: dict[str, FaceAnalysis] = {}


def get_analysis(device: str = "cpu") -> FaceAnalysis:
    """The process-wide :class:`FaceAnalysis` of ``device`` (models loaded once, shared)."""
    if device not in _ANALYSES:
        _ANALYSES[device] = FaceAnalysis(device)
    return _ANALYSES[device]


def _no_faces(t: int) -> dict[str, np.ndarray]:
    """The MTCNN feature of ``t`` frames before detection: nothing found, boxes/landmarks NaN."""
    return {
        "found": np.zeros(t, bool),
        "n_faces": np.zeros(t, np.int32),
        "box": np.full((t, 4), np.nan, np.float32),
        "prob": np.full(t, np.nan, np.float32),
        "lm5": np.full((t, 5, 2), np.nan, np.float32),
    }
