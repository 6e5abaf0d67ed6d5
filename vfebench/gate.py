"""Regression gates: compare a candidate run with a baseline → pass / fail / incomparable.

Order of checks (:func:`compare`):

1. **Well-formed** (:func:`check_record`): ``metrics`` and ``methods`` are objects, ``clips`` is a
   list of rows with a ``method`` and ``clip_id``; every value is a number, ``null`` or an
   infinity marker (JSON ``Infinity`` or the strings ``"inf"``/``"Infinity"``, which PSNR of
   identical frames may give). Anything else (a string aggregate, ``"metrics": null``, a bool) →
   ``malformed``, exit 2, naming the field.
2. **Consistent** (:func:`check_consistency`): every method has exactly one row per clip of
   ``dataset.clip_ids`` (a deleted or duplicated row is caught), and each stored aggregate of a
   per-clip metric equals the mean of its clips' finite values (the runner's rule,
   :func:`vfebench.metrics.base.nanmean`) within 1e-9 relative. A mismatch → ``inconsistent``,
   exit 2 "record inconsistent": someone edited the record, so nothing it says can be trusted.
   Set-level metrics (one value per set, e.g. FVD ``dataset``) have no clip values to check.
3. **Comparable** (:func:`comparability`): same dataset content (manifest hash, clip ids), same
   LQ inputs (:func:`input_identity`: kind, preset name + version, seed, max_frames, LQ content
   hashes), the same metric identities (:func:`metric_identity`: name, version, mode, options,
   asset hashes) and the baseline's methods present in the candidate → else ``incomparable``,
   exit 2, every difference listed. Method fingerprints may differ: a changed method is what a
   gate tests.
4. **Within tolerance**: per (method, metric) of the baseline, the candidate's aggregate must
   not be *worse* than the baseline's by more than the tolerance in the metric's direction
   (improvements pass; with ``two_sided`` any move beyond the tolerance fails). A value missing
   or NaN in the baseline cannot vouch for anything → ``incomparable``; missing or NaN in the
   candidate while the baseline has one → ``fail``. Neither ever passes. Two equal infinities
   are equal (delta 0). A clip that restored in the baseline but failed in the candidate fails
   the gate too. A failure names the method, the metric, both values and the clips that moved
   most.

Tolerances (JSON; defaults: each metric's ``Metric.tolerance`` as stored in the record, else
:data:`DEFAULT_TOLERANCES`): ``{"default": {"abs": 1e-6},
"psnr": {"abs": 0.05}, "ssim": {"rel": 0.001}, "two_sided": false}``. ``abs`` and ``rel`` are
finite, non-negative numbers in raw metric units; when both are given the larger allowance
applies. Keys are metric keys or names; an unknown key is an error (a typo would otherwise
silently fall back to the default).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vfebench.errors import InputError, MalformedRecordError

PASS, FAIL, INCOMPARABLE = "pass", "fail", "incomparable"
MALFORMED, INCONSISTENT = "malformed", "inconsistent"
EXIT_CODES = {PASS: 0, FAIL: 1, INCOMPARABLE: 2, MALFORMED: 2, INCONSISTENT: 2}

#: default allowance (raw units) of a metric that declares none: deterministic CPU runs
#: reproduce to the last bit; this leaves room for BLAS/thread-order noise only. A metric's own
#: default lives on its class (``Metric.tolerance``, e.g. PSNR 0.01 dB) and in the run record's
#: metric entry; :func:`metric_tolerance` reads it.
DEFAULT_TOLERANCES: dict[str, Any] = {
    "default": {"abs": 1e-6, "rel": 1e-6},
    "two_sided": False,
}

#: relative tolerance of the aggregate-vs-clips check (float summation order only)
CONSISTENCY_RTOL = 1e-9

_INF_STRINGS = {"inf": math.inf, "+inf": math.inf, "infinity": math.inf, "+infinity": math.inf,
                "-inf": -math.inf, "-infinity": -math.inf, "∞": math.inf}  # fmt: skip


class Malformed(MalformedRecordError):
    """A record value that is neither a number, null nor an infinity marker."""


def as_value(v: Any, where: str = "value") -> float | None:
    """A record value as ``float`` (NaN and ±inf kept) or ``None`` when missing.

    Accepts numbers, ``None``, and the infinity markers ``"inf"``/``"Infinity"``/``"∞"``
    (any case, optional sign). Raises :class:`Malformed` naming ``where`` otherwise.
    """
    if v is None:
        return None
    if isinstance(v, bool):
        raise Malformed(f"{where}: {v!r} is a boolean, expected a number or null")
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str) and v.strip().lower() in _INF_STRINGS:
        return _INF_STRINGS[v.strip().lower()]
    if isinstance(v, dict) and set(v) == {"value"}:  # a tolerated wrapper {"value": x}
        return as_value(v["value"], where)
    raise Malformed(f'{where}: {v!r} is not a number (expected a number, null or "inf")')


def _missing(v: float | None) -> bool:
    return v is None or math.isnan(v)


@dataclass
class Finding:
    method: str
    metric: str
    baseline: float | None
    candidate: float | None
    delta: float | None
    allowed: float | None
    worse: bool
    clips: list[tuple[str, float]] = field(default_factory=list)
    verdict: str = "pass"  # pass | improved | FAIL | missing | incomparable


@dataclass
class GateResult:
    status: str
    reasons: list[str]
    findings: list[Finding]

    @property
    def exit_code(self) -> int:
        """Process exit status: 0 pass, 1 fail, 2 incomparable, malformed or inconsistent."""
        return EXIT_CODES[self.status]

    def summary(self) -> str:
        """Human-readable verdict: the status line, one line per reason, and the checked/out-of-tolerance
        count."""
        head = {MALFORMED: "MALFORMED record", INCONSISTENT: "record inconsistent"}.get(
            self.status, self.status.upper()
        )
        lines = [f"gate: {head}"]
        lines += [f"  - {r}" for r in self.reasons]
        if self.status in (PASS, FAIL) or (self.status == INCOMPARABLE and self.findings):
            n_bad = sum(f.worse for f in self.findings)
            lines.append(f"  checked {len(self.findings)} (method, metric) pair(s); {n_bad} out of tolerance")
        return "\n".join(lines)

    def explain(self) -> str:
        """A table of every checked (method, metric): baseline, candidate, delta, allowed, verdict."""
        head = ["method", "metric", "baseline", "candidate", "delta", "allowed", "verdict"]
        rows = [head]
        for f in self.findings:
            rows.append([f.method, f.metric, _g(f.baseline), _g(f.candidate), "–" if f.delta is None else _g(f.delta, signed=True),
                         "–" if f.allowed is None else f"±{f.allowed:.3g}", f.verdict])  # fmt: skip
        if len(rows) == 1:
            return "(nothing compared: " + (self.reasons[0] if self.reasons else self.status) + ")"
        w = [max(len(r[i]) for r in rows) for i in range(len(head))]
        out = ["  ".join(c.ljust(w[i]) if i < 2 else c.rjust(w[i]) for i, c in enumerate(r)) for r in rows]
        out.insert(1, "  ".join("-" * x for x in w))
        return "\n".join(out)


def _g(v: float | None, signed: bool = False) -> str:
    if v is None:
        return "missing"
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return ("+" if v > 0 and signed else "-" if v < 0 else "") + "∞"
    return f"{v:+.6g}" if signed else f"{v:.6g}"


# ----------------------------------------------------------------------------- tolerances


def load_tolerances(path: str | os.PathLike | None, known: set[str] | None = None) -> dict[str, Any]:
    """Defaults updated with the JSON file at ``path``; validated (see module docstring).

    ``known``: metric keys/names the file may name besides the registry's metric names.
    """
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
    return _merge_tolerances(tol, user, str(p), known)


def _merge_tolerances(tol: dict, user: Any, where: str, known: set[str] | None) -> dict[str, Any]:
    if not isinstance(user, dict):
        raise InputError(f"{where}: tolerances must be a JSON object, got {type(user).__name__}")
    from vfebench.metrics import METRICS

    names = set(METRICS) | set(known or ()) | set(DEFAULT_TOLERANCES)
    for k, v in user.items():
        if k == "two_sided":
            if not isinstance(v, bool):
                raise InputError(f"{where}: two_sided must be true or false, got {v!r}")
            continue
        if k not in names:
            from vfebench.registry import did_you_mean

            raise InputError(
                f"{where}: unknown metric {k!r} in tolerances.{did_you_mean(k, sorted(names))} "
                "Use a metric key of the run, a metric name or 'default'."
            )
        if not isinstance(v, dict) or not v or not set(v) <= {"abs", "rel"}:
            raise InputError(
                f'{where}: tolerance for {k!r} must be {{"abs": x}} and/or {{"rel": y}}, got {v!r}'
            )
        for kind, x in v.items():
            if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x) or x < 0:
                raise InputError(f"{where}: tolerance {k}.{kind} must be a finite number ≥ 0, got {x!r}")
    tol.update(user)
    return tol


def metric_tolerance(info: dict[str, Any]) -> dict[str, float] | None:
    """A metric's default allowance: its record entry's ``tolerance``, else (records written
    before the entry carried it) its registered class's ``Metric.tolerance``, else None."""
    if info.get("tolerance"):
        return dict(info["tolerance"])
    if "tolerance" in info:  # the record says: none declared
        return None
    from vfebench.errors import UnknownNameError
    from vfebench.metrics import METRICS

    try:
        t = METRICS.get(str(info.get("name", ""))).tolerance
    except (UnknownNameError, ImportError):
        return None
    return dict(t) if t else None


