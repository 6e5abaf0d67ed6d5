"""Fan a run's shards out (``--workers N``, Ray, SLURM arrays), then merge — no scheduler of ours.

Every executor does the same two things:

1. run ``--shard I/N`` for I = 0..N-1 somewhere (:func:`run_shard`): each shard computes its
   units (:mod:`vfebench.runner.units`) into the shared run cache under the cache's per-entry
   locks, and writes no record;
2. run the plain, unsharded run here (the **merge**): every unit a shard finished is read from
   the cache; whatever is missing — the units of a shard whose worker died, or was never
   started — is computed now; the set-level metrics are computed; the record is written.

So a worker that dies costs only its unfinished units, recomputed by the merge (or by the
scheduler's own retry: Ray retries a task whose worker died, SLURM's ``--requeue``). The cache
must be one folder every worker can read and write (a shared file system with working
``flock``, e.g. NFSv4 or Lustre; ``--cache`` and ``$VFEBENCH_CACHE`` must name it on every node).

Executors:

- :func:`run_workers` (``--workers N``): N local processes (``python -m vfebench.runner.scale``),
  one device each: with ``--device cuda`` worker ``k`` sees only GPU ``k`` of
  ``$CUDA_VISIBLE_DEVICES`` (or of the visible CUDA devices when unset); on CPU the
  ``OMP_NUM_THREADS`` budget (default: the CPU count) is split between them.
- :func:`run_ray` (``--executor ray [--address ADDR]``): one Ray task per shard
  (``num_gpus=1`` with ``--device cuda``, else ``num_cpus=1``), retried by Ray when its worker
  dies.
- :func:`run_slurm` (``--executor slurm --slurm-partition P --array-size N``): one SLURM job
  array through ``submitit`` (task ``I`` runs shard ``I/N``), waited for, then the merge.

Ray and submitit are the ``vfebench[cluster]`` extra, imported only by these two functions.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from vfebench.errors import InputError, MissingDependencyError


def _cfg(d: dict[str, Any]):
    from vfebench.runner.plan import RunConfig

    return RunConfig(**d)


def run_shard(cfg_dict: dict[str, Any], index: int, count: int, env: dict[str, str] | None = None) -> dict:
    """Compute shard ``index/count`` of the run ``cfg_dict`` (a ``RunConfig`` as a dict) into
    its cache; returns the shard summary (units, pairs, failures). Runs in any process."""
    if env:
        os.environ.update(env)
    from vfebench.runner import run

    cfg = replace(_cfg(cfg_dict), shard=f"{index}/{count}", progress=False)
    return run(cfg, log=lambda s: print(f"[shard {index}/{count}] {s}", file=sys.stderr, flush=True)).record


def _shared_cache(cfg) -> dict[str, Any]:
    """The config every worker gets: an absolute cache path (workers may start elsewhere)."""
    from vfebench.runner.cache import RunCache

    d = asdict(cfg)
    d["cache"] = str(RunCache(cfg.cache).root.resolve())
    if d.get("features"):
        d["features"] = str(Path(d["features"]).resolve())
    d["progress"] = False
    return d


def _merge(cfg, log: Callable[[str], None]):
    from vfebench.runner import run

    log("merge: assembling the record from the cache (missing units are computed now)")
    return run(cfg, log)


# ----------------------------------------------------------------------------- one node


def visible_gpus() -> list[str]:
    """The GPUs this process may use: ``$CUDA_VISIBLE_DEVICES`` entries, else ``0..count-1``."""
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None:
        return [d.strip() for d in env.split(",") if d.strip() and d.strip() != "-1"]
    try:
        import torch

        return [str(i) for i in range(torch.cuda.device_count())]
    except ImportError:
        return []


def worker_envs(n: int, device: str) -> list[dict[str, str]]:
    """The environment of each of ``n`` workers: one GPU each, or a share of the CPU threads."""
    if device.startswith("cuda"):
        gpus = visible_gpus()
        if ":" in device:  # an explicit cuda:K is the K-th visible device, for every worker
            k = int(device.split(":", 1)[1])
            if k >= len(gpus):
                raise InputError(f"--device {device}: only {len(gpus)} CUDA device(s) are visible")
            gpus = [gpus[k]]
        if not gpus:
            raise InputError("--device cuda --workers: no CUDA device is visible (CUDA_VISIBLE_DEVICES)")
        if n > len(gpus):
            raise InputError(
                f"--workers {n}: only {len(gpus)} CUDA device(s) are visible ({','.join(gpus)}); one "
                f"worker per device: use --workers {len(gpus)} or fewer"
            )
        return [{"CUDA_VISIBLE_DEVICES": gpus[k]} for k in range(n)]
    total = int(os.environ.get("OMP_NUM_THREADS") or 0) or os.cpu_count() or 1
    per = str(max(1, total // n))
    return [{"OMP_NUM_THREADS": per, "MKL_NUM_THREADS": per} for _ in range(n)]


def run_workers(cfg, n: int, log: Callable[[str], None] | None = None):
    """``--workers N`` on this node (see the module docstring); returns the merge's RunOutcome."""
    log = log or (lambda s: print(s, file=sys.stderr))
    if n < 1:
        raise InputError(f"--workers must be >= 1, got {n}")
    if n == 1:
        from vfebench.runner import run

        return run(cfg, log)
    from vfebench.runner.plan import make_plan

    make_plan(cfg)  # every user error here, once, before any worker starts
    envs = worker_envs(n, cfg.device)
    wdev = "cuda" if cfg.device.startswith("cuda") else cfg.device
    d = {**_shared_cache(cfg), "device": wdev}
    with tempfile.TemporaryDirectory(prefix="vfebench-workers-") as tmp:
        spec = Path(tmp) / "config.json"
        spec.write_text(json.dumps(d))
        procs = []
        for k, extra in enumerate(envs):
            env = {**os.environ, **extra}
            cmd = [sys.executable, "-m", "vfebench.runner.scale", str(spec), f"{k}/{n}"]
            procs.append(subprocess.Popen(cmd, env=env))
            log(
                f"worker {k}/{n} started (pid {procs[-1].pid}; {', '.join(f'{a}={b}' for a, b in extra.items())})"
            )
        try:
            for k, p in enumerate(procs):
                rc = p.wait()
                if rc not in (0, 1):
                    log(
                        f"worker {k}/{n} exited with status {rc}; its unfinished units are computed by the merge"
                    )
        except BaseException:
            for p in procs:
                if p.poll() is None:
                    p.terminate()
            for p in procs:
                p.wait()
            raise
    return _merge(cfg, log)


