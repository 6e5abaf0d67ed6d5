"""Scale-out: work units, ``--shard I/N`` + merge, ``--workers N``, the Ray and SLURM executors.

Every check compares a record made another way with the single-process run of the same command
on its own, empty cache (``vfebench.runner.scale.comparable``: the record without timings,
cache hits and paths), so "identical" means every value, clip row, failure and aggregate.
The demo data are 3 clips × 6 frames of 64×64; methods identity, bicubic and the in-process
``t_killonce`` (tests/helpers/scale_plugin.py); metrics PSNR, SSIM, the test ``t_mae`` and the
set-level ``t_setmae`` (tests/helpers/runner_plugin.py), so the merge's set-level stage is exercised.
Ray and submitit are the ``cluster`` extra: their tests skip, naming it, when absent.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from vfebench.cli import main as cli
from vfebench.errors import InputError
from vfebench.runner import make_plan
from vfebench.runner.plan import RunConfig
from vfebench.runner.scale import comparable, worker_envs
from vfebench.runner.units import parse_batch, parse_shard, shard_pairs, work_units

TESTS = Path(__file__).resolve().parents[2]
REPO = TESTS.parent
DATASET = "demo,num_clips=3,num_frames=6,size=64"
METHODS = ("identity", "bicubic", "t_killonce")
METRICS = "psnr,ssim,t_mae,t_setmae"


@pytest.fixture(autouse=True)
def _plugins(monkeypatch):
    monkeypatch.setenv("VFEBENCH_PLUGINS", "helpers.runner_plugin_autoload,helpers.scale_plugin")
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(REPO), str(TESTS), os.environ.get("PYTHONPATH", "")])
    )
    monkeypatch.syspath_prepend(str(TESTS))
    monkeypatch.delenv("VFEBENCH_TEST_KILL_ONCE", raising=False)


def _args(out: Path, cache: Path, *extra: str) -> list[str]:
    a = ["run", "--dataset", DATASET, "--metrics", METRICS, "--out", str(out), "--cache", str(cache)]
    for m in METHODS:
        a += ["--method", m]
    return [*a, "--no-progress", "--quiet", *extra]


def _record(out: Path) -> dict:
    return json.loads((out / "run.json").read_text())


@pytest.fixture
def reference(tmp_path, monkeypatch) -> dict:
    """The single-process run (its own LQ cache too), as comparable()."""
    monkeypatch.setenv("VFEBENCH_CACHE", str(tmp_path / "ref-root"))
    assert cli(_args(tmp_path / "ref", tmp_path / "ref-cache")) == 0
    rec = _record(tmp_path / "ref")
    assert rec["status"] == "complete" and len(rec["clips"]) == 9
    assert rec["methods"]["bicubic"]["aggregates"]["t_setmae"] is not None
    monkeypatch.setenv("VFEBENCH_CACHE", str(tmp_path / "root"))  # the run under test: a fresh root
    return comparable(rec)


def _diff(a, b, at: str = "") -> list[str]:
    """Paths where two JSON values differ (empty: identical)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b)) for d in _diff(a.get(k), b.get(k), f"{at}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _diff(x, y, f"{at}[{i}]")]
    return [] if a == b else [f"{at}: {a!r} != {b!r}"]


def _cache_counts(cache: Path) -> tuple[int, int]:
    """(complete restored clips, score files) in a run cache."""
    return len(list(cache.glob("restored/*/*/*/meta.json"))), len(list(cache.glob("scores/*/*/*.json")))


# ----------------------------------------------------------------------------- units and shards


def test_parse_shard_and_batch():
    assert parse_shard("2/5") == (2, 5) and parse_shard(None) is None
    for bad in ("5/5", "-1/2", "1", "a/b", "0/0"):
        with pytest.raises(InputError, match="--shard"):
            parse_shard(bad)
    assert parse_batch("auto") == "auto" and parse_batch("16") == 16 and parse_batch(None) is None
    for bad in ("0", "-3", "big"):
        with pytest.raises(InputError, match="--batch"):
            parse_batch(bad)


def test_shards_partition_the_units(tmp_path):
    plan = make_plan(
        RunConfig(methods=list(METHODS), dataset=DATASET, metrics=METRICS.split(","), out=str(tmp_path / "o"))
    )
    everything = work_units(plan)
    kinds = [u.stage for u in everything]
    # 3 LQ, 9 restores, 9 × 3 clip-level scores, 3 methods × 1 set-level metric (last)
    assert (kinds.count("lq"), kinds.count("restore"), kinds.count("score"), kinds.count("set")) == (
        3,
        9,
        27,
        3,
    )
    assert kinds[-3:] == ["set"] * 3
    for n in (1, 2, 3, 4, 7, 9, 13):
        got = [shard_pairs(plan, i, n) for i in range(n)]
        flat = [p for s in got for p in s]
        assert flat == [(m, c) for m in plan.methods for c in plan.clip_ids]  # disjoint, complete, in order
        assert max(map(len, got)) - min(map(len, got)) <= 1
        assert got == [shard_pairs(plan, i, n) for i in range(n)]  # deterministic
        units = [u for i in range(n) for u in work_units(plan, (i, n)) if u.stage != "lq"]
        assert sorted(map(repr, units)) == sorted(
            repr(u) for u in everything if u.stage in ("restore", "score")
        )


def test_shards_then_merge_give_the_identical_record(tmp_path, reference):
    out, cache = tmp_path / "merged", tmp_path / "cache"
    for i in range(3):
        assert cli(_args(out, cache, "--shard", f"{i}/3")) == 0
    assert not (out / "run.json").exists()  # a shard writes no record
    assert _cache_counts(cache) == (9, 27)  # the shards computed every clip-level unit
    assert cli(_args(out, cache)) == 0
    rec = _record(out)
    assert (rec["cache"]["restored_computed"], rec["cache"]["scores_computed"]) == (
        0,
        3,
    )  # only the set metric
    assert _diff(comparable(rec), reference) == []


def test_merge_computes_the_units_of_a_shard_that_never_finished(tmp_path, reference):
    out, cache = tmp_path / "merged", tmp_path / "cache"
    assert cli(_args(out, cache, "--shard", "1/3")) == 0  # shards 0 and 2 "died" before starting
    assert _cache_counts(cache) == (3, 9)
    assert cli(_args(out, cache)) == 0
    rec = _record(out)
    assert (rec["cache"]["restored_computed"], rec["cache"]["restored_cached"]) == (6, 3)
    assert _diff(comparable(rec), reference) == []


def test_shard_is_refused_with_workers(tmp_path, capsys):
    assert cli(_args(tmp_path / "o", tmp_path / "c", "--shard", "0/2", "--workers", "2")) == 2
    assert "--shard" in capsys.readouterr().err


# ----------------------------------------------------------------------------- --workers


def test_worker_envs_split_threads_and_honour_cuda_visible_devices(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "8")
    assert [e["OMP_NUM_THREADS"] for e in worker_envs(3, "cpu")] == ["2", "2", "2"]
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert [e["OMP_NUM_THREADS"] for e in worker_envs(2, "cpu")] == ["1", "1"]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")  # not nvidia-smi's count: only what is visible
    assert [e["CUDA_VISIBLE_DEVICES"] for e in worker_envs(2, "cuda")] == ["3", "5"]
    assert worker_envs(1, "cuda:1") == [{"CUDA_VISIBLE_DEVICES": "5"}]
    with pytest.raises(InputError, match="only 2 CUDA device"):
        worker_envs(3, "cuda")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    with pytest.raises(InputError, match="no CUDA device"):
        worker_envs(1, "cuda")


def test_two_workers_give_the_identical_record(tmp_path, reference):
    out, cache = tmp_path / "w2", tmp_path / "cache"
    assert cli(_args(out, cache, "--workers", "2")) == 0
    rec = _record(out)
    assert (rec["cache"]["restored_computed"], rec["cache"]["restored_cached"]) == (0, 9)
    assert _diff(comparable(rec), reference) == []


def test_a_killed_worker_is_survived(tmp_path, reference, monkeypatch):
    marker = tmp_path / "killed"
    monkeypatch.setenv("VFEBENCH_TEST_KILL_ONCE", str(marker))
    out, cache = tmp_path / "w2", tmp_path / "cache"
    assert cli(_args(out, cache, "--workers", "2")) == 0
    assert marker.is_file()  # a worker really was SIGKILLed mid-run
    rec = _record(out)
    assert rec["cache"]["restored_computed"] >= 1  # the merge computed what the dead worker left
    assert _diff(comparable(rec), reference) == []


# ----------------------------------------------------------------------------- SLURM (submitit)


def test_slurm_array_through_submitit_local_executor(tmp_path, reference):
    pytest.importorskip("submitit", reason="submitit is the 'cluster' extra: pip install 'vfebench[cluster]'")
    out, cache = tmp_path / "slurm", tmp_path / "cache"
    extra = ["--executor", "slurm", "--array-size", "3", "--slurm-cluster", "local"]
    assert cli(_args(out, cache, *extra, "--slurm-folder", str(tmp_path / "sub"))) == 0
    rec = _record(out)
    # every clip-level unit came from the array tasks; the merge added only the set-level metric
    assert (rec["cache"]["restored_computed"], rec["cache"]["scores_computed"]) == (0, 3)
    assert len(list((tmp_path / "sub").glob("*_result.pkl"))) == 3
    assert _diff(comparable(rec), reference) == []


# ----------------------------------------------------------------------------- Ray


@pytest.fixture
def local_ray(monkeypatch):
    """A local 2-CPU Ray cluster (its own short temp dir: Ray's socket paths must stay < 108 bytes)."""
    import shutil
    import tempfile

    ray = pytest.importorskip("ray", reason="ray is the 'cluster' extra: pip install 'vfebench[cluster]'")
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")  # a throw-away local cluster: no token in ~/.ray
    tmp = tempfile.mkdtemp(prefix="vfray")
    env = {
        k: os.environ[k]
        for k in ("VFEBENCH_CACHE", "VFEBENCH_ASSETS", "VFEBENCH_OFFLINE", "VFEBENCH_PLUGINS", "PYTHONPATH")
    }
    from vfebench.runner.scale import ray_runtime_env

    ray.init(num_cpus=2, include_dashboard=False, runtime_env=ray_runtime_env(env), _temp_dir=tmp)
    yield ray
    ray.shutdown()
    shutil.rmtree(tmp, ignore_errors=True)


def test_ray_cluster_gives_the_identical_record_and_survives_a_killed_worker(
    tmp_path, reference, monkeypatch, local_ray
):
    marker = tmp_path / "killed"
    monkeypatch.setenv("VFEBENCH_TEST_KILL_ONCE", str(marker))
    out, cache = tmp_path / "ray", tmp_path / "cache"
    assert cli(_args(out, cache, "--executor", "ray", "--workers", "2")) == 0
    assert marker.is_file()  # one Ray worker process was SIGKILLed mid-task
    rec = _record(out)
    assert _diff(comparable(rec), reference) == []
    # Ray retried the dead worker's task, so the merge found (nearly) everything cached
    assert rec["cache"]["restored_cached"] == 9
