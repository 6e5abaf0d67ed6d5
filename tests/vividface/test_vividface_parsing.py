"""BiSeNet face parsing (vividface.parsing) and the mask-source selection (vividface.masks)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as F  # noqa: E402

from vfebench import assets as A  # noqa: E402
from vfebench.errors import InputError, MissingAssetError  # noqa: E402
from vividface import parsing as P  # noqa: E402
from vividface.masks import MaskBuilder, resolve_mask_source  # noqa: E402

torch.set_num_threads(1)


# ---------------------------------------------------------------------------------------------
# The official key layout, written out from the reference code (zllrunning/face-parsing.PyTorch
# model.py + resnet.py), independently of our module tree.
# ---------------------------------------------------------------------------------------------
def official_layout(ncls: int = 19) -> dict[str, tuple[int, ...]]:
    keys: dict[str, tuple[int, ...]] = {}

    def conv(name, cout, cin, k):
        keys[f"{name}.weight"] = (cout, cin, k, k)

    def bn(name, c):
        for s in ("weight", "bias", "running_mean", "running_var"):
            keys[f"{name}.{s}"] = (c,)
        keys[f"{name}.num_batches_tracked"] = ()

    def cbr(name, cout, cin, k):  # ConvBNReLU
        conv(f"{name}.conv", cout, cin, k)
        bn(f"{name}.bn", cout)

    r = "cp.resnet"
    conv(f"{r}.conv1", 64, 3, 7)
    bn(f"{r}.bn1", 64)
    cin = 64
    for layer, cout in zip((1, 2, 3, 4), (64, 128, 256, 512)):
        for b in (0, 1):
            p = f"{r}.layer{layer}.{b}"
            conv(f"{p}.conv1", cout, cin if b == 0 else cout, 3)
            bn(f"{p}.bn1", cout)
            conv(f"{p}.conv2", cout, cout, 3)
            bn(f"{p}.bn2", cout)
            if b == 0 and layer > 1:
                conv(f"{p}.downsample.0", cout, cin, 1)
                bn(f"{p}.downsample.1", cout)
        cin = cout
    for name, c in (("cp.arm16", 256), ("cp.arm32", 512)):
        cbr(f"{name}.conv", 128, c, 3)
        conv(f"{name}.conv_atten", 128, 128, 1)
        bn(f"{name}.bn_atten", 128)
    cbr("cp.conv_head32", 128, 128, 3)
    cbr("cp.conv_head16", 128, 128, 3)
    cbr("cp.conv_avg", 128, 512, 1)
    cbr("ffm.convblk", 256, 256, 1)
    conv("ffm.conv1", 64, 256, 1)
    conv("ffm.conv2", 256, 64, 1)
    for name, cin, mid in (("conv_out", 256, 256), ("conv_out16", 128, 64), ("conv_out32", 128, 64)):
        cbr(f"{name}.conv", mid, cin, 3)
        conv(f"{name}.conv_out", ncls, mid, 1)
    return keys


def random_official_state_dict(seed: int = 0, nbt: bool = True) -> dict[str, torch.Tensor]:
    """Random weights in the official layout; BN statistics random but valid (var > 0)."""
    g = torch.Generator().manual_seed(seed)
    sd = {}
    for k, shape in official_layout().items():
        if k.endswith("num_batches_tracked"):
            if nbt:
                sd[k] = torch.tensor(80000, dtype=torch.long)
            continue
        if k.endswith("running_var"):
            sd[k] = 0.5 + torch.rand(shape, generator=g)
        elif k.endswith("running_mean") or k.endswith(".bias"):
            sd[k] = 0.1 * torch.randn(shape, generator=g)
        elif len(shape) == 1:  # BN weight
            sd[k] = 1.0 + 0.1 * torch.randn(shape, generator=g)
        else:  # conv: He-like scale keeps activations O(1) through the 18 layers
            fan_in = shape[1] * shape[2] * shape[3]
            sd[k] = torch.randn(shape, generator=g) * (2.0 / fan_in) ** 0.5
    return sd


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory):
    p = tmp_path_factory.mktemp("bisenet") / "79999_iter.pth"
    torch.save(random_official_state_dict(), p)
    return p


def test_layout_matches_public_inventory_of_the_real_checkpoint():
    """A public conversion manifest of the real 79999_iter.pth (sha256 468e13ca…) records 191
    tensors, of which 148 float32 weights outside the two auxiliary heads total 52,650,752 bytes."""
    lay = official_layout()
    assert len(lay) == 191
    aux = ("conv_out16.", "conv_out32.")
    main = {k: s for k, s in lay.items() if not k.endswith("num_batches_tracked") and not k.startswith(aux)}
    assert len(main) == 148
    assert sum(int(np.prod(s)) * 4 for s in main.values()) == 52_650_752
    net = P.build_bisenet()
    assert {k: tuple(v.shape) for k, v in net.state_dict().items()} == lay


@pytest.mark.parametrize("variant", ["plain", "no_nbt", "module_prefix"])
def test_official_checkpoint_loads_strictly(tmp_path, variant):
    sd = random_official_state_dict(seed=1, nbt=variant != "no_nbt")
    if variant == "module_prefix":
        sd = {f"module.{k}": v for k, v in sd.items()}
    p = tmp_path / "79999_iter.pth"
    torch.save(sd, p)
    net = P.load_bisenet(p)
    got = net.state_dict()
    for k, v in sd.items():
        torch.testing.assert_close(got[k.removeprefix("module.")], v, rtol=0, atol=0)
    assert not net.training


def test_wrong_checkpoint_is_a_clear_error(tmp_path):
    sd = random_official_state_dict(seed=2)
    del sd["ffm.conv1.weight"]
    p = tmp_path / "bad.pth"
    torch.save(sd, p)
    with pytest.raises(InputError, match="ffm.conv1.weight"):
        P.load_bisenet(p)


# ---------------------------------------------------------------------------------------------
# Forward pass vs a functional re-statement of the reference computation.
# ---------------------------------------------------------------------------------------------
def functional_bisenet(sd, x):
    def bn(y, n):
        return F.batch_norm(
            y, sd[f"{n}.running_mean"], sd[f"{n}.running_var"], sd[f"{n}.weight"], sd[f"{n}.bias"], False
        )

    def cbr(y, n, stride=1):
        w = sd[f"{n}.conv.weight"]
        return F.relu(bn(F.conv2d(y, w, stride=stride, padding=w.shape[-1] // 2), f"{n}.bn"))

    def block(y, n, stride):
        r = F.relu(bn(F.conv2d(y, sd[f"{n}.conv1.weight"], stride=stride, padding=1), f"{n}.bn1"))
        r = bn(F.conv2d(r, sd[f"{n}.conv2.weight"], padding=1), f"{n}.bn2")
        if f"{n}.downsample.0.weight" in sd:
            y = bn(F.conv2d(y, sd[f"{n}.downsample.0.weight"], stride=stride), f"{n}.downsample.1")
        return F.relu(y + r)

    def arm(y, n):
        f = cbr(y, f"{n}.conv")
        a = bn(F.conv2d(f.mean((2, 3), keepdim=True), sd[f"{n}.conv_atten.weight"]), f"{n}.bn_atten")
        return f * torch.sigmoid(a)

    def head(y, n, size):
        y = F.conv2d(cbr(y, f"{n}.conv"), sd[f"{n}.conv_out.weight"])
        return F.interpolate(y, size, mode="bilinear", align_corners=True)

    H, W = x.shape[2:]
    y = F.relu(bn(F.conv2d(x, sd["cp.resnet.conv1.weight"], stride=2, padding=3), "cp.resnet.bn1"))
    y = F.max_pool2d(y, 3, 2, 1)
    feats = []
    for layer in (1, 2, 3, 4):
        y = block(y, f"cp.resnet.layer{layer}.0", 1 if layer == 1 else 2)
        y = block(y, f"cp.resnet.layer{layer}.1", 1)
        feats.append(y)
    f8, f16, f32 = feats[1:]
    avg = cbr(f32.mean((2, 3), keepdim=True), "cp.conv_avg")
    s32 = arm(f32, "cp.arm32") + F.interpolate(avg, f32.shape[2:], mode="nearest")
    up32 = cbr(F.interpolate(s32, f16.shape[2:], mode="nearest"), "cp.conv_head32")
    s16 = arm(f16, "cp.arm16") + up32
    up16 = cbr(F.interpolate(s16, f8.shape[2:], mode="nearest"), "cp.conv_head16")
    fuse = cbr(torch.cat([f8, up16], 1), "ffm.convblk")
    a = fuse.mean((2, 3), keepdim=True)
    a = torch.sigmoid(F.conv2d(F.relu(F.conv2d(a, sd["ffm.conv1.weight"])), sd["ffm.conv2.weight"]))
    fuse = fuse * a + fuse
    return head(fuse, "conv_out", (H, W)), head(up16, "conv_out16", (H, W)), head(up32, "conv_out32", (H, W))


def test_forward_matches_functional_reference(weights_file):
    net = P.load_bisenet(weights_file)
    sd = A.load_torch_state_dict(weights_file)
    x = torch.randn(2, 3, 64, 96, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        got = net(x, aux=True)
        want = functional_bisenet(sd, x)
        main = net(x)
    assert main.shape == (2, 19, 64, 96)
    torch.testing.assert_close(main, want[0], rtol=1e-4, atol=1e-4)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-4, atol=1e-4)
    assert main.std() > 1e-3  # not a degenerate all-equal output


# ---------------------------------------------------------------------------------------------
# Labels, preprocessing, batching.
# ---------------------------------------------------------------------------------------------
def test_face_labels():
    ids = P.face_label_ids()
    assert [P.CELEBAMASK_LABELS[i] for i in ids] == [
        "skin", "l_brow", "r_brow", "l_eye", "r_eye", "eye_g", "nose", "mouth", "u_lip", "l_lip",
    ]  # fmt: skip
    for excluded in ("background", "hair", "neck", "l_ear", "r_ear", "ear_r", "hat", "cloth", "neck_l"):
        assert P.CELEBAMASK_LABELS.index(excluded) not in ids
    assert P.face_label_ids(["hair", 1, "skin"]) == (1, 17)
    lab = np.arange(19, dtype=np.uint8).reshape(1, 1, 19)
    np.testing.assert_array_equal(
        P.labels_to_mask(lab, ["skin", "nose"])[0, 0], np.isin(np.arange(19), [1, 10])
    )
    for bad in (["beard"], [19], [-1], []):
        with pytest.raises(InputError):
            P.face_label_ids(bad)


class _RecordingNet(torch.nn.Module):
    """Logits that make the label of every pixel ``(x + y) % 19`` on the network's grid."""

    def __init__(self):
        super().__init__()
        self.inputs = []

    def forward(self, x):
        self.inputs.append(x.clone())
        b, _, h, w = x.shape
        lab = (torch.arange(h)[:, None] + torch.arange(w)[None, :]) % 19
        return F.one_hot(lab, 19).permute(2, 0, 1).float().expand(b, -1, -1, -1)