def _allowed(tol: dict[str, Any], key: str, info: dict[str, Any], base: float) -> float:
    """Allowance for metric ``key``: the tolerances file (by key, then name), else the metric's
    own default (:func:`metric_tolerance`), else ``default``."""
    t = tol.get(key) or tol.get(info.get("name", key)) or metric_tolerance(info) or tol["default"]
    rel = float(t.get("rel", 0.0)) * abs(base) if math.isfinite(base) else 0.0
    return max(float(t.get("abs", 0.0)), rel)


# ----------------------------------------------------------------------------- identities


def input_identity(rec: dict[str, Any]) -> dict[str, Any]:
    """What a run measured *on*: dataset content, LQ inputs (kind, preset + version, seed, LQ
    hashes) and max_frames. Two runs can share a table or a gate only when these are equal.
    """
    ds = rec.get("dataset") or {}
    lq = dict((rec.get("lq") or {}).get("identity") or {})
    lq.pop("root", None)
    deg = rec.get("degradation") or {}
    kind = lq.get("kind") or (rec.get("lq") or {}).get("kind")
    return {
        "manifest_hash": ds.get("manifest_hash"),
        "clip_ids": list(ds.get("clip_ids") or []),
        "lq_kind": kind,
        "preset": lq.get("preset", deg.get("preset")),
        "preset_version": str(lq.get("version", deg.get("version")))
        if (lq.get("version", deg.get("version")) is not None)
        else None,
        "seed": lq.get("seed", deg.get("seed")),
        "lq_max_frames": lq.get("max_frames"),
        "lq_hashes": lq.get("lq_hashes"),
        "max_frames": (rec.get("config") or {}).get("max_frames"),
    }


