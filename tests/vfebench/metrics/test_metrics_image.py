"""Image metrics against their reference implementations (scikit-image, BasicSR formulas, pyiqa, lpips).

Networks are tested with weights generated here, written in the real checkpoint layout, placed
in the (per-test) asset directory under a test pin, and loaded through vfebench's real loading
path (asset_path → sha256 check → load_torch_state_dict).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vfebench import assets
from vfebench.errors import InputError, MissingAssetError
from vfebench.metrics import METRICS, build_metric
from vfebench.metrics.base import ScoreContext
from vfebench.metrics.functional import psnr, rgb_to_y, ssim
from vfebench.utils import sha256_file
from vfebench.video import Clip

pytestmark = [
    pytest.mark.filterwarnings("ignore:Converting a tensor to a Python boolean"),  # tracing the test CLIP
    pytest.mark.filterwarnings("ignore:The parameter 'pretrained' is deprecated"),  # inside lpips 0.1.4
    pytest.mark.filterwarnings("ignore:Arguments other than a weight enum"),
]


def _noisy_pair(rng, shape, sigma=12):
    gt = rng.integers(0, 256, size=shape, dtype=np.uint8)
    pred = np.clip(gt.astype(np.int16) + rng.normal(0, sigma, shape).round().astype(np.int16), 0, 255)
    return pred.astype(np.uint8), gt


def _pin(monkeypatch, name: str, path: Path) -> None:
    """Pin the asset ``name`` to the file at ``path`` (already in the asset dir) for this test."""
    a = assets.get_asset(name)
    pinned = assets.Asset(
        a.name, path.name, a.urls, sha256_file(path), path.stat().st_size, a.licence, a.users
    )
    monkeypatch.setitem(assets._EXTRA, name, pinned)
    monkeypatch.setattr(assets, "_CATALOG", None)


def _astronaut_frames() -> np.ndarray:
    from skimage.data import astronaut

    img = astronaut()
    return np.stack([img[:288, :288], img[100:388, 60:348], img[224:, 224:]])


# ----------------------------------------------------------------------------- PSNR / SSIM
def _psnr_formula(a, b):
    d = a.astype(np.float64) - b.astype(np.float64)
    return 10 * np.log10(255.0**2 / np.mean(d * d))


def _ssim_basicsr(a, b):
    """BasicSR's per-channel SSIM written out with cv2.filter2D (2-D window) — independent code path."""
    import cv2

    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    k = cv2.getGaussianKernel(11, 1.5)
    w = np.outer(k, k.T)
    out = []
    for c in range(a.shape[2]):
        x, y = a[..., c].astype(np.float64), b[..., c].astype(np.float64)
        mu1, mu2 = cv2.filter2D(x, -1, w)[5:-5, 5:-5], cv2.filter2D(y, -1, w)[5:-5, 5:-5]
        s1 = cv2.filter2D(x * x, -1, w)[5:-5, 5:-5] - mu1**2
        s2 = cv2.filter2D(y * y, -1, w)[5:-5, 5:-5] - mu2**2
        s12 = cv2.filter2D(x * y, -1, w)[5:-5, 5:-5] - mu1 * mu2
        m = ((2 * mu1 * mu2 + c1) * (2 * s12 + c2)) / ((mu1**2 + mu2**2 + c1) * (s1 + s2 + c2))
        out.append(m.mean())
    return float(np.mean(out))


def test_psnr_matches_skimage_and_formula(rng):
    from skimage.metrics import peak_signal_noise_ratio

    pred, gt = _noisy_pair(rng, (5, 40, 56, 3))
    ours = psnr(pred, gt)
    for i in range(5):
        assert abs(ours[i] - peak_signal_noise_ratio(gt[i], pred[i], data_range=255)) <= 1e-6
        assert abs(ours[i] - _psnr_formula(pred[i], gt[i])) <= 1e-6
    assert psnr(gt[0], gt[0]) == np.inf


