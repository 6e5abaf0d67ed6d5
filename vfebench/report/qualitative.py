"""The HTML report's qualitative section: what the restored faces look like.

For each shown clip (``--show CLIP[@FRAME]``; default :func:`pick_clips`: the clips where the
methods' per-clip values of the headline metric spread the most, frame = the middle one):

- a **grid** of GT / LQ / every method at one frame, each with zoomed insets of the eyes and the
  mouth (:func:`face_regions`): boxes from the five MTCNN landmarks the face metrics already
  stored in the feature store (never computed here), or a fixed box for aligned 512² face crops
  when none are stored — the caption says which;
- a **side-by-side video** of the same sources, one frame of each panel per video frame (so the
  panels are synchronised by construction), encoded once into the report's folder as H.264
  High 4:2:0, CRF 10 (:data:`VIDEO_LABEL`: near-lossless, not lossless — 4:2:0 halves the chroma
  resolution; chosen because every browser plays it, unlike 4:4:4 or RGB H.264). A video whose
  file already exists with the same content key is reused.

Images are separate files loaded lazily (``loading="lazy"``), so a 50-clip report opens fast;
``single_file=True`` embeds small thumbnails (base64 JPEG) only and leaves the videos out.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import math
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

VIDEO_LABEL = "near-lossless: H.264 High, 4:2:0, CRF 10"
VIDEO_HEIGHT = 256
THUMB = 160

#: fixed boxes (fractions x1, y1, x2, y2) for aligned face crops (FFHQ-like alignment)
FIXED_EYES = (0.22, 0.32, 0.78, 0.52)
FIXED_MOUTH = (0.30, 0.62, 0.70, 0.82)

Box = tuple[float, float, float, float]


def parse_show(specs: list[str] | None) -> list[tuple[str, int | None]]:
    """``["clip@12", "other"]`` → ``[("clip", 12), ("other", None)]``."""
    from vfebench.errors import InputError

    out = []
    for s in specs or []:
        cid, _, fr = s.rpartition("@") if re.search(r"@\d+$", s) else (s, "", "")
        if not cid:
            raise InputError(f"--show {s!r}: expected CLIP or CLIP@FRAME (frame index from 0)")
        out.append((cid, int(fr) if fr else None))
    return out


def pick_clips(records: list[dict[str, Any]], metric: str | None, n: int = 2) -> list[str]:
    """The ``n`` clips whose per-clip values of ``metric`` (a metric name) differ most between
    methods (max − min of the display values), over every run; ties keep the dataset order."""
    from vfebench.report import tables

    spread: dict[str, list[float]] = {}
    order: list[str] = []
    for rec in records:
        for cid in rec["dataset"].get("clip_ids") or []:
            if cid not in order:
                order.append(cid)
        key = tables._metric_key(rec, metric) if metric else None
        if key is None:
            continue
        scale = float(rec["metrics"][key].get("scale", 1.0))
        for c in rec["clips"]:
            v = tables.as_number((c.get("values") or {}).get(key))
            if v is not None and math.isfinite(v):
                spread.setdefault(c["clip_id"], []).append(v * scale)
    score = {cid: (max(v) - min(v) if len(v) > 1 else 0.0) for cid, v in spread.items()}
    ranked = sorted(order, key=lambda c: (-score.get(c, -1.0), order.index(c)))
    return ranked[:n]


def _feature_roots(rec: dict[str, Any]) -> list[Path]:
    from vfebench.utils import cache_root

    roots = []
    if rec["config"].get("features"):
        roots.append(Path(rec["config"]["features"]))
    roots.append(cache_root() / "features")
    return roots


#: MediaPipe FaceMesh indices → the five MTCNN-style points (eye corners averaged, nose tip,
#: mouth corners): image-left eye 33/133, image-right eye 362/263, nose 1, mouth 61 / 291
_MESH5 = ((33, 133), (362, 263), (1,), (61,), (291,))


def stored_landmarks(rec: dict[str, Any], frames: np.ndarray) -> tuple[np.ndarray, str] | None:
    """``(T×5×2 landmarks in 512² analysis pixels, which)`` stored for these frames by the face
    metrics (MTCNN five points, else FaceMesh reduced to five points), or None. Never computes."""
    from vfebench.metrics.features.faces import ANALYSIS_SIZE, MESH_VERSION, MTCNN_VERSION
    from vfebench.video import Clip

    h = Clip("x", frames).content_hash()
    for root in _feature_roots(rec):
        for kind, version in (("face_mtcnn", MTCNN_VERSION), ("face_mesh", MESH_VERSION)):
            f = root / kind / f"v{version}" / h[:2] / f"{h}.npz"
            if not f.is_file():
                continue
            try:
                with np.load(f, allow_pickle=False) as z:
                    if kind == "face_mtcnn":
                        return np.asarray(z["lm5"], dtype=np.float64), "MTCNN landmarks"
                    lm = np.asarray(z["lm"], dtype=np.float64)[..., :2] * ANALYSIS_SIZE
                    pts = np.stack([lm[:, list(ix)].mean(axis=1) for ix in _MESH5], axis=1)
                    return pts, "FaceMesh landmarks"
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # damaged: no landmarks
                continue
    return None


def face_regions(
    lm5: np.ndarray | None, frame: int, h: int, w: int, which: str = "face landmarks"
) -> tuple[Box, Box, str]:
    """Eye and mouth boxes (pixels of an ``h×w`` frame) and how they were found.

    From landmarks (left eye, right eye, nose, mouth left, mouth right; 512² coordinates): the
    eye box spans both eyes plus 0.45 eye distance each side, 0.6 eye distance high; the mouth
    box spans the corners plus 0.3 mouth width each side, 0.9 mouth width high.
    """
    if lm5 is not None and frame < len(lm5) and np.all(np.isfinite(lm5[frame])):
        p = lm5[frame] * np.array([w / 512.0, h / 512.0])
        le, re_, _, ml, mr = p
        d = float(np.hypot(*(re_ - le))) or 1.0
        cx, cy = (le + re_) / 2
        eyes = (cx - d * 0.95, cy - d * 0.3, cx + d * 0.95, cy + d * 0.3)
        mw = float(np.hypot(*(mr - ml))) or d * 0.6
        mx, my = (ml + mr) / 2
        mouth = (mx - mw * 0.8, my - mw * 0.45, mx + mw * 0.8, my + mw * 0.45)
        return _clamp(eyes, h, w), _clamp(mouth, h, w), f"{which} stored by the face metrics (frame {frame})"
    fx = lambda b: (b[0] * w, b[1] * h, b[2] * w, b[3] * h)  # noqa: E731
    return fx(FIXED_EYES), fx(FIXED_MOUTH), "fixed boxes (no stored landmarks for this clip)"


def _clamp(b: Box, h: int, w: int) -> Box:
    x1, y1, x2, y2 = b
    return (max(0.0, x1), max(0.0, y1), min(float(w), max(x2, x1 + 2)), min(float(h), max(y2, y1 + 2)))


def crop(frame: np.ndarray, box: Box, ref_hw: tuple[int, int], out_w: int) -> np.ndarray:
    """The region ``box`` (given for a frame of size ``ref_hw``) of a uint8 ``H×W×3`` ``frame`` (any
    size), zoomed with nearest neighbour to ``out_w`` pixels wide (pixels stay visible)."""
    from PIL import Image

    h, w = frame.shape[:2]
    sy, sx = h / ref_hw[0], w / ref_hw[1]
    x1, y1, x2, y2 = (int(math.floor(box[0] * sx)), int(math.floor(box[1] * sy)),
                      int(math.ceil(box[2] * sx)), int(math.ceil(box[3] * sy)))  # fmt: skip
    x2, y2 = max(x2, x1 + 1), max(y2, y1 + 1)
    region = frame[y1:y2, x1:x2]
    out_h = max(1, int(round(out_w * region.shape[0] / max(region.shape[1], 1))))
    return np.asarray(
        Image.fromarray(np.ascontiguousarray(region)).resize((out_w, out_h), Image.Resampling.NEAREST)
    )


def _resize(frame: np.ndarray, hw: tuple[int, int], nearest: bool = True) -> np.ndarray:
    from PIL import Image

    if frame.shape[:2] == hw:
        return frame
    m = Image.Resampling.NEAREST if nearest else Image.Resampling.BICUBIC
    return np.asarray(Image.fromarray(np.ascontiguousarray(frame)).resize((hw[1], hw[0]), m))


def _boxed(frame: np.ndarray, boxes: list[Box], ref_hw: tuple[int, int]) -> np.ndarray:
    """A copy of ``frame`` with the boxes outlined (yellow), for the full-frame cell."""
    out = frame.copy()
    h, w = out.shape[:2]
    sy, sx = h / ref_hw[0], w / ref_hw[1]
    t = max(1, w // 256)
    for b in boxes:
        x1, y1 = int(b[0] * sx), int(b[1] * sy)
        x2, y2 = min(int(b[2] * sx), w - 1), min(int(b[3] * sy), h - 1)
        for arr in (out[y1 : y1 + t, x1:x2], out[y2 - t + 1 : y2 + 1, x1:x2],
                    out[y1:y2, x1 : x1 + t], out[y1:y2, x2 - t + 1 : x2 + 1]):  # fmt: skip
            arr[...] = (255, 220, 0)
    return out


def encode_png(img: np.ndarray) -> bytes:
    """PNG bytes of a uint8 ``H×W×3`` RGB (or ``H×W`` grey) image."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(img)).save(buf, format="PNG")
    return buf.getvalue()