# ----------------------------------------------------------------------------- Ray


def _import(name: str, what: str):
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise MissingDependencyError(f"{what} needs {name} ({exc}): pip install 'vfebench[cluster]'") from exc


def hide_broken_pyarrow() -> None:
    """Make a pyarrow that cannot be imported (e.g. a wheel built for NumPy 2 next to NumPy 1.26,
    pulled in by ``datasets``) look absent, as Ray expects: Ray imports pyarrow when it is
    installed and only tolerates ``ModuleNotFoundError``. Runs in the driver and, as Ray's
    ``worker_process_setup_hook``, in every worker."""
    try:
        import pyarrow  # noqa: F401
    except ModuleNotFoundError:
        return
    except ImportError:
        sys.modules["pyarrow"] = None  # type: ignore[assignment]  # import now raises ModuleNotFoundError


def ray_runtime_env(env: dict[str, str] | None = None) -> dict[str, Any]:
    """The runtime env vfebench's Ray jobs need: ``env`` as worker env vars, and the worker
    setup hook :func:`hide_broken_pyarrow`. Pass it to ``ray.init`` when connecting yourself."""
    return {
        "env_vars": dict(env or {}),
        "worker_process_setup_hook": "vfebench.runner.scale.hide_broken_pyarrow",
    }


def _ray_shard(cfg_dict: dict[str, Any], index: int, count: int, env: dict[str, str]) -> dict:
    """A Ray task: one shard (Ray has already set ``CUDA_VISIBLE_DEVICES`` for ``num_gpus``)."""
    return run_shard(cfg_dict, index, count, env)