def metric_identity(info: dict[str, Any]) -> dict[str, Any]:
    """What makes two values of a metric comparable: name, version, mode, options, asset hashes."""
    return {f: info.get(f) for f in ("name", "version", "mode", "options", "assets")}


def comparability(base: dict[str, Any], cand: dict[str, Any]) -> list[str]:
    """Reasons why the two runs cannot be compared (empty list = comparable)."""
    out = []
    bd, cd = base["dataset"], cand["dataset"]
    bi, ci = input_identity(base), input_identity(cand)
    if bi["manifest_hash"] != ci["manifest_hash"]:
        out.append(
            f"different dataset content: manifest {str(bd.get('manifest_hash'))[:12]} ({bd.get('spec')}) vs "
            f"{str(cd.get('manifest_hash'))[:12]} ({cd.get('spec')})"
        )
    if bi["clip_ids"] != ci["clip_ids"]:
        out.append(f"different clips: {len(bi['clip_ids'])} vs {len(ci['clip_ids'])}")
    names = {"lq_kind": "kind", "preset_version": "preset version", "lq_max_frames": "max_frames"}
    for k in ("lq_kind", "preset", "preset_version", "seed", "lq_max_frames"):
        if bi[k] != ci[k]:
            out.append(f"different {names.get(k, k)}: {bi[k]!r} vs {ci[k]!r}")
    if not out and bi["lq_hashes"] != ci["lq_hashes"]:
        bh, ch = bi["lq_hashes"] or {}, ci["lq_hashes"] or {}
        diff = sorted(c for c in set(bh) | set(ch) if bh.get(c) != ch.get(c))
        out.append(
            f"same preset and seed but different LQ bytes for {len(diff)} clip(s) (e.g. {diff[:3]}): the "
            "degradation is not reproducible here (codec or library version?)"
        )
    if bi["max_frames"] != ci["max_frames"]:
        out.append(f"different max_frames: {bi['max_frames']} vs {ci['max_frames']}")
    for key, binfo in base["metrics"].items():
        cinfo = cand["metrics"].get(key)
        if cinfo is None:
            out.append(f"metric {key!r} is missing from the candidate")
            continue
        bm, cm = metric_identity(binfo), metric_identity(cinfo)
        for f in bm:
            if bm[f] != cm[f]:
                out.append(f"metric {key!r}: different {f}: {bm[f]!r} vs {cm[f]!r}")
    for key in cand["metrics"]:
        if key not in base["metrics"]:
            out.append(f"metric {key!r} is in the candidate but not in the baseline (bless a new baseline)")
    missing = [m for m in base["methods"] if m not in cand["methods"]]
    if missing:
        out.append(f"method(s) {', '.join(missing)} missing from the candidate")
    return out


