"""Pinned weights of the vividface method (see :mod:`vfebench.assets`).

Inference needs ``vividface_dit`` (the released fine-tuned DiT), ``wan21_vae`` and
``wan21_empty_prompt``; training starts from ``wan21_t2v_1_3b_dit`` and needs DISTS
(``dists_alpha_beta`` + ``dists_vgg16``) for stage 2; ``bisenet_face_parsing`` (the face parser
of the training masks, ``mask_source`` ``parser``/``auto``) is optional. Assets with
``extra={"status": "unverified"}`` have no pinned size/sha256 yet (nobody could hash them);
``vfebench assets verify`` reports them as ``unpinned`` and ``vfebench assets fetch`` prints the
sha256 and size it got so they can be pinned.
"""

from vfebench.assets import Asset

#: inference assets of the ``vividface`` method (what ``vfebench run --method vividface`` needs)
INFERENCE_ASSETS = ("vividface_dit", "wan21_vae", "wan21_empty_prompt")
#: extra assets for training (base DiT for stage 1, DISTS for stage 2)
TRAINING_ASSETS = ("wan21_t2v_1_3b_dit", "wan21_vae", "wan21_empty_prompt", "dists_alpha_beta", "dists_vgg16")
#: optional training asset: the face parser used for the pixel face masks when present
MASK_ASSETS = ("bisenet_face_parsing",)

