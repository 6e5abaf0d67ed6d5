"""IDS / FaceCons networks through the real loading code with locally generated weights.

- IR-SE (our definition) keeps TreB1eN/pSp ``model_ir_se50.pth`` parameter names and shapes;
  a tiny IR-SE state dict saved as the ``arcface_ir_se50`` asset file drives IDS end to end.
- The 5-point alignment puts landmarks on the ArcFace 112×112 template within 1 px.
- Our CLIP ViT equals 🤗 transformers' ``get_image_features`` (EvalCrafter's call) on a random
  network, loaded from 🤗 safetensors and from a TorchScript archive like OpenAI's release.
- The insightface backend runs a locally exported ArcFace-like ONNX model through onnxruntime.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
cv2 = pytest.importorskip("cv2")
pytest.importorskip("facenet_pytorch")

from helpers.integration_assets import tiny_ir_se_file  # noqa: E402

from vfebench.assets import asset_dir  # noqa: E402
from vfebench.metrics import build_metric  # noqa: E402
from vfebench.metrics.base import FeatureStore, ScoreContext  # noqa: E402
from vfebench.metrics.features import arcface, clip_vit  # noqa: E402
from vfebench.metrics.nets import clip_vit as clip_vit_net  # noqa: E402
from vfebench.metrics.nets import ir_se  # noqa: E402
from vfebench.video import Clip  # noqa: E402

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def face512() -> np.ndarray:
    from skimage import data

    return cv2.resize(data.astronaut(), (512, 512), interpolation=cv2.INTER_AREA)


def _randomise(net) -> None:
    """Random weights that keep activations input-dependent (He-scaled convs, BN near identity)."""
    from helpers.integration_assets import randomise

    randomise(net, seed=0)


# ----------------------------------------------------------------------------- IR-SE50
def test_ir_se50_layout_matches_reference_names():
    sd = ir_se.build_ir_se().state_dict()
    body = {int(k.split(".")[1]) for k in sd if k.startswith("body.")}
    assert len(body) == 3 + 4 + 14 + 3
    assert sd["input_layer.0.weight"].shape == (64, 3, 3, 3)
    assert sd["body.0.res_layer.5.fc1.weight"].shape == (4, 64, 1, 1)  # SE, reduction 16
    assert "body.0.shortcut_layer.0.weight" not in sd  # first stage: max-pool shortcut
    assert sd["body.3.shortcut_layer.0.weight"].shape == (128, 64, 1, 1)
    assert sd["output_layer.3.weight"].shape == (512, 512 * 7 * 7)
    assert sd["output_layer.4.running_var"].shape == (512,)
    assert ir_se.infer_ir_se_arch(sd) == ([64, 128, 256, 512], [3, 4, 14, 3])


def test_alignment_puts_landmarks_on_template_within_1px():
    tmpl = arcface.ARCFACE_TEMPLATE_112
    a = math.radians(17.0)
    s = 2.7
    r = s * np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    pts = tmpl @ r.T + np.array([150.3, 90.8])
    canvas = np.zeros((512, 512, 3), np.uint8)
    for x, y in pts:  # discs drawn with 1/16-px precision
        cv2.circle(
            canvas, (int(round(x * 16)), int(round(y * 16))), 4 * 16, (255, 255, 255), -1, cv2.LINE_AA, 4
        )
    out = arcface.align_faces(canvas[None], pts[None])[0, :, :, 0].astype(np.float64)
    n, lab = cv2.connectedComponents((out > 0).astype(np.uint8))
    assert n - 1 == 5
    cents = []
    for k in range(1, n):
        ys, xs = np.nonzero(lab == k)
        w = out[ys, xs]
        cents.append(((xs * w).sum() / w.sum(), (ys * w).sum() / w.sum()))
    cents = np.array(cents)
    for p in tmpl:
        assert np.min(np.linalg.norm(cents - p, axis=1)) < 1.0


def test_alignment_of_real_face_lands_near_template(face512):
    from vfebench.metrics.features.faces import FaceAnalysis

    det = FaceAnalysis().mtcnn(Clip("c", face512[None]), FeatureStore())
    assert det["found"][0]
    m = arcface.similarity_transform(det["lm5"][0], arcface.ARCFACE_TEMPLATE_112)
    mapped = det["lm5"][0] @ m[:, :2].T + m[:, 2]
    assert np.abs(mapped - arcface.ARCFACE_TEMPLATE_112).max() < 6.0  # a real face vs the mean template


def test_ids_through_asset_loading_path(face512, pin_local_asset):
    pin_local_asset("arcface_ir_se50", tiny_ir_se_file(asset_dir() / "model_ir_se50.pth"))
    shifted = cv2.warpAffine(
        face512, np.float32([[1, 0, 6], [0, 1, 3]]), (512, 512), borderMode=cv2.BORDER_REFLECT
    )
    gt = Clip("c", np.stack([face512, face512, face512]))
    pred = Clip("c", np.stack([face512, shifted, np.zeros_like(face512)]))
    store = FeatureStore()
    m = build_metric("ids")
    r = m.score_clip(pred, gt, ScoreContext(features=store))
    assert r.n_frames == 2 and r.n_skipped == 1 and math.isnan(r.per_frame[2])
    assert r.per_frame[0] == pytest.approx(1.0, abs=1e-5)
    # frame 1 by hand: MTCNN → align → network → cosine
    from vfebench.metrics.features.faces import FaceAnalysis

    fa = FaceAnalysis()
    lm = [
        fa.mtcnn(Clip(f"x{i}", f[None]), FeatureStore())["lm5"][0] for i, f in enumerate((shifted, face512))
    ]
    faces = np.concatenate([arcface.align_faces(f[None], p[None]) for f, p in zip((shifted, face512), lm)])
    net = ir_se.load_ir_se(asset_dir() / "model_ir_se50.pth")
    with torch.no_grad():
        e = net(arcface.to_arcface_input(faces)).numpy()
    assert r.per_frame[1] == pytest.approx(float(e[0] @ e[1]), abs=1e-4)
    assert r.per_frame[1] < 1.0
    assert r.extras["backend"] == "ir_se50"
    misses = store.misses
    build_metric("ids").score_clip(pred, gt, ScoreContext(features=store))
    assert store.misses == misses  # second metric instance: everything from the store


def test_ids_bfvr_modes_frame_23(face512, pin_local_asset):
    pin_local_asset("arcface_ir_se50", tiny_ir_se_file(asset_dir() / "model_ir_se50.pth"))
    small = cv2.resize(face512, (160, 160), interpolation=cv2.INTER_AREA)  # resized to 512 for analysis
    other = cv2.GaussianBlur(small, (7, 7), 2.0)  # same face position, different pixels
    gt = Clip("c", np.stack([small] * 25))
    pred_frames = np.stack([small] * 25)
    pred_frames[23] = other
    pred = Clip("c", pred_frames)
    ctx = ScoreContext()
    clean = build_metric("ids").score_clip(pred, gt, ctx)
    bfvr = build_metric("ids:bfvr").score_clip(pred, gt, ctx)
    bug = build_metric("ids:bfvr_bug").score_clip(pred, gt, ctx)
    f23 = clean.per_frame[23]
    assert f23 < 0.9999
    assert clean.value == pytest.approx((24 + f23) / 25)
    # the compat modes detect and align as the reference (own landmarks): their own frame 23
    b23 = bfvr.per_frame[23]
    assert b23 < 0.9999 and len(bfvr.per_frame) == 24
    assert bug.value == pytest.approx(b23) and bug.n_frames == 1
    assert bfvr.value == pytest.approx((23 + b23) / 24) and bfvr.n_frames == 24
    short = build_metric("ids:bfvr_bug").score_clip(Clip("s", gt.frames[:3]), Clip("s", gt.frames[:3]), ctx)
    assert math.isnan(short.value) and "frame 23" in short.reason


def test_ids_missing_weights_names_the_fix(face512):
    from vfebench.errors import MissingAssetError

    clip = Clip("c", face512[None])
    with pytest.raises(MissingAssetError, match="model_ir_se50.pth"):
        build_metric("ids").score_clip(clip, clip, ScoreContext())


def test_ids_insightface_backend_onnx(tmp_path, face512):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    net = ir_se.build_ir_se(widths=(8, 16, 24, 32), units=(1, 1, 1, 1)).eval()
    _randomise(net)

    class Raw(torch.nn.Module):  # insightface models take (x−127.5)/127.5 and return raw features
        def __init__(self, n):
            super().__init__()
            self.n = n

        def forward(self, x):
            return 3.0 * self.n(x)

    path = tmp_path / "w600k_r50.onnx"
    torch.onnx.export(Raw(net), torch.zeros(1, 3, 112, 112), str(path), dynamo=False, input_names=["input.1"])
    shifted = cv2.warpAffine(
        face512, np.float32([[1, 0, 5], [0, 1, 0]]), (512, 512), borderMode=cv2.BORDER_REFLECT
    )
    gt, pred = Clip("c", np.stack([face512] * 2)), Clip("c", np.stack([face512, shifted]))
    ctx = ScoreContext()
    r_onnx = build_metric("ids", backend="insightface", weights=str(path)).score_clip(pred, gt, ctx)
    tiny = tmp_path / "tiny_ir_se.pth"
    torch.save(net.state_dict(), tiny)
    r_torch = build_metric("ids", weights=str(tiny)).score_clip(pred, gt, ctx)
    assert r_onnx.extras["backend"] == "insightface"
    np.testing.assert_allclose(r_onnx.per_frame, r_torch.per_frame, atol=1e-4)
    assert build_metric("ids", backend="insightface", weights=str(path)).identity()["weights_sha256"]


# ----------------------------------------------------------------------------- CLIP ViT
def _hf_tiny():
    transformers = pytest.importorskip("transformers")
    cfg = transformers.CLIPVisionConfig(
        hidden_size=128,
        intermediate_size=512,
        num_hidden_layers=2,
        num_attention_heads=2,
        image_size=32,
        patch_size=8,
        projection_dim=16,
        hidden_act="quick_gelu",
    )
    torch.manual_seed(0)
    hf = transformers.CLIPVisionModelWithProjection(cfg).eval()
    with torch.no_grad():
        for p in hf.parameters():
            p.add_(0.02 * torch.randn_like(p))
    return hf


def test_clip_vit_matches_transformers_safetensors(tmp_path):
    from safetensors.torch import save_file

    hf = _hf_tiny()
    path = tmp_path / "clip_tiny.safetensors"
    save_file({k: v.contiguous() for k, v in hf.state_dict().items()}, str(path))
    net = clip_vit_net.load_clip_vit(path)
    x = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        ref = hf(pixel_values=x).image_embeds
        got = net(x)
    torch.testing.assert_close(got, ref, atol=1e-5, rtol=1e-4)


def test_clip_vit_torchscript_archive_and_facecons(tmp_path, face512):
    hf = _hf_tiny()
    sd = clip_vit_net.hf_to_openai(hf.state_dict())
    net = clip_vit_net.build_clip_vit(128, 2, 8, 32, 16).eval()
    net.load_state_dict(sd)

    class Full(torch.nn.Module):  # OpenAI's release holds the whole model; the image tower is `visual`
        def __init__(self):
            super().__init__()
            self.visual = net
            self.logit_scale = torch.nn.Parameter(torch.ones([]))

        def forward(self, x):
            return self.visual(x) * self.logit_scale

    path = tmp_path / "ViT-B-32.pt"
    with warnings.catch_warnings():  # tracer warnings about the input-size check
        warnings.simplefilter("ignore")
        torch.jit.save(
            torch.jit.trace(Full().eval(), torch.randn(1, 3, 32, 32), check_trace=False), str(path)
        )
    loaded = clip_vit_net.load_clip_vit(path)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), hf(pixel_values=x).image_embeds, atol=1e-5, rtol=1e-4)

    rep = Clip("r", np.stack([face512] * 3))
    ctx = ScoreContext()
    for spec in ("facecons", "facecons:evalcrafter"):
        r = build_metric(spec, weights=str(path)).score_clip(rep, None, ctx)
        assert r.value == pytest.approx(1.0, abs=1e-6) and r.n_frames == 2
    moved = Clip("m", np.stack([face512, np.roll(face512, 40, axis=1), face512[::-1]]))
    clean = build_metric("facecons", weights=str(path)).score_clip(moved, None, ctx)
    # by hand: CLIP preprocessing → network → cosine to frame 0
    with torch.no_grad():
        e = loaded(clip_vit.preprocess_clean(moved.frames, 32)).double().numpy()
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    assert clean.value == pytest.approx(float(np.mean(e[1:] @ e[0])), abs=1e-5)
    assert clean.value < 1.0
    one = build_metric("facecons", weights=str(path)).score_clip(Clip("o", face512[None]), None, ctx)
    assert math.isnan(one.value) and "2 frames" in one.reason


def test_evalcrafter_preprocessing_keeps_0_255_range(face512):
    x = clip_vit.preprocess_evalcrafter(face512[None], 224)
    assert x.shape == (1, 3, 224, 224) and float(x.max()) > 200 and float(x.min()) >= 0
    ref = torch.nn.functional.interpolate(
        torch.from_numpy(face512).permute(2, 0, 1)[None].float(),
        size=(224, 224),
        mode="bilinear",
        align_corners=False,
    )
    torch.testing.assert_close(x, ref)
