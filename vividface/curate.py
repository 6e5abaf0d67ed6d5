"""MLLM-Face90 curation: face-region crop → Qwen2.5-VL quality score → keep clips scoring > 90.

1. Face region: :mod:`vfebench.faceregion` (the same code as ``vfebench prepare``): per-frame
   boxes → union over the clip → square window fitted to the frame → every frame cropped and
   resized. One window per clip keeps the crop temporally stable.
2. Scoring: ``num_frames`` evenly spaced crops (JPEG, base64 data URLs) are sent with our
   versioned prompt (:data:`PROMPT_VERSION`, :data:`PROMPT`) to an OpenAI-compatible
   ``/v1/chat/completions`` endpoint (vLLM and others serve Qwen2.5-VL that way). Five
   dimensions × 20 points = 100; the paper's exact prompt (its Supplementary B) is not in our
   copy, ours is written from its description.
3. Reply parsing (:func:`parse_scores`) tolerates prose and code fences around the JSON;
   the total is recomputed from the dimensions. Timeouts, connection errors, HTTP 429/5xx and
   unparseable replies are retried (``retries`` times, exponential backoff); a clip that still
   fails is recorded with ``status="error"`` and its reason, never silently dropped.
4. Manifest ``OUT/manifest.jsonl``: one JSON line per clip (``clip_id``, ``source``, ``scores``
   per dimension, ``total``, ``kept``, ``reason``, ``model``, ``prompt_version``, ``status``,
   ``window``); appended and flushed per clip. Re-running resumes: clips already scored ``ok``
   with the same model and prompt version are skipped (``retry_errors`` re-tries failed ones).
   With ``write_crops`` kept clips' face crops are written to ``OUT/clips/<clip_id>/``.
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vfebench.errors import InputError, VfebenchError

PROMPT_VERSION = "vf-curate-v1"
DIMENSIONS = ("facial_detail", "stability_motion_blur", "lighting", "artifacts_noise", "occlusion")
MAX_PER_DIM = 20
THRESHOLD = 90.0

PROMPT = """You are a strict quality inspector selecting face videos for training a face-restoration model.
The images are frames sampled in order from ONE video, cropped to the face region.
Score the video on five dimensions, 0-20 points each (100 in total). Start each dimension at 20 and
subtract penalties; a bonus may restore at most 2 points for outstanding quality, never above 20.
Key facial regions are the EYES, MOUTH, TEETH and NOSE: defects there weigh double.

1. facial_detail (facial detail clarity): pores, eyelashes, iris texture, lip lines and hair strands
   sharp and natural. -4 to -10 for soft or smeared skin texture, -4 to -12 for blurred eyes or mouth,
   -6 for over-sharpened, plastic or painted-looking skin. Bonus for crisp, photographic micro-detail.
2. stability_motion_blur (video stability and regional motion blur): stable framing, no shake; no
   motion blur during head turns, speech or blinks. -3 to -8 for camera shake, -5 to -12 for motion
   blur on the eyes, mouth or teeth in any frame, -4 for frames that are clearly out of focus.
3. lighting (lighting quality): natural, even illumination with correct exposure and skin tones.
   -3 to -8 for harsh shadows across the eyes or nose, -4 to -10 for over- or under-exposure that
   clips facial detail, -3 for strong colour casts or flicker.
4. artifacts_noise (compression artifacts and noise): no blocking, ringing, banding, mosquito noise or
   sensor noise. -4 to -12 for visible compression blocks or ringing on the face, -3 to -8 for grain
   or noise, -4 for upscaling or denoising artifacts (waxy skin, halos).
5. occlusion (facial occlusion): the whole face visible in every frame. -4 to -12 when hands,
   microphones, hair, glasses glare, masks, text or other objects cover the eyes, nose or mouth;
   -2 to -5 for partial occlusion of cheeks, forehead or chin; -6 for the face leaving the frame.

