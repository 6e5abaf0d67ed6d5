"""Pinned weights of the image-quality metrics (LPIPS, MUSIQ, CLIP-IQA); see vfebench.assets.

NIQE needs no asset: its pristine model ships in ``vfebench/metrics/data``.

How each sha256 was confirmed (no file could be downloaded on the machine that wrote this):

- ``lpips_alex_v01`` / ``lpips_vgg_v01``: hashed here from the files inside the ``lpips`` 0.1.4
  wheel from PyPI (``lpips/weights/v0.1/{alex,vgg}.pth``), which are the files of
  richzhang/PerceptualSimilarity at the URL below. Users can import them from their own
  ``lpips`` install: ``vfebench assets import $(python -c "import lpips,os;print(os.path.dirname(lpips.__file__))")``.
- ``tv_alexnet`` / ``tv_vgg16``: torchvision names its files by the first 8 hex digits of the
  sha256 (``alexnet-owt-7be5be79``, ``vgg16-397923af``); the full digests and sizes were read in
  several independent public projects that pin these exact files, and they agree with the
  prefixes. Not hashed here.
- ``musiq_koniq``: pyiqa (chaofengc/IQA-PyTorch) names it ``musiq_koniq_ckpt-e95806b9.pth``; the full
  digest and size were read in several public projects pinning the Hugging Face file (one states
  it was taken from the Hugging Face LFS manifest); prefix agrees. Not hashed here.
- ``clip_rn50``: OpenAI publishes the sha256 as a component of the download URL and the
  ``clip`` package checks it after download (openai/CLIP ``clip/clip.py``); pyiqa 0.1.16 uses
  the same URL. Size 255,827,503 bytes from several public download scripts that check it.
"""

from vfebench.assets import Asset

_LPIPS_GH = "https://github.com/richzhang/PerceptualSimilarity/raw/master/lpips/weights/v0.1"
_PYIQA_HF = "https://huggingface.co/chaofengc/IQA-PyTorch-Weights/resolve/main"
_PYIQA_GH = "https://github.com/chaofengc/IQA-PyTorch/releases/download/v0.1-weights"

ASSETS: list[Asset] = [
    Asset(
        name="tv_alexnet",
        filename="alexnet-owt-7be5be79.pth",
        urls=("https://download.pytorch.org/models/alexnet-owt-7be5be79.pth",),
        sha256="7be5be791159472b1fbf3c69796f7cb30dca7ad8466c2df70058c37116cdee02",
        size=244_408_911,
        licence="BSD-3-Clause (torchvision)",
        users=("lpips",),
        notes="torchvision AlexNet IMAGENET1K_V1; full sha256 from public pins, prefix matches file name",
    ),
    Asset(
        name="tv_vgg16",
        filename="vgg16-397923af.pth",
        urls=("https://download.pytorch.org/models/vgg16-397923af.pth",),
        sha256="397923af8e79cdbb6a7127f12361acd7a2f83e06b05044ddf496e83de57a5bf0",
        size=553_433_881,
        licence="BSD-3-Clause (torchvision)",
        users=("lpips_vgg",),
        notes="torchvision VGG16 IMAGENET1K_V1; full sha256 from public pins, prefix matches file name",
    ),
    Asset(
        name="lpips_alex_v01",
        filename="alex.pth",
        urls=(f"{_LPIPS_GH}/alex.pth",),
        sha256="df73285e35b22355a2df87cdb6b70b343713b667eddbda73e1977e0c860835c0",
        size=6009,
        licence="BSD-2-Clause (lpips)",
        users=("lpips",),
        notes="LPIPS v0.1 AlexNet linear heads; hashed here from the lpips 0.1.4 wheel (PyPI)",
    ),
    Asset(
        name="lpips_vgg_v01",
        filename="vgg.pth",
        urls=(f"{_LPIPS_GH}/vgg.pth",),
        sha256="a78928a0af1e5f0fcb1f3b9e8f8c3a2a5a3de244d830ad5c1feddc79b8432868",
        size=7289,
        licence="BSD-2-Clause (lpips)",
        users=("lpips_vgg",),
        notes="LPIPS v0.1 VGG linear heads; hashed here from the lpips 0.1.4 wheel (PyPI)",
    ),
    Asset(
        name="musiq_koniq",
        filename="musiq_koniq_ckpt-e95806b9.pth",
        urls=(f"{_PYIQA_HF}/musiq_koniq_ckpt-e95806b9.pth", f"{_PYIQA_GH}/musiq_koniq_ckpt-e95806b9.pth"),
        sha256="e95806b9eae5f3814c410f574ba8e552362bd5bc63d758ed5b97860f5d6185aa",
        size=108_610_983,
        licence="Apache-2.0 (google-research MUSIQ weights, converted by pyiqa)",
        users=("musiq",),
        notes="pyiqa MUSIQ KonIQ-10k; full sha256 from public pins of the HF file, prefix matches file name",
    ),
    Asset(
        name="clip_rn50",
        filename="RN50.pt",
        urls=(
            "https://openaipublic.azureedge.net/clip/models/"
            "afeb0e10f9e5a86da6080e35cf09123aca3b358a0c3e3b6c78a7b63bc04b6762/RN50.pt",
        ),
        sha256="afeb0e10f9e5a86da6080e35cf09123aca3b358a0c3e3b6c78a7b63bc04b6762",
        size=255_827_503,
        licence="MIT (openai/CLIP)",
        users=("clipiqa",),
        notes="OpenAI CLIP RN50 (TorchScript archive); sha256 is OpenAI's, part of the URL; size unconfirmed",
    ),
]
