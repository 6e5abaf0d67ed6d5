"""Gates: identical re-run passes, an injected 0.1 dB PSNR drop fails, different inputs are incomparable;
NaN / missing / malformed / edited records never pass (each case with its exit code)."""

from __future__ import annotations

import copy
import json

import pytest
from helpers import REPO
from helpers.runs import make_folder

from vfebench.cli import main as cli
from vfebench.gate import (
    FAIL,
    INCOMPARABLE,
    INCONSISTENT,
    MALFORMED,
    PASS,
    bless,
    compare,
    load_tolerances,
)
from vfebench.runner import RunConfig, run

pytestmark = pytest.mark.usefixtures("runner_plugin")


def _run(data, out, cache, **kw):
    base = dict(methods=["bicubic", "identity"], dataset=f"folder:{data}", metrics=["psnr", "t_mae"],
                out=str(out), cache=str(cache), progress=False)  # fmt: skip
    base.update(kw)
    return run(RunConfig(**base), log=lambda s: None)


def shifted(rec, method, key, amount):
    """A copy with every clip value of (method, key) and its aggregate moved by ``amount`` (consistent)."""
    out = copy.deepcopy(rec)
    for c in out["clips"]:
        if c["method"] == method:
            c["values"][key] += amount
    out["methods"][method]["aggregates"][key] += amount
    return out


@pytest.fixture(scope="module")
def pair(tmp_path_factory, runner_plugin):
    tmp = tmp_path_factory.mktemp("gate")
    data = make_folder(tmp / "gt", n=3, t=3)
    a = _run(data, tmp / "a", tmp / "cache_a")
    b = _run(data, tmp / "b", tmp / "cache_b")  # independent re-run, nothing shared
    return data, tmp, a, b


def test_identical_rerun_passes(pair):
    _, tmp, a, b = pair
    assert b.stats["restored_computed"] == 6
    res = compare(a.record, b.record)
    assert res.status == PASS and res.exit_code == 0
    assert cli(["gate", "--baseline", str(a.out), "--candidate", str(b.out)]) == 0


def test_injected_psnr_drop_fails_and_names_metric_and_clips(pair):
    _, tmp, a, b = pair
    cand = copy.deepcopy(b.record)
    cid = "c1"
    for c in cand["clips"]:
        if c["method"] == "bicubic":
            c["values"]["psnr"] -= 0.1 if c["clip_id"] != cid else 0.3
    m = cand["methods"]["bicubic"]["aggregates"]
    m["psnr"] = sum(c["values"]["psnr"] for c in cand["clips"] if c["method"] == "bicubic") / 3
    res = compare(a.record, cand)
    assert res.status == FAIL and res.exit_code == 1
    assert len(res.reasons) == 1
    msg = res.reasons[0]
    assert msg.startswith("bicubic / PSNR (psnr)") and "clips that moved most: c1 (-0.3" in msg
    # the same drop written to disk through the CLI
    f = tmp / "cand.json"
    f.write_text(json.dumps(cand))
    assert cli(["gate", "--baseline", str(a.out), "--candidate", str(f)]) == 1
    # a 0.1 dB gain passes (one-sided), but not with two_sided
    up = shifted(b.record, "bicubic", "psnr", +0.1)
    assert compare(a.record, up).status == PASS
    tol = load_tolerances(None)
    tol["two_sided"] = True
    assert compare(a.record, up, tol).status == FAIL


def test_tolerance_file(pair, tmp_path):
    _, tmp, a, b = pair
    cand = shifted(b.record, "bicubic", "psnr", -0.1)
    tf = tmp_path / "tol.json"
    tf.write_text(json.dumps({"psnr": {"abs": 0.2}}))
    assert compare(a.record, cand, load_tolerances(tf)).status == PASS
    tf.write_text(json.dumps({"psnr": 0.2}))
    from vfebench.errors import InputError

    with pytest.raises(InputError, match="tolerance for 'psnr'"):
        load_tolerances(tf)


def test_failed_clip_in_candidate_fails(pair):
    _, tmp, a, b = pair
    cand = copy.deepcopy(b.record)
    c = next(c for c in cand["clips"] if c["method"] == "identity" and c["clip_id"] == "c0")
    c["status"], c["reason"] = "failed", "RuntimeError: boom"
    c["values"] = {k: None for k in c["values"]}  # as the runner records it: no values, means over ok clips
    for key in cand["metrics"]:
        vals = [r["values"][key] for r in cand["clips"] if r["method"] == "identity" and r["status"] == "ok"]
        cand["methods"]["identity"]["aggregates"][key] = sum(vals) / len(vals)
    res = compare(a.record, cand)
    assert res.status == FAIL and any("identity / c0" in r and "boom" in r for r in res.reasons)


