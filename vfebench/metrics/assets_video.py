"""Pinned weights of the video metrics (FasterVQA, FVD); see vfebench.assets.

How each hash was determined (no file could be downloaded on the machine that wrote this):

- ``fastervqa_3d`` (``FAST_VQA_3D_1_1.pth``, official FAST-VQA GitHub release v2.0.0): the
  sha256 and byte size were read in one public third-party project that pins the v2.0.0 release
  file and checks both before loading it (found through a code search of public repositories;
  a single source, not cross-checked against a second one and not hashed here). The release
  page publishes no digest.
- ``i3d_torchscript`` (StyleGAN-V ``i3d_torchscript.pt``, Dropbox link in universome/stylegan-v
  ``src/metrics/frechet_video_distance.py``): no sha256 could be confirmed anywhere, so
  ``sha256`` is empty. What *is* confirmed is the git blob id of the copy committed to
  JunyaoHu/common_metrics_on_video_quality (``fvd/styleganv/i3d_torchscript.pt``, read from that
  repository's tree): ``extra["git_blob_sha1"]``. :func:`verify_git_blob` checks a file against
  it (sha1 over ``b"blob <size>\\0" + content``) whenever the sha256 is empty, so a wrong file is
  still refused. That copy is described by its users as the Dropbox file; not verified here.
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
            "https://github.com/JunyaoHu/common_metrics_on_video_quality/raw/main/fvd/styleganv/i3d_torchscript.pt",
        ),
        sha256="",
        size=0,
        licence="Apache-2.0 (DeepMind I3D / tf.hub i3d-kinetics-400 weights; TorchScript port by StyleGAN-V)",
        users=("fvd",),
        notes=(
            "sha256 unconfirmed (left empty). Checked instead against the git blob sha1 of the copy in "
            "JunyaoHu/common_metrics_on_video_quality (fvd/styleganv/i3d_torchscript.pt)."
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
