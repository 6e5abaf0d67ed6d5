"""Pinned weights of the video metrics (FasterVQA, FVD); see vfebench.assets.

How each hash was determined (no file could be downloaded on the machine that wrote this):

- ``fastervqa_3d`` (``FAST_VQA_3D_1_1.pth``, official FAST-VQA GitHub release v2.0.0): the
  sha256 and byte size were read in one public third-party project that pins the v2.0.0 release
  file and checks both before loading it (found through a code search of public repositories;
  a single source, not cross-checked against a second one and not hashed here). The release
  page publishes no digest.
- ``i3d_torchscript`` (StyleGAN-V ``i3d_torchscript.pt``, Dropbox link in universome/stylegan-v
  ``src/metrics/frechet_video_distance.py``): sha256 ``bec6519f…`` and size 51,235,320 bytes are
  pinned by several independent public scripts that download the Dropbox file and refuse a
  checksum mismatch, and a Hugging Face mirror at a pinned revision (flateon/FVD-I3D-torchscript)
  serves the same file (found by a search of public code; not hashed here). The git blob id of
  the copy committed to JunyaoHu/common_metrics_on_video_quality is kept in
  ``extra["git_blob_sha1"]``; :func:`verify_git_blob` uses it only if the sha256 is ever emptied.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from vfebench.assets import Asset

ASSETS: list[Asset] = [
    Asset(
        name="fastervqa_3d",
        filename="FAST_VQA_3D_1_1.pth",
        urls=(
            "https://github.com/VQAssessment/FAST-VQA-and-FasterVQA/releases/download/v2.0.0/FAST_VQA_3D_1_1.pth",
            "https://github.com/TimothyHTimothy/FAST-VQA/releases/download/v2.0.0/FAST_VQA_3D_1_1.pth",
        ),
        sha256="8c3108647653fd48e31f3bebbe03a344d624c806d3f1af9478a4e9f5aa3038ab",
        size=127_343_543,
        licence="MIT (VQAssessment/FAST-VQA-and-FasterVQA)",
        users=("fastervqa",),
        notes=(
            "FasterVQA (FAST-VQA-B-3D, Kinetics-400 init, trained on LSVQ), release v2.0.0. sha256 and "
            "size from one third-party project that pins this release file; not hashed here."
        ),
    ),
    Asset(
        name="i3d_torchscript",
        filename="i3d_torchscript.pt",
        urls=(
            "https://www.dropbox.com/s/ge9e5ujwgetktms/i3d_torchscript.pt?dl=1",
            "https://huggingface.co/flateon/FVD-I3D-torchscript/resolve/1c2d61711c52571ad617a1063e6fa691b212e184/i3d_torchscript.pt",
            "https://github.com/JunyaoHu/common_metrics_on_video_quality/raw/main/fvd/styleganv/i3d_torchscript.pt",
        ),
        sha256="bec6519f66ea534e953026b4ae2c65553c17bf105611c746d904657e5860a5e2",
        size=51_235_320,
        licence="Apache-2.0 (DeepMind I3D / tf.hub i3d-kinetics-400 weights; TorchScript port by StyleGAN-V)",
        users=("fvd",),
        notes=(
            "sha256 and size as pinned by several public download scripts of the Dropbox file (each "
            "refuses a mismatch) and served by a pinned HF mirror; not hashed here."
        ),
        extra={"git_blob_sha1": "93daef59c7ae0e9e8f76225521407e60cbafa6aa"},
    ),
]


def git_blob_sha1(path: str | Path, chunk: int = 1 << 20) -> str:
    """Git's object id of a file: sha1 over ``b"blob <size>\\0" + content``."""
    p = Path(path)
    h = hashlib.sha1()
    h.update(f"blob {p.stat().st_size}\0".encode())
    with open(p, "rb") as f:
        while True:
            b = f.read(chunk)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def verify_git_blob(name: str, path: str | Path) -> None:
    """When asset ``name`` has no sha256 but a pinned git blob id, check ``path`` against it."""
    from vfebench.assets import get_asset
    from vfebench.errors import AssetHashError

    a = get_asset(name)
    want = a.extra.get("git_blob_sha1") if not a.sha256 else None
    if not want:
        return
    got = git_blob_sha1(path)
    if got != want:
        raise AssetHashError(
            f"{path}: git blob id {got} does not match the pinned {want} for asset {name!r}; delete it "
            f"and run `vfebench assets fetch {name}` or `vfebench assets import DIR`"
        )
