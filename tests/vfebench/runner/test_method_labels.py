"""Method labels: plumbing config keys (checkout paths, interpreters, timeouts, folders) never
appear in a label or the fingerprint's config (Method.plumbing / Method.spec_label)."""

from __future__ import annotations

import numpy as np
import pytest

from vfebench.errors import InputError
from vfebench.methods import build_method
from vfebench.runner.plan import label_method_spec, parse_method_spec
from vfebench.video import write_png_frames


def label(spec: str) -> str:
    return label_method_spec(parse_method_spec(spec)).label


def test_baseline_plumbing_is_not_in_the_label_nor_the_fingerprint(tmp_path):
    a = label(f"keep:repo={tmp_path}/a,python=/opt/keep/bin/python,timeout=60,upsample=bilinear")
    b = label(f"keep:repo={tmp_path}/b,python=/usr/bin/python3,upsample=bilinear")
    assert a == b == "keep[upsample=bilinear]"
    assert label(f"codeformer:repo={tmp_path}") == "codeformer"
    spec = label_method_spec(parse_method_spec(f"codeformer:repo={tmp_path},python=/x/python,w=0.7"))
    fp = build_method(spec.target, **spec.config).fingerprint()
    assert fp["config"] == {"w": 0.7}


def test_plain_labels_unchanged():
    assert label("bicubic") == "bicubic"
    assert label("bicubic:size=512") == "bicubic[size=512]"
    assert label("lanczos:scale=2") == "lanczos[scale=2]"


def test_outputs_label_is_its_name_or_folder_name(tmp_path):
    d = tmp_path / "my-method-v2"
    write_png_frames(np.zeros((1, 8, 8, 3), np.uint8), d / "c")
    assert label(f"outputs:dir={d},name=Mine") == "Mine"
    assert label(f"outputs:dir={d}") == "my-method-v2"
    assert label(f"outputs:dir={d}/") == "my-method-v2"


def test_trivial_size_options_are_checked():
    for bad, msg in (("bicubic:size=0", "positive integer"), ("bicubic:size=ax3", "WIDTHxHEIGHT"),
                     ("bicubic:scale=-1", "positive number"), ("bicubic:size=4,scale=2", "not both"),
                     ("lanczos:sise=512", "unknown option")):  # fmt: skip
        with pytest.raises(InputError, match=msg):
            spec = label_method_spec(parse_method_spec(bad))
            build_method(spec.target, **spec.config)


def test_vividface_weight_paths_show_only_their_file_name(tmp_path):
    a = label(f"vividface:dit={tmp_path}/a/ckpt.safetensors,num_steps=1")
    b = label("vividface:dit=/elsewhere/ckpt.safetensors,num_steps=1")
    assert a == b == "vividface[dit=ckpt.safetensors,num_steps=1]"
    files = {}
    for key in ("dit", "vae", "prompt_embeds"):
        (tmp_path / f"{key}.bin").write_bytes(key.encode())
        files[key] = str(tmp_path / f"{key}.bin")
    fp = build_method("vividface", **files).fingerprint()
    assert str(tmp_path) not in str(fp)
    assert fp["config"]["dit"] == "dit.bin" and len(fp["weights"]["dit"]) == 64