def run_ray(
    cfg,
    n: int,
    address: str | None = None,
    log: Callable[[str], None] | None = None,
    max_retries: int = 2,
):
    """``--executor ray``: ``n`` shards as Ray tasks on the cluster at ``address`` (None: the
    cluster this process is already connected to, else ``$RAY_ADDRESS``, else a local one)."""
    log = log or (lambda s: print(s, file=sys.stderr))
    if n < 1:
        raise InputError(f"--workers must be >= 1 for the Ray executor, got {n}")
    ray = _import("ray", "--executor ray")
    from vfebench.runner.plan import make_plan

    make_plan(cfg)
    hide_broken_pyarrow()
    env = {k: v for k, v in os.environ.items() if k.startswith("VFEBENCH_")}
    if not ray.is_initialized():
        ray.init(address=address, runtime_env=ray_runtime_env(env))
    cuda = cfg.device.startswith("cuda")
    task = ray.remote(num_gpus=1 if cuda else 0, num_cpus=1, max_retries=max_retries)(_ray_shard)
    d = {**_shared_cache(cfg), "device": "cuda" if cuda else cfg.device}
    refs = [task.remote(d, k, n, env) for k in range(n)]
    log(f"ray: {n} shard task(s) submitted")
    for k, ref in enumerate(refs):
        try:
            ray.get(ref)
        except Exception as exc:  # broad on purpose: a Ray task failed past its retries (any error); the merge computes its units
            log(f"ray: shard {k}/{n} failed ({type(exc).__name__}); its units are computed by the merge")
    return _merge(cfg, log)


# ----------------------------------------------------------------------------- SLURM


def run_slurm(
    cfg,
    array_size: int,
    partition: str | None = None,
    folder: str | None = None,
    cluster: str | None = "slurm",
    log: Callable[[str], None] | None = None,
    timeout_min: int = 24 * 60,
    parameters: dict[str, Any] | None = None,
):
    """``--executor slurm``: one job array of ``array_size`` tasks through submitit (task ``I``
    runs ``--shard I/N``), waited for, then the merge here. ``cluster="local"`` runs the array
    as local processes (submitit's LocalExecutor), for testing a setup without SLURM."""
    log = log or (lambda s: print(s, file=sys.stderr))
    if array_size < 1:
        raise InputError(f"--array-size must be >= 1, got {array_size}")
    submitit = _import("submitit", "--executor slurm")
    from vfebench.runner.plan import make_plan

    plan = make_plan(cfg)
    folder = folder or str(Path(plan.out).parent / f".slurm-{plan.run_id}")
    ex = submitit.AutoExecutor(folder=folder, cluster=cluster)
    cuda = cfg.device.startswith("cuda")
    params: dict[str, Any] = {"timeout_min": timeout_min, "slurm_array_parallelism": array_size}
    if partition:
        params["slurm_partition"] = partition
    if cuda:
        params["gpus_per_node"] = 1
    params.update(parameters or {})
    ex.update_parameters(**params)
    d = {**_shared_cache(cfg), "device": "cuda" if cuda else cfg.device}
    env = {k: v for k, v in os.environ.items() if k.startswith("VFEBENCH_")}
    jobs = ex.map_array(
        run_shard, [d] * array_size, range(array_size), [array_size] * array_size, [env] * array_size
    )
    log(f"slurm: job array {jobs[0].job_id.split('_')[0]} of {array_size} task(s); logs in {folder}")
    for k, job in enumerate(jobs):
        try:
            job.result()
        except (
            Exception
        ) as exc:  # broad on purpose: a SLURM task failed (any error); the merge computes its units
            log(
                f"slurm: task {k}/{array_size} failed ({type(exc).__name__}); its units are computed by the merge"
            )
    return _merge(cfg, log)


#: record fields that say how or where a run executed (timings, cache hits, paths), not what it
#: measured; :func:`comparable` drops them
EXECUTION_FIELDS = frozenset(
    {
        "started", "finished", "environment", "cache", "warmup", "timing", "seconds", "fps",
        "peak_mem_mb", "restore_cached", "cached", "restored_path", "lq_path", "root", "out",
    }
)  # fmt: skip


def comparable(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` without :data:`EXECUTION_FIELDS` (at any depth) and the cache folders in its
    config: what a sharded / multi-worker / cluster run must reproduce exactly."""

    def strip(x):
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k not in EXECUTION_FIELDS}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x

    out = strip(record)
    for k in ("cache", "features"):
        out.get("config", {}).pop(k, None)
    return out


def _main(argv: list[str]) -> int:
    """``python -m vfebench.runner.scale CONFIG.json I/N``: one shard (the ``--workers`` child)."""
    from vfebench.runner.units import parse_shard

    shard = parse_shard(argv[1])
    assert shard is not None  # a str spec parses or raises InputError
    i, n = shard
    got = run_shard(json.loads(Path(argv[0]).read_text()), i, n)
    return 0 if got["status"] == "complete" else 1


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
