"""MTCNN P-, R- and O-Net: facenet-pytorch 2.5.3's definitions with the weights bundled in that
package (the caffe MTCNN weights, converted), used by the IDS reference's detector procedure
(:mod:`vfebench.metrics.features.mtcnn_ref`).

Inputs (as that procedure feeds them): ``B×3×H×W`` float32 RGB ``(x − 127.5)/128``; P-Net on
whole pyramid levels, R-Net on 24×24 and O-Net on 48×48 cut-outs.
"""

from __future__ import annotations

from typing import Any


def load_mtcnn_nets(device: str = "cpu") -> tuple[Any, Any, Any]:
    """facenet-pytorch's ``(PNet, RNet, ONet)`` with their bundled weights, eval mode on ``device``.

    Needs ``facenet_pytorch`` (``pip install 'vfebench[face]'``); nothing is downloaded.
    """
    from vfebench.utils import require

    require("facenet_pytorch", purpose="MTCNN face detection (IDS)")
    from facenet_pytorch.models.mtcnn import ONet, PNet, RNet

    pnet, rnet, onet = (n().to(device).eval() for n in (PNet, RNet, ONet))
    return pnet, rnet, onet