# ----------------------------------------------------------------------------- record checks


def check_record(rec: Any, who: str = "record") -> list[str]:
    """Structural problems of a run record (empty list = well-formed)."""
    if not isinstance(rec, dict):
        return [f"{who}: not a JSON object"]
    out = []
    for key, typ, what in (("metrics", dict, "an object"), ("methods", dict, "an object"),
                           ("clips", list, "a list"), ("dataset", dict, "an object"),
                           ("config", dict, "an object")):  # fmt: skip
        if not isinstance(rec.get(key), typ):
            out.append(f"{who}: {key!r} must be {what}, got {json.dumps(rec.get(key))[:40]}")
    if out:
        return out
    for key, info in rec["metrics"].items():
        if not isinstance(info, dict):
            out.append(f"{who}: metrics.{key} must be an object, got {info!r}")
    for label, m in rec["methods"].items():
        if not isinstance(m, dict):
            out.append(f"{who}: methods.{label} must be an object, got {m!r}")
            continue
        aggs = m.get("aggregates")
        if aggs is not None and not isinstance(aggs, dict):
            out.append(f"{who}: methods.{label}.aggregates must be an object, got {aggs!r}")
            continue
        for k, v in (aggs or {}).items():
            try:
                as_value(v, f"{who}: methods.{label}.aggregates.{k}")
            except Malformed as exc:
                out.append(str(exc))
    for i, c in enumerate(rec["clips"]):
        if (
            not isinstance(c, dict)
            or not isinstance(c.get("method"), str)
            or not isinstance(c.get("clip_id"), str)
        ):
            out.append(
                f"{who}: clips[{i}] must be an object with string 'method' and 'clip_id', got {str(c)[:60]}"
            )
            continue
        vals = c.get("values")
        if vals is None:
            vals = {}
        if not isinstance(vals, dict):
            out.append(
                f"{who}: clips[{i}] ({c['method']} / {c['clip_id']}).values must be an object, got {vals!r}"
            )
            continue
        for k, v in vals.items():
            try:
                as_value(v, f"{who}: clips[{i}] ({c['method']} / {c['clip_id']}).values.{k}")
            except Malformed as exc:
                out.append(str(exc))
    ids = rec["dataset"].get("clip_ids")
    if ids is not None and (not isinstance(ids, list) or not all(isinstance(x, str) for x in ids)):
        out.append(f"{who}: dataset.clip_ids must be a list of strings")
    return out


def _recomputed(rec: dict[str, Any], label: str, key: str) -> tuple[list[float], float]:
    vals = [as_value((c.get("values") or {}).get(key)) for c in rec["clips"]
            if c["method"] == label and c.get("status", "ok") == "ok"]  # fmt: skip
    finite = [v for v in vals if v is not None and math.isfinite(v)]
    return [v for v in vals if v is not None], (math.fsum(finite) / len(finite) if finite else math.nan)