def test_ssim_matches_skimage_and_basicsr(rng):
    from skimage.metrics import structural_similarity

    pred, gt = _noisy_pair(rng, (4, 48, 37, 3), sigma=25)
    ours = ssim(pred, gt)
    for i in range(4):
        ref = structural_similarity(
            gt[i],
            pred[i],
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
            data_range=255,
            channel_axis=-1,
        )
        assert abs(ours[i] - ref) <= 1e-5
        assert abs(ours[i] - _ssim_basicsr(pred[i], gt[i])) <= 1e-5
    assert abs(float(ssim(gt[0], gt[0])) - 1.0) < 1e-12


def test_y_channel_and_crop_border(rng):
    pred, gt = _noisy_pair(rng, (2, 40, 40, 3))

    # BasicSR/BFVR: Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255 (here written per channel)
    def y(x):
        x = x.astype(np.float64)
        return (16 + (65.481 * x[..., 0] + 128.553 * x[..., 1] + 24.966 * x[..., 2]) / 255)[..., None]

    assert np.allclose(rgb_to_y(gt), y(gt))
    assert abs(psnr(pred[0], gt[0], test_y_channel=True) - _psnr_formula(y(pred[0]), y(gt[0]))) <= 1e-6
    assert abs(ssim(pred[0], gt[0], test_y_channel=True) - _ssim_basicsr(y(pred[0]), y(gt[0]))) <= 1e-5
    c = 4
    assert (
        abs(psnr(pred[0], gt[0], crop_border=c) - _psnr_formula(pred[0, c:-c, c:-c], gt[0, c:-c, c:-c]))
        <= 1e-6
    )
    assert (
        abs(ssim(pred[0], gt[0], crop_border=c) - _ssim_basicsr(pred[0, c:-c, c:-c], gt[0, c:-c, c:-c]))
        <= 1e-5
    )


def test_frame_clip_set_aggregation(rng):
    m = build_metric("psnr")
    clips = []
    for k in range(2):
        p, g = _noisy_pair(rng, (3 + k, 24, 24, 3), sigma=5 + 10 * k)
        clips.append((Clip(f"c{k}", p), Clip(f"c{k}", g)))
    res = m.score_set([c[0] for c in clips], [c[1] for c in clips], ScoreContext())
    per_clip = [
        float(np.mean([_psnr_formula(p, g) for p, g in zip(cp.frames, cg.frames)])) for cp, cg in clips
    ]
    assert [r.clip_id for r in res.clips] == ["c0", "c1"]
    assert [r.n_frames for r in res.clips] == [3, 4]
    assert np.allclose([r.value for r in res.clips], per_clip, atol=1e-9)
    assert abs(res.value - np.mean(per_clip)) < 1e-9
    assert len(res.clips[1].per_frame) == 4
    # a bad clip in a set becomes NaN with its reason; the set mean ignores it
    bad = Clip("bad", clips[0][0].frames[:, :20])
    res3 = m.score_set([clips[0][0], bad], [clips[0][1], clips[0][1]], ScoreContext())
    assert np.isnan(res3.clips[1].value) and "'bad'" in res3.clips[1].reason
    assert res3.value == pytest.approx(per_clip[0])
    # max_frames caps frames per clip
    r2 = m.score_clip(clips[1][0], clips[1][1], ScoreContext(max_frames=2))
    assert r2.n_frames == 2


# ----------------------------------------------------------------------------- bad inputs
def test_bad_inputs_name_the_clip(rng):
    m = build_metric("psnr")
    a = rng.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    with pytest.raises(InputError, match=r"'clipX'.*(32×40|40×32)"):
        m(Clip("clipX", a), Clip("clipX", rng.integers(0, 256, (3, 32, 40, 3), dtype=np.uint8)))
    with pytest.raises(InputError, match=r"'clipX'.*3 frames.*2"):
        m(Clip("clipX", a), Clip("clipX", a[:2]))
    with pytest.raises(InputError, match=r"prediction clip 'clipF'.*\[0, 1\]"):
        m(a.astype(np.float32) / 100.0, a, clip_id="clipF")
    bad = a.astype(np.float32) / 255.0
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(InputError, match=r"reference clip 'clipN'.*NaN"):
        m(a, bad, clip_id="clipN")
    with pytest.raises(InputError, match=r"needs a reference"):
        m(a)
    # a frame NIQE cannot score is NaN with the reason (tests/test_metrics_edges.py), not an error
    tiny = build_metric("niqe")(Clip("tiny", a))
    assert np.isnan(tiny.value) and "192" in tiny.reason
    # float input in range is accepted and equals the uint8 result
    assert build_metric("psnr")(a / 255.0, a[::-1] / 255.0).value == pytest.approx(m(a, a[::-1]).value)


