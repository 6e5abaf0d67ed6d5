"""Face detectors and landmarkers: the one place vfebench builds face models.

Two users read faces from here:

- ``vfebench prepare`` and vividface curation (:mod:`vfebench.faceregion`) take **boxes** from a
  :class:`FaceDetector` picked by name (:func:`get_detector`, :data:`DETECTORS`);
- the face metrics (:mod:`vfebench.metrics.features.faces`: IDS, AKD, TLME) take **boxes and
  5-point landmarks** from :class:`MTCNNDetector` (their own thresholds) or
  :class:`MTCNNRefDetector` (the IDS reference's procedure), and the **478-point mesh** from
  :class:`MediaPipeFaceMesh`.

Every class constructs its model lazily, on the first call, with the settings documented on it
(weights ship inside the pip packages; nothing is downloaded), and :meth:`close` frees it.
Detectors return :class:`Detection` lists: ``box`` ``(x0, y0, x1, y1)`` in float pixels of the
frame passed in (``x`` right, ``y`` down; MTCNN boxes may reach a little outside the frame),
``score`` in [0, 1] and, for the MTCNN detectors, ``landmarks`` ``5×2`` float64 pixels (left
eye, right eye, nose, mouth left, mouth right). Frames are ``H×W×3`` uint8 RGB 0..255.

Optional dependencies are imported on first use; a missing one raises
:class:`~vfebench.errors.MissingDependencyError` naming the ``pip install`` fix. MediaPipe is
imported without matplotlib (:func:`import_mediapipe`).
"""

from __future__ import annotations

import abc
import os
import types
from collections.abc import Sequence
from typing import Any, NamedTuple, cast

import numpy as np

from vfebench.errors import ComponentFailed, InputError, MissingDependencyError
from vfebench.utils import require

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 (pixels, x1/y1 exclusive)

#: facenet-pytorch's own MTCNN defaults (P/R/O-Net probability thresholds, smallest face in px)
MTCNN_DEFAULT_THRESHOLDS = (0.6, 0.7, 0.7)
MTCNN_DEFAULT_MIN_FACE = 20
#: landmarks of MediaPipe FaceMesh with ``refine_landmarks=True`` (468 + 10 iris points)
N_MESH = 478


class Detection(NamedTuple):
    """One face in one frame.

    Attributes:
        box: ``(x0, y0, x1, y1)`` float pixels of the frame the detector saw.
        score: detection probability in [0, 1].
        landmarks: ``5×2`` float64 pixels (left eye, right eye, nose, mouth left, mouth right)
            for the MTCNN detectors, ``None`` for MediaPipe face detection.
    """

    box: Box
    score: float
    landmarks: np.ndarray | None = None


# ----------------------------------------------------------------------------- mediapipe import
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


def import_mediapipe(purpose: str = "FaceMesh landmarks (AKD, TLME)"):
    """``import mediapipe`` without importing matplotlib; the module, with the legacy API checked.

    mediapipe's drawing utilities import ``matplotlib.pyplot`` at module level (1.5–3 s measured
    on a loaded 2-core machine) and vfebench never draws, so matplotlib and pyplot are
    placeholders that import the real modules the first time anything reads an attribute of
    them. Raises :class:`MissingDependencyError` (naming ``purpose`` and the fix) when mediapipe
    is missing or lacks the legacy ``solutions`` API (mediapipe > 0.10.21)."""
    import sys

    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "mediapipe" not in sys.modules and "matplotlib" not in sys.modules:
        # ``import matplotlib.pyplot as plt`` imports the package, then reads its ``pyplot``
        # attribute: both are placeholders until something else touches them
        mpl, plt = _DeferredModule("matplotlib"), _DeferredModule("matplotlib.pyplot")
        mpl.__dict__["pyplot"] = plt
        sys.modules["matplotlib"], sys.modules["matplotlib.pyplot"] = mpl, plt
    mp = require("mediapipe", purpose=purpose)
    if not hasattr(mp, "solutions"):
        raise MissingDependencyError(
            f"mediapipe {getattr(mp, '__version__', '?')} lacks the legacy solutions API needed for "
            f"{purpose}; pip install mediapipe==0.10.21 (pip install 'vfebench[face]')"
        )
    return mp


def _package(dist: str) -> str:
    import importlib.metadata as md

    return f"{dist}=={md.version(dist)}"