def thumb_data_uri(img: np.ndarray, width: int = THUMB) -> str:
    """A JPEG ``data:`` URI of a uint8 ``H×W×3`` RGB image, shrunk (bilinear) to ``width`` pixels
    wide when it is wider."""
    from PIL import Image

    h, w = img.shape[:2]
    im = Image.fromarray(np.ascontiguousarray(img))
    if w > width:
        im = im.resize((width, max(1, int(round(h * width / w)))), Image.Resampling.BILINEAR)
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()


def side_by_side(sources: list[tuple[str, np.ndarray]], height: int = VIDEO_HEIGHT) -> np.ndarray:
    """``T×height×(n·w)×3``: every source's frames resized (bicubic; LQ nearest) to one height,
    side by side, over the frames all sources have; even width and height for H.264 4:2:0."""
    t = min(len(fr) for _, fr in sources)
    height += height % 2
    panels = []
    for lb, fr in sources:
        h, w = fr.shape[1:3]
        pw = max(2, int(round(w * height / h)))
        pw += pw % 2
        panels.append(np.stack([_resize(f, (height, pw), nearest=(lb == "LQ")) for f in fr[:t]]))
    return np.concatenate(panels, axis=2)


def encode_video(frames: np.ndarray, path: Path, fps: float = 25.0) -> Path:
    """Write uint8 ``T×H×W×3`` RGB ``frames`` (4:2:0 wants even H and W, as :func:`side_by_side`
    makes them) as H.264 High 4:2:0 CRF 10 mp4
    (:data:`VIDEO_LABEL`), temp file + rename."""
    from fractions import Fraction

    import av

    from vfebench.utils import atomic_path
    from vfebench.video import quiet_av_logging

    quiet_av_logging()
    with atomic_path(path, suffix=".mp4") as tmp:
        with av.open(str(tmp), "w", format="mp4") as out:
            st = out.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
            st.width, st.height = frames.shape[2], frames.shape[1]
            st.pix_fmt = "yuv420p"
            st.options = {"crf": "10", "preset": "medium", "profile": "high", "movflags": "+faststart"}
            for fr in frames:
                out.mux(st.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(fr), format="rgb24")))
            out.mux(st.encode())
    return path


