"""ArcFace IR-SE50 (defined here) and the 5-point alignment to the 112×112 ArcFace template.

The network is the IR-SE ResNet used by BFVR-STC's ``eval_ids.py`` for IDS (TreB1eN/
InsightFace_Pytorch ``model.py`` ``Backbone(50, 0.6, 'ir_se')``; the same layout and parameter
names as pSp's ``models/encoders/model_irse.py``), written from its description so that the
published ``model_ir_se50.pth`` state dict loads unchanged:

- stem: 3×3 conv (64) → BN → PReLU;
- body: bottleneck units (BN → 3×3 conv → PReLU → 3×3 conv(stride) → BN → squeeze-excitation
  with reduction 16) with a max-pool(1, stride) or 1×1 conv+BN shortcut; 3/4/14/3 units of
  64/128/256/512 channels, the first unit of each stage with stride 2;
- head: BN2d → dropout → flatten → linear(512·7·7 → 512) → BN1d, then L2 normalisation.

Input: ``B×3×112×112`` float32 RGB in [−1, 1] (``(x/255 − 0.5)/0.5``). Output: ``B×512``
unit-norm float32 embeddings.

Alignment (:func:`align_faces`), two recipes; the frame is warped with bilinear interpolation
and a black border to 112×112 in both:

- ``clean``: the least-squares similarity transform (rotation, uniform scale, translation; no
  reflection) that maps the 5 MTCNN landmarks (left eye, right eye, nose, left and right mouth
  corner, in pixels) onto :data:`ARCFACE_TEMPLATE_112`, residual minimised in template pixels.
- ``bfvr``: what TreB1eN's ``mtcnn.align`` (used by BFVR-STC) computes: the fit runs the other
  way (template → image, residual in image pixels) and is inverted, with MATLAB cp2tform's
  reflection test (:func:`cp2tform_similarity`). The two fits differ whenever the landmarks are
  not an exact similarity of the template. Measured on 69 real 512×512 frames of
  ``../shared/data/faces`` (the reference detector's landmarks): the 5 landmarks land a median
  0.20 px apart in the 112×112 crop (95th percentile 1.46 px, max 4.2 px); the reflective
  branch was never taken on those frames (it is on 217 of 1500 synthetic sets in the tests).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from vfebench.errors import InputError

#: the ArcFace 5-point template for 112×112 crops (x, y in pixels): the 96×112 reference points
#: of SphereFace/InsightFace shifted by 8 px in x (``default_square=True``).
ARCFACE_TEMPLATE_112 = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float64,
)

IR_SE50_WIDTHS = (64, 128, 256, 512)
IR_SE50_UNITS = (3, 4, 14, 3)


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """2×3 matrix of the least-squares similarity (no reflection) mapping ``src`` → ``dst``.

    Args:
        src, dst: ``N×2`` point sets (N ≥ 2), float.
    Returns:
        ``2×3`` float64 matrix ``M`` with ``dst ≈ M @ [x, y, 1]``.
    """
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    ms, md = src.mean(0), dst.mean(0)
    s0, d0 = src - ms, dst - md
    # closed form for z ↦ a·z + t in complex numbers: a = Σ conj(s)·d / Σ |s|²
    zs = s0[:, 0] + 1j * s0[:, 1]
    zd = d0[:, 0] + 1j * d0[:, 1]
    den = float(np.sum(np.abs(zs) ** 2))
    if den <= 1e-12:
        raise InputError("face alignment: the 5 landmarks coincide; cannot fit a similarity transform")
    a = np.sum(np.conj(zs) * zd) / den
    r = np.array([[a.real, -a.imag], [a.imag, a.real]])
    t = md - r @ ms
    return np.hstack([r, t[:, None]])


#: the template exactly as TreB1eN's ``get_reference_facial_points(default_square=True)`` makes
#: it (the 96×112 points + 8 px in x), used by the ``bfvr`` recipe in float32 as the reference.
BFVR_TEMPLATE_112 = np.array(
    [
        [30.29459953 + 8.0, 51.69630051],
        [65.53179932 + 8.0, 51.50139999],
        [48.02519989 + 8.0, 71.73660278],
        [33.54930115 + 8.0, 92.3655014],
        [62.72990036 + 8.0, 92.20410156],
    ],
    dtype=np.float64,
)


def cp2tform_similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """2×3 image → template matrix as the IDS reference computes it (``bfvr`` recipe).

    Restated from TreB1eN/InsightFace_Pytorch ``mtcnn_pytorch/src/matlab_cp2tform.py`` @ 350ff7a
    (``get_similarity_transform_for_cv2(src, dst)``, a port of MATLAB ``cp2tform``), which
    ``align_trans.warp_and_crop_face`` calls with float32 points:

    1. Fit the *inverse* map by least squares: template point ``z`` → image point
       ``w ≈ a·z + t`` (complex numbers; rotation + uniform scale + translation), so the residual
       is minimised in image pixels; invert it to get image → template ``z = (w − t)/a``.
    2. Fit the same with the template mirrored in x (``z_R = −conj(z)``) and mirror the result
       back: a reflective candidate ``z = −conj((w − t_R)/a_R)``.
    3. Keep the non-reflective one when ``‖T1(src) − ref‖ ≤ ‖T2(src) − ref‖``. In that code the
       mirroring in step 2 is done in place on the template array, so ``ref`` in this
       comparison is the *mirrored* template; restated as it runs.

    Closed form of the same least squares (our formulation); :func:`similarity_transform` is the
    ``clean`` recipe's direct image → template fit.
    """
    uv = np.asarray(src, dtype=np.float32).astype(np.float64)
    xy = np.asarray(dst, dtype=np.float32).astype(np.float64)
    w = uv[:, 0] + 1j * uv[:, 1]
    z = xy[:, 0] + 1j * xy[:, 1]
    zr = -np.conj(z)

    def fit(zz: np.ndarray) -> tuple[complex, complex]:
        z0 = zz - zz.mean()
        den = float(np.sum(np.abs(z0) ** 2))
        if den <= 1e-12:
            raise InputError("face alignment: the template points coincide")
        a = complex(np.sum(np.conj(z0) * (w - w.mean())) / den)
        if abs(a) <= 1e-12:
            raise InputError("face alignment: the 5 landmarks coincide; cannot fit a similarity transform")
        return a, complex(w.mean() - a * zz.mean())

    a1, t1 = fit(z)
    ar, tr = fit(zr)
    p1 = (w - t1) / a1
    p2 = -np.conj((w - tr) / ar)
    if np.linalg.norm(p1 - zr) <= np.linalg.norm(p2 - zr):
        b, c = 1 / a1, -t1 / a1
        return np.array([[b.real, -b.imag, c.real], [b.imag, b.real, c.imag]])
    b, c = 1 / ar, -tr / ar
    return np.array([[-b.real, b.imag, -c.real], [b.imag, b.real, c.imag]])


def align_faces(
    frames: np.ndarray, landmarks: np.ndarray, size: int = 112, recipe: str = "clean"
) -> np.ndarray:
    """Warp each frame so its 5 landmarks land on the ArcFace template.

    Args:
        frames: ``B×H×W×3`` uint8 RGB.
        landmarks: ``B×5×2`` float pixel coordinates (x, y).
        size: output side (112; the template is scaled by ``size/112`` otherwise).
        recipe: ``clean`` (least-squares image → template fit on :data:`ARCFACE_TEMPLATE_112`)
            or ``bfvr`` (the reference's template → image fit, inverted, with its reflection
            test, on :data:`BFVR_TEMPLATE_112`; :func:`cp2tform_similarity`).
    Returns:
        ``B×size×size×3`` uint8 RGB aligned faces.
    """
    import cv2

    if recipe not in ("clean", "bfvr"):
        raise InputError(f"unknown ArcFace alignment recipe {recipe!r} (clean or bfvr)")
    tmpl = (BFVR_TEMPLATE_112 if recipe == "bfvr" else ARCFACE_TEMPLATE_112) * (size / 112.0)
    fit = cp2tform_similarity if recipe == "bfvr" else similarity_transform
    out = np.zeros((len(frames), size, size, 3), dtype=np.uint8)
    for i, (fr, lm) in enumerate(zip(frames, landmarks)):
        m = fit(lm, tmpl)
        # borderValue (0, 0, 0, 0) is the Scalar that cv2 makes of 0 (the stubs want a sequence)
        out[i] = cv2.warpAffine(
            fr,
            m,
            (size, size),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=(0.0, 0.0, 0.0, 0.0),
        )
    return out


def to_arcface_input(faces: np.ndarray):
    """``B×112×112×3`` uint8 RGB → ``B×3×112×112`` float32 tensor in [−1, 1]."""
    from vfebench.metrics.frames import frames_to_tensor

    x = frames_to_tensor(faces)
    return (x - 0.5) / 0.5


def build_ir_se(
    widths: Sequence[int] = IR_SE50_WIDTHS, units: Sequence[int] = IR_SE50_UNITS, drop: float = 0.6
):
    """The IR-SE network (IR-SE50 by default) as a ``torch.nn.Module`` (random init)."""
    import torch
    from torch import nn

    class SE(nn.Module):
        def __init__(self, c: int, r: int = 16) -> None:
            super().__init__()
            self.avg_pool = nn.AdaptiveAvgPool2d(1)
            self.fc1 = nn.Conv2d(c, max(1, c // r), 1, bias=False)
            self.relu = nn.ReLU(inplace=True)
            self.fc2 = nn.Conv2d(max(1, c // r), c, 1, bias=False)
            self.sigmoid = nn.Sigmoid()

        def forward(self, x):
            return x * self.sigmoid(self.fc2(self.relu(self.fc1(self.avg_pool(x)))))

    class Unit(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int) -> None:
            super().__init__()
            self.shortcut_layer: nn.Module
            if cin == cout:
                self.shortcut_layer = nn.MaxPool2d(1, stride)
            else:
                self.shortcut_layer = nn.Sequential(
                    nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
                )
            self.res_layer = nn.Sequential(
                nn.BatchNorm2d(cin),
                nn.Conv2d(cin, cout, 3, 1, 1, bias=False),
                nn.PReLU(cout),
                nn.Conv2d(cout, cout, 3, stride, 1, bias=False),
                nn.BatchNorm2d(cout),
                SE(cout, 16),
            )

        def forward(self, x):
            return self.res_layer(x) + self.shortcut_layer(x)

    class IRSE(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.input_layer = nn.Sequential(
                nn.Conv2d(3, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.PReLU(widths[0])
            )
            mods = []
            cin = widths[0]
            for w, n in zip(widths, units):
                for k in range(n):
                    mods.append(Unit(cin, w, 2 if k == 0 else 1))
                    cin = w
            self.body = nn.Sequential(*mods)
            self.output_layer = nn.Sequential(
                nn.BatchNorm2d(cin),
                nn.Dropout(drop),
                nn.Flatten(),
                nn.Linear(cin * 7 * 7, 512),
                nn.BatchNorm1d(512),
            )

        def forward(self, x):
            x = self.output_layer(self.body(self.input_layer(x)))
            return torch.nn.functional.normalize(x, p=2, dim=1)

    return IRSE()


def _infer_arch(sd: dict[str, Any]) -> tuple[list[int], list[int]]:
    """Stage widths and unit counts from an IR-SE state dict (so small test nets load too)."""
    idx = sorted({int(k.split(".")[1]) for k in sd if k.startswith("body.")})
    if not idx or "input_layer.0.weight" not in sd:
        raise InputError("not an IR-SE state dict (no input_layer.0.weight / body.* keys)")
    widths: list[int] = []
    units: list[int] = []
    for i in idx:
        w = int(sd[f"body.{i}.res_layer.1.weight"].shape[0])
        # a stage starts with the first unit or with a 1×1-conv shortcut (channel change); the
        # first stage keeps the stem's width and uses a max-pool shortcut
        if not widths or f"body.{i}.shortcut_layer.0.weight" in sd:
            widths.append(w)
            units.append(1)
        else:
            units[-1] += 1
    return widths, units


def load_ir_se(path: str | os.PathLike, device: str = "cpu"):
    """Load an IR-SE state dict (``model_ir_se50.pth`` layout) into :func:`build_ir_se`; eval mode.

    Loads with ``weights_only=True`` (or safetensors). Stage widths/units are read from the
    state dict, so the real IR-SE50 and tiny test networks go through the same code.
    """
    from vfebench.assets import load_torch_state_dict

    sd = load_torch_state_dict(path)
    if isinstance(sd, dict) and "state_dict" in sd and isinstance(sd["state_dict"], dict):
        sd = sd["state_dict"]
    sd = {k.removeprefix("module."): v for k, v in sd.items()}
    widths, units = _infer_arch(sd)
    from vfebench.metrics.meta_load import build_loaded

    try:  # built on meta, weights assigned: no random init of 44 M parameters thrown away
        net = build_loaded(lambda: build_ir_se(widths, units), sd, f"{path}")
    except InputError as exc:
        raise InputError(
            f"{exc}; not an IR-SE50 state dict (expected TreB1eN/pSp model_ir_se50.pth)"
        ) from None
    return net.to(device)