def check_consistency(rec: dict[str, Any], who: str = "record") -> list[str]:
    """Where a (well-formed) record contradicts itself: missing/duplicate clip rows, aggregates
    that are not the mean of their clips' values."""
    out = []
    ids = rec["dataset"].get("clip_ids")
    for label, m in rec["methods"].items():
        rows = [c["clip_id"] for c in rec["clips"] if c["method"] == label]
        dup = sorted({x for x in rows if rows.count(x) > 1})
        if dup:
            out.append(f"{who}: {label} has duplicate rows for clip(s) {dup[:5]}")
        if ids is not None:
            gone = [x for x in ids if x not in rows]
            extra = sorted(set(rows) - set(ids))
            if gone:
                out.append(
                    f"{who}: {label} has no row for clip(s) {gone[:5]} listed in dataset.clip_ids (deleted?)"
                )
            if extra:
                out.append(f"{who}: {label} has rows for clip(s) {extra[:5]} not in dataset.clip_ids")
        n = m.get("n_clips")
        if isinstance(n, int) and n != len(rows):
            out.append(f"{who}: {label}: n_clips says {n} but the record has {len(rows)} clip row(s)")
        for key, info in rec["metrics"].items():
            if info.get("level") == "set" or info.get("aggregation", "mean") != "mean":
                continue  # no per-clip values to recompute from
            stored = as_value((m.get("aggregates") or {}).get(key))
            vals, mean = _recomputed(rec, label, key)
            if stored is None or math.isnan(stored):
                if not math.isnan(mean):
                    out.append(
                        f"{who}: {label} / {key}: aggregate is {_g(stored)} but {len(vals)} clip value(s) give {mean:.6g}"
                    )
                continue
            candidates = [mean]
            if any(math.isinf(v) for v in vals):  # a mean over every value, infinities included
                candidates.append(sum(vals) / len(vals) if not any(math.isnan(v) for v in vals) else math.nan)
            ok = any(
                (math.isinf(x) and x == stored) or
                (math.isfinite(x) and math.isfinite(stored) and abs(x - stored) <= CONSISTENCY_RTOL * max(1.0, abs(x)))
                for x in candidates
            )  # fmt: skip
            if not ok:
                out.append(
                    f"{who}: {label} / {key}: stored aggregate {_g(stored)} ≠ {_g(mean)}, the mean of its "
                    f"{len(vals)} clip value(s)"
                )
    return out


def aggregate_of(rec: dict[str, Any], label: str, key: str) -> float | None:
    """The aggregate of (method, metric) as recorded; when it is missing/NaN because every clip
    value is the same infinity (PSNR of identical frames: the runner's mean skips non-finite
    values), that infinity. Raises :class:`Malformed` for a non-number."""
    v = as_value(((rec["methods"].get(label) or {}).get("aggregates") or {}).get(key))
    if not _missing(v):
        return v
    info = rec["metrics"].get(key) or {}
    if info.get("level") == "set":
        return v
    vals = [as_value((c.get("values") or {}).get(key)) for c in rec["clips"]
            if c["method"] == label and c.get("status", "ok") == "ok"]  # fmt: skip
    if vals and all(x is not None and math.isinf(x) for x in vals) and len(set(vals)) == 1:
        return vals[0]
    return v


def _clip_values(rec: dict[str, Any], label: str, key: str) -> dict[str, float | None]:
    return {
        c["clip_id"]: as_value((c.get("values") or {}).get(key)) for c in rec["clips"] if c["method"] == label
    }


def _delta(b: float, c: float) -> float:
    if math.isinf(b) and b == c:
        return 0.0
    return c - b


