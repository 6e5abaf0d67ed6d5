"""Real LQ (no GT): bicubic keeps the input size by default; ``size=``/``scale=`` ask for more."""

from __future__ import annotations

import pytest

from vfebench.runner import RunConfig, run


@pytest.mark.shared
def test_bicubic_on_real_lq_keeps_its_size(shared_faces, tmp_path):
    src = shared_faces / "lq" / "styletalk_spata_clip1.mp4"  # 256² real LQ
    if not src.is_file():
        pytest.skip(f"{src} absent")
    root = tmp_path / "rfv"
    root.mkdir()
    (root / src.name).symlink_to(src)
    rec = run(
        RunConfig(methods=["bicubic", "lanczos:size=512"], dataset=f"rfv:{root}", metrics=["niqe"], max_frames=3,
                  out=str(tmp_path / "run"), progress=False),
        log=lambda *_: None,
    ).record  # fmt: skip
    sizes = {c["method"]: (c["height"], c["width"]) for c in rec["clips"] if c["status"] == "ok"}
    assert sizes == {"bicubic": (256, 256), "lanczos[size=512]": (512, 512)}
    assert rec["methods"]["bicubic"]["fingerprint"]["output_size"] == "GT size; without GT x1 (input size)"
    assert rec["methods"]["lanczos[size=512]"]["fingerprint"]["output_size"] == "GT size; without GT 512x512"
