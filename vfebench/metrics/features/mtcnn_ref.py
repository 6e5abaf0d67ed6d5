"""MTCNN as the IDS reference runs it (``bfvr`` recipe), on facenet-pytorch's bundled P/R/O-Nets.

BFVR-STC's ``evaluation/eval_ids.py`` (Dixin-Lab/BFVR-STC @ 9ac481b) calls ``MTCNN().align(img)``
from TreB1eN/InsightFace_Pytorch (``mtcnn.py`` + ``mtcnn_pytorch/src/{first_stage,box_utils}.py``
@ 350ff7a). What that detector does, restated here from reading it (not copied):

1. Pyramid: ``m = 12 / min_face_size`` (20 px), scales ``m·0.707^k`` while the scaled shorter
   side is ``> 12`` (facenet-pytorch: factor 0.709, ``>= 12``).
2. Stage 1 per scale: the PIL image resized to ``(ceil(w·s), ceil(h·s))`` with **PIL bilinear**
   (which antialiases when shrinking; facenet-pytorch uses ``interpolate(mode="area")``),
   ``(x − 127.5)/128``, P-Net. The face probability is the **softmax over the last axis of the
   4-D P-Net output** (``F.softmax(a, dim=-1)``: across the map's width, not across the two
   classes); a position is a candidate when that value is ``> 0.6``. Candidate boxes are
   ``round((2·x + 1)/s)``, ``round((2·y + 1)/s)``, ``round((2·x + 13)/s)``, ``round((2·y + 13)/s)``
   with the four regression offsets; NMS (IoU > 0.5, areas with ``+1``) per scale.
3. All scales: NMS 0.7, boxes moved by their offsets (times width/height with ``+1``), made
   square around their centre, rounded.
4. Stage 2 / 3: each box cut out of the image into a zero-padded canvas of its own size (parts
   outside the image stay black), resized to 24×24 / 48×48 with PIL bilinear, normalised as
   above, R-Net / O-Net; keep probability ``> 0.7`` / ``> 0.8`` (proper two-class softmax there).
   The cut-out step also clips the box array itself to the image (a side effect of writing
   through views), so the offsets and landmarks that follow are applied to the clipped box;
   stage 2: NMS 0.7, calibrate, square, round. Stage 3: landmarks ``x1 + (x2 − x1 + 1)·p`` from
   the boxes *before* calibration, then calibrate and NMS 0.7 on the intersection over the
   smaller area. The kept order is by decreasing probability; ``align`` uses the first face.

The networks are facenet-pytorch 2.5.3's (:func:`vfebench.metrics.nets.mtcnn.load_mtcnn_nets`;
the same caffe MTCNN weights as TreB1eN's ``.npy`` files, converted by another route), so differences that remain come from the weights'
conversion only. Frames without any candidate at some stage have no face (the reference script
would crash there).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

FACTOR = 0.707
MIN_FACE = 20.0
THRESHOLDS = (0.6, 0.7, 0.8)
NMS = (0.7, 0.7, 0.7)


def nms(boxes: np.ndarray, overlap: float, mode: str = "union") -> list[int]:
    """Greedy non-maximum suppression on ``N×≥5`` rows ``(x1, y1, x2, y2, score)``; areas use
    ``+1`` pixel sizes; returns the kept indices, highest score first."""
    if len(boxes) == 0:
        return []
    x1, y1, x2, y2, sc = (boxes[:, i] for i in range(5))
    area = (x2 - x1 + 1.0) * (y2 - y1 + 1.0)
    order = list(np.argsort(sc)[::-1])
    keep: list[int] = []
    while order:
        i = order[0]
        keep.append(int(i))
        rest = np.asarray(order[1:], dtype=np.int64)
        if not rest.size:
            break
        iw = np.maximum(0.0, np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]) + 1.0)
        ih = np.maximum(0.0, np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]) + 1.0)
        inter = iw * ih
        denom = np.minimum(area[i], area[rest]) if mode == "min" else area[i] + area[rest] - inter
        order = [int(j) for j, o in zip(rest, inter / denom) if not o > overlap]
    return keep


def _calibrate(boxes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    b = boxes.copy()
    w = b[:, 2] - b[:, 0] + 1.0
    h = b[:, 3] - b[:, 1] + 1.0
    b[:, 0:4] = b[:, 0:4] + np.stack([w, h, w, h], axis=1) * offsets
    return b


def _square(boxes: np.ndarray) -> np.ndarray:
    b = np.zeros_like(boxes)
    w = boxes[:, 2] - boxes[:, 0] + 1.0
    h = boxes[:, 3] - boxes[:, 1] + 1.0
    side = np.maximum(w, h)
    b[:, 0] = boxes[:, 0] + 0.5 * w - 0.5 * side
    b[:, 1] = boxes[:, 1] + 0.5 * h - 0.5 * side
    b[:, 2] = b[:, 0] + side - 1.0
    b[:, 3] = b[:, 1] + side - 1.0
    b[:, 4:] = boxes[:, 4:]
    return b


def _normalise(a: np.ndarray) -> np.ndarray:
    """``…×H×W×3`` float32 pixels → ``…×3×H×W`` network input."""
    a = np.moveaxis(np.asarray(a, dtype=np.float32), -1, -3)
    return (a - 127.5) * 0.0078125


def _cutouts(img: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """Each (integer-valued) box cut out into a black canvas of its size, PIL-bilinear resized to
    ``size×size`` → ``N×3×size×size`` network input."""
    from PIL import Image

    hgt, wid = img.shape[:2]
    out = np.zeros((len(boxes), size, size, 3), np.float32)
    for k, (x1, y1, x2, y2) in enumerate(boxes[:, :4]):
        bw, bh = int(x2 - x1 + 1.0), int(y2 - y1 + 1.0)
        canvas = np.zeros((bh, bw, 3), np.uint8)
        sx1, sy1 = max(int(x1), 0), max(int(y1), 0)
        sx2, sy2 = min(int(x2), wid - 1), min(int(y2), hgt - 1)
        if sx2 >= sx1 and sy2 >= sy1:
            dx, dy = sx1 - int(x1), sy1 - int(y1)
            canvas[dy : dy + sy2 - sy1 + 1, dx : dx + sx2 - sx1 + 1] = img[sy1 : sy2 + 1, sx1 : sx2 + 1]
        out[k] = np.asarray(
            Image.fromarray(canvas).resize((size, size), Image.Resampling.BILINEAR), np.float32
        )
    return _normalise(out)


def _clip_to_image(boxes: np.ndarray, shape: tuple[int, ...]) -> None:
    """Clip boxes to the image **in place**, as the reference's cut-out step does to its box
    array as a side effect; the later offsets and landmarks are then relative to the clipped
    box while the network saw the unclipped cut-out (reproduced as the reference runs)."""
    h, w = shape[:2]
    boxes[:, 2] = np.minimum(boxes[:, 2], w - 1.0)
    boxes[:, 3] = np.minimum(boxes[:, 3], h - 1.0)
    boxes[:, 0] = np.maximum(boxes[:, 0], 0.0)
    boxes[:, 1] = np.maximum(boxes[:, 1], 0.0)


def pyramid_scales(h: int, w: int, min_face: float = MIN_FACE, factor: float = FACTOR) -> list[float]:
    """Image scales of the P-Net pyramid for an ``h×w`` image: ``(12/min_face)·factor^k`` while
    the scaled shorter side stays ``> 12`` px (the reference's strict comparison), largest first."""
    m = 12.0 / min_face
    length = min(h, w) * m
    scales = []
    k = 0
    while length > 12:
        scales.append(m * factor**k)
        length *= factor
        k += 1
    return scales


def _pnet_stage(img: np.ndarray, pnet, scale: float, device: str) -> np.ndarray:
    import torch
    from PIL import Image

    h, w = img.shape[:2]
    sw, sh = math.ceil(w * scale), math.ceil(h * scale)
    small = np.asarray(Image.fromarray(img).resize((sw, sh), Image.Resampling.BILINEAR), np.float32)
    x = torch.from_numpy(_normalise(small)[None]).to(device)
    with torch.no_grad():
        f = pnet.prelu3(pnet.conv3(pnet.prelu2(pnet.conv2(pnet.pool1(pnet.prelu1(pnet.conv1(x)))))))
        logits = pnet.conv4_1(f)
        reg = pnet.conv4_2(f)[0].cpu().numpy().astype(np.float64)
        prob = torch.softmax(logits, dim=-1)[0, 1].cpu().numpy().astype(np.float64)  # the reference's axis
    ys, xs = np.nonzero(prob > THRESHOLDS[0])
    if not ys.size:
        return np.zeros((0, 9))
    boxes = np.stack(
        [
            np.round((2.0 * xs + 1.0) / scale),
            np.round((2.0 * ys + 1.0) / scale),
            np.round((2.0 * xs + 1.0 + 12.0) / scale),
            np.round((2.0 * ys + 1.0 + 12.0) / scale),
            prob[ys, xs],
            *(reg[i, ys, xs] for i in range(4)),
        ],
        axis=1,
    )
    return boxes[nms(boxes, 0.5)]


def detect_faces(
    img: np.ndarray, nets: tuple[Any, Any, Any], device: str = "cpu"
) -> tuple[np.ndarray, np.ndarray]:
    """Faces of one ``H×W×3`` uint8 RGB image → ``(boxes N×5 (x1, y1, x2, y2, prob), landmarks
    N×5×2 px)``, most probable first; empty arrays when none."""
    import torch

    pnet, rnet, onet = nets
    empty = (np.zeros((0, 5)), np.zeros((0, 5, 2)))
    cands = [_pnet_stage(img, pnet, s, device) for s in pyramid_scales(*img.shape[:2])]
    boxes = np.concatenate([c for c in cands if len(c)] or [np.zeros((0, 9))])
    if not len(boxes):
        return empty
    boxes = boxes[nms(boxes, NMS[0])]
    boxes = _square(_calibrate(boxes[:, :5], boxes[:, 5:9]))
    boxes[:, :4] = np.round(boxes[:, :4])
    # stage 2
    x = _cutouts(img, boxes, 24)
    _clip_to_image(boxes, img.shape)
    with torch.no_grad():
        reg, prob = rnet(torch.from_numpy(x).to(device))
    reg, prob = reg.cpu().numpy().astype(np.float64), prob[:, 1].cpu().numpy().astype(np.float64)
    keep = prob > THRESHOLDS[1]
    boxes, reg = boxes[keep], reg[keep]
    boxes[:, 4] = prob[keep]
    if not len(boxes):
        return empty
    k = nms(boxes, NMS[1])
    boxes = _square(_calibrate(boxes[k], reg[k]))
    boxes[:, :4] = np.round(boxes[:, :4])
    # stage 3
    x = _cutouts(img, boxes, 48)
    _clip_to_image(boxes, img.shape)
    with torch.no_grad():
        reg, pts, prob = onet(torch.from_numpy(x).to(device))
    reg, pts = reg.cpu().numpy().astype(np.float64), pts.cpu().numpy().astype(np.float32)
    prob = prob[:, 1].cpu().numpy().astype(np.float64)
    keep = prob > THRESHOLDS[2]
    boxes, reg, pts = boxes[keep], reg[keep], pts[keep]
    boxes[:, 4] = prob[keep]
    if not len(boxes):
        return empty
    w = (boxes[:, 2] - boxes[:, 0] + 1.0)[:, None]
    h = (boxes[:, 3] - boxes[:, 1] + 1.0)[:, None]
    lx = (boxes[:, 0:1] + w * pts[:, 0:5]).astype(np.float32)  # the reference stores float32
    ly = (boxes[:, 1:2] + h * pts[:, 5:10]).astype(np.float32)
    boxes = _calibrate(boxes, reg)
    k = nms(boxes, NMS[2], mode="min")
    return boxes[k], np.stack([lx[k], ly[k]], axis=-1).astype(np.float64)