Be strict: only videos that are excellent on every dimension should total more than 90.
Answer with ONE JSON object and nothing else, in exactly this form:
{"facial_detail": <0-20>, "stability_motion_blur": <0-20>, "lighting": <0-20>, "artifacts_noise": <0-20>,
 "occlusion": <0-20>, "total": <0-100>, "reason": "<one sentence naming the main defects>"}"""


class CurationError(VfebenchError):
    """The endpoint failed or replied with something that holds no valid score."""


# ----------------------------------------------------------------------------- parsing
def _json_candidates(text: str) -> Iterable[str]:
    for m in re.finditer(r"```(?:json)?\s*(.*?)```", text, re.S | re.I):
        yield m.group(1).strip()
    starts = [i for i, c in enumerate(text) if c == "{"]
    for s in starts:  # balanced-brace scan, string-aware
        depth, in_str, esc = 0, False, False
        for j in range(s, len(text)):
            c = text[j]
            if in_str:
                if esc:
                    esc = False
                elif c == "\\":
                    esc = True
                elif c == '"':
                    in_str = False
            elif c == '"':
                in_str = True
            elif c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    yield text[s : j + 1]
                    break


def parse_scores(text: str) -> dict[str, Any]:
    """The first JSON object in ``text`` holding all five dimensions → validated scores.

    Returns ``{"scores": {dim: float}, "total": float, "reason": str, "model_total": float|None}``;
    raises :class:`CurationError` when no valid object is found.
    """
    if not isinstance(text, str) or not text.strip():
        raise CurationError("empty reply")
    problems = []
    for cand in _json_candidates(text):
        try:
            obj = json.loads(cand)
        except ValueError:
            continue
        if not isinstance(obj, dict):
            continue
        norm = {str(k).strip().lower().replace(" ", "_"): v for k, v in obj.items()}
        if not all(d in norm for d in DIMENSIONS):
            problems.append(f"missing {[d for d in DIMENSIONS if d not in norm]}")
            continue
        try:
            scores = {d: float(norm[d]) for d in DIMENSIONS}
        except (TypeError, ValueError):
            problems.append("non-numeric score")
            continue
        bad = {d: s for d, s in scores.items() if not 0 <= s <= MAX_PER_DIM}
        if bad:
            problems.append(f"out of range {bad}")
            continue
        model_total = norm.get("total")
        try:
            model_total = float(model_total) if model_total is not None else None
        except (TypeError, ValueError):
            model_total = None
        return {
            "scores": scores,
            "total": float(sum(scores.values())),
            "reason": str(norm.get("reason", "")),
            "model_total": model_total,
        }
    raise CurationError(
        "no valid score JSON in reply"
        + (f" ({'; '.join(problems)})" if problems else "")
        + f": {text[:200]!r}"
    )


# ----------------------------------------------------------------------------- client
@dataclass
class ChatClient:
    """Minimal OpenAI-compatible chat-completions client (stdlib only).

    ``endpoint``: base URL such as ``http://host:8000`` or ``http://host:8000/v1``.
    """

    endpoint: str
    model: str = "Qwen/Qwen2.5-VL-72B-Instruct"
    api_key: str | None = None
    timeout: float = 120.0
    retries: int = 3
    backoff: float = 2.0
    max_tokens: int = 512
    temperature: float = 0.0

    @property
    def url(self) -> str:
        """The chat-completions URL of the endpoint (``/v1`` added when missing)."""
        base = self.endpoint.rstrip("/")
        if not base.endswith("/v1"):
            base += "/v1"
        return base + "/chat/completions"

    def _post(self, payload: dict[str, Any]) -> dict[str, Any]:
        data = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        req = urllib.request.Request(self.url, data=data, headers=headers, method="POST")
        with urllib.request.urlopen(req, timeout=self.timeout) as r:
            return json.loads(r.read().decode())

    def score(self, images: list[bytes], prompt: str = PROMPT) -> tuple[dict[str, Any], int]:
        """Send JPEG ``images`` + ``prompt``; returns ``(parsed scores, attempts)`` or raises."""
        content: list[dict[str, Any]] = [
            {
                "type": "image_url",
                "image_url": {"url": "data:image/jpeg;base64," + base64.b64encode(b).decode()},
            }
            for b in images
        ]
        content.append({"type": "text", "text": prompt})
        payload = {
            "model": self.model,
            "messages": [{"role": "user", "content": content}],
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
        }
        errors = []
        for attempt in range(1, self.retries + 2):
            try:
                reply = self._post(payload)
                text = reply["choices"][0]["message"]["content"]
                return parse_scores(text), attempt
            except urllib.error.HTTPError as exc:
                errors.append(f"HTTP {exc.code}")
                if exc.code not in (408, 429) and exc.code < 500:
                    break
            except TimeoutError as exc:
                errors.append(f"timeout after {self.timeout}s ({exc})")
            except urllib.error.URLError as exc:
                errors.append(f"connection error ({exc.reason})")
            except (KeyError, IndexError, TypeError, ValueError) as exc:
                errors.append(f"malformed response ({exc})")
            except CurationError as exc:
                errors.append(str(exc))
            if attempt <= self.retries:
                time.sleep(self.backoff * 2 ** (attempt - 1))
        raise CurationError(f"{self.url}: gave up after {len(errors)} attempt(s): " + " | ".join(errors))


# ----------------------------------------------------------------------------- pipeline
def sample_indices(n: int, k: int) -> list[int]:
    """``k`` evenly spaced frame indices of ``n`` (all when ``n <= k``)."""
    if n <= k:
        return list(range(n))
    return [int(round(i * (n - 1) / (k - 1))) for i in range(k)] if k > 1 else [n // 2]


def encode_jpeg(frame: np.ndarray, quality: int = 95) -> bytes:
    """JPEG bytes of an ``(H, W, 3)`` uint8 RGB frame at ``quality`` (0–100); ``InputError`` if OpenCV
    fails."""
    import cv2

    ok, buf = cv2.imencode(".jpg", frame[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise InputError("JPEG encoding failed")
    return buf.tobytes()


def face_crops(frames: np.ndarray, size: int, detector=None, scale: float = 1.8) -> tuple[np.ndarray, dict]:
    """One square face window for the whole clip (:mod:`vfebench.faceregion`) and the frames cropped to it.

    ``frames``: ``T×H×W×3`` uint8 RGB. Returns ``T×size×size×3`` uint8 crops and the window as a
    dict (``x0``, ``y0``, ``side`` in frame pixels and whether it was shifted or shrunk to fit).
    """
    from vfebench import faceregion as fr

    boxes = fr.detect_boxes(iter(frames), detector=detector)
    win = fr.clip_window(boxes, frames.shape[1:3], scale=scale)
    return np.stack(list(fr.crop_clip(iter(frames), win, size))), win.as_dict()


def read_manifest(path: Path) -> dict[str, dict[str, Any]]:
    """Last record per clip id (a torn last line from an interrupted run is ignored)."""
    out: dict[str, dict[str, Any]] = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            try:
                rec = json.loads(line)
                out[rec["clip_id"]] = rec
            except (ValueError, KeyError, TypeError):
                continue
    return out


def curate(
    clips: Iterable[tuple[str, Callable[[], Any]]],
    client: ChatClient,
    out_dir: str | os.PathLike,
    *,
    threshold: float = THRESHOLD,
    num_frames: int = 8,
    crop_size: int = 448,
    detector=None,
    scale: float = 1.8,
    write_crops: bool = False,
    retry_errors: bool = False,
    progress: bool = True,
) -> dict[str, Any]:
    """Score ``(clip_id, load)`` pairs (``load()`` → :class:`~vfebench.video.Clip`) into a manifest.

    Returns counts ``{"scored", "skipped", "kept", "errors", "manifest"}``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    man_path = out / "manifest.jsonl"
    done = read_manifest(man_path)
    counts = {"scored": 0, "skipped": 0, "kept": 0, "errors": 0}
    clips = list(clips)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(clips), desc="curate", leave=False)
    with open(man_path, "a", encoding="utf-8") as f:
        for cid, load in clips:
            prev = done.get(cid)
            same = prev and prev.get("model") == client.model and prev.get("prompt_version") == PROMPT_VERSION
            if same and (prev["status"] == "ok" or not retry_errors):
                counts["skipped"] += 1
                counts["kept"] += int(bool(prev.get("kept")))
                if bar is not None:
                    bar.update(1)
                continue
            rec: dict[str, Any] = {"clip_id": cid, "model": client.model, "prompt_version": PROMPT_VERSION}
            try:
                clip = load()
                rec["source"] = clip.meta.get("source", "")
                crops, window = face_crops(clip.frames, crop_size, detector, scale)
                rec["window"] = window
                imgs = [encode_jpeg(crops[i]) for i in sample_indices(len(crops), num_frames)]
                parsed, attempts = client.score(imgs)
                kept = parsed["total"] > threshold
                rec.update(
                    status="ok",
                    scores=parsed["scores"],
                    total=parsed["total"],
                    model_total=parsed["model_total"],
                    kept=kept,
                    reason=parsed["reason"],
                    attempts=attempts,
                    threshold=threshold,
                )
                counts["scored"] += 1
                counts["kept"] += int(kept)
                if kept and write_crops:
                    from vfebench.video import write_png_frames

                    write_png_frames(crops, out / "clips" / cid)
            except VfebenchError as exc:
                rec.update(status="error", kept=False, scores=None, total=None, reason=str(exc))
                counts["errors"] += 1
            f.write(json.dumps(rec) + "\n")
            f.flush()
            os.fsync(f.fileno())
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close()
    return {**counts, "manifest": str(man_path)}
