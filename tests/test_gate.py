"""Gates: identical re-run passes, an injected 0.1 dB PSNR drop fails, different inputs are incomparable."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import _runner_plugin  # noqa: F401
import pytest
from test_runner import make_folder

from vfebench.cli import main as cli
from vfebench.gate import FAIL, INCOMPARABLE, PASS, bless, compare, load_tolerances
from vfebench.runner import RunConfig, run

REPO = Path(__file__).resolve().parents[1]


def _run(data, out, cache, **kw):
    base = dict(methods=["bicubic", "identity"], dataset=f"folder:{data}", metrics=["psnr", "t_mae"],
                out=str(out), cache=str(cache), progress=False)  # fmt: skip
    base.update(kw)
    return run(RunConfig(**base), log=lambda s: None)


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
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
    up = copy.deepcopy(b.record)
    up["methods"]["bicubic"]["aggregates"]["psnr"] += 0.1
    assert compare(a.record, up).status == PASS
    tol = load_tolerances(None)
    tol["two_sided"] = True
    assert compare(a.record, up, tol).status == FAIL


def test_tolerance_file(pair, tmp_path):
    _, tmp, a, b = pair
    cand = copy.deepcopy(b.record)
    cand["methods"]["bicubic"]["aggregates"]["psnr"] -= 0.1
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
