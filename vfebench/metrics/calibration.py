"""Calibration of our metrics against officially published values (``vfebench calibrate``).

The published numbers ship in ``vfebench/metrics/data/calibration_pyiqa.json`` with their
source: pyiqa's ``ResultsCalibra/results_official.csv`` (values computed with each metric's
official code) and pyiqa's own values beside them (``calibration_summary.csv``), at a pinned
commit of chaofengc/IQA-PyTorch, on five TID2013 distorted/reference pairs. The images are not
shipped: :func:`calibration_inputs` takes a local folder (``--inputs DIR``, holding
``dist_dir/`` and ``ref_dir/``) or downloads them by URL at that commit into the cache, and
checks every file's sha256 either way.

Each metric is held to the tolerance written next to its numbers (with why); a metric with
``"tolerance": null`` is shown for information only.
"""

from __future__ import annotations

import http.client
import json
import math
import urllib.request
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from vfebench.errors import InputError, MissingAssetError, MissingDependencyError

DATA = Path(__file__).resolve().parent / "data" / "calibration_pyiqa.json"


@lru_cache(maxsize=1)
def table() -> dict[str, Any]:
    """The shipped calibration table (source, images with sha256, per-metric numbers)."""
    return json.loads(DATA.read_text())


def metric_names() -> list[str]:
    """Names of the metrics that have published numbers in the calibration table."""
    return list(table()["metrics"])


def _files() -> list[tuple[str, str]]:
    """``(relative path, sha256)`` of every calibration image."""
    out = []
    for im in table()["images"]:
        out += [(im["dist"], im["dist_sha256"]), (im["ref"], im["ref_sha256"])]
    return out


def _check_folder(root: Path) -> list[str]:
    """Problems with the files under ``root`` (missing / wrong sha256); empty when all good."""
    from vfebench.utils import sha256_file

    bad = []
    for rel, want in _files():
        p = root / rel
        if not p.is_file():
            bad.append(f"{rel}: missing")
        elif sha256_file(p) != want:
            bad.append(f"{rel}: sha256 differs from the pinned {want[:12]}…")
    return bad


def _source_hint() -> str:
    src = table()["source"]
    return (
        f"a folder with dist_dir/ and ref_dir/ from {src['repo']} ResultsCalibra/ at commit "
        f"{src['commit']} ({src['base_url']})"
    )


def calibration_inputs(inputs: str | Path | None = None, timeout: float = 60.0) -> Path:
    """Folder holding the verified calibration images.

    ``inputs``: a local folder (checked, never written). Without it: the cache copy, downloaded
    by URL when missing (not in offline mode). Raises :class:`InputError` naming the missing or
    mismatching files and the fix.
    """
    from vfebench.assets import offline
    from vfebench.utils import atomic_path, cache_root, sha256_file

    if inputs is not None:
        root = Path(inputs).expanduser()
        bad = _check_folder(root)
        if bad:
            raise InputError(
                f"calibration inputs {root}: "
                + "; ".join(bad[:4])
                + (" …" if len(bad) > 4 else "")
                + f". Expected {_source_hint()}"
            )
        return root
    src = table()["source"]
    root = cache_root() / "calibration" / f"pyiqa-{src['commit'][:12]}"
    missing = [(rel, h) for rel, h in _files() if not (root / rel).is_file() or sha256_file(root / rel) != h]
    if not missing:
        return root
    if offline():
        raise InputError(
            f"the calibration images are not in {root} and offline mode (VFEBENCH_OFFLINE) forbids "
            f"downloading them; pass --inputs DIR: {_source_hint()}"
        )
    for rel, want in missing:
        url = src["base_url"] + rel
        dest = root / rel
        try:
            with atomic_path(dest, suffix=".part") as tmp:
                with urllib.request.urlopen(url, timeout=timeout) as r, open(tmp, "wb") as f:
                    f.write(r.read())
                got = sha256_file(tmp)
                if got != want:
                    raise InputError(f"{url}: sha256 {got} differs from the pinned {want}")
        except InputError:
            raise
        except (OSError, http.client.HTTPException, ValueError) as exc:  # URLError is an OSError
            raise InputError(
                f"could not download {url} ({exc}); pass --inputs DIR: {_source_hint()}"
            ) from exc
    return root