def test_incomparable_inputs(pair):
    data, tmp, a, b = pair
    seed1 = _run(data, tmp / "s1", tmp / "cache_a", seed=1)
    res = compare(a.record, seed1.record)
    assert res.status == INCOMPARABLE and res.exit_code == 2
    assert any("different seed: 0 vs 1" in r for r in res.reasons)
    keep = _run(data, tmp / "k", tmp / "cache_a", preset="keep")
    assert any("different preset" in r for r in compare(a.record, keep.record).reasons)
    alt = _run(data, tmp / "alt", tmp / "cache_a", metrics=["psnr", "t_mae:alt"])
    reasons = compare(a.record, alt.record).reasons
    assert any("metric 't_mae' is missing" in r for r in reasons)
    mode = copy.deepcopy(b.record)
    mode["metrics"]["psnr"]["version"] = "2"
    assert any("metric 'psnr': different version" in r for r in compare(a.record, mode).reasons)
    one = _run(data, tmp / "one", tmp / "cache_a", methods=["bicubic"])
    assert any("identity missing" in r for r in compare(a.record, one.record).reasons)
    other = make_folder(tmp / "gt2", n=3, t=3, seed=5)
    o = _run(other, tmp / "o", tmp / "cache_a")
    assert any("different dataset content" in r for r in compare(a.record, o.record).reasons)
    assert cli(["gate", "--baseline", str(a.out), "--candidate", str(seed1.out)]) == 2


def test_bless_roundtrip(pair, tmp_path):
    _, tmp, a, b = pair
    f = bless(a.out, tmp_path / "base.json")
    rec = json.loads(f.read_text())
    assert all("restored_path" not in c and "lq_path" not in c for c in rec["clips"])  # no cache paths
    assert "root" not in rec["cache"] and "out" not in rec["config"]
    assert cli(["gate", "--baseline", str(f), "--candidate", str(b.out)]) == 0


def test_shipped_smoke_baseline_is_a_valid_record():
    from vfebench.results import read_record

    base = REPO / "results" / "baselines" / "smoke-demo.json"
    if not base.is_file():
        pytest.skip("smoke baseline not blessed yet")
    rec = read_record(base)
    assert rec["dataset"]["spec"] == "demo" and set(rec["methods"]) == {"identity", "bicubic", "lanczos"}
    assert all(not m["fingerprint"]["weights"] for m in rec["methods"].values())
    assert all(not i["assets"] for i in rec["metrics"].values())  # metrics that need no weights


# ----------------------------------------------------------------------------- records that lie


def _gate_cli(tmp_path, base, cand, capsys, *extra):
    """Exit code and stdout of ``vfebench gate`` over two records written to disk."""
    fb, fc = tmp_path / "base.json", tmp_path / "cand.json"
    fb.write_text(json.dumps(base))
    fc.write_text(json.dumps(cand))
    capsys.readouterr()
    rc = cli(["gate", "--baseline", str(fb), "--candidate", str(fc), *extra])
    return rc, capsys.readouterr().out


def _set_all(rec, method, key, value, aggregate=None):
    """Every clip value of (method, key) set to ``value`` and the aggregate to ``aggregate``."""
    for c in rec["clips"]:
        if c["method"] == method:
            c["values"][key] = value
    rec["methods"][method]["aggregates"][key] = aggregate
    return rec


def test_nan_baseline_never_passes(pair, tmp_path, capsys):
    _, _, a, b = pair
    worse = shifted(b.record, "bicubic", "psnr", -5.0)  # 5 dB worse than the baseline
    # the baseline's aggregate alone NaN: its clips say otherwise → record inconsistent
    base = copy.deepcopy(a.record)
    base["methods"]["bicubic"]["aggregates"]["psnr"] = float("nan")
    rc, out = _gate_cli(tmp_path, base, worse, capsys)
    assert rc == 2 and "record inconsistent" in out and "bicubic / psnr" in out
    # NaN in every clip and in the aggregate (consistent): the baseline cannot vouch → incomparable
    base = _set_all(copy.deepcopy(a.record), "bicubic", "psnr", float("nan"), float("nan"))
    res = compare(base, worse)
    assert res.status == INCOMPARABLE and res.exit_code == 2
    assert any("bicubic / PSNR (psnr): the baseline has NaN" in r for r in res.reasons)
    rc, out = _gate_cli(tmp_path, base, worse, capsys, "--explain")
    assert rc == 2 and "incomparable" in out
    # explain table: one row per (method, metric) with the verdict
    row = next(ln for ln in out.splitlines() if ln.startswith("bicubic") and " psnr " in ln)
    assert "NaN" in row and row.rstrip().endswith("incomparable")


