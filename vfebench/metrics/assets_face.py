"""Pinned weights of the face metrics (IDS, AKD, TLME, FaceCons); see vfebench.assets.

MTCNN (facenet-pytorch) and MediaPipe FaceMesh need no asset: their weights ship inside the
pinned wheels (facenet-pytorch 2.5.3, mediapipe 0.10.21).
"""

from vfebench.assets import Asset

ASSETS: list[Asset] = [
    Asset(
        name="arcface_ir_se50",
        filename="model_ir_se50.pth",
        urls=(
            "https://huggingface.co/lithiumice/ArcFace_PyTorch/resolve/main/model_ir_se50.pth",
            "https://huggingface.co/lithiumice/insightface/resolve/main/InsightFace_Pytorch%2Bmodel_ir_se50.pth",
            "https://www.dropbox.com/s/kzo52d9neybjxsb/model_ir_se50.pth?dl=1",
        ),
        sha256="a035c768259b98ab1ce0e646312f48b9e1e218197a0f80ac6765e88f8b6ddf28",
        size=175_367_323,
        licence="MIT (TreB1eN/InsightFace_Pytorch)",
        users=("ids",),
        notes=(
            "TreB1eN/InsightFace_Pytorch IR-SE50 (ArcFace, MS1M), the file BFVR-STC eval_ids.py and pSp "
            "(eladrich/pixel2style2pixel README, Google Drive id 1KW7bjndL3QG3sxBbZxreGHigcCCpsDgn) use. "
            "sha256 + size from the Git LFS pointer of lithiumice/ArcFace_PyTorch (HF) and three "
            "independent public pins of the TreB1eN file (a OneDrive download checker, facexlib's "
            "recognition_arcface_ir_se50.pth checker, an AUR PKGBUILD); not hashed here. The URLs are "
            "third-party mirrors; the original is on pSp's Google Drive."
        ),
    ),
    Asset(
        name="clip_vit_b32",
        filename="ViT-B-32.pt",
        urls=(
            "https://openaipublic.azureedge.net/clip/models/"
            "40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af/ViT-B-32.pt",
        ),
        sha256="40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af",
        size=353_976_522,
        licence="MIT (openai/CLIP)",
        users=("facecons",),
        notes=(
            "OpenAI CLIP ViT-B/32 release (TorchScript archive); the sha256 is the one OpenAI's clip.load "
            "checks (it is part of the URL; same URL in open_clip's pretrained table). Same weights as "
            "openai/clip-vit-base-patch32 on the HF hub (EvalCrafter's checkpoint)."
        ),
    ),
    Asset(
        name="insightface_w600k_r50",
        filename="w600k_r50.onnx",
        urls=(
            "https://huggingface.co/public-data/insightface/resolve/main/models/buffalo_l/w600k_r50.onnx",
            "https://huggingface.co/deepghs/insightface/resolve/main/buffalo_l/w600k_r50.onnx",
        ),
        sha256="4c06341c33c2ca1f86781dab0e829f88ad5b64be9fba56e56bc9ebdefc619e43",
        size=174_383_860,
        licence="non-commercial research only (insightface model zoo)",
        users=("ids:backend=insightface",),
        notes=(
            "ArcFace R50 (WebFace600K) ONNX recognition model of insightface's buffalo_l pack. Get "
            "https://github.com/deepinsight/insightface/releases/download/v0.7/buffalo_l.zip, unzip it and "
            "run `vfebench assets import DIR`. sha256 + size from Git LFS pointers of two HF copies (maze/faceX, OwlMaster/live_rope) and public pins of the buffalo_l file; not hashed here."
        ),
    ),
    Asset(
        name="fan_2dfan4",
        filename="2DFAN4-11f355bf06.pth.tar",
        urls=("https://www.adrianbulat.com/downloads/python-fan/2DFAN4-11f355bf06.pth.tar",),
        sha256="11f355bf0693120222f5955ce3f9dc8fb5763ebb30a47d7906e509490d32e4aa",
        size=0,
        licence="BSD-3-Clause (1adrianb/face-alignment)",
        users=("akd:backend=fan68",),
        notes=(
            "face-alignment 1.5.0's 2D FAN-4 weights (plain state dict, loaded with weights_only=True). "
            "sha256 from public scripts that download this URL and verify it (≥2 independent sources; "
            "it matches the 11f355bf06 prefix in the file name, torch.hub's convention); not hashed here."
        ),
    ),
]
