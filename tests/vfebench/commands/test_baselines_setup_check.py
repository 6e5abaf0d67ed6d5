"""``vfebench baselines setup|check`` against a local fake upstream repository (no network).

The fake upstream is a git repository made in a temp folder with two commits; the adapter
(PGTFormer, chosen for its pre-run fix-up) is pointed at it by monkeypatching its pinned commit,
environment steps and weights, and ``setup --run --from PATH`` clones it like GitHub.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest

from baselines.base import BaselineWeight
from baselines.pgtformer import PGTFormer
from vfebench.cli import main

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        GIT + ["-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def upstream(tmp_path, monkeypatch):
    """A fake PGTFormer upstream: commit 1 (pinned) and commit 2; a weights file served by file://."""
    up = tmp_path / "upstream"
    (up / "ffmpeg_lib").mkdir(parents=True)
    (up / "options").mkdir()
    (up / "inference.py").write_text("print('fake entry point')\n")
    (up / "ffmpeg_lib" / "ffmpeg").write_text("#!/bin/sh\nexit 0\n")  # mode 644, like upstream
    (up / "options" / "release_test_stage_IIII_dont_need_align_version.yml").write_text("a: 1\n")
    subprocess.run(["git", "init", "-q", str(up)], check=True)
    _git(up, "add", "-A")
    _git(up, "commit", "-qm", "one")
    pinned = _git(up, "rev-parse", "HEAD")
    (up / "later.py").write_text("x = 2\n")
    _git(up, "add", "-A")
    _git(up, "commit", "-qm", "two")
    blob = tmp_path / "served" / "model.pth"
    blob.parent.mkdir()
    blob.write_bytes(b"weights" * 100)
    sha = hashlib.sha256(blob.read_bytes()).hexdigest()
    monkeypatch.setattr(PGTFormer, "pinned_commit", pinned)
    monkeypatch.setattr(PGTFormer, "env_setup", ("# a note", "echo built > env-built.txt"))
    monkeypatch.setattr(PGTFormer, "weights", (BaselineWeight("weights/model.pth", blob.as_uri(), sha),))
    return {"path": up, "pinned": pinned, "sha": sha, "blob": blob}


def test_setup_prints_steps_and_changes_nothing(upstream, tmp_path, capsys):
    dest = tmp_path / "co"
    assert main(["baselines", "setup", "pgtformer", "--dir", str(dest)]) == 0
    out = capsys.readouterr().out
    assert "git clone https://github.com/kepengxu/PGTFormer.git" in out
    assert f"checkout --detach {upstream['pinned']}" in out and "echo built > env-built.txt" in out
    assert upstream["sha"] in out and "weights/model.pth" in out and not dest.exists()


