"""vfebench.torchmetrics: every metric's ``compute()`` equals ``vfebench score --json`` on the same
clips; metadata, inputs and errors; two-process gloo DDP equals one process; PSNR/SSIM against
torchmetrics' own implementations.

Weighted metrics load small random stand-in weights in each asset's real format
(``tests/helpers/integration_assets.py``), pinned and placed in the isolated asset directory, so the
normal ``asset_path`` route (hash check included) loads them. Clips are the embedded demo (a
real face photograph with head motion) at small sizes; predictions are the GT with seeded noise.
"""

from __future__ import annotations

import json
import math
import os
import socket
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torchmetrics")

from helpers import integration_assets as ia  # noqa: E402

from vfebench.cli import main as cli  # noqa: E402
from vfebench.errors import InputError  # noqa: E402
from vfebench.video import write_png_frames  # noqa: E402

pytestmark = [
    pytest.mark.filterwarnings("ignore::UserWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
]


# ----------------------------------------------------------------------------- helpers
def demo_pairs(num_clips: int, num_frames: int, size: int, sigma: float = 6.0):
    """``{clip id: (pred, gt)}`` uint8 ``T×H×W×3``: demo GT clips and the GT plus seeded noise."""
    from vfebench.datasets import build_source

    src = build_source(f"demo,num_clips={num_clips},num_frames={num_frames},size={size}")
    rng = np.random.default_rng(size * 100 + num_frames)
    out = {}
    for cid in src.clip_ids():
        gt = src.load(cid).frames
        noise = rng.normal(0, sigma, gt.shape).round()
        out[cid] = (np.clip(gt + noise, 0, 255).astype(np.uint8), gt)
    return out


def write_dirs(pairs, root: Path) -> tuple[Path, Path]:
    for cid, (p, g) in pairs.items():
        write_png_frames(p, root / "pred" / cid)
        write_png_frames(g, root / "gt" / cid)
    return root / "pred", root / "gt"


def cli_score(capsys, pred: Path, gt: Path, specs: list[str]) -> dict:
    """``vfebench score PRED GT --metrics ... --json`` → its ``metrics`` document."""
    capsys.readouterr()
    rc = cli(["score", str(pred), str(gt), "--metrics", ",".join(specs), "--json"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    return json.loads(out.out)["metrics"]


def batch(pairs, ids, side: int, as_float: bool = False):
    """``B×T×3×H×W`` tensor of one side (0 = pred, 1 = gt) of the given clips."""
    x = torch.from_numpy(np.stack([pairs[c][side] for c in ids])).permute(0, 1, 4, 2, 3).contiguous()
    return x.double() / 255.0 if as_float else x


@pytest.fixture
def stand_in_weights(weights_dir, monkeypatch):
    """``bring(specs)``: write, pin and place the stand-in weights these metric specs need."""
    from vfebench import assets

    def bring(specs: list[str]) -> dict[str, Path]:
        files = ia.write_weights(weights_dir, ia.assets_for(specs))
        ia.register(monkeypatch, files)
        d = assets.asset_dir()
        d.mkdir(parents=True, exist_ok=True)
        for p in files.values():
            if not (d / p.name).exists():
                os.symlink(p, d / p.name)
        return files

    return bring


def close(a: float | None, b: float, rel: float, what: str) -> None:
    if a is None:  # JSON null = NaN
        assert math.isnan(b), (what, a, b)
        return
    assert b == pytest.approx(a, rel=rel, abs=rel), (what, a, b)


# ----------------------------------------------------------------------------- equality with the CLI
# (specs, clips, frames, size, extras needed, relative tolerance). Per-clip metrics run the very
# code the CLI runs on the same 8-bit frames: measured difference 0 (rel=1e-12 leaves room for
# summation order only). fvd:dataset sums features and outer products instead of np.cov on the
# stacked features: measured difference 0 on these clips (2 windows per side); 1e-9 allowed
# because the uncentred formula can round differently from np.cov's centred one on more windows.
CASES = {
    "image": (["psnr", "ssim", "lpips", "clipiqa"], 3, 3, 64, ("lpips", "pyiqa"), 1e-12),
    "image_full_nets": (["lpips_vgg", "musiq"], 2, 1, 64, ("lpips", "pyiqa"), 1e-12),
    "niqe": (["niqe"], 2, 1, 192, (), 1e-12),
    # MTCNN at 512×512 dominates the face metrics' time: IDS on one frame per clip
    "face_ids": (["ids"], 2, 1, 128, ("facenet_pytorch",), 1e-12),
    "face": (["akd", "tlme", "tlme_ref", "facecons"], 2, 2, 128, ("mediapipe",), 1e-12),
    "face_backends": (
        ["ids:backend=insightface", "akd:backend=fan68"],
        2,
        2,
        128,
        ("facenet_pytorch", "onnxruntime", "onnx", "face_alignment"),
        1e-12,
    ),
    "ids_dlib": (["ids_dlib", "ids_dlib_vr"], 2, 1, 128, ("dlib", "face_recognition_models"), 1e-12),
    "video": (["fastervqa", "fvd", "fvd:dataset:window=10"], 2, 10, 64, (), 1e-9),
}


def _shipped_metrics() -> set[str]:
    """Every metric the package ships (test plugins register objects, not "module:Class" paths)."""
    from vfebench.metrics import METRICS

    return {n for n in METRICS.names() if METRICS.target(n).startswith("vfebench.")}


#: every shipped metric no case above names runs here with default settings (3 clips × 3 frames
#: of 64², its stand-in weights), so a new metric is covered without a line in this file
CASES["default"] = (
    sorted(_shipped_metrics() - {s.partition(":")[0] for c in CASES.values() for s in c[0]}),
    3,
    3,
    64,
    (),
    1e-12,
)


#: alternative backends (FAN-68 is a full-size hour-glass, ~4 min here): slow tier, like the
#: integration test's
SLOW_CASES = ("face_backends", "video", "ids_dlib")  # video ~11–32 s, ids_dlib ~24 s on 2 cores


@pytest.mark.parametrize(
    "case", [pytest.param(c, marks=pytest.mark.slow) if c in SLOW_CASES else c for c in CASES]
)
def test_compute_equals_vfebench_score(case, tmp_path, stand_in_weights, capsys):
    specs, n, t, size, mods, rel = CASES[case]
    if not specs:
        pytest.skip("every shipped metric has a tuned case above")
    for mod in mods:
        pytest.importorskip(mod)
    torch.set_num_threads(2)
    import vfebench.torchmetrics as vt

    stand_in_weights(specs)
    pairs = demo_pairs(n, t, size)
    doc = cli_score(capsys, *write_dirs(pairs, tmp_path), specs)
    ids = list(pairs)
    for spec in specs:
        m = vt.build(spec)
        assert m.higher_is_better == doc[spec]["higher_is_better"]
        # two batches (1 clip, the rest), float input for the first one, uint8 for the second
        for chunk, as_float in ((ids[:1], True), (ids[1:], False)):
            m.update(batch(pairs, chunk, 0, as_float), batch(pairs, chunk, 1, as_float), clip_ids=chunk)
        got = m.compute()
        assert got.dtype == torch.float64 and got.ndim == 0
        close(doc[spec]["mean"], float(got), rel, spec)
        if doc[spec]["mean"] is not None:  # shown with -s: the measured difference
            print(
                f"{spec}: score {doc[spec]['mean']!r} compute {float(got)!r} diff {float(got) - doc[spec]['mean']:.3g}"
            )
        if not m.set_level:  # the per-clip states are the CLI's per-clip values, in order
            vals = torch.cat(m.values).tolist()
            for c, v in zip(doc[spec]["clips"], vals):
                close(c["value"], v, rel, f"{spec}:{c['clip_id']}")
        if spec in ("psnr", "ssim", "lpips", "ids", "akd", "fastervqa", "fvd"):
            assert math.isfinite(float(got)), spec  # a real number, not NaN == NaN
        m.reset()
        assert math.isnan(float(m.compute())) if not m.set_level else True


def test_every_registered_metric_has_a_class():
    import vfebench.torchmetrics as vt
    from vfebench.metrics import METRICS

    covered = {s.partition(":")[0] for c in CASES.values() for s in c[0]}
    shipped = _shipped_metrics()
    assert covered == shipped  # the equality test above covers every shipped metric
    assert "tlp" in CASES["default"][0]  # the example metric is covered with no line of its own
    for name in sorted(shipped):
        vcls = METRICS.get(name)
        cls = vt.metric_class(name)
        assert getattr(vt, cls.__name__) is cls and cls.__name__ == vcls.__name__
        assert issubclass(cls, __import__("torchmetrics").Metric)
        assert cls.higher_is_better is vcls.higher_is_better
        assert cls.is_differentiable is False and cls.full_state_update is False
        assert cls.needs_reference is vcls.needs_reference
        lo, hi = vcls.value_range
        assert (cls.plot_lower_bound, cls.plot_upper_bound) == (lo, hi)
    assert set(vt.__all__) >= {METRICS.target(n).rpartition(":")[2] for n in shipped}


def _mean_abs_class():
    from typing import ClassVar

    from vfebench.metrics.base import FrameMetric

    class MeanAbs(FrameMetric):
        name: ClassVar[str] = "mean_abs"
        higher_is_better: ClassVar[bool] = False

        def score_frames(self, pred, gt):
            return np.abs(pred.astype(np.float64) - gt).mean(axis=(1, 2, 3))

    return MeanAbs


def test_a_newly_registered_metric_gets_a_class(monkeypatch):
    import vfebench.torchmetrics as vt
    from vfebench.metrics import METRICS

    monkeypatch.setattr(METRICS, "_targets", dict(METRICS._targets))
    monkeypatch.setattr(METRICS, "_loaded", dict(METRICS._loaded))
    monkeypatch.setattr(vt, "_CLASSES", dict(vt._CLASSES))
    METRICS.register("mean_abs", _mean_abs_class())
    cls = vt.metric_class("mean_abs")
    assert cls.__name__ == "MeanAbs" and cls.higher_is_better is False and vt.MeanAbs is cls
    assert (cls.plot_lower_bound, cls.plot_upper_bound) == (None, None)
    m = vt.MeanAbs()
    x = torch.zeros(2, 2, 3, 16, 16, dtype=torch.uint8)
    m.update(x, x + 3)
    assert float(m.compute()) == 3.0


def test_inputs_are_checked():
    import vfebench.torchmetrics as vt

    m = vt.PSNR()
    x = torch.zeros(1, 2, 3, 16, 16)
    with pytest.raises(InputError, match="B×T×3×H×W"):
        m.update(x[0], x[0])
    with pytest.raises(InputError, match="B×T×3×H×W"):
        m.update(x.permute(0, 1, 3, 4, 2), x.permute(0, 1, 3, 4, 2))
    with pytest.raises(InputError, match="same shape"):
        m.update(x, torch.zeros(1, 3, 3, 16, 16))
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        m.update(x + 2, x)
    with pytest.raises(InputError, match="NaN"):
        m.update(x * float("nan"), x)
    with pytest.raises(InputError, match="dtype"):
        m.update(x.long(), x.long())
    with pytest.raises(InputError, match="needs a reference"):
        m.update(x)
    with pytest.raises(InputError, match="clip_ids"):
        m.update(x, x, clip_ids=["a", "b"])
    with pytest.raises(InputError, match="max_frames"):
        vt.PSNR(max_frames=0)
    with pytest.raises(InputError, match="mode"):
        vt.PSNR("nope")
    assert m.values == []  # nothing half-recorded by the failed calls


def test_float_and_uint8_inputs_agree_and_ids_default_to_content(rng):
    import vfebench.torchmetrics as vt

    a = torch.from_numpy(rng.integers(0, 256, (3, 2, 3, 24, 24), dtype=np.uint8))
    b = torch.from_numpy(rng.integers(0, 256, (3, 2, 3, 24, 24), dtype=np.uint8))
    m1, m2 = vt.SSIM(), vt.SSIM()
    m1.update(a, b)
    m2.update(a.float() / 255, b.half().float() / 255)  # float32 in [0,1] rounds back to the same bytes
    assert torch.equal(torch.cat(m1.values), torch.cat(m2.values))
    from vfebench.torchmetrics.inputs import to_clips

    c1, _ = to_clips(a, b, None)
    c2, _ = to_clips(a[[2, 0, 1]], b[[2, 0, 1]], None)
    assert [c.id for c in c1] == [c2[1].id, c2[2].id, c2[0].id] and c1[0].id.startswith("clip-")
    # a no-reference metric ignores the target, as vfebench score does
    m = vt.TLME()
    assert m.needs_reference is False


def test_forward_and_display_value():
    import vfebench.torchmetrics as vt

    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (2, 2, 3, 16, 16), dtype=torch.uint8, generator=g)
    y = torch.randint(0, 256, (2, 2, 3, 16, 16), dtype=torch.uint8, generator=g)
    m = vt.PSNR()
    first = m(x, y)  # forward: this batch's value, and accumulated
    second = m(y, x)
    assert float(first) == float(second) == pytest.approx(float(m.compute()))
    assert len(torch.cat(m.values)) == 4
    assert vt.AKD().display_value(0.002) == pytest.approx(2.0)


def test_shared_feature_store_is_used_by_face_metrics():
    pytest.importorskip("mediapipe")
    import vfebench.torchmetrics as vt
    from vfebench.metrics.base import FeatureStore

    pairs = demo_pairs(1, 2, 64)
    store = FeatureStore()
    akd, tlme = vt.AKD(features=store), vt.TLME(features=store)
    p, g = batch(pairs, list(pairs), 0), batch(pairs, list(pairs), 1)
    akd.update(p, g)
    misses = store.misses
    tlme.update(p)  # same landmarks: read from the store
    assert store.misses == misses and store.hits >= 1


# ----------------------------------------------------------------------------- DDP (gloo, 2 processes)
DDP_SPECS = ["psnr", "lpips", "fvd:dataset:window=10"]  # list states and sum states


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow  # ~13–23 s on 2 cores (two spawned ranks)
def test_ddp_two_processes_equal_one(tmp_path, stand_in_weights):
    import torch.multiprocessing as mp
    from helpers import torchmetrics_ddp as worker

    import vfebench.torchmetrics as vt

    torch.set_num_threads(1)
    files = stand_in_weights(DDP_SPECS)
    pairs = demo_pairs(3, 10, 64)
    ids = list(pairs)
    data = tmp_path / "clips.npz"
    np.savez(
        data,
        ids=np.array(ids),
        pred=np.stack([pairs[c][0] for c in ids]),
        gt=np.stack([pairs[c][1] for c in ids]),
    )
    # one process, all clips
    single = {}
    for spec in DDP_SPECS:
        m = vt.build(spec)
        m.update(batch(pairs, ids, 0), batch(pairs, ids, 1), clip_ids=ids)
        single[spec] = float(m.compute())
    # two processes: rank 0 sees clips 0-1, rank 1 sees clip 2 (uneven on purpose)
    out = tmp_path / "ddp.json"
    mp.spawn(
        worker.run,
        args=(2, _free_port(), str(data), DDP_SPECS, {k: str(v) for k, v in files.items()}, str(out)),
        nprocs=2,
        join=True,
    )
    got = json.loads(out.read_text())
    assert got["world_size"] == 2 and got["local_counts"] == [2, 1]
    for spec in DDP_SPECS:
        assert math.isfinite(single[spec]), spec
        # per-clip states: same values gathered in the same order (0, 1 | 2): equal to 1e-12;
        # FVD sums: the two ranks' partial sums are added in another order (measured ≲1e-13)
        print(f"DDP {spec}: one process {single[spec]!r}, two {got['values'][spec]!r}")
        assert got["values"][spec] == pytest.approx(single[spec], rel=1e-12), spec
        assert got["rank1_values"][spec] == got["values"][spec]  # every rank gets the synced value
    assert got["values"]["psnr (rank 0 only)"] == pytest.approx(single["psnr"], rel=1e-12)
    assert got["rank1_values"]["psnr (rank 0 only)"] == got["values"]["psnr (rank 0 only)"]


# ----------------------------------------------------------------------------- torchmetrics' PSNR / SSIM
def _tm_reference(k: str, a, b):
    """torchmetrics' per-frame PSNR / SSIM of ``N×3×H×W`` float64 frames on our settings."""
    from torchmetrics.functional.image import peak_signal_noise_ratio, structural_similarity_index_measure

    if k == "psnr":
        return peak_signal_noise_ratio(a, b, data_range=255.0, dim=(1, 2, 3), reduction="none")
    _, full = structural_similarity_index_measure(
        a,
        b,
        data_range=255.0,
        gaussian_kernel=True,
        sigma=1.5,
        kernel_size=11,
        reduction="none",
        return_full_image=True,
    )
    return full[..., 5:-5, 5:-5].mean(dim=(1, 2, 3))  # the valid region (5 px of padding cropped)


def test_psnr_ssim_equal_torchmetrics_own(rng):
    """torchmetrics' PSNR and SSIM as a second reference, on identical settings.

    What has to be set for torchmetrics 1.9 to compute what vfebench computes (its defaults
    differ; docs/torchmetrics.md): ``data_range=255`` (PSNR has no default, SSIM's infers
    max − min of the batch); per-frame values, ``dim=(1, 2, 3)`` (PSNR's default ``dim=None``
    pools the squared error of everything it saw into one PSNR); the valid region of the SSIM map
    (torchmetrics pads by reflection and averages the full-size map, ours averages only windows
    inside the frame: ``return_full_image=True`` and a 5-pixel crop); float64 frames and float64
    as the default dtype (torchmetrics makes ``log(data_range)`` and ``10 / ln 10`` default-dtype
    tensors: in float32 they alone shift PSNR by up to ~3e-6 dB). The window is the same by
    default (11×11 Gaussian, σ = 1.5, K1 = 0.01, K2 = 0.03, population statistics);
    torchmetrics clamps the two variances at 0, which changes nothing on these inputs.
    """
    import vfebench.torchmetrics as vt

    worst = {"psnr": 0.0, "ssim": 0.0}
    default_gap = {"psnr": 0.0, "ssim": 0.0}
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        for h, w, sigma in ((16, 16, 3.0), (33, 47, 10.0), (64, 40, 40.0)):
            gt = rng.integers(0, 256, (3, 4, h, w, 3), dtype=np.uint8)
            gt[0, :, : h // 2] = 128  # a flat area: zero variance
            pred = np.clip(gt + rng.normal(0, sigma, gt.shape).round(), 0, 255).astype(np.uint8)
            p = torch.from_numpy(pred).permute(0, 1, 4, 2, 3)
            g = torch.from_numpy(gt).permute(0, 1, 4, 2, 3)
            for k, ours in (("psnr", vt.PSNR()), ("ssim", vt.SSIM())):
                ref = []
                for i in range(3):
                    ours.update(p[i : i + 1], g[i : i + 1])
                    per_frame = _tm_reference(k, p[i].double(), g[i].double())
                    ref.append(float(per_frame.mean()))  # clip = mean over frames
                    worst[k] = max(worst[k], abs(ref[-1] - float(torch.cat(ours.values)[-1])))
                worst[k] = max(worst[k], abs(float(ours.compute()) - float(np.mean(ref))))
            # the default settings are measurably different
            from torchmetrics.image import PeakSignalNoiseRatio, StructuralSimilarityIndexMeasure

            flat_p, flat_g = p.reshape(-1, 3, h, w).double(), g.reshape(-1, 3, h, w).double()
            pooled = PeakSignalNoiseRatio(data_range=255.0)
            pooled.update(flat_p, flat_g)
            per = vt.PSNR()
            per.update(p, g)
            default_gap["psnr"] = max(
                default_gap["psnr"], abs(float(pooled.compute()) - float(per.compute()))
            )
            padded = StructuralSimilarityIndexMeasure(data_range=255.0)
            padded.update(flat_p, flat_g)
            valid = vt.SSIM()
            valid.update(p, g)
            default_gap["ssim"] = max(
                default_gap["ssim"], abs(float(padded.compute()) - float(valid.compute()))
            )
    finally:
        torch.set_default_dtype(old)
    print(f"torchmetrics reference: worst {worst}, default settings gap {default_gap}")
    assert worst["psnr"] < 1e-9 and worst["ssim"] < 1e-9, worst
    assert default_gap["psnr"] > 1e-3 and default_gap["ssim"] > 1e-3, default_gap


def test_torchmetrics_psnr_float32_constants_explain_the_gap(rng):
    """With float32 as the default dtype, torchmetrics' PSNR differs by its float32 constants alone."""
    import vfebench.torchmetrics as vt

    gt = rng.integers(0, 256, (1, 4, 32, 32, 3), dtype=np.uint8)
    pred = np.clip(gt + rng.normal(0, 2.0, gt.shape).round(), 0, 255).astype(np.uint8)
    p, g = (torch.from_numpy(x).permute(0, 1, 4, 2, 3) for x in (pred, gt))
    ours = vt.PSNR()
    ours.update(p, g)
    ref = float(_tm_reference("psnr", p[0].double(), g[0].double()).mean())
    gap = abs(ref - float(ours.compute()))
    print(f"PSNR with float32 default dtype: {gap:.3g} dB")
    # float32 rounding of 2·ln 255 (~11.1) and 10/ln 10 (~4.34): measured 1.6e-6 dB at ~40 dB
    assert gap < 1e-5