def compare(
    base: dict[str, Any], cand: dict[str, Any], tolerances: dict[str, Any] | None = None, top: int = 3
) -> GateResult:
    """Gate ``cand`` against ``base`` (two run records); see the module docstring for the order."""
    bad = check_record(base, "baseline") + check_record(cand, "candidate")
    if bad:
        return GateResult(MALFORMED, bad, [])
    bad = check_consistency(base, "baseline") + check_consistency(cand, "candidate")
    if bad:
        return GateResult(INCONSISTENT, bad, [])
    tol = tolerances or load_tolerances(None)
    reasons = comparability(base, cand)
    if reasons:
        return GateResult(INCOMPARABLE, reasons, [])
    two_sided = bool(tol.get("two_sided", False))
    findings: list[Finding] = []
    fail_reasons: list[str] = []
    incomparable: list[str] = []
    for label in base["methods"]:
        b_ok = {c["clip_id"] for c in base["clips"] if c["method"] == label and c.get("status") == "ok"}
        c_fail = {
            c["clip_id"]: c.get("reason", "")
            for c in cand["clips"]
            if c["method"] == label and c.get("status") != "ok"
        }
        for cid in sorted(b_ok & set(c_fail)):
            fail_reasons.append(
                f"{label} / {cid}: restored in the baseline, failed in the candidate ({c_fail[cid]})"
            )
        for key, info in base["metrics"].items():
            b = aggregate_of(base, label, key)
            c = aggregate_of(cand, label, key)
            hib = info.get("higher_is_better", True)
            disp = info.get("display") or key
            if _missing(b):
                findings.append(Finding(label, key, b, c, None, None, False, verdict="incomparable"))
                incomparable.append(
                    f"{label} / {disp} ({key}): the baseline has {_g(b)} for it, so it cannot vouch for the "
                    "candidate; re-bless a baseline where it was computed, or drop the metric"
                )
                continue
            assert b is not None  # not _missing(b)
            allowed = _allowed(tol, key, info, b)
            if _missing(c):
                findings.append(Finding(label, key, b, c, None, allowed, True, verdict="missing"))
                fail_reasons.append(f"{label} / {disp} ({key}): baseline {_g(b)}, candidate has {_g(c)}")
                continue
            assert c is not None  # not _missing(c)
            delta = _delta(b, c)
            worse_by = -delta if hib else delta  # > 0 means worse
            worse = abs(delta) > allowed if two_sided else worse_by > allowed
            bv, cv = _clip_values(base, label, key), _clip_values(cand, label, key)
            moved = []
            for cid, v in bv.items():
                w = cv.get(cid)
                if v is not None and w is not None and not _missing(v) and not _missing(w):
                    moved.append((cid, _delta(v, w)))
                elif not _missing(v):
                    moved.append((cid, -math.inf if hib else math.inf))
            sign = -1.0 if hib else 1.0
            moved.sort(key=lambda t: abs(t[1]) if two_sided else sign * t[1], reverse=True)
            verdict = "FAIL" if worse else ("improved" if worse_by < -allowed else "pass")
            f = Finding(label, key, b, c, delta, allowed, worse, moved[:top], verdict)
            findings.append(f)
            if worse:
                clips = ", ".join(f"{cid} ({d:+.4g})" for cid, d in f.clips) or "-"
                fail_reasons.append(
                    f"{label} / {disp} ({key}): {_g(b)} → {_g(c)} (Δ {_g(delta, True)}, allowed ±{allowed:.3g}, "
                    f"{'higher' if hib else 'lower'} is better); clips that moved most: {clips}"
                )
    if incomparable:
        return GateResult(INCOMPARABLE, incomparable + fail_reasons, findings)
    if fail_reasons:
        return GateResult(FAIL, fail_reasons, findings)
    return GateResult(PASS, [], findings)


def _read_raw(path: str | os.PathLike) -> dict[str, Any]:
    from vfebench.results import read_record

    return read_record(path)


def gate(
    baseline: str | os.PathLike, candidate: str | os.PathLike, tolerances: str | os.PathLike | None = None
) -> GateResult:
    """Read the two run records (folders or JSON files) and :func:`compare` them."""
    base, cand = _read_raw(baseline), _read_raw(candidate)
    known: set[str] = set()
    if isinstance(base.get("metrics"), dict):
        # a metric entry without a name adds nothing (a None among the names broke sorted() in
        # the did-you-mean of an unknown tolerance key)
        known = set(base["metrics"]) | {
            i["name"]
            for i in base["metrics"].values()
            if isinstance(i, dict) and isinstance(i.get("name"), str)
        }
    return compare(base, cand, load_tolerances(tolerances, known))


def bless(run: str | os.PathLike, dest: str | os.PathLike) -> Path:
    """Write ``run``'s record as a baseline file: local paths and the cache root removed.

    The result is an ordinary run record (``vfebench gate --baseline FILE`` reads it). A record
    that is malformed or inconsistent is refused.
    """
    from vfebench.utils import atomic_write_json

    rec = _read_raw(run)
    bad = check_record(rec, str(run))
    bad = bad or check_consistency(rec, str(run))
    if bad:
        raise InputError("cannot bless: " + "; ".join(bad))
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
