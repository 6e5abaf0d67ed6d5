"""FAN 68-point landmarks (face-alignment 1.5.0) on the shared MTCNN boxes: AKD's ``fan68`` backend.

The talking-head pose-evaluation convention (FOMM, LIA, ...) measures AKD with Adrian Bulat's FAN
68 landmarks in pixels. We use the heat-map utilities of the pinned ``face-alignment`` package (``utils.crop``,
``utils.get_preds_fromhm``, ``utils.flip``) on the network that
:func:`vfebench.metrics.nets.fan.load_fan` builds from the asset ``2DFAN4-11f355bf06.pth.tar``.

Per face, exactly as ``FaceAlignment.get_landmarks_from_image`` (1adrianb/face-alignment
``face_alignment/api.py``): centre = box centre moved up by 0.12·box height, scale =
(box width + height) / 195 (the SFD detector's reference scale), a 256×256 crop in [0, 1], the
last hour-glass output plus the flipped-input output (``flip_input=True``, the package default),
arg-max with the quarter-pixel refinement, mapped back to image pixels.

Difference from face-alignment's default pipeline: the box comes from the shared MTCNN pass (first
face), not from its SFD detector, so detection is shared with IDS and no second detector weight is
needed. Frames are the 512×512 analysis frames of every face metric.
"""

from __future__ import annotations

import numpy as np

FAN_VERSION = "1"
REFERENCE_SCALE = 195.0
CENTER_Y_OFFSET = 0.12


def fan_landmarks(
    net, image: np.ndarray, box: np.ndarray, device: str = "cpu", flip_input: bool = True
) -> np.ndarray:
    """68×2 landmarks of the face in ``box`` with the FAN ``net`` (:func:`~vfebench.metrics.nets.fan.load_fan`).

    Args:
        net: the loaded FAN module (on ``device``).
        image: ``H×W×3`` uint8 RGB frame.
        box: 4 floats ``(x0, y0, x1, y1)`` in pixels (the MTCNN box).
        flip_input: add the heat-maps of the mirrored crop (face-alignment's default).
    Returns:
        ``68×2`` float32 landmarks (x, y) in image pixels.
    """
    import torch
    from face_alignment.utils import crop, flip, get_preds_fromhm

    d = [float(v) for v in box]
    center = np.array([d[2] - (d[2] - d[0]) / 2.0, d[3] - (d[3] - d[1]) / 2.0])
    center[1] = center[1] - (d[3] - d[1]) * CENTER_Y_OFFSET
    scale = (d[2] - d[0] + d[3] - d[1]) / REFERENCE_SCALE
    inp = torch.from_numpy(crop(image, center, scale).transpose((2, 0, 1)).astype(np.float32) / 255.0)[
        None
    ].to(device)
    with torch.no_grad():
        out = net(inp)
        out = out[-1] if isinstance(out, (list, tuple)) else out
        if flip_input:
            fo = net(flip(inp))
            fo = fo[-1] if isinstance(fo, (list, tuple)) else fo
            out = out + flip(fo, is_label=True)
    _, pts_img, _ = get_preds_fromhm(out.float().cpu().numpy(), center, scale)
    return np.asarray(pts_img, np.float32).reshape(68, 2)