def test_parser_preprocessing_label_resize_and_batching():
    net = _RecordingNet()
    fp = P.FaceParser(net=net, batch_size=3, input_size=32, face_labels=["skin"])
    frames = np.full((7, 16, 16, 3), (255, 128, 0), np.uint8)
    lab = fp.parse(frames)
    # batching: 3 + 3 + 1 frames, each resized to the 32×32 network input
    assert [tuple(x.shape) for x in net.inputs] == [(3, 3, 32, 32)] * 2 + [(1, 3, 32, 32)]
    # ImageNet normalisation of a constant colour
    want = [(255 / 255 - 0.485) / 0.229, (128 / 255 - 0.456) / 0.224, (0 - 0.406) / 0.225]
    torch.testing.assert_close(net.inputs[0][0, :, 5, 7], torch.tensor(want), rtol=1e-5, atol=1e-5)
    # arg-max at 32×32, nearest back to 16×16: pixel (i, j) takes grid cell (2i, 2j)
    ii, jj = np.mgrid[:16, :16]
    assert lab.shape == (7, 16, 16) and lab.dtype == np.uint8
    np.testing.assert_array_equal(lab[6], (2 * ii + 2 * jj) % 19)
    m = fp.masks(frames)
    assert m.dtype == bool and m.shape == (7, 16, 16)
    np.testing.assert_array_equal(m, lab == 1)
    # at the input size no resize happens at all
    net.inputs.clear()
    frames32 = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3), dtype=np.uint8)
    np.testing.assert_array_equal(fp.parse(frames32)[1], np.add.outer(np.arange(32), np.arange(32)) % 19)
    x = torch.from_numpy(frames32).permute(0, 3, 1, 2).float() / 255
    mean, std = torch.tensor(P.IMAGENET_MEAN).view(1, 3, 1, 1), torch.tensor(P.IMAGENET_STD).view(1, 3, 1, 1)
    torch.testing.assert_close(net.inputs[0], (x - mean) / std)
    with pytest.raises(InputError, match="uint8"):
        fp.parse(frames.astype(np.float32))
    with pytest.raises(InputError, match="multiple of 32"):
        P.FaceParser(net=net, input_size=100)