# ----------------------------------------------------------------------------- detectors
class FaceDetector(abc.ABC):
    """Callable ``detector(frame) -> list[Detection]`` on one ``H×W×3`` uint8 RGB frame.

    ``name`` and :meth:`describe` identify it in records. Subclasses load their model lazily on
    the first call; :meth:`close` frees it (also on leaving a ``with`` block).
    """

    name = ""

    @abc.abstractmethod
    def __call__(self, frame: np.ndarray) -> list[Detection]:
        """Faces found in one ``H×W×3`` uint8 RGB frame, in the detector's order (see its class)."""

    def detect_batch(self, frames: np.ndarray) -> list[list[Detection]]:
        """Faces of every frame of an ``N×H×W×3`` uint8 RGB array (one list per frame)."""
        return [self(f) for f in frames]

    def describe(self) -> dict[str, Any]:
        """JSON-ready identification (name, settings, package version) for records."""
        return {"name": self.name}

    def close(self) -> None:  # noqa: B027 - optional hook: detectors without resources keep it
        """Free the model (no-op unless the detector holds resources)."""

    def __enter__(self) -> FaceDetector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class MediaPipeDetector(FaceDetector):
    """MediaPipe face detection (BlazeFace, legacy ``solutions.face_detection``, mediapipe 0.10.21).

    ``model``: ``"full"`` (full-range BlazeFace, model_selection=1: small and distant faces),
    ``"short"`` (short-range, faces within ~2 m) or ``"auto"`` (default: full-range, and the
    short-range model on frames where it finds nothing; the full-range model misses some large
    close-up faces, e.g. 5 of the first 16 frames of the shared ``vretalking_face5`` clip).
    ``min_confidence``: detection score threshold in [0, 1]. Faces come in MediaPipe's order
    (highest score first); boxes are tight (brows to chin) and have no landmarks.
    """

    name = "mediapipe"

    def __init__(self, model: str = "auto", min_confidence: float = 0.5) -> None:
        if model not in ("auto", "full", "short"):
            raise InputError(
                f"mediapipe face detection model must be 'auto', 'full' or 'short', got {model!r}"
            )
        if not 0.0 <= min_confidence <= 1.0:
            raise InputError(f"min_confidence must be in [0, 1], got {min_confidence}")
        self.model = model
        self.min_confidence = float(min_confidence)
        self._dets: dict[str, Any] = {}

    def _load(self, model: str):
        if model not in self._dets:
            mp = import_mediapipe(purpose="face detection (vfebench prepare)")
            self._dets[model] = mp.solutions.face_detection.FaceDetection(
                model_selection=1 if model == "full" else 0,
                min_detection_confidence=self.min_confidence,
            )
        return self._dets[model]

    def __call__(self, frame: np.ndarray) -> list[Detection]:
        """Faces of one ``H×W×3`` uint8 RGB frame: boxes in its pixels, scores in [0, 1]."""
        frame = np.ascontiguousarray(frame)
        if self.model == "auto":
            return self._run("full", frame) or self._run("short", frame)
        return self._run(self.model, frame)

    def _run(self, model: str, frame: np.ndarray) -> list[Detection]:
        h, w = frame.shape[:2]
        res = self._load(model).process(frame)
        out = []
        for d in res.detections or []:
            bb = d.location_data.relative_bounding_box
            box = (bb.xmin * w, bb.ymin * h, (bb.xmin + bb.width) * w, (bb.ymin + bb.height) * h)
            out.append(Detection(box, float(d.score[0])))
        return out

    def describe(self) -> dict[str, Any]:
        """``name``, ``model`` (auto/full/short), ``min_confidence`` and the installed
        ``mediapipe==VERSION``."""
        return {
            "name": self.name,
            "model": self.model,
            "min_confidence": self.min_confidence,
            "package": _package("mediapipe"),
        }

    def close(self) -> None:
        """Close every MediaPipe FaceDetection graph built so far; the next call builds anew."""
        for det in self._dets.values():
            det.close()
        self._dets.clear()