def test_nan_candidate_fails(pair, tmp_path, capsys):
    _, _, a, b = pair
    cand = _set_all(copy.deepcopy(b.record), "identity", "psnr", float("nan"), float("nan"))
    res = compare(a.record, cand)
    assert res.status == FAIL and res.exit_code == 1
    assert any("identity / PSNR (psnr): baseline" in r and "candidate has NaN" in r for r in res.reasons)
    rc, out = _gate_cli(tmp_path, a.record, cand, capsys, "--explain")
    assert rc == 1
    row = next(ln for ln in out.splitlines() if ln.startswith("identity") and " psnr " in ln)
    assert row.rstrip().endswith("missing")
    # only the aggregate NaN (clips intact) → inconsistent, exit 2
    cand = copy.deepcopy(b.record)
    cand["methods"]["identity"]["aggregates"]["psnr"] = float("nan")
    assert _gate_cli(tmp_path, a.record, cand, capsys)[0] == 2


def test_missing_metric_on_either_side(pair, tmp_path, capsys):
    _, _, a, b = pair
    # value missing (null) everywhere in the candidate → fail (1); in the baseline → incomparable (2)
    cand = _set_all(copy.deepcopy(b.record), "bicubic", "t_mae", None, None)
    rc, out = _gate_cli(tmp_path, a.record, cand, capsys)
    assert rc == 1 and "candidate has missing" in out
    base = _set_all(copy.deepcopy(a.record), "bicubic", "t_mae", None, None)
    rc, out = _gate_cli(tmp_path, base, b.record, capsys)
    assert rc == 2 and "the baseline has missing" in out
    # the aggregate key deleted (clips still have values) → inconsistent (2)
    cand = copy.deepcopy(b.record)
    del cand["methods"]["bicubic"]["aggregates"]["t_mae"]
    rc, out = _gate_cli(tmp_path, a.record, cand, capsys)
    assert rc == 2 and "record inconsistent" in out
    # the metric gone from the candidate's metrics, or only in the candidate → incomparable (2)
    cand = copy.deepcopy(b.record)
    del cand["metrics"]["t_mae"]
    rc, out = _gate_cli(tmp_path, a.record, cand, capsys)
    assert rc == 2 and "metric 't_mae' is missing from the candidate" in out
    rc, out = _gate_cli(tmp_path, cand, a.record, capsys)
    assert rc == 2 and "metric 't_mae' is in the candidate but not in the baseline" in out


def test_string_and_null_values_are_malformed(pair, tmp_path, capsys):
    _, _, a, b = pair
    cases = []
    c1 = copy.deepcopy(b.record)
    c1["methods"]["bicubic"]["aggregates"]["psnr"] = "28.1"
    cases.append((c1, "methods.bicubic.aggregates.psnr: '28.1' is not a number"))
    c2 = copy.deepcopy(b.record)
    c2["metrics"] = None
    cases.append((c2, "'metrics' must be an object, got null"))
    c3 = copy.deepcopy(b.record)
    c3["clips"][0]["values"]["psnr"] = "abc"
    cases.append((c3, "values.psnr: 'abc' is not a number"))
    c4 = copy.deepcopy(b.record)
    c4["methods"]["bicubic"]["aggregates"] = None
    c4["methods"]["bicubic"]["aggregates"] = [1, 2]
    cases.append((c4, "methods.bicubic.aggregates must be an object"))
    for cand, msg in cases:
        res = compare(a.record, cand)
        assert res.status == MALFORMED and res.exit_code == 2, msg
        rc, out = _gate_cli(tmp_path, a.record, cand, capsys)
        assert rc == 2 and "MALFORMED" in out and msg in out, (msg, out)
        rc, out = _gate_cli(tmp_path, cand, a.record, capsys)  # the same as the baseline
        assert rc == 2 and msg in out and "baseline:" in out
    # no traceback, no exit 1 for a record that is not JSON at all
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert cli(["gate", "--baseline", str(bad), "--candidate", str(b.out)]) == 2


def test_infinity_markers(pair):
    """PSNR of identical frames is +inf: JSON Infinity and the string "inf" read the same; equal
    infinities pass, a finite candidate against an infinite baseline fails."""
    _, _, a, b = pair
    base = copy.deepcopy(a.record)
    cand = copy.deepcopy(b.record)
    for rec, marker in ((base, float("inf")), (cand, "inf")):
        for c in rec["clips"]:
            if c["method"] == "identity" and c["clip_id"] == "c0":
                c["values"]["psnr"] = marker
        # the runner's mean skips non-finite values; a mean with the infinity is accepted too
        rec["methods"]["identity"]["aggregates"]["psnr"] = marker
    assert compare(base, cand).status == PASS
    res = compare(base, b.record)  # the candidate's frames are no longer identical: finite PSNR
    assert res.status == FAIL and any("identity / PSNR (psnr): ∞ →" in r for r in res.reasons)


