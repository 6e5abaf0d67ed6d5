"""Method executors: a worker process per method (default) or this process (debugging).

:class:`ProcessExecutor` starts one worker process per method, loads the model there once
(``setup``) and sends it one LQ clip at a time over a pipe; the worker times ``restore`` itself
(model loading excluded, device synchronised, peak memory of the worker reset per clip) and
sends the output back. A clip fails — and only that clip — when the worker

- raises (the reason is the exception and the last traceback lines),
- dies (segfault, ``os._exit``, ``sys.exit``, out of memory: the exit code or signal is named),
- does not answer within the per-clip timeout (the worker is killed),

after which the next clip starts a fresh worker (the model is loaded again). SIGINT is ignored
in the worker so that Ctrl-C reaches only the runner, which stops its workers.

:class:`InProcessExecutor` calls the method directly (``--in-process``): no timeout and no
protection, but a debugger and ``breakpoint()`` work.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import time
import traceback
from dataclasses import dataclass
from typing import Any

import numpy as np

from vfebench.errors import ComponentFailed, InputError
from vfebench.video import Clip


class RestoreFailed(ComponentFailed):
    """One clip could not be restored; ``reason`` says why (``tb``: the worker's traceback)."""

    def __init__(self, reason: str, tb: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.tb = tb


@dataclass
class Restored:
    """A method's raw output for one clip, with its timing and peak memory."""

    out: Any
    seconds: float
    peak_mem_mb: float | None
    peak_mem_kind: str


# ----------------------------------------------------------------------------- timing helpers


def sync(device: str) -> None:
    """Wait for queued CUDA work on ``device`` (a no-op off CUDA), so a timer reads finished work."""
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize(torch.device(device))


def reset_peak(device: str) -> str:
    """Reset the peak-memory counter of ``device``; returns which counter :func:`read_peak_mb`
    will read: ``cuda_max_allocated``, ``cpu_peak_rss`` (VmHWM after clearing it) or
    ``cpu_peak_rss_lifetime`` (the process's peak since start, when it cannot be cleared)."""
    if device.startswith("cuda"):
        import torch

        torch.cuda.reset_peak_memory_stats(torch.device(device))
        return "cuda_max_allocated"
    try:  # Linux: writing 5 to clear_refs resets VmHWM (peak RSS) of this process
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return "cpu_peak_rss"
    except OSError:
        return "cpu_peak_rss_lifetime"


def read_peak_mb(device: str) -> float | None:
    """Peak memory in MiB since :func:`reset_peak`: CUDA max allocated, else the process's
    VmHWM (Linux) or ``ru_maxrss``; None when no counter is available."""
    if device.startswith("cuda"):
        import torch

        return torch.cuda.max_memory_allocated(torch.device(device)) / 2**20
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    try:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    except (ImportError, OSError, ValueError):  # no `resource` module (Windows) / no rusage
        return None


def timed_restore(method, lq: Clip, target, device: str) -> Restored:
    """``method.restore(lq, target)`` timed (device synchronised) with its peak memory:
    :class:`Restored` (output clip, seconds, peak MiB or None, counter kind)."""
    kind = reset_peak(device)
    t0 = time.perf_counter()
    out = method.restore(lq, target)
    sync(device)
    secs = time.perf_counter() - t0
    return Restored(out, secs, read_peak_mb(device), kind)


def short_tb(exc: BaseException, n: int = 6) -> str:
    """The last ``n`` entries of ``exc``'s formatted traceback, at most 2000 characters (for records)."""
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    return "".join(lines[-n:])[-2000:]


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def free_memory(device: str) -> None:
    """Collect garbage and, on CUDA, return cached blocks to the driver (errors ignored)."""
    import gc

    gc.collect()
    if device.startswith("cuda"):
        try:
            import torch

            torch.cuda.empty_cache()
        except (ImportError, RuntimeError, AssertionError):  # no torch / no usable CUDA
            pass


# ----------------------------------------------------------------------------- executors


class InProcessExecutor:
    """Runs the method in this process (``isolation="inprocess"``)."""

    isolation = "inprocess"

    def __init__(self, method, device: str, timeout: float | None = None) -> None:
        self.method = method
        self.device = device
        self.restarts = 0

    def setup(self) -> None:
        """Set the method up on the device; a failure raises :class:`RestoreFailed` ("setup failed: ...")."""
        try:
            self.method.ensure_setup(self.device)
        except Exception as exc:  # broad on purpose: the method's own code: any failure is this method's
            raise RestoreFailed("setup failed: " + _reason(exc), short_tb(exc)) from exc

    def restore(self, lq: Clip, target) -> Restored:
        """Restore one clip in this process, timed; any exception of the method becomes
        :class:`RestoreFailed` for this clip only."""
        try:
            return timed_restore(self.method, lq, target, self.device)
        except Exception as exc:  # broad on purpose: the method's own code: any failure costs one clip
            raise RestoreFailed(_reason(exc), short_tb(exc)) from exc

    def close(self) -> None:
        # drop the loaded model (metrics need the memory): a fresh instance, same fingerprint
        """Drop the loaded model (a fresh, unset-up instance with the same config) and free memory."""
        self.method = type(self.method)(**self.method.config)
        free_memory(self.device)


def method_target(method) -> str | None:
    """``module:QualName`` importable in a fresh process, or None (a class defined in a function)."""
    cls = type(method)
    if "<locals>" in cls.__qualname__ or cls.__module__ == "__main__":
        return None
    return f"{cls.__module__}:{cls.__qualname__}"


def _worker_main(conn, target: str, config: dict, device: str, env: dict) -> None:
    """Worker process: build the method, set it up once, then restore clips until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.clear()
    os.environ.update(env)  # the runner's environment now (a forkserver keeps an older copy)
    try:
        from vfebench.registry import import_target
        from vfebench.runner.plan import load_plugins

        load_plugins()
        mod, _, qual = target.partition(":")
        obj = import_target(mod)
        for part in qual.split("."):
            obj = getattr(obj, part)
        method = obj(**config)
        method.ensure_setup(device)
    except Exception as exc:  # broad on purpose: import/build/setup of user code, reported to the runner
        conn.send(("error", "setup failed: " + _reason(exc), short_tb(exc)))
        return
    conn.send(("ready",))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            msg = ("close",)
        if msg[0] == "close":
            # leave at once: everything was sent; interpreter teardown (big modules, CUDA) is skipped
            conn.close()
            os._exit(0)
        _, lq, tgt = msg
        try:
            r = timed_restore(method, lq, tgt, device)
        except Exception as exc:  # broad on purpose: the method's own code: any failure costs one clip
            conn.send(("error", _reason(exc), short_tb(exc)))
            continue
        try:
            conn.send(("ok", _to_shared(r)))
        except Exception as exc:  # broad on purpose: pickling a method's output object can raise anything
            conn.send(("error", f"output cannot be sent back to the runner ({_reason(exc)})", ""))


#: modules a fork server imports once for all workers (numpy, OpenCV, the video I/O, this module)
_PRELOAD = ("numpy", "cv2", "vfebench.video", "vfebench.runner.worker", "vfebench.methods.trivial")


#: outputs larger than this travel through shared memory instead of the pipe (1 copy, not 4)
_SHM_MIN_BYTES = 1 << 20


def _to_shared(r: Restored) -> Restored:
    """In the worker: move a Clip output's frames into a shared-memory block (named in ``out``)."""
    out = r.out
    frames = getattr(out, "frames", None)
    if not isinstance(out, Clip) or not isinstance(frames, np.ndarray) or frames.nbytes < _SHM_MIN_BYTES:
        return r
    from multiprocessing import resource_tracker, shared_memory

    shm = shared_memory.SharedMemory(create=True, size=frames.nbytes)
    try:
        np.ndarray(frames.shape, frames.dtype, buffer=shm.buf)[...] = frames
        # the runner unlinks it (and tracks it while attached); do not track it twice
        resource_tracker.unregister(shm._name, "shared_memory")  # type: ignore[attr-defined]
    finally:
        shm.close()
    desc = ("shm", shm.name, frames.shape, frames.dtype.str, out.id, out.fps, out.meta)
    return Restored(desc, r.seconds, r.peak_mem_mb, r.peak_mem_kind)


def _from_shared(r: Restored) -> Restored:
    """In the runner: copy frames out of the worker's shared-memory block and free it."""
    if not (isinstance(r.out, tuple) and len(r.out) == 7 and r.out[0] == "shm"):
        return r
    from multiprocessing import shared_memory

    _, name, shape, dtype, cid, fps, meta = r.out
    shm = shared_memory.SharedMemory(name=name)
    try:
        frames: np.ndarray = np.ndarray(shape, np.dtype(dtype), buffer=shm.buf).copy()
    finally:
        shm.close()
        shm.unlink()
    return Restored(Clip(cid, frames, fps, meta), r.seconds, r.peak_mem_mb, r.peak_mem_kind)


def prestart() -> None:
    """Start the fork server now (it imports :data:`_PRELOAD` in the background while the LQ
    stage runs), so the first method's worker does not wait for it."""
    ctx = mp.get_context(_start_method())
    if ctx.get_start_method() != "forkserver":
        return
    from multiprocessing import forkserver

    ctx.set_forkserver_preload(list(_PRELOAD))
    with _without_main_module():
        forkserver.ensure_running()


def _start_method() -> str:
    env = os.environ.get("VFEBENCH_WORKER_START")
    if env:
        return env
    return "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"


#: workers told to exit but not waited for (joined by :func:`_reap`)
_closing: list = []


def _reap() -> None:
    for p in list(_closing):
        if p.exitcode is not None or not p.is_alive():
            p.join(0)
            _closing.remove(p)


@contextlib.contextmanager
def _without_main_module():
    """Start workers without re-importing the caller's ``__main__`` in them.

    multiprocessing's spawn/forkserver children normally re-run the parent's main script (as
    ``__mp_main__``); a user script calling :func:`vfebench.runner.run` without an
    ``if __name__ == "__main__":`` guard would then run again in every worker. The worker needs
    nothing from ``__main__`` (its function and the method class are imported by name), so the
    main-module entries are dropped from the preparation data while a worker starts.
    """
    from multiprocessing import spawn

    orig = spawn.get_preparation_data

    def prep(name):
        d = orig(name)
        d.pop("init_main_from_path", None)
        d.pop("init_main_from_name", None)
        return d

    spawn.get_preparation_data = prep
    try:
        yield
    finally:
        spawn.get_preparation_data = orig


class ProcessExecutor:
    """Runs the method in a worker process (see the module docstring)."""

    isolation = "process"

    def __init__(self, method, device: str, timeout: float | None) -> None:
        self.method = method
        self.device = device
        self.timeout = timeout
        self.target = method_target(method)
        if self.target is None:
            raise InputError(f"{type(method).__qualname__} cannot be imported by a worker process")
        self.restarts = 0
        self._proc: Any = None  # multiprocessing Process of the worker, once started
        self._conn: Any = None  # our end of its Pipe
        self._setup_error: RestoreFailed | None = None

    # -- process management ------------------------------------------------------------
    def _start(self) -> None:
        ctx = mp.get_context(_start_method())
        if ctx.get_start_method() == "forkserver":
            # the fork server imports these once; every worker forked from it starts warm
            ctx.set_forkserver_preload(list(_PRELOAD))
        parent, child = ctx.Pipe(duplex=True)
        proc = ctx.Process(  # type: ignore[attr-defined]  # BaseContext's stub lacks Process
            target=_worker_main,
            args=(child, self.target, dict(self.method.config), self.device, dict(os.environ)),
            daemon=True,
            name=f"vfebench-worker-{self.method.name}",
        )
        with _without_main_module():
            proc.start()
        child.close()
        self._proc, self._conn = proc, parent
        msg = self._wait("setting up")
        if msg[0] != "ready":
            self._stop()
            raise RestoreFailed(msg[1], msg[2] if len(msg) > 2 else "")

    def _death(self, doing: str) -> str:
        proc = self._proc
        proc.join(5)
        code = proc.exitcode
        if code is None:
            return f"worker stopped answering while {doing}"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return f"worker process killed by {name} while {doing}"
        return f"worker process exited with code {code} while {doing}"

    def _wait(self, doing: str):
        conn = self._conn
        try:
            ready = conn.poll(self.timeout)
        except (EOFError, OSError):
            ready = True
        if not ready:
            self._kill()
            raise RestoreFailed(
                f"timed out after {self.timeout:g} s while {doing} (per-clip timeout; raise it with --timeout)"
            )
        try:
            return conn.recv()
        except (EOFError, OSError):
            reason = self._death(doing)
            self._kill()
            raise RestoreFailed(reason) from None

    def _kill(self) -> None:
        if self._proc is not None and self._proc.is_alive():
            self._proc.kill()
            self._proc.join(10)
        self._stop()

    def _stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._proc is not None:
            self._proc.join(0)
        self._proc, self._conn = None, None

    # -- executor interface --------------------------------------------------------------
    def setup(self) -> None:
        """Start the worker process and set the method up there (a restart counts in
        :attr:`restarts`); a setup failure is remembered and raised again without retrying."""
        if self._setup_error is not None:
            raise self._setup_error
        if self._proc is None:
            if self._started_once:
                self.restarts += 1
            self._started_once = True
            try:
                self._start()
            except RestoreFailed as exc:
                if exc.reason.startswith("setup failed"):
                    self._setup_error = exc  # the same config fails the same way: do not retry
                raise

    def restore(self, lq: Clip, target) -> Restored:
        """Send one clip to the worker and wait for its output; a crash, timeout or lost pipe
        of the worker fails this clip only (:class:`RestoreFailed` with the reason), and the
        next clip starts a fresh worker."""
        if self._proc is None:
            self.setup()
        try:
            self._conn.send(("restore", lq, target))
        except (OSError, ValueError) as exc:
            reason = self._death("receiving the clip")
            self._kill()
            raise RestoreFailed(reason) from exc
        msg = self._wait(f"restoring clip {lq.id!r}")
        if msg[0] == "ok":
            return _from_shared(msg[1])
        raise RestoreFailed(msg[1], msg[2] if len(msg) > 2 else "")

    _started_once = False

    def close(self) -> None:
        """Tell the worker to exit; do not wait for it (it is reaped later, or killed at exit)."""
        if self._conn is not None and self._proc is not None and self._proc.is_alive():
            try:
                self._conn.send(("close",))
            except (OSError, ValueError):
                self._kill()
                return
            _closing.append(self._proc)
            self._conn.close()
            self._proc, self._conn = None, None
            _reap()
            return
        self._kill()


def planned_isolation(method, isolation: str) -> str:
    """The isolation :func:`make_executor` gives ``method`` (the same whether or not any clip is
    restored in this process, so a merged or resumed record says what the restoring one did)."""
    if isolation == "process" and getattr(method, "isolation", "process") != "inprocess":
        if method_target(method) is not None:
            return "process"
    return "inprocess"


def make_executor(method, device: str, isolation: str, timeout: float | None, log=None):
    """The executor for ``isolation`` (``process`` falls back to in-process, saying so, for a
    method class that a worker process cannot import)."""
    if isolation == "process" and getattr(method, "isolation", "process") != "inprocess":
        if method_target(method) is not None:
            return ProcessExecutor(method, device, timeout)
        if log:
            log(f"{method.name}: class defined inside a function; running it in this process")
    return InProcessExecutor(method, device, timeout)
