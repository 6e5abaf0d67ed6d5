"""Typed run records: round trip of a version-2 record, version-1 records still read."""

from __future__ import annotations

import json

import pytest
from helpers import DATA
from helpers.runs import make_folder

from vfebench import results
from vfebench.errors import InputError

#: a version-1 record as the pre-v2 code wrote it (the smoke baseline blessed at 4637a59, kept frozen)
V1 = DATA / "golden" / "run-record-v1.json"


def test_version_1_record_is_read_and_upgraded():
    raw = json.loads(V1.read_text())
    assert raw["schema_version"] == 1
    rec = results.read_record(V1)
    assert rec["schema_version"] == 1 and rec["dataset"]["unreadable"] == {} and rec["lq"]["failed"] == {}
    for label, m in rec["methods"].items():
        want = {k: sum(1 for c in raw["clips"] if c["method"] == label and c["values"].get(k) is not None)
                for k in raw["metrics"]}  # fmt: skip
        assert m["n_scored"] == want and m["aggregates"] == raw["methods"][label]["aggregates"]
    assert [c["values"] for c in rec["clips"]] == [c["values"] for c in raw["clips"]]
    typed = results.load_record(V1)
    assert isinstance(typed.methods["bicubic"], results.MethodRecord)
    assert typed.clips[0].clip_id == raw["clips"][0]["clip_id"]


def test_version_2_round_trip_keeps_every_field(tmp_path, runner_plugin):
    from vfebench.runner import RunConfig, run

    data = make_folder(tmp_path / "gt", n=2, t=2, size=32)
    o = run(RunConfig(methods=["bicubic", "t_bad:c1=crash"], dataset=f"folder:{data}", metrics=["psnr"],
                      out=str(tmp_path / "run"), cache=str(tmp_path / "c"), progress=False), log=lambda s: None)  # fmt: skip
    raw = json.loads((o.out / "run.json").read_text())
    assert raw["schema_version"] == results.SCHEMA_VERSION == 2 and raw["status"] == "partial"
    assert results.read_record(o.out)["clips"] == raw["clips"]
    raw["something_new"] = {"x": 1}  # unknown fields survive reading and writing
    raw["clips"][0]["future"] = 3
    raw["methods"]["bicubic"]["set_results"] = {"fvd": {"value": 1.0, "extras": {}}}
    rec = results.RunRecord.from_dict(raw)
    assert rec.to_dict() == raw
    assert results.RunRecord.from_dict(rec.to_dict()).to_dict() == raw


def test_unknown_versions_are_refused(tmp_path):
    raw = json.loads(V1.read_text())
    for v in (0, 3, "2"):
        raw["schema_version"] = v
        f = tmp_path / "run.json"
        f.write_text(json.dumps(raw))
        with pytest.raises(InputError, match="schema version"):
            results.read_record(f)
