"""Runner storage: concurrent runs on one cache, SIGKILL at random moments, full disk, read-only cache,
``--out`` guard, and ``score`` agreeing with ``run``."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from helpers.runs import make_folder, plugin_env

from vfebench.video import read_clip

pytestmark = pytest.mark.usefixtures("runner_plugin")


def _env(tmp: Path) -> dict[str, str]:
    return plugin_env(VFEBENCH_CACHE=str(tmp / "vc"), OMP_NUM_THREADS="1")


def _args(
    data: Path, out: Path, cache: Path, *extra: str, methods=("t_shift:amount=2", "bicubic")
) -> list[str]:
    a = [sys.executable, "-m", "vfebench", "run", "--dataset", f"folder:{data}", "--metrics", "t_mae,t_setmae",
         "--out", str(out), "--cache", str(cache), "--warmup", "0", "--quiet", "--no-progress", *extra]  # fmt: skip
    for m in methods:
        a += ["--method", m]
    return a


_VOLATILE = {"seconds", "fps", "peak_mem_mb", "restored_path", "lq_path", "restore_cached", "details"}


def _stable(rec: dict) -> dict:
    """The record without timings, paths, cache counters and timestamps."""
    clips = sorted(
        ({k: v for k, v in c.items() if k not in _VOLATILE} for c in rec["clips"]),
        key=lambda c: (c["method"], c["clip_id"]),
    )
    methods = {
        lb: {k: v for k, v in m.items() if k not in ("timing", "warmup", "worker_restarts")}
        for lb, m in rec["methods"].items()
    }
    return {"status": rec["status"], "run_id": rec["run_id"], "clips": clips, "methods": methods,
            "dataset": rec["dataset"]["manifest_hash"], "lq": rec["lq"]["identity"], "failures": rec["failures"]}  # fmt: skip


def _check_cache_consistent(cache: Path, vc: Path) -> int:
    """Every restored entry matches its content hash; every LQ entry its manifest hash; scores point
    at restored entries that exist. Returns the number of restored entries."""
    hashes = set()
    metas = list((cache / "restored").rglob("meta.json"))
    for m in metas:
        meta = json.loads(m.read_text())
        assert read_clip(m.parent / "frames").content_hash() == meta["content_hash"], m
        hashes.add(meta["content_hash"])
    for man in (vc / "lq").rglob("manifest.json"):
        doc = json.loads(man.read_text())
        for cid, e in doc["clips"].items():
            assert read_clip(man.parent / cid).content_hash() == e["lq_hash"], (man, cid)
    for f in (cache / "scores").rglob("*.json"):
        d = json.loads(f.read_text())
        if "restored_hash" in d:
            assert d["restored_hash"] in hashes, f
    assert not list(cache.rglob(".*.tmp")), "a temp file was left behind"
    return len(metas)


def test_concurrent_runs_share_one_cache(tmp_path):
    """Two `vfebench run` at once on one (fresh) cache, 10 trials: identical records, consistent
    cache, and no entry computed twice (the two runs' computed counts add up to the entries)."""
    data = make_folder(tmp_path / "gt", n=3, t=2, size=32)
    ref = None
    for trial in range(10):
        base = tmp_path / f"t{trial}"
        env = _env(base)
        ps = [
            subprocess.Popen(
                _args(data, base / f"run{k}", base / "cache"),
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )  # fmt: skip
            for k in range(2)
        ]
        for p in ps:
            _, err = p.communicate(timeout=300)
            assert p.returncode == 0, err
        recs = [json.loads((base / f"run{k}" / "run.json").read_text()) for k in range(2)]
        assert _stable(recs[0]) == _stable(recs[1])
        ref = ref or _stable(recs[0])
        assert _stable(recs[0]) == ref
        n = _check_cache_consistent(base / "cache", base / "vc")
        assert n == 6
        assert sum(r["cache"]["restored_computed"] for r in recs) == n, "an entry was computed twice"
        assert (
            sum(r["cache"]["scores_computed"] for r in recs) == 6 + 2
        )  # t_mae per clip + t_setmae per method
        shutil.rmtree(base)


def _meta_files(cache: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in (cache / "restored").rglob("meta.json")}


@pytest.mark.slow  # ~16–18 s on 2 cores
def test_sigkill_at_random_moments_then_resume(tmp_path):
    """SIGKILL a real run at 5 random moments; every re-run keeps what finished; the final record
    equals an uninterrupted run's apart from timings."""
    data = make_folder(tmp_path / "gt", n=6, t=2, size=32)
    env = _env(tmp_path)
    cache = tmp_path / "cache"
    methods = ("t_slow:delay=0.7", "bicubic")
    args = _args(data, tmp_path / "run", cache, methods=methods)
    rng = np.random.default_rng(1234)
    kills = 0
    for _ in range(12):
        before = _meta_files(cache) if cache.exists() else {}
        p = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(float(rng.uniform(0.3, 2.5)))  # startup, LQ, restore or scoring, at random
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            kills += 1
        p.wait()
        after = _meta_files(cache) if cache.exists() else {}
        assert all(after[f] == m for f, m in before.items()), "a finished clip was rewritten"
        if cache.exists():
            _check_cache_consistent(cache, tmp_path / "vc")
        if kills >= 5 or (tmp_path / "run" / "run.json").exists():
            break
    assert kills >= 5
    before = _meta_files(cache)
    r = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    rec = json.loads((tmp_path / "run" / "run.json").read_text())
    assert rec["cache"]["restored_cached"] == len(before)
    assert all(_meta_files(cache)[f] == m for f, m in before.items())
    fresh = _args(data, tmp_path / "run2", tmp_path / "fresh", methods=methods)
    r2 = subprocess.run(fresh, env=_env(tmp_path / "f"), capture_output=True, text=True, timeout=300)
    assert r2.returncode == 0, r2.stderr
    rec2 = json.loads((tmp_path / "run2" / "run.json").read_text())
    assert _stable(rec) == _stable(rec2)


def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    try:
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                           capture_output=True, timeout=20)  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return False
    return r.returncode == 0