def test_parser_real_network_mask_shape_and_dtype(weights_file):
    fp = P.FaceParser(weights_file, input_size=64, batch_size=2)
    frames = np.random.default_rng(1).integers(0, 256, (3, 40, 56, 3), dtype=np.uint8)
    lab = fp.parse(frames)
    assert lab.shape == (3, 40, 56) and lab.dtype == np.uint8 and lab.max() < 19
    m = fp.masks(frames)
    assert m.shape == (3, 40, 56) and m.dtype == bool
    np.testing.assert_array_equal(m, P.labels_to_mask(lab))
    # batch composition does not change the result (eval-mode BN)
    np.testing.assert_array_equal(P.FaceParser(weights_file, input_size=64, batch_size=3).parse(frames), lab)


# ---------------------------------------------------------------------------------------------
# Mask-source selection.
# ---------------------------------------------------------------------------------------------
def _install_parser_asset(monkeypatch, weights_file):
    """Put the random weights where the asset lives, pinned to their own hash (real verify path)."""
    dest = A.asset_dir() / "79999_iter.pth"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(weights_file.read_bytes())
    a = A.get_asset(P.PARSER_ASSET)
    monkeypatch.setitem(A.catalog(), P.PARSER_ASSET, dataclasses.replace(a, sha256=A.sha256_file(dest)))
    return dest