def test_missing_weights_name_the_assets_command(rng):
    m = build_metric("lpips")
    a = rng.integers(0, 256, (1, 32, 32, 3), dtype=np.uint8)
    with pytest.raises(
        MissingAssetError, match=r"alexnet-owt-7be5be79\.pth.*vfebench assets fetch tv_alexnet"
    ):
        m(a, a)


def test_registry_and_light_imports():
    for n in ("psnr", "ssim", "lpips", "lpips_vgg", "niqe", "musiq", "clipiqa"):
        cls = METRICS.get(n)
        assert cls.name == n
    code = (
        "import sys, vfebench.metrics.psnr, vfebench.metrics.ssim, vfebench.metrics.niqe, "
        "vfebench.metrics.lpips, vfebench.metrics.musiq, vfebench.metrics.clipiqa, vfebench.commands.score, "
        "vfebench.commands.assets; bad=[m for m in ('torch','pyiqa','lpips','torchvision') if m in sys.modules]; "
        "sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


# ----------------------------------------------------------------------------- NIQE
def _pyiqa_niqe(frames: np.ndarray, tmp_path: Path) -> np.ndarray:
    """pyiqa's NIQE with the same pristine numbers (written to the .mat layout pyiqa reads)."""
    import scipy.io
    import torch
    from pyiqa.archs.niqe_arch import NIQE as RefNIQE

    from vfebench.metrics.functional.niqe import pristine_params

    mu, cov = pristine_params()
    mat = tmp_path / "niqe_params.mat"
    scipy.io.savemat(mat, {"mu_prisparam": mu[None], "cov_prisparam": cov})
    ref = RefNIQE(pretrained_model_path=str(mat))
    x = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float() / 255.0
    with torch.no_grad():
        return np.concatenate([ref(x[i : i + 1]).reshape(-1).double().numpy() for i in range(len(x))])


def test_niqe_params_shipped():
    from vfebench.metrics.functional.niqe import DATA, pristine_params

    mu, cov = pristine_params()
    assert DATA.is_file() and mu.shape == (36,) and cov.shape == (36, 36)
    assert np.allclose(cov, cov.T)
    # first entries of the standard MATLAB model (niqe_release modelparameters.mat)
    assert mu[:2] == pytest.approx([2.60131368, 0.90570272], abs=1e-7)


#: NIQE vs pyiqa, relative. Set from measured variation: ≤ 1e-5 in the environment that wrote
#: this, 1.4e-3 on another CPU with the same pinned versions (issue #12); and, simulated here, a
#: uniform ±6e-5 (0..255 scale) difference in the scale-2 float32 bicubic image (the size of the
#: cross-environment difference measured there) moved NIQE by up to 7.3e-3 relative (median
#: 1.1e-3; 13 frames: these astronaut crops, 5 ../shared faces frames, the 5 pyiqa calibration
#: images; 8 seeds), because the AGGD shape is an argmin over a 0.001-step table and can jump a
#: step. 1e-2 covers that with margin; a real formula error moves NIQE by far more.
NIQE_VS_PYIQA_REL = 1e-2


def test_niqe_matches_pyiqa_on_real_frames(tmp_path):
    import torch

    torch.set_num_threads(1)
    frames = [_astronaut_frames()]
    try:
        from vfebench.datasets import build_source

        src = build_source("demo", num_clips=1, num_frames=2, size=288)
        frames.append(src.load(src.clip_ids()[0]).frames)
    except Exception as exc:  # the demo source is being written by another engineer
        print(f"demo source unavailable ({exc}); astronaut crops only")
    frames = np.concatenate(frames)
    ours = build_metric("niqe").score_frames(frames, None).values
    ref = _pyiqa_niqe(frames, tmp_path)
    assert np.all(np.abs(ours - ref) / ref <= NIQE_VS_PYIQA_REL), (ours, ref)


@pytest.mark.shared
def test_niqe_matches_pyiqa_on_shared_faces(shared_faces, tmp_path):
    import torch

    from vfebench.video import iter_frames

    torch.set_num_threads(1)
    vids = sorted((shared_faces / "hq").glob("*.mp4"))[:3] + sorted((shared_faces / "lq").glob("*.mp4"))[:2]
    if not vids:
        pytest.skip("no videos in ../shared/data/faces")
    frames = []
    for v in vids:
        f = next(iter_frames(v, max_frames=1))
        frames.append(f[:384, :384])  # one size so the batch stacks
    frames = np.stack([f for f in frames if f.shape[:2] == (384, 384)])
    ours = build_metric("niqe").score_frames(frames, None).values
    ref = _pyiqa_niqe(frames, tmp_path)
    assert np.all(np.abs(ours - ref) / ref <= NIQE_VS_PYIQA_REL), (ours, ref)


# ----------------------------------------------------------------------------- LPIPS
def _lpips_setup(monkeypatch, net: str):
    """Random torchvision trunk saved as the pinned file; real v0.1 heads imported from the lpips wheel."""
    import lpips
    import torch
    import torchvision

    torch.manual_seed(0)
    tv = (torchvision.models.alexnet if net == "alex" else torchvision.models.vgg16)(weights=None)
    feats = {k: v for k, v in tv.state_dict().items() if k.startswith("features.")}
    trunk_asset = "tv_alexnet" if net == "alex" else "tv_vgg16"
    dest = assets.asset_dir() / assets.get_asset(trunk_asset).filename
    dest.parent.mkdir(parents=True, exist_ok=True)
    torch.save(feats, dest)
    _pin(monkeypatch, trunk_asset, dest)
    heads_dir = Path(lpips.__file__).parent / "weights" / "v0.1"
    status = assets.import_dir(heads_dir, [f"lpips_{net}_v01"])
    assert status == {f"lpips_{net}_v01": "imported"}  # the wheel's file matches the pinned sha256
    ref = lpips.LPIPS(net=net, pnet_rand=True, verbose=False)
    sd = {}
    for sname in ("slice1", "slice2", "slice3", "slice4", "slice5"):
        for k in getattr(ref.net, sname).state_dict():
            sd[f"{sname}.{k}"] = feats[f"features.{k}"]
    ref.net.load_state_dict(sd)
    return ref.eval()


@pytest.mark.parametrize("name,net", [("lpips", "alex"), ("lpips_vgg", "vgg")])
def test_lpips_matches_lpips_package(monkeypatch, rng, name, net):
    import torch

    torch.set_num_threads(1)
    ref = _lpips_setup(monkeypatch, net)
    pred, gt = _noisy_pair(rng, (3, 48, 64, 3), sigma=30)
    m = build_metric(name)
    res = m(Clip("c", pred), Clip("c", gt))
    with torch.no_grad():
        want = ref(lpips_im(pred), lpips_im(gt)).reshape(-1).double().numpy()
    assert np.allclose(res.per_frame, want, rtol=1e-5, atol=1e-6), (res.per_frame, want)
    assert res.value == pytest.approx(want.mean(), rel=1e-5)
    ident = m.identity()
    assert set(ident["assets"]) == set(m.required_assets()) and all(ident["assets"].values())


def lpips_im(frames: np.ndarray):
    """lpips.im2tensor for a batch: RGB uint8 → [-1, 1]."""
    import torch

    return torch.from_numpy(frames).permute(0, 3, 1, 2).float() / 127.5 - 1.0


def test_lpips_bfvr_compat_matches_bfvr_recipe(monkeypatch, rng):
    """BFVR-STC eval_lpips.py: BGR frames, x/255 → 2x−1 → Normalize(0.5, 0.5), VGG, first 24 frames."""
    import torch
    from torchvision import transforms

    torch.set_num_threads(1)
    ref = _lpips_setup(monkeypatch, "vgg")
    pred, gt = _noisy_pair(rng, (26, 32, 32, 3), sigma=30)
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])

    def prep(frames):
        return torch.stack([tf((2 * (f[:, :, ::-1] / 255.0) - 1).astype(np.float32)) for f in frames[:24]])

    with torch.no_grad():
        want = float(np.mean(ref(prep(pred), prep(gt)).reshape(-1).tolist()))
    for spec in ("lpips:bfvr", "lpips_vgg:bfvr"):
        res = build_metric(spec)(Clip("c", pred), Clip("c", gt))
        assert res.n_frames == 24
        assert res.value == pytest.approx(want, rel=1e-5)


