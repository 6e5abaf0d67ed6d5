"""A restated reference: the KEEP and DicFace degradation code's order of operations, restated.

Written by us from reading jnjaby/KEEP@5c7c4721 ``basicsr/data/vfhq_real_degradation2_dataset.py``
(``VFHQRealDegradationDataset.__getitem__``) and fudan-generative-vision/DicFace@df08bb76
``basicsr/data/vfhq_dataset.py``, not copied; it is deliberately independent of
``vfebench.degrade`` except for the random draws (kernel parameters, interpolation, crf and the
per-frame noise, which the reference takes from global RNGs and we take from the preset, so
that the only difference left is the code path). The compression is the reference call as
written — PyAV defaults (thread count 0, slice threads), ``add_stream('libx264', rate=1)``,
``stream.options = {'crf': …}``, no pts, x264's own CPU detection, ``to_rgb()`` on decode — so
it is as nondeterministic as the reference itself.
"""

from __future__ import annotations

import io

import cv2
import numpy as np

INTER = {"area": cv2.INTER_AREA, "linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC}


def reference_codec(frames: list[np.ndarray], crf: int) -> tuple[list[np.ndarray], int]:
    """The reference's in-memory MP4 round trip of uint8 frames (already ``clip(x*255).astype``).

    Returns the decoded frames and the H.264 packet bytes.
    """
    import av

    av.logging.set_level(None)
    h, w = frames[0].shape[:2]
    buf = io.BytesIO()
    n = 0
    with av.open(buf, "w", "mp4") as container:
        stream = container.add_stream("libx264", rate=1)
        stream.height, stream.width = h, w
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(crf)}
        for f in frames:
            vf = av.VideoFrame.from_ndarray(f, format="rgb24")
            for pkt in stream.encode(vf):
                n += pkt.size
                container.mux(pkt)
        for pkt in stream.encode():
            n += pkt.size
            container.mux(pkt)
    out = []
    with av.open(buf, "r", "mp4") as container:
        for fr in container.decode(video=0):
            out.append(fr.to_rgb().to_ndarray())
    return out, n


def _kernel(b: dict) -> np.ndarray:
    """basicsr ``bivariate_Gaussian`` on ``mesh_grid(21)``."""
    size = b["size"]
    ax = np.arange(-size // 2 + 1.0, size // 2 + 1.0)
    xx, yy = np.meshgrid(ax, ax)
    grid = np.stack([xx, yy], -1)
    c, s = np.cos(b["theta"]), np.sin(b["theta"])
    u = np.array([[c, -s], [s, c]])
    sig = u @ np.diag([b["sigma_x"] ** 2, b["sigma_y"] ** 2]) @ u.T
    k = np.exp(-0.5 * np.sum((grid @ np.linalg.inv(sig)) * grid, 2))
    return k / k.sum()


def _noise(img: np.ndarray, draw) -> np.ndarray:
    """basicsr ``random_add_gaussian_noise(img, [0, 10], gray_prob=0.5, clip=True, rounds=False)``."""
    sigma, gray, z = draw(img.shape[:2])
    n = np.float32(z) * sigma / 255.0
    if gray:
        n = np.expand_dims(n, axis=2).repeat(3, axis=2)
    return np.clip(img + n, 0, 1)


def reference_pipeline(gt_rgb: np.ndarray, params: dict, draws: list, kind: str) -> dict:
    """KEEP (``kind="keep"``) or DicFace (``"dicface"``) on one clip; the LQ returned in RGB.

    ``draws[t]`` is frame t's noise source (``draw((h, w)) -> (σ, grey, z)``), called in the
    order the reference adds noise. Returns ``{"pre": frames the encoder got (uint8, BGR),
    "decoded": decoded uint8 frames (BGR, codec size), "lq": final LQ (RGB), "bytes": n}``.
    """
    img_gts = [f[:, :, ::-1] / 255.0 for f in gt_rgb]  # PIL RGB → [:, :, ::-1] → / 255.0
    kernel = _kernel(params["blur"])
    img_lqs = [cv2.filter2D(v, -1, kernel) for v in img_gts]
    oh, ow = img_gts[0].shape[:2]
    scale = params["scale"]
    if kind == "keep":
        img_lqs = [_noise(v, d) for v, d in zip(img_lqs, draws)]
        rh, rw = int(oh // scale), int(ow // scale)
        img_lqs = [cv2.resize(v, (rw, rh), interpolation=INTER[params["interpolation"]]) for v in img_lqs]
        img_lqs = [_noise(v, d) for v, d in zip(img_lqs, draws)]
    else:
        rh, rw = int(oh // scale) // 2 * 2, int(ow // scale) // 2 * 2
        img_lqs = [cv2.resize(v, (rw, rh), interpolation=INTER[params["interpolation"]]) for v in img_lqs]
        img_lqs = [_noise(v, d) for v, d in zip(img_lqs, draws)]
    pre = [np.clip(v * 255, 0, 255).astype(np.uint8) for v in img_lqs]
    decoded, n = reference_codec(pre, params["crf"])
    if kind == "dicface":
        lq = [cv2.resize(f, (ow, oh), interpolation=INTER[params["interpolation"]]) for f in decoded]
    else:
        lq = decoded
    return {
        "pre": np.stack(pre),
        "decoded": np.stack(decoded),
        "lq": np.stack(lq)[:, :, :, ::-1],
        "bytes": n,
    }


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(255.0**2 / mse))