def _content_key(parts: list[tuple[str, np.ndarray]], extra: str) -> str:
    h = hashlib.sha256(extra.encode())
    for lb, fr in parts:
        h.update(lb.encode())
        h.update(f"{fr.shape}".encode())
        h.update(np.ascontiguousarray(fr).data)
    return h.hexdigest()[:16]


def _safe(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", s)[:60] or "clip"


def clip_section(
    rec: dict[str, Any],
    sources: list[tuple[str, np.ndarray]],
    clip_id: str,
    frame: int | None,
    assets: Path | None,
    rel: str,
    caption: str,
    fps: float = 25.0,
) -> str:
    """HTML for one clip: the grid of ``sources`` (``(label, T×H×W×3)``: GT, LQ, methods) at
    ``frame`` (default: the middle one) and their side-by-side video.

    ``rec``: a run of the clip (where to look for stored landmarks). ``assets``: folder for images
    and video (``rel`` is its path relative to the page); None = single-file mode (thumbnails
    embedded, no video).
    """
    e = html.escape
    if not sources:
        return f"<p>Clip {e(clip_id)}: no frames could be read (cache or dataset moved?).</p>"
    t = min(len(fr) for _, fr in sources)
    f = t // 2 if frame is None else frame
    if not 0 <= f < t:
        return (
            f"<p>Clip {e(clip_id)}: frame {f} is outside its {t} frames (--show {e(clip_id)}@0…{t - 1}).</p>"
        )
    ref_lb, ref = next(
        ((lb, fr) for lb, fr in sources if lb == "GT"), next((s for s in sources if s[0] != "LQ"), sources[0])
    )
    ref_hw = (int(ref.shape[1]), int(ref.shape[2]))
    found = stored_landmarks(rec, ref)
    for lb, fr in sources:
        if found is None and lb not in ("GT", "LQ") and fr.shape[1:3] == ref_hw:
            found = stored_landmarks(rec, fr)
    lm, which = found if found is not None else (None, "")
    eyes, mouth, how = face_regions(lm, f, *ref_hw, which=which)
    key = _content_key([(lb, fr[f : f + 1]) for lb, fr in sources], f"{clip_id}@{f}")
    cells = []
    for lb, fr in sources:
        img = fr[f]
        shown = _resize(img, ref_hw) if lb == "LQ" else img
        full = _boxed(shown, [eyes, mouth], ref_hw)
        ins = [crop(shown, b, ref_hw, 128) for b in (eyes, mouth)]
        name = f"{_safe(clip_id)}_{f}_{_safe(lb)}_{key[:8]}"
        srcs = []
        for suffix, im in (("full", full), ("eyes", ins[0]), ("mouth", ins[1])):
            if assets is None:
                srcs.append(thumb_data_uri(im, THUMB if suffix == "full" else 96))
            else:
                p = assets / f"{name}_{suffix}.png"
                if not p.is_file():
                    from vfebench.utils import atomic_path

                    with atomic_path(p, suffix=".png") as tmp:
                        Path(tmp).write_bytes(encode_png(im))
                srcs.append(f"{rel}/{p.name}")
        label = lb + (f" (nearest to the {'GT' if ref_lb == 'GT' else 'output'} size)" if lb == "LQ" else "")
        cells.append(
            f'<figure class="q-cell"><figcaption>{e(label)}</figcaption>'
            f'<img class="q-full" loading="lazy" alt="{e(lb)} frame {f}" src="{srcs[0]}">'
            f'<div class="q-ins"><img loading="lazy" alt="{e(lb)} eyes" src="{srcs[1]}">'
            f'<img loading="lazy" alt="{e(lb)} mouth" src="{srcs[2]}"></div></figure>'
        )
    out = [f'<section class="q-clip" id="q-{e(_safe(clip_id))}-{e(rec["run_id"][:6])}">',
           f"<h3>{e(clip_id)} — frame {f} of {t} · {e(caption)}</h3>",
           f'<div class="q-grid">{"".join(cells)}</div>',
           f'<p class="notes">Insets: eyes and mouth, nearest-neighbour zoom; regions from {e(how)}. '
           f"Yellow boxes mark them on each frame.</p>"]  # fmt: skip
    if assets is None:
        out.append('<p class="notes">Videos are left out of the single-file report.</p>')
    else:
        key = _content_key(sources, clip_id)
        video = assets / f"{_safe(clip_id)}_sbs_{key}.mp4"
        poster = assets / f"{_safe(clip_id)}_sbs_{key}_poster.jpg"
        if not video.is_file() or not poster.is_file():
            sbs = side_by_side(sources)
            if not video.is_file():
                encode_video(sbs, video, fps)
            from PIL import Image

            from vfebench.utils import atomic_path

            with atomic_path(poster, suffix=".jpg") as tmp:
                Image.fromarray(sbs[min(f, len(sbs) - 1)]).save(tmp, format="JPEG", quality=90)
        order = " | ".join(lb for lb, _ in sources)
        out.append(
            f'<figure class="q-video"><video controls loop muted playsinline preload="metadata" '
            f'width="100%" poster="{rel}/{poster.name}"><source src="{rel}/{video.name}" type="video/mp4"></video>'
            f"<figcaption>Side by side, synchronised ({e(order)}), {t} frames at {fps:g} fps; "
            f"{e(VIDEO_LABEL)}.</figcaption></figure>"
        )
    out.append("</section>")
    return "\n".join(out)
