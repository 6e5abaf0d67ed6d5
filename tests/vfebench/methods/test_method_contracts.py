"""The method contract (tests/helpers/method_contract.py) applied to every method that builds locally.

Trivial methods and ``outputs`` as they are; VividFace with its tiny random developer model;
the external baselines that have a fake checkout in tests/helpers/fake_checkouts.py. The last test
fails when a method is registered that is neither covered here nor listed with the reason it
cannot be built on a test machine.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from helpers.fake_checkouts import fake_repo
from helpers.method_contract import MethodContract

from vfebench.methods import METHODS
from vfebench.video import write_png_frames


class TestIdentityContract(MethodContract):
    name = "identity"

    def config_variants(self, tmp_path):
        return [{"size": 32}, {"scale": 2}]


class TestBicubicContract(MethodContract):
    name = "bicubic"
    sizes = MethodContract.sizes + [((16, 16), None)]

    def config_variants(self, tmp_path):
        return [{"size": 512}, {"size": "512x384"}, {"scale": 2}]


class TestLanczosContract(TestBicubicContract):
    name = "lanczos"


class TestOutputsContract(MethodContract):
    name = "outputs"
    sizes = [((16, 16), (64, 64))]

    def _folder(self, tmp_path: Path, seed: int) -> Path:
        d = tmp_path / f"restored-{seed}"
        if not d.is_dir():
            rng = np.random.default_rng(seed)
            write_png_frames(rng.integers(0, 256, (self.frames, 64, 64, 3), dtype=np.uint8), d / "clip_c.1")
        return d

    def config(self, tmp_path):
        return {"dir": str(self._folder(tmp_path, 0)), "name": "mine"}

    def config_variants(self, tmp_path):
        return [{"dir": str(self._folder(tmp_path, 1)), "name": "mine"}]


@pytest.mark.slow  # the first tiny-model restore pays torch + diffusers imports (~50 s on a shared CPU)
class TestVividFaceContract(MethodContract):
    name = "vividface"
    sizes = [((16, 16), (32, 32))]
    repeats = 2

    def config(self, tmp_path):
        pytest.importorskip("torch")
        return {"tiny_random": True, "size": 16}

    def config_variants(self, tmp_path):
        return [{"tiny_random": True, "size": 32}]


def _baseline(name: str):
    class _Contract(MethodContract):
        repeats = 2  # each restore is a subprocess of the fake checkout

        def config(self, tmp_path):
            repo = tmp_path / f"repo-{self.name}"
            if not repo.is_dir():
                fake_repo(tmp_path, self.name)
            return {"repo": str(repo), "python": sys.executable}

    _Contract.name = name
    return _Contract


class TestCodeFormerContract(_baseline("codeformer")):
    def config_variants(self, tmp_path):
        return [{**self.config(tmp_path), "w": 0.9}]


class TestKEEPContract(_baseline("keep")):
    def config_variants(self, tmp_path):
        return [{**self.config(tmp_path), "upsample": "bicubic"}]


class TestSTARContract(_baseline("star")):
    def config_variants(self, tmp_path):
        return [{**self.config(tmp_path), "steps": 5}]


COVERED = {
    c.name
    for c in (
        TestIdentityContract, TestBicubicContract, TestLanczosContract, TestOutputsContract,
        TestVividFaceContract, TestCodeFormerContract, TestKEEPContract, TestSTARContract,
    )
}  # fmt: skip
#: registered methods with no local build yet, and why
NOT_LOCAL = {
    n: "external checkout; no fake checkout in tests/helpers/fake_checkouts.py yet"
    for n in ("basicvsr++", "realbasicvsr", "mgld-vsr", "seedvr2-3b", "seedvr-3b", "pgtformer", "bfvr-stc",
              "svfr", "dicface", "difface")
}  # fmt: skip


def test_every_registered_method_is_under_contract_or_says_why_not():
    names = {
        n
        for n in METHODS
        if METHODS.origin(n) in ("builtin",) or METHODS.origin(n).startswith("entry point vfebench")
    }
    assert names - COVERED - set(NOT_LOCAL) == set()
    assert COVERED & set(NOT_LOCAL) == set()