# ----------------------------------------------------------------------------- MUSIQ / CLIP-IQA
def test_musiq_matches_pyiqa_with_local_weights(monkeypatch, rng):
    import torch
    from pyiqa.archs.musiq_arch import MUSIQ as RefMUSIQ

    torch.set_num_threads(2)
    torch.manual_seed(0)
    ref = RefMUSIQ(num_class=1, pretrained=False).eval()
    # the released checkpoint layout: a flat state dict (DataParallel "module." prefix tolerated)
    dest = assets.asset_dir() / "musiq_koniq_ckpt-e95806b9.pth"
    dest.parent.mkdir(parents=True, exist_ok=True)
    torch.save({f"module.{k}": v for k, v in ref.state_dict().items()}, dest)
    _pin(monkeypatch, "musiq_koniq", dest)
    frames = rng.integers(0, 256, (1, 40, 56, 3), dtype=np.uint8)
    ours = build_metric("musiq")(frames, clip_id="m").per_frame
    with torch.no_grad():
        want = ref(torch.from_numpy(frames).permute(0, 3, 1, 2).float() / 255.0).reshape(-1).double().numpy()
    assert np.allclose(ours, want, rtol=1e-5, atol=1e-5), (ours, want)


def test_clipiqa_matches_pyiqa_with_local_weights(monkeypatch, rng):
    """A small random CLIP-RN50-layout model saved as a TorchScript archive, as OpenAI's RN50.pt is."""
    import torch
    from pyiqa.archs.clip_model import CLIP
    from pyiqa.archs.clipiqa_arch import CLIPIQA as RefCLIPIQA

    torch.set_num_threads(2)
    torch.manual_seed(0)
    model = CLIP(32, 224, (1, 1, 1, 1), 16, None, 77, 49408, 64, 1, 1).eval()
    traced = torch.jit.trace(
        model, (torch.rand(1, 3, 64, 64), torch.randint(0, 49407, (2, 77))), check_trace=False
    )
    dest = assets.asset_dir() / "RN50.pt"
    dest.parent.mkdir(parents=True, exist_ok=True)
    traced.save(str(dest))
    _pin(monkeypatch, "clip_rn50", dest)
    frames = rng.integers(0, 256, (3, 64, 80, 3), dtype=np.uint8)
    ours = build_metric("clipiqa")(frames, clip_id="c").per_frame
    ref = RefCLIPIQA(backbone=str(dest)).eval()  # pyiqa's own loader, from the same file
    with torch.no_grad():
        want = ref(torch.from_numpy(frames).permute(0, 3, 1, 2).float() / 255.0).reshape(-1).double().numpy()
    assert np.allclose(ours, want, rtol=1e-5, atol=1e-6), (ours, want)
    assert np.all((ours > 0) & (ours < 1))


def test_clipiqa_prompts_are_pyiqas():
    from vfebench.metrics.clipiqa import PROMPTS

    src = Path(__import__("pyiqa").__file__).parent / "archs" / "clipiqa_arch.py"
    text = src.read_text()
    for pos, neg in PROMPTS:
        assert f"'{pos}'" in text and f"'{neg}'" in text
