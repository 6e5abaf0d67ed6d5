"""dlib's 5-point shape predictor and ResNet face descriptor (128-d) for IDS-dlib: the loader.

Both files ship inside the ``face_recognition_models`` pip package
(``shape_predictor_5_face_landmarks.dat``, ``dlib_face_recognition_resnet_model_v1.dat``); dlib
itself comes from the ``dlib-bin`` wheel (``pip install 'vfebench[dlib]'``). Nothing is downloaded.
"""

from __future__ import annotations

import threading
from typing import Any

_MODELS: dict[str, Any] = {}
_LOCK = threading.Lock()


def _models_dir():
    """The ``models`` folder of face_recognition_models, found without importing the package
    (its ``__init__`` needs ``pkg_resources``, which recent setuptools no longer ships)."""
    import importlib.util
    from pathlib import Path

    from vfebench.errors import MissingDependencyError

    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(
            "IDS-dlib needs the face_recognition_models package: pip install 'vfebench[dlib]'"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def dlib_models() -> tuple[Any, Any, dict[str, str]]:
    """(shape predictor, face descriptor net, {file: sha256}) loaded once per process."""
    with _LOCK:
        if not _MODELS:
            from vfebench.utils import require, sha256_file

            dlib = require("dlib", "dlib", "IDS-dlib")
            models = _models_dir()
            sp_path = str(models / "shape_predictor_5_face_landmarks.dat")
            net_path = str(models / "dlib_face_recognition_resnet_model_v1.dat")
            _MODELS["sp"] = dlib.shape_predictor(sp_path)
            _MODELS["net"] = dlib.face_recognition_model_v1(net_path)
            _MODELS["hashes"] = {
                "shape_predictor_5_face_landmarks.dat": sha256_file(sp_path),
                "dlib_face_recognition_resnet_model_v1.dat": sha256_file(net_path),
            }
        return _MODELS["sp"], _MODELS["net"], _MODELS["hashes"]
