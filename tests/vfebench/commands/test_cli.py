"""CLI shell: fast --help with no heavy imports, ls, did-you-mean on unknown commands."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "torch",
    "torchvision",
    "cv2",
    "av",
    "mediapipe",
    "diffusers",
    "pandas",
    "scipy",
    "skimage",
    "transformers",
)


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_help_imports_nothing_heavy():
    code = "from vfebench.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    mods = _modules_after(code)
    assert not [m for m in HEAVY if m in mods]
    for cmd in ("run", "degrade", "prepare", "score", "assets", "report", "gate", "ls", "baselines"):
        mods = _modules_after(
            f"from vfebench.cli import main\ntry:\n    main(['{cmd}', '--help'])\nexcept SystemExit:\n    pass"
        )
        heavy = [m for m in HEAVY if m in mods]
        assert not heavy, f"`vfebench {cmd} --help` imports {heavy}"


def test_import_package_is_light():
    mods = _modules_after(
        "import vfebench, vfebench.metrics, vfebench.methods, vfebench.datasets, vfebench.degrade"
    )
    assert not [m for m in HEAVY if m in mods]


def test_ls(capsys):
    from vfebench.cli import main

    assert main(["ls", "presets"]) == 0
    out = capsys.readouterr().out
    assert "vfhq-x4" in out and "keep" in out and "dicface" in out
    assert main(["ls", "datasets", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["name"] for r in rows} >= {"demo", "vfhq", "folder", "rfv"}
    assert main(["ls", "methods"]) == 0
    assert "bicubic" in capsys.readouterr().out


def test_unknown_command_did_you_mean(capsys):
    from vfebench.cli import main

    assert main(["degarde"]) == 2
    assert "degrade" in capsys.readouterr().err


def test_user_errors_are_one_line(tmp_path, capsys):
    from vfebench.cli import main

    rc = main(
        [
            "degrade",
            "--dataset",
            f"folder:{tmp_path / 'missing'}",
            "--preset",
            "vfhq-x4",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2 and "missing" in err and "Traceback" not in err
