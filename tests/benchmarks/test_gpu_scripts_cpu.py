"""The GPU-check scripts (issue 16) run on the CPU with tiny configs; real-size models build on meta."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCH))

import gpu_time_vividface  # noqa: E402
import vividface_memory_table as mt  # noqa: E402


@pytest.fixture(autouse=True)
def _own_asset_catalogue(monkeypatch):
    """The scripts run in this process and pin their stand-in weights in the asset catalogue
    (``register_asset``); each test gets its own copy, so nothing leaks into later tests."""
    from vfebench import assets

    monkeypatch.setattr(assets, "_EXTRA", dict(assets._EXTRA))
    monkeypatch.setattr(assets, "_CATALOG", None)


def test_real_size_models_build_on_meta_and_match_the_weight_files():
    """Parameter counts of the repo configs × 4 bytes = the pinned fp32 files (DiT 5.68 GB, VAE 508 MB)."""
    from vfebench import assets

    n_dit, b_dit = mt.param_bytes("dit", torch.float32)
    n_vae, b_vae = mt.param_bytes("vae", torch.float32)
    assert 1.40e9 < n_dit < 1.43e9 and 1.2e8 < n_vae < 1.3e8
    for got, asset in ((b_dit, "wan21_t2v_1_3b_dit"), (b_vae, "wan21_vae")):
        size = assets.get_asset(asset).size
        assert abs(got - size) / size < 2e-4, (asset, got, size)  # file = tensors + a small header


def test_repo_vae_config_is_the_wan21_vae():
    import diffusers

    from vividface import wan

    with torch.device("meta"):
        ours = wan.build_vae("wan2.1-t2v-1.3b", seed=None).config
        ref = diffusers.AutoencoderKLWan().config  # library defaults = Wan2.1 VAE
    for k in wan.VAE_CONFIGS["wan2.1-t2v-1.3b"]:
        a, b = ours[k], ref[k]
        assert (list(a) == list(b)) if isinstance(b, (list, tuple)) else a == b, k


def test_gpu_time_vividface_tiny_on_cpu(tmp_path, capsys):
    rows = gpu_time_vividface.main(
        [
            "--model",
            "tiny",
            "--device",
            "cpu",
            "--frames",
            "5",
            "--size",
            "16",
            "--repeats",
            "2",
            "--dtypes",
            "float32",
            "--tiling",
            "off,on",
            "--tile",
            "16,16,8,8",
            "--json",
            str(tmp_path / "r.json"),
        ]
    )
    assert [(r["dtype"], r["vae_tiling"]) for r in rows] == [("float32", False), ("float32", True)]
    for r in rows:
        assert "error" not in r, r
        assert r["passes"] == 1 and r["clip"] == "5x16x16" and r["peak_mem_gib"] is None
        parts = r["encode_s"] + r["dit_s"] + r["decode_s"]
        assert 0 < parts <= r["s_per_clip"] and r["other_s"] >= 0
        assert math.isclose(r["fps"], 5 / r["s_per_clip"])
    out = capsys.readouterr().out
    assert "| 5x16x16 | float32 | False | default | False |" in out and (tmp_path / "r.json").is_file()


def test_live_bytes_tracker_counts_live_storages():
    with mt.LiveBytes() as lb:
        a = torch.zeros(1000)  # 4000 B
        b = torch.ones(500, dtype=torch.float64)  # 4000 B
        v = a.view(10, 100)  # a view: no new storage
        del b
        c = torch.zeros(250)  # 1000 B
    assert lb.peak == 8000 and lb.now == 5000
    del a, v, c


def test_memory_estimate_by_hand():
    meta = {
        "esize": 2,
        "weights_bytes": 3 * mt.GIB,
        "dit_fit": (1.0 * 2**20, 1024.0),  # 1 MiB + 1 KiB/token
        "vae_fit": {"encode": (2.0 * 2**20, 0.0), "decode": (4.0 * 2**20, 0.0)},
    }
    assert mt.tokens(81, 512) == 21_504 and mt.tokens(1, 512) == 1024 and mt.tokens(100, 512) == 26 * 1024
    r = mt.estimate(meta, 81, 512)
    clip = 3 * 81 * 512 * 512 * 16
    dec = 4 * 2**20 * 64  # 64 = (512/64)²
    assert math.isclose(r["peak_gib"] * mt.GIB, 3 * mt.GIB + max(dec, 2**20 + 1024 * 21_504) + clip)
    t = mt.max_frames(meta, 24)
    assert (t - 1) % 4 == 0
    assert (
        mt.estimate(meta, t, 512)["peak_gib"] * mt.GIB
        <= 0.9 * 24e9
        < mt.estimate(meta, t + 4, 512)["peak_gib"] * mt.GIB
    )


@pytest.mark.slow
def test_metric_suite_script_on_cpu(tmp_path, capsys):
    import gpu_time_metrics

    out = gpu_time_metrics.main(
        [
            "--devices",
            "cpu",
            "--stand-ins",
            "tiny",
            "--frames",
            "9",
            "--size",
            "64",
            "--repeats",
            "1",
            "--metrics",
            "psnr,ssim,lpips,fastervqa",
            "--work",
            str(tmp_path),
        ]
    )
    rows = out["results"]["cpu"]["rows"]
    assert set(rows) == {"psnr", "ssim", "lpips", "fastervqa"}
    assert all(r["seconds"] > 0 and math.isfinite(r["value"]) for r in rows.values())
    assert 0 < out["results"]["cpu"]["suite_s"]
    assert "| **suite (shared features)** |" in capsys.readouterr().out


@pytest.mark.slow
def test_runner_timing_check_on_cpu(monkeypatch, tmp_path):
    import gpu_check_runner_vividface as chk

    monkeypatch.setenv("VFEBENCH_CACHE", str(tmp_path / "cache"))
    rc = chk.main(
        [
            "--device",
            "cpu",
            "--model",
            "tiny",
            "--frames",
            "5",
            "--size",
            "16",
            "--clips",
            "2",
            "--repeats",
            "1",
            "--tolerance",
            "10",
            "--json",
            str(tmp_path / "c.json"),
        ]
    )
    import json

    res = json.loads((tmp_path / "c.json").read_text())
    # rc is the AGREE/DISAGREE timing verdict: a device check's result, not a test's (timings on a
    # loaded CPU disagree by more than any tolerance); the test checks the records it compares
    assert (
        rc in (0, 1) and res["runner"]["clips"] and res["runner"]["peak_mem_kind"].startswith("cpu_peak_rss")
    )
    assert all(c["seconds"] > 0 and c["n_frames"] == 5 for c in res["runner"]["clips"])
    assert res["benchmark"]["passes"] == 1