ASSETS: list[Asset] = [
    Asset(
        name="vividface_dit",
        filename="vividface.ckpt",
        urls=("https://huggingface.co/shulianz/VividFace/resolve/main/vividface.ckpt",),
        sha256="",
        size=0,
        licence="Apache-2.0",
        users=("vividface",),
        notes=(
            "Released VividFace checkpoint: the full fine-tuned Wan2.1-T2V-1.3B DiT state dict in "
            "DiffSynth/original Wan key format (not LoRA). URL from the release README (shulianz/VividFace, "
            "commit bdb980b: Hugging Face shulianz/VividFace, file vividface.ckpt). size and sha256: "
            "UNVERIFIED - nobody here could download it; `vfebench assets fetch vividface_dit` prints the "
            "sha256 and size it got, to be pinned here."
        ),
        extra={"status": "unverified"},
    ),
    Asset(
        name="wan21_vae",
        filename="Wan2.1_VAE.pth",
        urls=("https://huggingface.co/Wan-AI/Wan2.1-T2V-1.3B/resolve/main/Wan2.1_VAE.pth",),
        sha256="38071ab59bd94681c686fa51d75a1968f64e470262043be31f7a094e442fd981",
        size=507609880,
        licence="Apache-2.0",
        users=("vividface",),
        notes=(
            "Wan2.1 causal 3D VAE, original key format (plain tensor state dict). sha256/size from the "
            "Git LFS pointer of Wan2.1_VAE.pth (identical in mirrors of Wan-AI/Wan2.1-T2V-1.3B)."
        ),
    ),
    Asset(
        name="wan21_empty_prompt",
        filename="wan21_umt5_empty_prompt.safetensors",
        urls=(),
        sha256="",
        licence="Apache-2.0",
        users=("vividface",),
        notes=(
            "Ours: umT5-XXL embedding of the empty prompt, zero-padded to 512 tokens ([512, 4096], key "
            "'prompt_embeds'). Produce it once with `vividface embed-prompt --text-encoder DIR --out FILE` "
            "(DIR = text_encoder/ + tokenizer/ of Wan-AI/Wan2.1-T2V-1.3B-Diffusers; it checks the shape "
            "and the zero rows and prints the tensor and file sha256), then `vfebench assets import`. "
            "No published copy, so no URL; sha256 UNVERIFIED until someone with the umT5 weights runs it."
        ),
        extra={"status": "unverified"},
    ),
    Asset(
        name="wan21_t2v_1_3b_dit",
        filename="diffusion_pytorch_model.safetensors",
        urls=(
            "https://huggingface.co/Wan-AI/Wan2.1-T2V-1.3B/resolve/37ec512624d61f7aa208f7ea8140a131f93afc9a/diffusion_pytorch_model.safetensors",
            "https://huggingface.co/Wan-AI/Wan2.1-T2V-1.3B/resolve/main/diffusion_pytorch_model.safetensors",
        ),
        sha256="96b6b242ca1c2f24e9d02cd6596066fab6d310e2d7538f33ae267cb18d957e8f",
        size=5_676_070_424,
        licence="Apache-2.0",
        users=("vividface-train",),
        notes=(
            "Base Wan2.1-T2V-1.3B DiT (original key format, fp32 single file, ~5.68 GB); training "
            "initialisation only (inference uses vividface.ckpt). sha256 + size as pinned for revision "
            "37ec512 by several public download manifests (HF LFS sha256); not hashed here. A diffusers folder (Wan-AI/Wan2.1-T2V-1.3B-Diffusers/"
            "transformer) works too through `--dit DIR`."
        ),
    ),
    Asset(
        name="dists_alpha_beta",
        filename="DISTS_weights-f5e65c96.pth",
        urls=(
            "https://huggingface.co/chaofengc/IQA-PyTorch-Weights/resolve/main/DISTS_weights-f5e65c96.pth",
        ),
        sha256="f5e65c96230b7f6ca995691647d482237e4cab8a50c5c4a5784f219ef0748218",
        size=12_288,
        licence="MIT (DISTS, Ding et al. 2020)",
        users=("vividface-train",),
        notes="DISTS alpha/beta weights as packaged by pyiqa; sha256 from the Git LFS pointer.",
    ),
    Asset(
        name="dists_vgg16",
        filename="vgg16-397923af.pth",
        urls=("https://download.pytorch.org/models/vgg16-397923af.pth",),
        sha256="397923af8e79cdbb6a7127f12361acd7a2f83e06b05044ddf496e83de57a5bf0",
        size=553_433_881,
        licence="BSD-3-Clause (torchvision)",
        users=("vividface-train",),
        notes=(
            "torchvision VGG16 IMAGENET1K_V1 weights (the DISTS backbone). torchvision publishes only the "
            "sha256 prefix 397923af in the file name; the full sha256 + size are pinned by several "
            "independent public projects (same file as vfebench's tv_vgg16 asset)."
        ),
    ),
    Asset(
        name="bisenet_face_parsing",
        filename="79999_iter.pth",
        urls=(
            "https://huggingface.co/ManyOtherFunctions/face-parse-bisent/resolve/"
            "0073b233a5a3c4b1377d4dbf49245017938a72b5/79999_iter.pth",
            "https://github.com/xinntao/facexlib/releases/download/v0.2.0/parsing_bisenet.pth",
            "https://github.com/clibdev/face-parsing.PyTorch/releases/latest/download/"
            "face-parsing-bisenet.pth",
            "https://drive.google.com/uc?export=download&id=154JgKpzCPW82qINcVieuPH3fZ2e0P812",
        ),
        sha256="468e13ca13a9b43cc0881a9f99083a430e9c0a38abd935431d1c28ee94b26567",
        size=53289463,
        licence="MIT (code); weights trained on CelebAMask-HQ (non-commercial research use)",
        users=("vividface-train",),
        notes=(
            "BiSeNet face parser (19 CelebAMask-HQ classes), 79999_iter.pth of "
            "zllrunning/face-parsing.PyTorch (README: Google Drive id 154JgKpzCPW82qINcVieuPH3fZ2e0P812). "
            "sha256/size as published by several independent manifests: the clibdev/face-parsing.PyTorch "
            "README (its release copy), MuseTalk-derived installers pinning the Hugging Face mirror "
            "ManyOtherFunctions/face-parse-bisent at revision 0073b233, and facexlib's parsing_bisenet.pth "
            "(v0.2.0 release), which is the same file. The Drive link serves a confirmation page to "
            "scripts, so it is tried last; download it with a browser or gdown and `vfebench assets "
            "import DIR` (a facexlib/clibdev copy must be renamed 79999_iter.pth first). Optional: "
            "vividface masks fall back to the MediaPipe face oval without it."
        ),
    ),
]
