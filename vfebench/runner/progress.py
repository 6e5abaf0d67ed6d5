"""Progress of a run stage: a tqdm bar on a terminal, else a log line every N seconds.

``Progress(stage, total, mode, every, write)``; call :meth:`Progress.step` after each clip and
:meth:`Progress.close` at the end. In ``log`` mode (stderr is not a terminal: CI, ``nohup``,
``| tee``) it writes ``[restore bicubic] 12/50 clips, 3.1 s/clip, ETA 1m58s`` at most every
``every`` seconds and once when the stage ends; ``off`` writes nothing.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable


def _fmt_secs(s: float) -> str:
    s = int(round(s))
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    if s >= 60:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s}s"


def progress_mode(enabled: bool) -> str:
    """``bar`` on a terminal, ``log`` otherwise, ``off`` when disabled."""
    if not enabled:
        return "off"
    return "bar" if sys.stderr.isatty() else "log"


class Progress:
    """Progress of one stage of ``total`` clips in ``mode`` ``bar`` / ``log`` / ``off``.

    ``every``: seconds between log lines; ``write``: where log lines go (default: stderr);
    ``clock``: the time source (tests pass a fake one). The tqdm bar is made only in ``bar``
    mode with a non-zero total.
    """

    def __init__(
        self,
        stage: str,
        total: int,
        mode: str = "log",
        every: float = 30.0,
        write: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stage, self.total, self.mode, self.every = stage, int(total), mode, float(every)
        self.done = 0
        self._write = write or (lambda s: print(s, file=sys.stderr, flush=True))
        self._clock = clock
        self._t0 = clock()
        self._last = self._t0
        self._bar = None
        if mode == "bar" and total:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=stage, unit="clip", file=sys.stderr, leave=False)

    def line(self) -> str:
        """The status line, e.g. ``[restore bicubic] 12/50 clips, 3.10 s/clip, elapsed 37s, ETA 1m58s``.

        Before the first clip only ``[stage] 0/N clips``; the ETA is left out once every clip
        is done. Rates are the mean since the stage started.
        """
        el = self._clock() - self._t0
        s = f"[{self.stage}] {self.done}/{self.total} clips"
        if self.done:
            per = el / self.done
            s += f", {per:.2f} s/clip, elapsed {_fmt_secs(el)}"
            if self.done < self.total:
                s += f", ETA {_fmt_secs(per * (self.total - self.done))}"
        return s

    def step(self, n: int = 1) -> None:
        """Count ``n`` more clips done: advance the bar, or in ``log`` mode write :meth:`line`
        when ``every`` seconds have passed since the last line (never for the final clip,
        which :meth:`close` reports)."""
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
        elif self.mode == "log":
            now = self._clock()
            if now - self._last >= self.every and self.done < self.total:
                self._last = now
                self._write(self.line())

    def close(self) -> None:
        """End the stage: close the bar, or in ``log`` mode write the final :meth:`line` (when
        the stage had any clips); nothing in ``off`` mode."""
        if self._bar is not None:
            self._bar.close()
        elif self.mode == "log" and self.total:
            self._write(self.line())