def test_all_clips_identical_is_infinite_not_missing(pair):
    """Every clip of a method identical to the GT: the runner's mean (finite values only) is null,
    the gate reads the common infinity instead of "missing"."""
    _, _, a, b = pair
    base = _set_all(copy.deepcopy(a.record), "identity", "psnr", float("inf"), None)
    cand = _set_all(copy.deepcopy(b.record), "identity", "psnr", "inf", None)
    res = compare(base, cand)
    assert res.status == PASS
    f = next(x for x in res.findings if x.method == "identity" and x.metric == "psnr")
    assert f.baseline == f.candidate == float("inf") and f.delta == 0
    assert compare(base, b.record).status == FAIL  # no longer identical: a finite PSNR


def test_edited_clip_value_is_inconsistent(pair, tmp_path, capsys):
    _, _, a, b = pair
    cand = copy.deepcopy(b.record)
    row = next(c for c in cand["clips"] if c["method"] == "bicubic" and c["clip_id"] == "c1")
    row["values"]["psnr"] += 3.0  # the aggregate is left as it was
    res = compare(a.record, cand)
    assert res.status == INCONSISTENT and res.exit_code == 2
    rc, out = _gate_cli(tmp_path, a.record, cand, capsys)
    assert rc == 2 and "record inconsistent" in out
    assert "candidate: bicubic / psnr: stored aggregate" in out and "the mean of its 3 clip value(s)" in out


def test_deleted_clip_row_is_inconsistent(pair, tmp_path, capsys):
    _, _, a, b = pair
    cand = copy.deepcopy(b.record)
    cand["clips"] = [c for c in cand["clips"] if not (c["method"] == "identity" and c["clip_id"] == "c2")]
    # recompute the aggregates so that only the missing row can give it away
    for key in cand["metrics"]:
        vals = [c["values"][key] for c in cand["clips"] if c["method"] == "identity"]
        cand["methods"]["identity"]["aggregates"][key] = sum(vals) / len(vals)
    rc, out = _gate_cli(tmp_path, a.record, cand, capsys)
    assert rc == 2 and "record inconsistent" in out
    assert "identity has no row for clip(s) ['c2'] listed in dataset.clip_ids" in out
    # deleting it from dataset.clip_ids too still contradicts n_clips
    cand["dataset"]["clip_ids"] = ["c0", "c1"]
    assert "n_clips says 3" in compare(a.record, cand).summary()


def test_tolerance_file_is_validated(pair, tmp_path):
    _, _, a, b = pair
    from vfebench.errors import InputError

    tf = tmp_path / "tol.json"
    bad = [
        ({"pnsr": {"abs": 0.1}}, "unknown metric 'pnsr' in tolerances"),
        ({"psnr": {"abs": -1}}, "psnr.abs must be a finite number ≥ 0"),
        ({"psnr": {"abs": "0.1"}}, "psnr.abs must be a finite number ≥ 0"),
        ({"psnr": {"abs": 0.1, "max": 2}}, "tolerance for 'psnr'"),
        ({"psnr": {}}, "tolerance for 'psnr'"),
        ({"two_sided": "yes"}, "two_sided must be true or false"),
        ([1, 2], "tolerances must be a JSON object"),
    ]
    for content, msg in bad:
        tf.write_text(json.dumps(content))
        with pytest.raises(InputError, match=msg):
            load_tolerances(tf)
        assert (
            cli(["gate", "--baseline", str(a.out), "--candidate", str(b.out), "--tolerances", str(tf)]) == 2
        )
    tf.write_text(json.dumps({"t_mae": {"rel": 0.01}, "default": {"abs": 0.0}, "two_sided": True}))
    assert load_tolerances(tf, {"t_mae"})["t_mae"] == {"rel": 0.01}
    assert cli(["gate", "--baseline", str(a.out), "--candidate", str(b.out), "--tolerances", str(tf)]) == 0


def test_unknown_tolerance_key_with_an_unnamed_metric_entry(pair, tmp_path):
    """A baseline metric entry without a ``name`` adds no name to the known keys (a None among
    them made the did-you-mean's sorted() raise TypeError instead of the InputError)."""
    from vfebench.errors import InputError
    from vfebench.gate import gate

    _, _, a, b = pair
    rec = copy.deepcopy(a.record)
    for info in rec["metrics"].values():
        info.pop("name", None)
    base = tmp_path / "base.json"
    base.write_text(json.dumps(rec))
    tf = tmp_path / "tol.json"
    tf.write_text(json.dumps({"pnsr": {"abs": 0.1}}))
    with pytest.raises(InputError, match="unknown metric 'pnsr' in tolerances"):
        gate(base, b.out, tf)