def _umount(where: Path) -> None:
    subprocess.run(["umount", "-l", str(where)], capture_output=True, timeout=20)


def test_full_disk_and_read_only_cache(tmp_path):
    """Disk full on --out: exit 3, one line naming the path, nothing half-written, the earlier record
    intact. A read-only cache holding everything: the run works; needing a new entry: exit 3."""
    mnt = tmp_path / "mnt"
    if not _mount_tmpfs(mnt, "4m"):
        pytest.skip("cannot mount a tmpfs here (needs root / CAP_SYS_ADMIN)")
    try:
        data = make_folder(tmp_path / "gt", n=2, t=2, size=32)
        env = _env(tmp_path)
        args = _args(data, mnt / "run1", tmp_path / "cache", methods=("bicubic",))
        r = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        first = (mnt / "run1" / "run.json").read_bytes()
        with open(mnt / "filler", "wb") as f:  # fill the disk to the last byte
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        r = subprocess.run(args[: args.index("--out") + 1] + [str(mnt / "run2")] + args[args.index("--out") + 2 :],
                           env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
        assert r.returncode == 3, (r.returncode, r.stderr)
        msg = [ln for ln in r.stderr.splitlines() if "error" in ln]
        assert len(msg) == 1 and "No space left on device" in msg[0] and str(mnt / "run2") in msg[0]
        assert "Traceback" not in r.stderr and "--out" in msg[0]
        assert not (mnt / "run2" / "run.json").exists()
        assert (
            not [p for p in (mnt / "run2").rglob("*") if p.name.startswith(".")]
            if (mnt / "run2").exists()
            else True
        )
        assert (mnt / "run1" / "run.json").read_bytes() == first
    finally:
        _umount(mnt)
    # read-only cache: everything cached works, something new fails clearly
    ro = tmp_path / "ro"
    if not _mount_tmpfs(ro, "64m"):
        pytest.skip("cannot mount a tmpfs here")
    try:
        data = make_folder(tmp_path / "gt2", n=2, t=2, size=32)
        env = {**_env(tmp_path), "VFEBENCH_CACHE": str(ro / "vc")}
        args = _args(data, tmp_path / "r1", ro / "cache")
        r = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        subprocess.run(["mount", "-o", "remount,ro", str(ro)], check=True, timeout=20)
        r = subprocess.run(args[: args.index("--out") + 1] + [str(tmp_path / "r2")] + args[args.index("--out") + 2 :],
                           env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
        assert r.returncode == 0, r.stderr
        a = json.loads((tmp_path / "r1" / "run.json").read_text())
        b = json.loads((tmp_path / "r2" / "run.json").read_text())
        assert _stable(a) == _stable(b) and b["cache"]["restored_computed"] == 0
        r = subprocess.run(_args(data, tmp_path / "r3", ro / "cache", "--seed", "1"), env=env,
                           capture_output=True, text=True, timeout=300)  # fmt: skip
        assert r.returncode == 3, r.stderr
        assert "Read-only file system" in r.stderr and "Traceback" not in r.stderr
    finally:
        _umount(ro)


def test_out_refuses_another_runs_folder(tmp_path):
    from vfebench.errors import InputError
    from vfebench.runner import RunConfig, run

    data = make_folder(tmp_path / "gt", n=1, t=2, size=32)
    c = dict(dataset=f"folder:{data}", metrics=["t_mae"], out=str(tmp_path / "run"), cache=str(tmp_path / "c"),
             progress=False)  # fmt: skip
    run(RunConfig(methods=["bicubic"], **c), log=lambda s: None)
    run(RunConfig(methods=["bicubic"], **c), log=lambda s: None)  # the same run: resumes / refreshes
    with pytest.raises(InputError, match="holds another run.*--overwrite"):
        run(RunConfig(methods=["identity"], **c), log=lambda s: None)
    assert json.loads((tmp_path / "run" / "run.json").read_text())["config"]["methods"] == ["bicubic"]
    rec = run(RunConfig(methods=["identity"], overwrite=True, **c), log=lambda s: None).record
    assert rec["config"]["methods"] == ["identity"]
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "thesis.tex").write_text("x")
    with pytest.raises(InputError, match="not empty and holds no vfebench run"):
        run(RunConfig(methods=["bicubic"], **{**c, "out": str(tmp_path / "other")}), log=lambda s: None)


def test_score_and_run_give_the_same_per_clip_values(tmp_path):
    from vfebench.commands.score import score
    from vfebench.datasets import build_source
    from vfebench.runner import RunConfig, run

    data = make_folder(tmp_path / "gt", n=3, t=3, size=48)
    rec = run(RunConfig(methods=["bicubic", "t_shift:amount=5"], dataset=f"folder:{data}",
                        metrics=["psnr", "ssim", "t_mae"], out=str(tmp_path / "run"), cache=str(tmp_path / "c"),
                        progress=False), log=lambda s: None).record  # fmt: skip
    src = build_source(f"folder:{data}")
    for c in rec["clips"]:
        doc = score(c["restored_path"], src.clip_path(c["clip_id"]), "psnr,ssim,t_mae")
        for k in ("psnr", "ssim", "t_mae"):
            assert doc["metrics"][k]["clips"][0]["value"] == c["values"][k], (c["clip_id"], k)
