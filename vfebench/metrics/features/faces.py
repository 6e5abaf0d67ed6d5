"""One face-analysis pass per clip, shared by IDS, AKD, TLME and FaceCons.

Each component runs at most once per clip content (``FeatureStore`` key = kind, version, clip
content hash), whichever metric asks first; the others, later runs and reports read the stored
arrays. Models are loaded once per process (:func:`get_analysis`); the face detectors and
FaceMesh are built by :mod:`vfebench.facedetect` (the one owner of face models, shared with
``vfebench prepare``) with the settings below.

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
from pathlib import Path
from typing import Any

import numpy as np

from vfebench.errors import InputError
from vfebench.facedetect import N_MESH, Detection, MediaPipeFaceMesh, MTCNNDetector, MTCNNRefDetector
from vfebench.metrics import reduced_precision
from vfebench.metrics.base import FeatureStore
from vfebench.utils import require
from vfebench.video import Clip

ANALYSIS_SIZE = 512
MTCNN_VERSION = "1"
MESH_VERSION = "1"
ARCFACE_VERSION = "1"
CLIP_VERSION = "1"
MTCNN_THRESHOLDS = (0.6, 0.7, 0.8)
#: frames per CLIP ViT call: on CPU a whole 33-frame clip in one call was the fastest batch
#: (issue 18's profile; 8 was slower per frame); memory is ~0.2 MB per frame at 224²
CLIP_BATCH = 64


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
        self._mtcnn: MTCNNDetector | None = None
        self._mtcnn_ref: MTCNNRefDetector | None = None
        self._mesh: MediaPipeFaceMesh | None = None
        self._nets: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ models
    def _get_mtcnn(self) -> MTCNNDetector:
        """The ``face_mtcnn`` detector (:mod:`vfebench.facedetect`): thresholds 0.6/0.7/0.8,
        min face 20 px, every face kept, most probable first."""
        if self._mtcnn is None:
            self._mtcnn = MTCNNDetector(
                min_confidence=0.0,
                device=self.device,
                thresholds=MTCNN_THRESHOLDS,
                min_face_size=20,
                select_largest=False,
            )
        return self._mtcnn

    def _get_mtcnn_ref(self) -> MTCNNRefDetector:
        """The ``face_mtcnn_bfvr`` detector (the IDS reference's MTCNN procedure)."""
        if self._mtcnn_ref is None:
            self._mtcnn_ref = MTCNNRefDetector(self.device)
        return self._mtcnn_ref

    def _get_mesh(self) -> MediaPipeFaceMesh:
        if self._mesh is None:
            self._mesh = MediaPipeFaceMesh()
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
        """MTCNN boxes, probabilities and 5 landmarks of every frame (first face), at 512×512.

        Returns ``found`` (T,) bool, ``n_faces`` (T,) int32, ``box`` (T,4) float32 x1,y1,x2,y2 px,
        ``prob`` (T,) float32 in [0, 1], ``lm5`` (T,5,2) float32 px; NaN rows where not found.
        ``recipe="bfvr"``: the IDS reference's detector procedure (``face_mtcnn_bfvr``)."""
        if recipe == "bfvr":
            return store.get("face_mtcnn_bfvr", MTCNN_VERSION, clip, self._compute_mtcnn_bfvr)
        if recipe != "clean":
            raise InputError(f"unknown MTCNN recipe {recipe!r} (clean or bfvr)")
        return store.get("face_mtcnn", MTCNN_VERSION, clip, self._compute_mtcnn)

    def _compute_mtcnn_bfvr(self, clip: Clip) -> dict[str, np.ndarray]:
        det = self._get_mtcnn_ref()
        frames = frames_512(clip)
        out = _no_faces(len(frames))
        with self._lock:
            for i, fr in enumerate(frames):
                _store_first_face(out, i, det(fr))
        return out

    def _compute_mtcnn(self, clip: Clip) -> dict[str, np.ndarray]:
        det = self._get_mtcnn()
        frames = frames_512(clip)
        t = len(frames)
        out = _no_faces(t)
        with self._lock:
            for s in range(0, t, self.batch_size):
                for j, faces in enumerate(det.detect_batch(frames[s : s + self.batch_size])):
                    _store_first_face(out, s + j, faces)
        return out

    def mesh(self, clip: Clip, store: FeatureStore) -> dict[str, np.ndarray]:
        """MediaPipe FaceMesh 478 refined landmarks of every frame, at 512×512: ``found`` (T,)
        bool, ``lm`` (T,478,3) float32 (x/W, y/H, relative z; NaN where not found)."""
        return store.get("face_mesh", MESH_VERSION, clip, self._compute_mesh)

    def _compute_mesh(self, clip: Clip) -> dict[str, np.ndarray]:
        fm = self._get_mesh()
        frames = frames_512(clip)
        t = len(frames)
        found = np.zeros(t, bool)
        lm = np.full((t, N_MESH, 3), np.nan, np.float32)
        with self._lock:
            for i, fr in enumerate(frames):
                pts = fm(fr)
                if pts is not None:
                    lm[i] = pts
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

        Returns ``found`` (T,) bool (the :meth:`mtcnn` ``found`` of the same recipe) and ``emb``
        (T, 512) float32, each found row of L2 norm 1, NaN rows where no face was found. Faces
        are aligned from the 512×512 frames to 112×112 and embedded by :meth:`embed_faces`;
        ``backend``: ``ir_se50`` (``weights`` a torch checkpoint) or ``insightface`` (an ONNX
        model). ``recipe``: ``clean`` (facenet-pytorch MTCNN, direct least-squares alignment) or ``bfvr``
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
        """Unit-norm CLIP image embeddings of whole frames (FaceCons).

        Returns ``emb`` (T, E) float32 with rows of L2 norm 1, E the checkpoint's embedding size
        (512 for ViT-B/32). The clip's own frames (not the 512×512 ones) are preprocessed to
        the tower's S×S input by ``preprocess``: ``clean`` (CLIP's resize, crop and mean/std)
        or ``evalcrafter`` (bilinear resize of 0..255 values; ``antialias`` applies to it
        alone). ``dtype``: ``bf16``/``fp16`` autocast (stored apart). Unknown ``preprocess``
        raises :class:`InputError`."""
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


def _store_first_face(out: dict[str, np.ndarray], i: int, faces: list[Detection]) -> None:
    """Write the first of frame ``i``'s detections (most probable first) into ``out``
    (the arrays of :func:`_no_faces`); nothing when the frame has none."""
    if not faces:
        return
    first = faces[0]
    out["found"][i] = True
    out["n_faces"][i] = len(faces)
    out["box"][i] = first.box
    out["prob"][i] = first.score
    out["lm5"][i] = first.landmarks
