"""Calibration against officially published values (``vfebench calibrate``).

NIQE and PSNR need no downloaded weights, so they are checked here against the published values
on the calibration images in ``../shared/data/calibration/pyiqa`` (pinned by sha256; the tests
skip when that folder is absent). The download path is exercised with ``file://`` URLs.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers import SHARED

from vfebench.cli import main as cli
from vfebench.errors import InputError
from vfebench.metrics import calibration as cal

CALIB = Path(
    os.environ.get(
        "VFEBENCH_SHARED_CALIB",
        SHARED / "data" / "calibration" / "pyiqa",
    )
)


@pytest.fixture
def calib_dir() -> Path:
    if not (CALIB / "dist_dir").is_dir():
        pytest.skip("../shared/data/calibration/pyiqa is absent")
    return CALIB


def test_table_ships_with_its_source():
    t = cal.table()
    assert t["source"]["repo"] == "chaofengc/IQA-PyTorch" and len(t["source"]["commit"]) == 40
    assert t["source"]["base_url"].endswith(f"{t['source']['commit']}/ResultsCalibra/")
    assert [im["name"] for im in t["images"]] == ["I03.bmp", "I04.bmp", "I06.bmp", "I08.bmp", "I19.bmp"]
    for im in t["images"]:
        assert len(im["dist_sha256"]) == 64 and len(im["ref_sha256"]) == 64
    for name, m in t["metrics"].items():
        assert len(m["official"]) == len(m["pyiqa"]) == 5, name
        assert m["why"], name
    # the first NIQE value of results_official.csv at that commit
    assert t["metrics"]["niqe"]["official"][0] == pytest.approx(15.7536293917814)


def test_niqe_matches_the_official_calibration_values(calib_dir):
    (r,) = cal.calibrate(["niqe"], cal.calibration_inputs(calib_dir))
    ours, off, pq = map(np.asarray, (r.ours, r.official, r.pyiqa))
    rel_off, rel_pq = np.abs(ours - off) / off, np.abs(ours - pq) / pq
    # measured here: ≤ 5.1% from the official values (I19, where pyiqa itself is 5.1% off),
    # ≤ 1.6e-4 from pyiqa's own recorded values (4 decimals)
    assert rel_off.max() <= r.tolerance["official_rel"], rel_off
    assert rel_pq.max() <= r.tolerance["pyiqa_rel"], rel_pq
    assert r.ok is True


def test_psnr_matches_the_official_calibration_values(calib_dir):
    (r,) = cal.calibrate(["psnr"], cal.calibration_inputs(calib_dir))
    assert r.ok is True
    assert np.abs(np.asarray(r.ours) - r.official).max() <= 0.0051


def test_cli_offline_without_inputs_says_how(capsys, monkeypatch):
    monkeypatch.setenv("VFEBENCH_OFFLINE", "1")
    rc = cli(["calibrate", "--metrics", "niqe"])
    err = capsys.readouterr().err
    assert rc == 2 and "--inputs DIR" in err and "dist_dir/" in err and cal.table()["source"]["commit"] in err


def test_cli_with_local_inputs(capsys, calib_dir):
    rc = cli(["calibrate", "--metrics", "niqe,psnr,ssim", "--inputs", str(calib_dir)])
    out = capsys.readouterr().out
    assert rc == 0, out
    # the official value as published, and SSIM marked information-only; our NIQE on I03 differs
    # between machines in the 4th decimal (15.6563 on one, 15.6558 on another), so it is read
    # from --json and held to the stated pyiqa tolerance, not matched as printed text
    assert "15.7536" in out and "not held" in out
    rc = cli(["calibrate", "--metrics", "niqe", "--inputs", str(calib_dir), "--json"])
    doc = json.loads(capsys.readouterr().out)
    niqe = doc["metrics"]["niqe"]
    assert rc == 0 and niqe["ok"] is True
    i03 = niqe["images"].index("I03.bmp")
    assert f"{niqe['ours'][i03]:.4f}" in out  # the table prints the value --json gives
    assert abs(niqe["ours"][i03] - niqe["pyiqa"][i03]) <= niqe["tolerance"]["pyiqa_rel"] * niqe["pyiqa"][i03]


def test_cli_skips_weighted_metric_without_weights_and_exits_2(capsys, calib_dir, monkeypatch):
    monkeypatch.setenv("VFEBENCH_OFFLINE", "1")
    rc = cli(["calibrate", "--metrics", "psnr,lpips", "--inputs", str(calib_dir)])
    out = capsys.readouterr().out
    assert rc == 2 and "skipped: missing weights" in out and "vfebench assets fetch" in out


def test_out_of_tolerance_exits_1(capsys, calib_dir, monkeypatch):
    t = copy.deepcopy(cal.table())
    t["metrics"]["niqe"]["official"][4] = 7.0  # I19: ours 9.07 is then 30% off
    monkeypatch.setattr(cal, "table", lambda: t)
    rc = cli(["calibrate", "--metrics", "niqe", "--inputs", str(calib_dir)])
    out = capsys.readouterr().out
    assert rc == 1 and "OUT (official)" in out and "OUT OF TOLERANCE: niqe" in out


def test_bad_inputs_are_named(tmp_path, calib_dir):
    shutil.copytree(calib_dir, tmp_path / "c")
    (tmp_path / "c" / "dist_dir" / "I04.bmp").write_bytes(b"not a bmp")
    (tmp_path / "c" / "ref_dir" / "I19.bmp").unlink()
    with pytest.raises(InputError, match=r"dist_dir/I04\.bmp: sha256 differs.*ref_dir/I19\.bmp: missing"):
        cal.calibration_inputs(tmp_path / "c")
    with pytest.raises(InputError, match=r"no calibration values for 'clipiqa' \(the pinned"):
        cal.calibrate(["clipiqa"], calib_dir)


def test_download_by_url_is_verified_and_cached(tmp_path, calib_dir, monkeypatch):
    monkeypatch.setenv("VFEBENCH_OFFLINE", "0")
    t = copy.deepcopy(cal.table())
    t["source"]["base_url"] = calib_dir.as_uri() + "/"
    monkeypatch.setattr(cal, "table", lambda: t)
    root = cal.calibration_inputs()
    assert root.is_dir() and not cal._check_folder(root)
    assert root != calib_dir
    # a file served with other bytes is refused
    shutil.rmtree(root)
    bad = tmp_path / "served"
    shutil.copytree(calib_dir, bad)
    (bad / "ref_dir" / "I03.bmp").write_bytes(b"tampered")
    t["source"]["base_url"] = bad.as_uri() + "/"
    with pytest.raises(InputError, match=r"ref_dir/I03\.bmp: sha256 .* differs from the pinned"):
        cal.calibration_inputs()