def test_setup_run_then_check(upstream, tmp_path, capsys):
    dest = tmp_path / "co"
    rc = main(
        ["baselines", "setup", "pgtformer", "--dir", str(dest), "--from", str(upstream["path"]), "--run"]
    )
    out = capsys.readouterr().out
    assert rc == 0, out
    assert _git(dest, "rev-parse", "HEAD") == upstream["pinned"] and not (dest / "later.py").exists()
    assert (dest / "env-built.txt").read_text() == "built\n"  # ran from the checkout root
    assert (dest / "weights/model.pth").read_bytes() == upstream["blob"].read_bytes()
    assert os.access(dest / "ffmpeg_lib/ffmpeg", os.X_OK)  # the adapter's pre-run fix-up
    assert main(["baselines", "check", "pgtformer", "--dir", str(dest), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    status = {r["item"]: r["status"] for r in report["items"]}
    assert status["commit"] == "ok" and status["entry point inference.py"] == "ok"
    assert status["weights weights/model.pth"] == "ok" and report["ok"] is True
    # again on the existing checkout: nothing re-downloaded, still fine
    assert (
        main(
            ["baselines", "setup", "pgtformer", "--dir", str(dest), "--from", str(upstream["path"]), "--run"]
        )
        == 0
    )
    assert "present" in capsys.readouterr().out


def test_setup_refuses_a_weights_file_with_the_wrong_hash(upstream, tmp_path, monkeypatch, capsys):
    w = PGTFormer.weights[0]
    monkeypatch.setattr(PGTFormer, "weights", (BaselineWeight(w.path, w.url, "0" * 64),))
    dest = tmp_path / "co"
    rc = main(
        ["baselines", "setup", "pgtformer", "--dir", str(dest), "--from", str(upstream["path"]), "--run"]
    )
    assert rc == 1 and "!= pinned" in capsys.readouterr().err
    assert not (dest / w.path).exists()  # nothing half-written or unverified left behind


def test_setup_stops_at_a_failing_step(upstream, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(PGTFormer, "env_setup", ("exit 7", "echo never > never.txt"))
    dest = tmp_path / "co"
    rc = main(
        ["baselines", "setup", "pgtformer", "--dir", str(dest), "--from", str(upstream["path"]), "--run"]
    )
    assert rc == 1 and "failed (exit 7)" in capsys.readouterr().err and not (dest / "never.txt").exists()


def test_check_fails_clearly(upstream, tmp_path, monkeypatch, capsys):
    dest = tmp_path / "co"
    subprocess.run(["git", "clone", "-q", str(upstream["path"]), str(dest)], check=True)  # HEAD = commit two
    rows = lambda: {r["item"]: r for r in json.loads(capsys.readouterr().out)["items"]}  # noqa: E731
    assert main(["baselines", "check", "pgtformer", "--dir", str(dest), "--json"]) == 1
    got = rows()
    assert got["commit"]["status"] == "fail" and upstream["pinned"] in got["commit"]["detail"]
    assert got["weights weights/model.pth"]["status"] == "fail"  # missing
    assert main(["baselines", "check", "pgtformer", "--dir", str(dest), "--json", "--any-commit"]) == 1
    assert rows()["commit"]["status"] == "warn"
    # a weights file with no published hash is "unverified", never "ok"
    (dest / "weights").mkdir()
    (dest / "weights/model.pth").write_bytes(b"something else")
    assert main(["baselines", "check", "pgtformer", "--dir", str(dest), "--json", "--any-commit"]) == 1
    assert rows()["weights weights/model.pth"]["status"] == "fail"  # hash mismatch
    monkeypatch.setattr(
        PGTFormer, "weights", (BaselineWeight("weights/model.pth", "https://example.invalid/m.pth"),)
    )
    assert main(["baselines", "check", "pgtformer", "--dir", str(dest), "--json", "--any-commit"]) == 0
    assert rows()["weights weights/model.pth"]["status"] == "unverified"
    (dest / "inference.py").unlink()
    assert main(["baselines", "check", "pgtformer", "--dir", str(dest), "--json", "--any-commit"]) == 1
    assert rows()["entry point inference.py"]["status"] == "fail"


def test_check_non_git_checkout_and_bad_input(upstream, tmp_path, capsys):
    import shutil

    plain = tmp_path / "plain"
    shutil.copytree(upstream["path"], plain, ignore=shutil.ignore_patterns(".git"))
    assert main(["baselines", "check", "pgtformer", "--dir", str(plain), "--json"]) == 1  # weights missing
    row = {r["item"]: r for r in json.loads(capsys.readouterr().out)["items"]}["commit"]
    assert row["status"] == "warn" and "not a git checkout" in row["detail"] and "sha256:" in row["detail"]
    assert main(["baselines", "check", "pgtformer", "--dir", str(tmp_path / "none")]) == 2
    assert "vfebench baselines setup pgtformer" in capsys.readouterr().err
    assert (
        main(["baselines", "check", "pgtformr"]) == 2
        and "Did you mean 'pgtformer'" in capsys.readouterr().err
    )
    assert main(["baselines", "setup", "bicubic"]) == 2 and "not a baseline" in capsys.readouterr().err
    assert main(["baselines", "setup", "pgtformer", "--dir", str(plain)]) == 2  # a non-git folder in the way
    assert "not a git checkout" in capsys.readouterr().err
