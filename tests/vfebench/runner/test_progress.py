"""Progress in logs: a line per stage every N seconds when stderr is not a terminal."""

from __future__ import annotations

import pytest
from helpers.runs import make_folder

from vfebench.runner import RunConfig, run
from vfebench.runner.progress import Progress

pytestmark = pytest.mark.usefixtures("runner_plugin")


def test_lines_every_n_seconds_with_eta():
    now = [0.0]
    out: list[str] = []
    p = Progress("restore m", 10, "log", every=30, write=out.append, clock=lambda: now[0])
    for _ in range(4):  # 4 clips at 10 s each: a line at 30 s and none before
        now[0] += 10
        p.step()
    assert out == ["[restore m] 3/10 clips, 10.00 s/clip, elapsed 30s, ETA 1m10s"]
    for _ in range(6):
        now[0] += 10
        p.step()
    assert out[1:] == ["[restore m] 6/10 clips, 10.00 s/clip, elapsed 1m00s, ETA 40s",
                       "[restore m] 9/10 clips, 10.00 s/clip, elapsed 1m30s, ETA 10s"]  # fmt: skip
    p.close()  # the stage's last line, without ETA
    assert out[-1] == "[restore m] 10/10 clips, 10.00 s/clip, elapsed 1m40s"
    silent: list[str] = []
    q = Progress("x", 3, "off", every=0, write=silent.append)
    q.step()
    q.close()
    assert silent == []


def test_run_logs_progress_of_every_stage_when_not_a_terminal(tmp_path):
    data = make_folder(tmp_path / "gt", n=2, t=2, size=32)
    lines: list[str] = []
    run(RunConfig(methods=["bicubic", "identity"], dataset=f"folder:{data}", metrics=["t_mae"],
                  out=str(tmp_path / "run"), cache=str(tmp_path / "c"), progress=True, progress_every=0),
        log=lines.append)  # fmt: skip
    stages = [ln for ln in lines if ln.startswith("[")]
    # hashing and degrading a clip happen when its first method reaches it (one decode per clip),
    # so they are part of that stage and have no stage of their own
    assert not [s for s in stages if s.startswith(("[hash GT]", "[degrade"))], stages
    for stage in ("restore+score bicubic", "restore+score identity"):
        assert any(s.startswith(f"[{stage}] 2/2 clips") for s in stages), (stage, stages)
    assert any("ETA" in s for s in stages if s.startswith("[restore+score bicubic] 1/2"))
    lines.clear()
    run(RunConfig(methods=["bicubic"], dataset=f"folder:{data}", metrics=["t_mae"], out=str(tmp_path / "r2"),
                  cache=str(tmp_path / "c"), progress=False), log=lines.append)  # fmt: skip
    assert not [ln for ln in lines if ln.startswith("[")]