def test_real_asset_entry_is_pinned():
    a = A.get_asset(P.PARSER_ASSET)
    assert a.filename == "79999_iter.pth" and len(a.sha256) == 64 and a.size == 53289463
    assert any("154JgKpzCPW82qINcVieuPH3fZ2e0P812" in u for u in a.urls)


def test_source_selection(monkeypatch, tmp_path, weights_file):
    assert resolve_mask_source("auto") == "mediapipe"  # asset absent
    assert resolve_mask_source("face_oval") == "mediapipe"
    assert resolve_mask_source("ellipse") == "ellipse"
    assert resolve_mask_source("auto", weights_file) == "parser"
    with pytest.raises(InputError, match="no such file"):
        resolve_mask_source("auto", tmp_path / "nope.pth")
    with pytest.raises(InputError, match="unknown mask source"):
        resolve_mask_source("bisenet")
    # parser requested without weights: the missing-asset error names the fix
    b = MaskBuilder("parser")
    with pytest.raises(MissingAssetError, match="bisenet_face_parsing"):
        b.describe()
    # a file with the wrong hash in the asset dir is not "present": auto stays on MediaPipe
    (A.asset_dir()).mkdir(parents=True, exist_ok=True)
    (A.asset_dir() / "79999_iter.pth").write_bytes(b"not the weights")
    assert resolve_mask_source("auto") == "mediapipe"
    _install_parser_asset(monkeypatch, weights_file)
    assert resolve_mask_source("auto") == "parser"
    assert MaskBuilder("mediapipe").resolved == "mediapipe"


def test_builder_parser_masks_and_record(monkeypatch, weights_file):
    dest = _install_parser_asset(monkeypatch, weights_file)
    b = MaskBuilder("auto", face_labels=["skin", "nose"], batch_size=2, input_size=64)
    frames = np.random.default_rng(2).integers(0, 256, (5, 32, 48, 3), dtype=np.uint8)
    m = b(frames)
    assert m.shape == (5, 32, 48) and m.dtype == bool
    np.testing.assert_array_equal(m, np.isin(b.parser.parse(frames), [1, 10]))
    d = b.describe()
    assert d["source"] == "auto" and d["resolved"] == "parser"
    assert d["weights"] == "79999_iter.pth" and d["weights_sha256"] == A.sha256_file(dest)
    assert d["face_labels"] == ["skin", "nose"] and d["input_size"] == 64


def test_builder_mediapipe_and_dev_sources():
    pytest.importorskip("mediapipe")
    frames = np.zeros((2, 48, 40, 3), np.uint8)  # no face: empty masks
    m = MaskBuilder("auto")(frames)
    assert m.shape == (2, 48, 40) and m.dtype == bool and not m.any()
    assert MaskBuilder("none")(frames).all()
    e = MaskBuilder("ellipse")(frames)
    assert e.dtype == bool and e[:, 24, 20].all() and not e[:, 0, 0].any()
    with pytest.raises(InputError, match="T×H×W×3"):
        MaskBuilder("none")(frames[0])


def test_train_config_records_mask_source(tmp_path, monkeypatch, weights_file):
    from vividface.data import precompute_latents
    from vividface.train import TrainConfig, build_mask_builder

    with pytest.raises(InputError, match="mask_source"):
        TrainConfig(mask_source="bisenet")
    assert TrainConfig().mask_source == "auto"
    cfg = TrainConfig(
        mask_source="auto", parser_weights=str(weights_file), face_labels=["skin"], parser_batch=4
    )
    b = build_mask_builder(cfg)
    assert b.resolved == "parser" and b.batch_size == 4 and b.face_labels == (1,)
    b.input_size = 32  # keep the test fast

    def windows():
        rng = np.random.default_rng(3)
        yield "c@0", rng.integers(0, 256, (5, 16, 16, 3), dtype=np.uint8), np.zeros((5, 16, 16, 3), np.uint8)

    def encode(x):
        return x[:, :, ::4, ::8, ::8]

    files = precompute_latents(windows(), encode, tmp_path / "lat", b, {"k": 1})
    man = json.loads((tmp_path / "lat" / "manifest.json").read_text())
    assert man["meta"]["mask_source"]["resolved"] == "parser"
    assert man["meta"]["mask_source"]["face_labels"] == ["skin"]
    from safetensors.torch import load_file

    item = load_file(str(files[0]))
    assert item["m_p"].shape == (5, 16, 16) and item["m_l"].shape == (2, 2, 2)
