"""BiSeNet face parsing (19 CelebAMask-HQ classes) for vividface's pixel face masks ``M_p``.

The paper builds its face masks with a BiSeNet face parser. This module is our PyTorch definition
of the network trained by zllrunning/face-parsing.PyTorch (files ``model.py``, ``resnet.py``,
``test.py`` and ``prepropess_data.py`` of https://github.com/zllrunning/face-parsing.PyTorch,
commit d2e684c), written so that the released checkpoint ``79999_iter.pth`` (asset
``bisenet_face_parsing``) loads with ``strict=True``: same module names, hence the same
state-dict keys (``cp.resnet.*``, ``cp.arm16.*``, ``cp.arm32.*``, ``cp.conv_head32.*``,
``cp.conv_head16.*``, ``cp.conv_avg.*``, ``ffm.*``, ``conv_out.*``, ``conv_out16.*``,
``conv_out32.*``; BatchNorm buffers included).

Network (what the reference computes):

- context path: a ResNet-18 trunk (7×7/2 stem, 3×3/2 max-pool, four stages of two basic blocks,
  64/128/256/512 channels) giving features at strides 8, 16, 32. The stride-32 map is refined by
  an attention-refinement module (3×3 conv-BN-ReLU, then a channel gate
  ``sigmoid(BN(conv1×1(global-avg-pool)))``) and summed with a global-context vector
  (global-avg-pool → 1×1 conv-BN-ReLU, broadcast); nearest ×2 upsampling and a 3×3 conv-BN-ReLU
  head bring it to stride 16, where it is added to the refined stride-16 map; another nearest
  ×2 + head brings that to stride 8.
- no separate spatial path: the ResNet stride-8 feature stands in for it.
- feature fusion: concat(stride-8 ResNet feature, context) → 1×1 conv-BN-ReLU (256 ch) →
  ``f + f·sigmoid(conv1×1(ReLU(conv1×1(avg-pool f))))`` (squeeze to 64 channels).
- output head: 3×3 conv-BN-ReLU (256) → 1×1 conv to 19 logits, bilinearly upsampled
  (``align_corners=True``) to the input size. Two auxiliary heads (``conv_out16``/``conv_out32``,
  used only for training) are kept so the checkpoint loads strictly; inference reads the main
  output only, as the reference's ``test.py`` does.

Preprocessing (reference ``test.py``): RGB resized to 512×512 (PIL bilinear; we use
``F.interpolate(bilinear, antialias=True)``, torch's PIL-matching bilinear), scaled to [0, 1],
normalised with the ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225); the label
map is the arg-max over the 19 logits at 512×512, resized back to the frame with nearest
neighbour (as the reference's ``makeup.py`` does).

Labels (reference ``prepropess_data.py``; 0 = background): 1 skin, 2 l_brow, 3 r_brow, 4 l_eye,
5 r_eye, 6 eye_g (glasses), 7 l_ear, 8 r_ear, 9 ear_r (earring), 10 nose, 11 mouth (inner mouth,
teeth), 12 u_lip, 13 l_lip, 14 neck, 15 neck_l (necklace), 16 cloth, 17 hair, 18 hat.

Which labels form the face mask (:data:`DEFAULT_FACE_LABELS`, a config value): skin, both brows,
both eyes, glasses, nose, mouth and both lips. Glasses are included because they sit on the eye
region the face-focused loss is about (excluding them would punch holes over the eyes of anyone
wearing glasses). Ears, earrings, hair, hat, neck, necklace and cloth are excluded: the mask is
the inner face, like the MediaPipe face-oval default (which also excludes ears and hair).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from vfebench.errors import InputError
from vfebench.video import check_frames

#: CelebAMask-HQ class names in label order (index = label id; 0 = background)
CELEBAMASK_LABELS: tuple[str, ...] = (
    "background",
    "skin",
    "l_brow",
    "r_brow",
    "l_eye",
    "r_eye",
    "eye_g",
    "l_ear",
    "r_ear",
    "ear_r",
    "nose",
    "mouth",
    "u_lip",
    "l_lip",
    "neck",
    "neck_l",
    "cloth",
    "hair",
    "hat",
)
NUM_CLASSES = len(CELEBAMASK_LABELS)  # 19
#: labels that count as "face" by default (hair, hat, neck, ears, cloth excluded; see module doc)
DEFAULT_FACE_LABELS: tuple[str, ...] = (
    "skin",
    "l_brow",
    "r_brow",
    "l_eye",
    "r_eye",
    "eye_g",
    "nose",
    "mouth",
    "u_lip",
    "l_lip",
)
#: the asset holding the released weights (``79999_iter.pth``)
PARSER_ASSET = "bisenet_face_parsing"
INPUT_SIZE = 512
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def face_label_ids(labels: Sequence[str | int] | None = None) -> tuple[int, ...]:
    """Label names (or ids) → sorted unique ids; ``None`` → :data:`DEFAULT_FACE_LABELS`."""
    labels = DEFAULT_FACE_LABELS if labels is None else labels
    ids = set()
    for lab in labels:
        if isinstance(lab, (int, np.integer)) and not isinstance(lab, bool):
            if not 0 <= int(lab) < NUM_CLASSES:
                raise InputError(f"face label id {lab} out of range 0..{NUM_CLASSES - 1}")
            ids.add(int(lab))
        elif isinstance(lab, str) and lab in CELEBAMASK_LABELS:
            ids.add(CELEBAMASK_LABELS.index(lab))
        else:
            raise InputError(f"unknown face label {lab!r}; choose from {list(CELEBAMASK_LABELS)}")
    if not ids:
        raise InputError("face_labels is empty: the face mask would be empty everywhere")
    return tuple(sorted(ids))


def labels_to_mask(label_map: np.ndarray, labels: Sequence[str | int] | None = None) -> np.ndarray:
    """``…×H×W`` integer label map → ``…×H×W`` bool mask of the face labels."""
    return np.isin(label_map, np.asarray(face_label_ids(labels)))


def build_bisenet(num_classes: int = NUM_CLASSES):
    """The face-parsing BiSeNet (random init, eval mode). ``forward(x)``: ``B×3×H×W`` normalised
    float (H, W multiples of 32) → ``B×num_classes×H×W`` logits (main head); ``forward(x, aux=True)``
    also returns the two auxiliary heads."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    class ConvBNReLU(nn.Module):  # keys: conv.weight, bn.*
        def __init__(self, cin: int, cout: int, k: int = 3, stride: int = 1):
            super().__init__()
            self.conv = nn.Conv2d(cin, cout, k, stride, k // 2, bias=False)
            self.bn = nn.BatchNorm2d(cout)

        def forward(self, x):
            return F.relu(self.bn(self.conv(x)))

    class BasicBlock(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.downsample = None
            if cin != cout or stride != 1:
                self.downsample = nn.Sequential(
                    nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
                )

        def forward(self, x):
            r = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
            s = x if self.downsample is None else self.downsample(x)
            return F.relu(s + r)

    class ResNet18Trunk(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            chans = (64, 64, 128, 256, 512)
            for i in range(1, 5):
                stride = 1 if i == 1 else 2
                blocks = [BasicBlock(chans[i - 1], chans[i], stride), BasicBlock(chans[i], chans[i], 1)]
                setattr(self, f"layer{i}", nn.Sequential(*blocks))

        def forward(self, x):
            x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
            f8 = self.layer2(self.layer1(x))
            f16 = self.layer3(f8)
            return f8, f16, self.layer4(f16)

    class AttentionRefinement(nn.Module):
        def __init__(self, cin: int, cout: int):
            super().__init__()
            self.conv = ConvBNReLU(cin, cout, 3)
            self.conv_atten = nn.Conv2d(cout, cout, 1, bias=False)
            self.bn_atten = nn.BatchNorm2d(cout)

        def forward(self, x):
            f = self.conv(x)
            gate = torch.sigmoid(self.bn_atten(self.conv_atten(F.adaptive_avg_pool2d(f, 1))))
            return f * gate

    class ContextPath(nn.Module):
        def __init__(self):
            super().__init__()
            self.resnet = ResNet18Trunk()
            self.arm16 = AttentionRefinement(256, 128)
            self.arm32 = AttentionRefinement(512, 128)
            self.conv_head32 = ConvBNReLU(128, 128, 3)
            self.conv_head16 = ConvBNReLU(128, 128, 3)
            self.conv_avg = ConvBNReLU(512, 128, 1)

        def forward(self, x):
            f8, f16, f32 = self.resnet(x)
            glob = self.conv_avg(F.adaptive_avg_pool2d(f32, 1))
            c32 = self.arm32(f32) + glob  # broadcast == nearest upsampling of the 1×1 map
            c32 = self.conv_head32(F.interpolate(c32, f16.shape[2:], mode="nearest"))
            c16 = self.arm16(f16) + c32
            c16 = self.conv_head16(F.interpolate(c16, f8.shape[2:], mode="nearest"))
            return f8, c16, c32  # strides 8, 8, 16

    class FeatureFusion(nn.Module):
        def __init__(self, cin: int, cout: int):
            super().__init__()
            self.convblk = ConvBNReLU(cin, cout, 1)
            self.conv1 = nn.Conv2d(cout, cout // 4, 1, bias=False)
            self.conv2 = nn.Conv2d(cout // 4, cout, 1, bias=False)

        def forward(self, a, b):
            f = self.convblk(torch.cat([a, b], dim=1))
            gate = torch.sigmoid(self.conv2(F.relu(self.conv1(F.adaptive_avg_pool2d(f, 1)))))
            return f + f * gate

    class Head(nn.Module):
        def __init__(self, cin: int, cmid: int, ncls: int):
            super().__init__()
            self.conv = ConvBNReLU(cin, cmid, 3)
            self.conv_out = nn.Conv2d(cmid, ncls, 1, bias=False)

        def forward(self, x, size):
            y = self.conv_out(self.conv(x))
            return F.interpolate(y, size, mode="bilinear", align_corners=True)

    class FaceParsingBiSeNet(nn.Module):
        def __init__(self, ncls: int):
            super().__init__()
            self.cp = ContextPath()
            self.ffm = FeatureFusion(256, 256)
            self.conv_out = Head(256, 256, ncls)
            self.conv_out16 = Head(128, 64, ncls)
            self.conv_out32 = Head(128, 64, ncls)

        def forward(self, x, aux: bool = False):
            size = x.shape[2:]
            f8, c8, c16 = self.cp(x)
            out = self.conv_out(self.ffm(f8, c8), size)
            if not aux:
                return out
            return out, self.conv_out16(c8, size), self.conv_out32(c16, size)

    return FaceParsingBiSeNet(num_classes).eval()


def load_bisenet(path: str | os.PathLike, device: str = "cpu"):
    """Build the network and load ``path`` (``79999_iter.pth`` or a file with its keys) strictly.

    The file is read by :func:`vfebench.assets.load_torch_state_dict` (``weights_only=True``: no
    arbitrary unpickling). A ``module.`` prefix (DataParallel saves) is stripped.
    """
    from vfebench.assets import load_torch_state_dict

    sd = load_torch_state_dict(path)
    if not isinstance(sd, dict):
        raise InputError(f"{path}: expected a state dict, got {type(sd).__name__}")
    if sd and all(k.startswith("module.") for k in sd):
        sd = {k[len("module.") :]: v for k, v in sd.items()}
    net = build_bisenet()
    try:
        net.load_state_dict(sd, strict=True)
    except RuntimeError as exc:
        raise InputError(
            f"{path}: not a face-parsing BiSeNet state dict (zllrunning/face-parsing.PyTorch "
            f"79999_iter.pth layout): {exc}"
        ) from exc
    return net.to(device).eval()


class FaceParser:
    """Frames → CelebAMask-HQ label maps and face masks with the BiSeNet face parser.

    Args:
        weights: path of the weights; ``None`` → the ``bisenet_face_parsing`` asset (raises
            MissingAssetError naming the fix when absent).
        face_labels: label names/ids that form the mask (default :data:`DEFAULT_FACE_LABELS`).
        device: torch device for the network.
        batch_size: frames per forward pass.
        input_size: the square network input (512 as trained; any multiple of 32 works).
        net: an already built network (tests); overrides ``weights``.
    """

    def __init__(
        self,
        weights: str | os.PathLike | None = None,
        face_labels: Sequence[str | int] | None = None,
        device: str = "cpu",
        batch_size: int = 8,
        input_size: int = INPUT_SIZE,
        net: Any = None,
    ):
        if input_size <= 0 or input_size % 32:
            raise InputError(f"parser input_size must be a positive multiple of 32, got {input_size}")
        if batch_size < 1:
            raise InputError(f"parser batch_size must be >= 1, got {batch_size}")
        self.face_ids = face_label_ids(face_labels)
        self.device = str(device)
        self.batch_size = int(batch_size)
        self.input_size = int(input_size)
        if net is None:
            if weights is None:
                from vfebench.assets import asset_path

                weights = asset_path(PARSER_ASSET)
            net = load_bisenet(weights, self.device)
        self.weights = str(weights) if weights is not None else None
        self.net = net.to(self.device).eval()

    def _preprocess(self, frames: np.ndarray):
        """``B×H×W×3`` uint8 → ``B×3×S×S`` float32, ImageNet-normalised."""
        import torch
        import torch.nn.functional as F

        x = torch.from_numpy(np.ascontiguousarray(frames)).to(self.device).permute(0, 3, 1, 2).float() / 255.0
        if x.shape[-2:] != (self.input_size, self.input_size):
            s = (self.input_size, self.input_size)
            x = F.interpolate(x, s, mode="bilinear", align_corners=False, antialias=True).clamp_(0, 1)
        mean = torch.tensor(IMAGENET_MEAN, device=x.device).view(1, 3, 1, 1)
        std = torch.tensor(IMAGENET_STD, device=x.device).view(1, 3, 1, 1)
        return (x - mean) / std

    def parse(self, frames: np.ndarray) -> np.ndarray:
        """``T×H×W×3`` uint8 RGB → ``T×H×W`` uint8 label maps (0..18), batched through the net."""
        import torch
        import torch.nn.functional as F

        check_frames(frames, "FaceParser input")
        t, h, w = frames.shape[:3]
        out = np.zeros((t, h, w), np.uint8)
        with torch.inference_mode():
            for s in range(0, t, self.batch_size):
                logits = self.net(self._preprocess(frames[s : s + self.batch_size]))
                lab = logits.argmax(1, keepdim=True).to(torch.uint8)
                if lab.shape[-2:] != (h, w):
                    lab = F.interpolate(lab.float(), (h, w), mode="nearest").to(torch.uint8)
                out[s : s + self.batch_size] = lab[:, 0].cpu().numpy()
        return out

    def masks(self, frames: np.ndarray) -> np.ndarray:
        """``T×H×W×3`` uint8 RGB → ``T×H×W`` bool face masks (the configured face labels)."""
        return np.isin(self.parse(frames), np.asarray(self.face_ids))

    __call__ = masks
