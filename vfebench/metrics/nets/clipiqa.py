"""CLIP-IQA network: pyiqa 0.1.16's ``CLIPIQA`` (``model_type='clipiqa'``) around an OpenAI CLIP
(RN50 for the metric) built by pyiqa's ``build_model`` from a state dict that vfebench loaded
from a verified asset. pyiqa's constructor (which would download ``RN50``) is never called.

Input of the built module: ``B×3×H×W`` float32 RGB in [0, 1] at any size ≥ 32 (CLIP mean/std
inside; no resize, no positional-embedding interpolation); output: ``B×1`` float32, the mean
over prompt pairs of softmax P(positive prompt) ∈ [0, 1].
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vfebench.utils import require


def build_clipiqa(state_dict: dict[str, Any], prompts: Sequence[tuple[str, str]]) -> Any:
    """pyiqa's CLIPIQA around a CLIP built from ``state_dict``, scoring ``prompts`` (positive,
    negative) pairs; eval mode, CPU.

    The CLIP is made by pyiqa's ``build_model`` (fp16 rounding, then fp32 as pyiqa does on CPU);
    the module attributes are those pyiqa's ``CLIPIQA.__init__`` sets, so its own ``forward`` runs
    unchanged. Move ``net.clip_model[0]`` to the device (pyiqa keeps it in a list, outside the
    module tree). Needs ``pip install 'vfebench[pyiqa]'``.
    """
    require("pyiqa", extra="pyiqa", purpose="CLIP-IQA")
    import torch
    from pyiqa.archs.clip_imports import clip
    from pyiqa.archs.clip_model import build_model
    from pyiqa.archs.clipiqa_arch import CLIPIQA as _Arch
    from pyiqa.archs.constants import OPENAI_CLIP_MEAN, OPENAI_CLIP_STD

    model = build_model(dict(state_dict)).float().eval()
    for p in model.parameters():
        p.requires_grad_(False)
    net = _Arch.__new__(_Arch)
    torch.nn.Module.__init__(net)
    net.clip_model = [model]
    net.prompt_pairs = clip.tokenize([t for pair in prompts for t in pair])
    net.model_type = "clipiqa"
    net.pos_embedding = False
    net.default_mean = torch.Tensor(OPENAI_CLIP_MEAN).view(1, 3, 1, 1)
    net.default_std = torch.Tensor(OPENAI_CLIP_STD).view(1, 3, 1, 1)
    return net.eval()