class MTCNNDetector(FaceDetector):
    """facenet-pytorch 2.5.3 MTCNN (bundled P/R/O-Net weights) with boxes and 5 landmarks.

    Args:
        min_confidence: faces whose O-Net probability is below this are dropped (``vfebench
            prepare``: 0.9; the face metrics keep every face, 0.0).
        device: torch device of the networks.
        thresholds: P/R/O-Net probability thresholds (facenet-pytorch's default 0.6/0.7/0.7;
            the face metrics use TreB1eN's 0.6/0.7/0.8).
        min_face_size: smallest face searched for, in pixels (20).
        select_largest: order faces by box area, largest first (facenet-pytorch's default);
            ``False`` orders them by probability, most probable first (the face metrics).

    :meth:`describe` names the settings that differ from facenet-pytorch's defaults (so the
    record of ``vfebench prepare --detector mtcnn`` stays the same as before they existed).
    """

    name = "mtcnn"

    def __init__(
        self,
        min_confidence: float = 0.9,
        device: str = "cpu",
        *,
        thresholds: Sequence[float] = MTCNN_DEFAULT_THRESHOLDS,
        min_face_size: int = MTCNN_DEFAULT_MIN_FACE,
        select_largest: bool = True,
    ) -> None:
        if not 0.0 <= min_confidence <= 1.0:
            raise InputError(f"min_confidence must be in [0, 1], got {min_confidence}")
        if len(thresholds) != 3 or not all(0.0 <= t <= 1.0 for t in thresholds):
            raise InputError(f"MTCNN thresholds must be three numbers in [0, 1], got {tuple(thresholds)}")
        if min_face_size < 1:
            raise InputError(f"MTCNN min_face_size must be at least 1 pixel, got {min_face_size}")
        self.min_confidence = float(min_confidence)
        self.device = device
        self.thresholds = tuple(float(t) for t in thresholds)
        self.min_face_size = int(min_face_size)
        self.select_largest = bool(select_largest)
        self._det: Any = None  # built on first use

    def _load(self):
        if self._det is None:
            require("torch", purpose="MTCNN face detection")
            fp = require("facenet_pytorch", purpose="MTCNN face detection")
            self._det = fp.MTCNN(
                keep_all=True,
                select_largest=self.select_largest,
                min_face_size=self.min_face_size,
                thresholds=list(self.thresholds),
                device=self.device,
            )
        return self._det

    def _detections(self, boxes, probs, points) -> list[Detection]:
        if boxes is None or len(boxes) == 0:
            return []
        return [
            Detection(
                cast(Box, tuple(float(v) for v in b)),
                float(p),
                np.asarray(pt, dtype=np.float64).reshape(5, 2),
            )
            for b, p, pt in zip(boxes, probs, points)
            if p is not None and p >= self.min_confidence
        ]

    def __call__(self, frame: np.ndarray) -> list[Detection]:
        """Faces of one ``H×W×3`` uint8 RGB frame with probability ≥ ``min_confidence``: boxes
        and ``5×2`` landmarks in its pixels, in the order set by ``select_largest``."""
        boxes, probs, points = self._load().detect(np.ascontiguousarray(frame), landmarks=True)
        return self._detections(boxes, probs, points)

    def detect_batch(self, frames: np.ndarray) -> list[list[Detection]]:
        """One batched MTCNN pass over an ``N×H×W×3`` uint8 array (the frames are passed to
        facenet-pytorch as given, one call for the whole array)."""
        import torch

        with torch.no_grad():
            boxes, probs, points = self._load().detect(frames, landmarks=True)
        return [self._detections(boxes[j], probs[j], points[j]) for j in range(len(frames))]

    def describe(self) -> dict[str, Any]:
        """``name``, ``min_confidence``, the settings that differ from facenet-pytorch's defaults
        (``thresholds``, ``min_face_size``, ``select_largest``) and ``facenet-pytorch==VERSION``."""
        d: dict[str, Any] = {"name": self.name, "min_confidence": self.min_confidence}
        if self.thresholds != MTCNN_DEFAULT_THRESHOLDS:
            d["thresholds"] = list(self.thresholds)
        if self.min_face_size != MTCNN_DEFAULT_MIN_FACE:
            d["min_face_size"] = self.min_face_size
        if not self.select_largest:
            d["select_largest"] = False
        d["package"] = _package("facenet-pytorch")
        return d

    def close(self) -> None:
        """Drop the facenet-pytorch MTCNN; the next call builds it again."""
        self._det = None