def _load_rgb(p: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(p) as im:
        return np.asarray(im.convert("RGB"))


@dataclass
class MetricCalibration:
    """One metric's calibration: our values beside the published ones and the verdict."""

    name: str
    images: list[str]
    ours: list[float] = field(default_factory=list)
    official: list[float] = field(default_factory=list)
    pyiqa: list[float] = field(default_factory=list)
    tolerance: dict[str, float] | None = None
    why: str = ""
    skipped: str = ""  # why it could not be computed (weights or extra missing)

    def passes(self, i: int, against: str) -> bool | None:
        """Within tolerance for image ``i`` against ``official`` or ``pyiqa`` (None: not held)."""
        if not self.tolerance or self.skipped:
            return None
        ours, ref = self.ours[i], (self.official if against == "official" else self.pyiqa)[i]
        if not math.isfinite(ours):
            return False
        if f"{against}_rel" in self.tolerance:
            return abs(ours - ref) <= self.tolerance[f"{against}_rel"] * abs(ref)
        return abs(ours - ref) <= self.tolerance[f"{against}_abs"]

    @property
    def ok(self) -> bool | None:
        """True / False when held and computed; None when informational or skipped."""
        if not self.tolerance or self.skipped:
            return None
        return all(self.passes(i, a) for i in range(len(self.images)) for a in ("official", "pyiqa"))


def _ensure_weights(metric, fetch: bool) -> None:
    """Fetch the metric's missing assets when allowed (a connected machine)."""
    from vfebench import assets

    for a in metric.required_assets():
        if not assets.is_present(a) and fetch and not assets.offline():
            assets.fetch(a)


def calibrate(
    names: list[str], inputs: Path, device: str = "cpu", fetch_weights: bool = True
) -> list[MetricCalibration]:
    """Compute every metric in ``names`` on the calibration images and pair it with the table."""
    from vfebench.metrics import build_metric

    tab = table()
    images = [im["name"] for im in tab["images"]]
    pairs = [(_load_rgb(inputs / im["dist"]), _load_rgb(inputs / im["ref"])) for im in tab["images"]]
    out = []
    for n in names:
        if n not in tab["metrics"]:
            from vfebench.registry import did_you_mean

            why = tab.get("not_calibrated", {}).get(n)
            raise InputError(
                f"no calibration values for {n!r}"
                + (f" ({why})" if why else f".{did_you_mean(n, list(tab['metrics']))}")
                + f"; calibrated metrics: {', '.join(tab['metrics'])}"
            )
        entry = tab["metrics"][n]
        res = MetricCalibration(
            n,
            images,
            official=list(entry["official"]),
            pyiqa=list(entry["pyiqa"]),
            tolerance=entry["tolerance"],
            why=entry.get("why", ""),
        )
        m = build_metric(entry["spec"])
        try:
            _ensure_weights(m, fetch_weights)
            m.ensure_setup(device)
        except (MissingAssetError, MissingDependencyError) as exc:
            res.skipped = str(exc)
            out.append(res)
            continue
        for d, r in pairs:
            v = m(d[None], r[None] if m.needs_reference else None, clip_id="calibration").value
            res.ours.append(float(v))
        out.append(res)
    return out


def format_table(results: list[MetricCalibration]) -> str:
    """Plain-text table: per metric and image, ours / official / pyiqa and the verdict."""
    lines = []
    for r in results:
        tol = r.tolerance
        tol_txt = (
            "not held (information only)"
            if not tol
            else ", ".join(
                f"{k.split('_')[0]} ±{v:g}{' relative' if k.endswith('rel') else ''}" for k, v in tol.items()
            )
        )
        lines.append(f"{r.name}: tolerance {tol_txt}")
        if r.skipped:
            lines.append(f"  skipped: {r.skipped}")
            lines.append("")
            continue
        lines.append(f"  {'image':<8} {'ours':>12} {'official':>12} {'pyiqa':>12}  verdict")
        for i, im in enumerate(r.images):
            po, pp = r.passes(i, "official"), r.passes(i, "pyiqa")
            verdict = (
                "-"
                if po is None
                else (
                    "ok" if po and pp else "OUT" + ("" if po else " (official)") + ("" if pp else " (pyiqa)")
                )
            )
            lines.append(
                f"  {im:<8} {r.ours[i]:>12.4f} {r.official[i]:>12.4f} {r.pyiqa[i]:>12.4f}  {verdict}"
            )
        if r.why:
            lines.append(f"  ({r.why})")
        lines.append("")
    return "\n".join(lines)
