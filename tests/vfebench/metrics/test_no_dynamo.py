"""The score path keeps ``torch._dynamo`` (≈1 s of imports) out of the process where it can.

``torch._dynamo`` comes in through torchvision (``torchvision.models`` → ``torchvision.ops`` →
``roi_align`` imports it; every torchvision import runs that package ``__init__``), which
facenet-pytorch (MTCNN: IDS) and pyiqa (MUSIQ, CLIP-IQA) import, so those metrics still pull it.
The others must not: these tests run each in a fresh interpreter and look at ``sys.modules``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

CHILD = r"""
import json, sys
from pathlib import Path
import numpy as np
import torch
work = Path(sys.argv[1])
from vfebench.metrics.nets.clip_vit import build_clip_vit, load_clip_vit
torch.manual_seed(0)
net = build_clip_vit(64, 2, 16, 32, 16)
torch.save({f"visual.{k}": v for k, v in net.state_dict().items()}, work / "vit.pt")
assert "torch._dynamo" not in sys.modules  # building on the CPU never needed it
loaded = load_clip_vit(work / "vit.pt")  # built on the meta device, weights assigned
x = torch.rand(2, 3, 32, 32)
same = bool(torch.equal(loaded(x), net.eval()(x)))
from vfebench.commands.score import score
from vfebench.video import write_png_frames
rng = np.random.default_rng(0)
gt = rng.integers(0, 256, (2, 48, 48, 3), dtype=np.uint8)
write_png_frames(gt, work / "gt" / "a")
write_png_frames(np.clip(gt.astype(int) + 5, 0, 255).astype(np.uint8), work / "pred" / "a")
doc = score(str(work / "pred"), str(work / "gt"), "psnr,ssim,niqe")
print(json.dumps({"same": same, "failures": doc["failures"],
                  "dynamo": "torch._dynamo" in sys.modules, "torchvision": "torchvision" in sys.modules}))
"""


def test_clip_tower_load_and_image_metrics_import_no_dynamo(tmp_path):
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "OMP_NUM_THREADS": "1",
        "VFEBENCH_CACHE": str(tmp_path / "c"),
    }
    r = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path)], env=env, capture_output=True, text=True, timeout=600
    )
    assert r.returncode == 0, r.stderr[-3000:]
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert got["same"] and got["failures"] == []
    assert not got["dynamo"] and not got["torchvision"], got


def test_clip_tower_random_init_unchanged_by_in_place_scaling():
    """``randn(...).mul_(s)`` (no ``torch._refs`` on meta) gives the same init as ``s * randn(...)``."""
    torch = pytest.importorskip("torch")
    from vfebench.metrics.nets.clip_vit import build_clip_vit

    torch.manual_seed(3)
    net = build_clip_vit(64, 1, 16, 32, 24)
    # replay the constructor's first draws in order with the old out-of-place formula
    ref = {}
    torch.manual_seed(3)
    torch.nn.Conv2d(3, 64, 16, 16, bias=False)
    scale = 64**-0.5
    ref["class_embedding"] = scale * torch.randn(64)
    ref["positional_embedding"] = scale * torch.randn(5, 64)
    for name, want in ref.items():
        assert torch.equal(getattr(net, name).detach(), want), name
