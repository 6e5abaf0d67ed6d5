"""Regression gates: compare a candidate run with a baseline → pass / fail / incomparable.

:func:`compare` first checks that the two runs measured the same thing: same dataset content
(manifest hash and clip ids), same LQ inputs (kind, preset + version, seed, max_frames and LQ
content hashes), the same metric identities (name, version, mode, options, asset hashes) and the
baseline's methods present in the candidate. Any difference → ``incomparable`` (exit 2), with
every difference listed. Method fingerprints may differ: a changed method is what a gate tests.

Then, per (method, metric) of the baseline, the candidate's aggregate must not be *worse* than
the baseline's by more than the tolerance in the metric's direction (improvements pass; with
``two_sided`` any move beyond the tolerance fails). A clip that restored in the baseline but
failed in the candidate fails the gate too. A failure names the method, the metric, the
baseline and candidate values and the clips that moved most.

Tolerances (JSON, see :data:`DEFAULT_TOLERANCES`): ``{"default": {"abs": 1e-6},
"psnr": {"abs": 0.05}, "ssim": {"rel": 0.001}, "two_sided": false}``. ``abs`` and ``rel`` are
in raw metric units; when both are given the larger allowance applies.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vfebench.errors import InputError

PASS, FAIL, INCOMPARABLE = "pass", "fail", "incomparable"
EXIT_CODES = {PASS: 0, FAIL: 1, INCOMPARABLE: 2}

#: default allowances (raw units): deterministic CPU runs reproduce to the last bit; these leave
#: room for BLAS/thread-order noise only, far below a 0.1 dB PSNR change
DEFAULT_TOLERANCES: dict[str, Any] = {
    "default": {"abs": 1e-6, "rel": 1e-6},
    "psnr": {"abs": 0.01},
    "ssim": {"abs": 1e-4},
    "niqe": {"abs": 1e-3},
    "two_sided": False,
}


@dataclass
class Finding:
    method: str
    metric: str
    baseline: float | None
    candidate: float | None
    delta: float | None
    allowed: float
    worse: bool
    clips: list[tuple[str, float]] = field(default_factory=list)


@dataclass
class GateResult:
    status: str
    reasons: list[str]
    findings: list[Finding]

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    def summary(self) -> str:
        lines = [f"gate: {self.status.upper()}"]
        lines += [f"  - {r}" for r in self.reasons]
        if self.status != INCOMPARABLE:
            n_bad = sum(f.worse for f in self.findings)
            lines.append(f"  checked {len(self.findings)} (method, metric) pair(s); {n_bad} out of tolerance")
        return "\n".join(lines)


def load_tolerances(path: str | os.PathLike | None) -> dict[str, Any]:
    tol = json.loads(json.dumps(DEFAULT_TOLERANCES))
    if path is None:
        return tol
    p = Path(path)
    try:
        user = json.loads(p.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(
            f'{p}: cannot read tolerances ({exc}); expected JSON like {{"psnr": {{"abs": 0.05}}}}'
        ) from exc
    if not isinstance(user, dict):
        raise InputError(f"{p}: tolerances must be a JSON object")
    for k, v in user.items():
        if k != "two_sided" and (not isinstance(v, dict) or not set(v) <= {"abs", "rel"}):
            raise InputError(f'{p}: tolerance for {k!r} must be {{"abs": x}} and/or {{"rel": y}}, got {v!r}')
    tol.update(user)
    return tol


def _allowed(tol: dict[str, Any], key: str, name: str, base: float) -> float:
    t = tol.get(key) or tol.get(name) or tol["default"]
    return max(float(t.get("abs", 0.0)), float(t.get("rel", 0.0)) * abs(base))


def _lq_identity(rec: dict[str, Any]) -> dict[str, Any]:
    ident = dict((rec.get("lq") or {}).get("identity") or {})
    ident.pop("root", None)
    return ident


def comparability(base: dict[str, Any], cand: dict[str, Any]) -> list[str]:
    """Reasons why the two runs cannot be compared (empty list = comparable)."""
    out = []
    bd, cd = base["dataset"], cand["dataset"]
    if bd.get("manifest_hash") != cd.get("manifest_hash"):
        out.append(
            f"different dataset content: manifest {str(bd.get('manifest_hash'))[:12]} ({bd.get('spec')}) vs "
            f"{str(cd.get('manifest_hash'))[:12]} ({cd.get('spec')})"
        )
    if bd.get("clip_ids") != cd.get("clip_ids"):
        out.append(f"different clips: {len(bd.get('clip_ids') or [])} vs {len(cd.get('clip_ids') or [])}")
    bl, cl = _lq_identity(base), _lq_identity(cand)
    for k in ("kind", "preset", "version", "seed", "max_frames"):
        if bl.get(k) != cl.get(k):
            what = {"version": "preset version"}.get(k, k)
            out.append(f"different {what}: {bl.get(k)!r} vs {cl.get(k)!r}")
    if not out and bl.get("lq_hashes") != cl.get("lq_hashes"):
        diff = sorted(
            c for c in set(bl.get("lq_hashes") or {}) | set(cl.get("lq_hashes") or {})
            if (bl.get("lq_hashes") or {}).get(c) != (cl.get("lq_hashes") or {}).get(c)
        )  # fmt: skip
        out.append(
            f"same preset and seed but different LQ bytes for {len(diff)} clip(s) (e.g. {diff[:3]}): the "
            "degradation is not reproducible here (codec or library version?)"
        )
    if base["config"].get("max_frames") != cand["config"].get("max_frames"):
        out.append(
            f"different max_frames: {base['config'].get('max_frames')} vs {cand['config'].get('max_frames')}"
        )
    for key, bi in base["metrics"].items():
        ci = cand["metrics"].get(key)
        if ci is None:
            out.append(f"metric {key!r} is missing from the candidate")
            continue
        for f in ("name", "version", "mode", "options", "assets"):
            if bi.get(f) != ci.get(f):
                out.append(f"metric {key!r}: different {f}: {bi.get(f)!r} vs {ci.get(f)!r}")
    missing = [m for m in base["methods"] if m not in cand["methods"]]
    if missing:
        out.append(f"method(s) {', '.join(missing)} missing from the candidate")
    return out


def _clip_values(rec: dict[str, Any], label: str, key: str) -> dict[str, float | None]:
    return {c["clip_id"]: c.get("values", {}).get(key) for c in rec["clips"] if c["method"] == label}


def compare(
    base: dict[str, Any], cand: dict[str, Any], tolerances: dict[str, Any] | None = None, top: int = 3
) -> GateResult:
    """Gate ``cand`` against ``base`` (two run records)."""
    tol = tolerances or load_tolerances(None)
    reasons = comparability(base, cand)
    if reasons:
        return GateResult(INCOMPARABLE, reasons, [])
    two_sided = bool(tol.get("two_sided", False))
    findings: list[Finding] = []
    fail_reasons: list[str] = []
    for label, bm in base["methods"].items():
        cm = cand["methods"][label]
        b_ok = {c["clip_id"] for c in base["clips"] if c["method"] == label and c["status"] == "ok"}
        c_fail = {
            c["clip_id"]: c.get("reason", "")
            for c in cand["clips"]
            if c["method"] == label and c["status"] != "ok"
        }
        for cid in sorted(b_ok & set(c_fail)):
            fail_reasons.append(
                f"{label} / {cid}: restored in the baseline, failed in the candidate ({c_fail[cid]})"
            )
        for key, info in base["metrics"].items():
            b = (bm.get("aggregates") or {}).get(key)
            c = (cm.get("aggregates") or {}).get(key)
            hib = info.get("higher_is_better", True)
            if b is None:
                continue
            allowed = _allowed(tol, key, info.get("name", key), float(b))
            if c is None or (isinstance(c, float) and math.isnan(c)):
                f = Finding(label, key, b, None, None, allowed, True)
                findings.append(f)
                fail_reasons.append(f"{label} / {key}: baseline {b:.6g}, candidate has no value")
                continue
            delta = float(c) - float(b)
            bad = -delta if hib else delta  # > 0 means worse
            worse = abs(delta) > allowed if two_sided else bad > allowed
            bv, cv = _clip_values(base, label, key), _clip_values(cand, label, key)
            moved = []
            for cid, v in bv.items():
                w = cv.get(cid)
                if v is not None and w is not None:
                    d = float(w) - float(v)
                    moved.append((cid, d))
            sign = -1.0 if hib else 1.0
            moved.sort(key=lambda t: abs(t[1]) if two_sided else sign * t[1], reverse=True)
            f = Finding(label, key, float(b), float(c), delta, allowed, worse, moved[:top])
            findings.append(f)
            if worse:
                disp = info.get("display") or key
                clips = ", ".join(f"{cid} ({d:+.4g})" for cid, d in f.clips) or "-"
                fail_reasons.append(
                    f"{label} / {disp} ({key}): {b:.6g} → {c:.6g} (Δ {delta:+.4g}, allowed ±{allowed:.3g}, "
                    f"{'higher' if hib else 'lower'} is better); clips that moved most: {clips}"
                )
    if fail_reasons:
        return GateResult(FAIL, fail_reasons, findings)
    return GateResult(PASS, [], findings)


def gate(
    baseline: str | os.PathLike, candidate: str | os.PathLike, tolerances: str | os.PathLike | None = None
) -> GateResult:
    """Read the two run records (folders or JSON files) and :func:`compare` them."""
    from vfebench.results import read_record

    return compare(read_record(baseline), read_record(candidate), load_tolerances(tolerances))


def bless(run: str | os.PathLike, dest: str | os.PathLike) -> Path:
    """Write ``run``'s record as a baseline file: local paths and the cache root removed.

    The result is an ordinary run record (``vfebench gate --baseline FILE`` reads it).
    """
    from vfebench.results import read_record
    from vfebench.utils import atomic_write_json

    rec = read_record(run)
    rec.pop("_path", None)
    for c in rec["clips"]:
        c.pop("restored_path", None)
        c.pop("lq_path", None)
    rec.get("cache", {}).pop("root", None)
    if rec.get("lq"):
        rec["lq"].pop("root", None)
    for k in ("out", "cache", "features"):
        rec["config"].pop(k, None)
    rec["blessed_from"] = str(rec.get("run_id"))
    atomic_write_json(dest, rec)
    return Path(dest)