class MTCNNRefDetector(FaceDetector):
    """MTCNN as the IDS reference runs it (TreB1eN's procedure, :mod:`vfebench.metrics.features.mtcnn_ref`)
    on facenet-pytorch's bundled P/R/O-Nets: thresholds 0.6/0.7/0.8, min face 20 px, pyramid
    factor 0.707, PIL bilinear resizes. Faces come most probable first, with 5 landmarks."""

    name = "mtcnn_bfvr"

    def __init__(self, device: str = "cpu") -> None:
        self.device = device
        self._nets: tuple[Any, Any, Any] | None = None  # P/R/O-Nets, loaded on first use

    def __call__(self, frame: np.ndarray) -> list[Detection]:
        """Faces of one ``H×W×3`` uint8 RGB frame, most probable first: boxes, probabilities
        (> 0.8) and ``5×2`` float64 landmarks in its pixels."""
        from vfebench.metrics.features import mtcnn_ref
        from vfebench.metrics.nets.mtcnn import load_mtcnn_nets

        if self._nets is None:
            require("torch", purpose="MTCNN face detection (IDS bfvr modes)")
            require("facenet_pytorch", purpose="MTCNN face detection (IDS bfvr modes)")
            self._nets = load_mtcnn_nets(self.device)
        boxes, lms = mtcnn_ref.detect_faces(np.ascontiguousarray(frame), self._nets, self.device)
        return [
            Detection(cast(Box, tuple(float(v) for v in b[:4])), float(b[4]), lm) for b, lm in zip(boxes, lms)
        ]

    def describe(self) -> dict[str, Any]:
        """``name`` and ``facenet-pytorch==VERSION`` (its settings are fixed: see the class)."""
        return {"name": self.name, "package": _package("facenet-pytorch")}

    def close(self) -> None:
        """Drop the P/R/O-Nets; the next call loads them again."""
        self._nets = None


#: the detectors ``vfebench prepare --detector NAME`` offers
DETECTORS: dict[str, type[FaceDetector]] = {"mediapipe": MediaPipeDetector, "mtcnn": MTCNNDetector}


def get_detector(name: str = "mediapipe", **kwargs: Any) -> FaceDetector:
    """A detector of :data:`DETECTORS` by name (``"mediapipe"`` or ``"mtcnn"``); kwargs go to its
    constructor. Unknown names raise InputError with the choices and a did-you-mean."""
    if name not in DETECTORS:
        from vfebench.registry import did_you_mean

        raise InputError(
            f"unknown face detector {name!r}; choose one of {', '.join(DETECTORS)}."
            f"{did_you_mean(name, list(DETECTORS))}"
        )
    return DETECTORS[name](**kwargs)


# ----------------------------------------------------------------------------- face mesh
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


class MediaPipeFaceMesh:
    """MediaPipe 0.10.21 legacy FaceMesh: 478 refined landmarks of the most confident face.

    Settings (those of the AKD/TLME features): ``static_image_mode=True``,
    ``refine_landmarks=True``, ``max_num_faces=1``, ``min_detection_confidence=0.5``. BFVR-STC
    asks for up to 3 faces and takes ``multi_face_landmarks[0]``; in static mode that is the
    detection with the highest score, the one ``max_num_faces=1`` returns.
    """

    def __init__(self) -> None:
        self._mesh: Any = None  # built on first use

    def __call__(self, frame: np.ndarray) -> np.ndarray | None:
        """``478×3`` float32 landmarks (x/W, y/H in [0, 1] up to faces cut by the border, z
        relative depth) of one ``H×W×3`` uint8 RGB frame, or ``None`` without a face."""
        if self._mesh is None:
            mp = import_mediapipe(purpose="FaceMesh landmarks (AKD, TLME)")
            self._mesh = mp.solutions.face_mesh.FaceMesh(
                static_image_mode=True,
                max_num_faces=1,
                refine_landmarks=True,
                min_detection_confidence=0.5,
            )
        faces = self._mesh.process(np.ascontiguousarray(frame)).multi_face_landmarks
        if not faces:
            return None
        n = len(faces[0].landmark)
        if n != N_MESH:
            raise ComponentFailed(f"FaceMesh returned {n} landmarks, expected {N_MESH}")
        return landmarks_array(faces[0])

    def close(self) -> None:
        """Free the MediaPipe graph."""
        if self._mesh is not None:
            self._mesh.close()
            self._mesh = None
