"""The method contract, as a mixin any method's test class can use.

A test class sets ``name`` (the registry name) and implements ``config(tmp_path)`` (a config
that builds locally: fake checkout, tiny weights, a folder of outputs ...) and
``config_variants(tmp_path)`` (configs that must each give a different fingerprint from
``config``); it may override ``make_lq`` / ``sizes`` (``[(lq (H, W), target (H, W) or None)]``).
The mixin then checks, through the registry (as ``vfebench run`` builds it):

- the class derives from :class:`vfebench.methods.base.Method`, has ``name`` == its registry name;
- ``restore`` returns a :class:`Clip` with the input's clip id, frame count, uint8 T×H×W×3 at
  the target size (the runner's own :func:`validate_output` accepts it);
- when ``deterministic`` is claimed: several fresh instances, several sizes, equal frames;
- the fingerprint is stable for equal configs, changes with every variant, and names no local
  path (nor does the label).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from vfebench.methods import METHODS, build_method
from vfebench.methods.base import Method
from vfebench.runner import validate_output
from vfebench.video import Clip


class MethodContract:
    name: str = ""
    #: (LQ size, target size) pairs restored in the checks; target None = no GT (real LQ)
    sizes: list[tuple[tuple[int, int], tuple[int, int] | None]] = [((16, 16), (64, 64)), ((12, 20), (48, 80))]
    frames: int = 3
    repeats: int = 3

    def config(self, tmp_path: Path) -> dict[str, Any]:
        return {}

    def config_variants(self, tmp_path: Path) -> list[dict[str, Any]]:
        raise NotImplementedError("list configs whose fingerprint must differ from config()")

    def make_lq(self, size: tuple[int, int], seed: int = 0) -> Clip:
        rng = np.random.default_rng(seed)
        return Clip("clip_c.1", rng.integers(0, 256, (self.frames, *size, 3), dtype=np.uint8), 25.0)

    def build(self, config: dict[str, Any]) -> Method:
        return build_method(self.name, **config)

    # ------------------------------------------------------------------ the checks
    def test_contract_registered_as_a_method(self, tmp_path):
        cls = METHODS.get(self.name)
        assert isinstance(cls, type) and issubclass(cls, Method)
        assert cls.name == self.name

    def test_contract_restore_keeps_id_frames_and_size(self, tmp_path):
        m = self.build(self.config(tmp_path))
        m.setup("cpu")
        for lq_size, target in self.sizes:
            lq = self.make_lq(lq_size)
            out = m.restore(lq, target)
            assert isinstance(out, Clip) and out.id == lq.id
            assert out.frames.dtype == np.uint8 and out.frames.ndim == 4 and out.frames.shape[-1] == 3
            assert out.num_frames == lq.num_frames
            if target is not None:
                assert out.size == target
            validate_output(out, lq, target, self.name)

    def test_contract_deterministic_when_claimed(self, tmp_path):
        cfg = self.config(tmp_path)
        if not METHODS.get(self.name).deterministic:
            return  # claims nothing
        for lq_size, target in self.sizes:
            lq = self.make_lq(lq_size, seed=1)
            outs = []
            for _ in range(self.repeats):
                m = self.build(cfg)  # a fresh instance each time
                m.setup("cpu")
                outs.append(m.restore(lq, target).frames)
            for o in outs[1:]:
                assert np.array_equal(o, outs[0])

    def test_contract_fingerprint_follows_config_and_holds_no_path(self, tmp_path):
        cfg = self.config(tmp_path)
        fp = self.build(cfg).fingerprint_hash()
        assert self.build(cfg).fingerprint_hash() == fp
        seen = {fp}
        for v in self.config_variants(tmp_path):
            h = self.build(v).fingerprint_hash()
            assert h not in seen, f"{self.name}: config {v} does not change the fingerprint"
            seen.add(h)
        text = json.dumps(self.build(cfg).fingerprint(), default=str)
        assert str(tmp_path) not in text
        label = METHODS.get(self.name).spec_label(self.name, cfg)
        assert str(tmp_path) not in label and "/" not in label
