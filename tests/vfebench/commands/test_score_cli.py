"""``vfebench score PRED [GT]``: folders of clips, single clips, videos, JSON, and clear errors."""

from __future__ import annotations

import json
from typing import ClassVar

import numpy as np
import pytest

from vfebench.cli import main as cli
from vfebench.metrics import METRICS
from vfebench.metrics.base import ClipResult, Metric
from vfebench.metrics.functional import psnr, ssim
from vfebench.video import write_png_frames, write_video


def _pair(rng, t=3, h=48, w=40, sigma=8):
    gt = rng.integers(0, 256, (t, h, w, 3), dtype=np.uint8)
    pred = np.clip(gt.astype(np.int16) + rng.normal(0, sigma, gt.shape).round().astype(np.int16), 0, 255)
    return pred.astype(np.uint8), gt


@pytest.fixture
def dirs(tmp_path, rng):
    """pred/ and gt/ with clip 'a' as PNG folders and clip 'b' as lossless videos."""
    data = {}
    for cid in ("a", "b"):
        p, g = _pair(rng)
        data[cid] = (p, g)
        if cid == "a":
            write_png_frames(p, tmp_path / "pred" / cid)
            write_png_frames(g, tmp_path / "gt" / cid)
        else:
            write_video(p, tmp_path / "pred" / f"{cid}.mkv", codec="ffv1")
            write_video(g, tmp_path / "gt" / f"{cid}.mkv", codec="ffv1")
    return tmp_path / "pred", tmp_path / "gt", data


def test_score_folders_json_matches_functional(dirs, capsys):
    pred, gt, data = dirs
    assert cli(["score", str(pred), str(gt), "--metrics", "psnr,ssim", "--json", "--per-frame"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["clips"] == ["a", "b"]
    for name, fn in (("psnr", psnr), ("ssim", ssim)):
        m = doc["metrics"][name]
        want = {cid: float(np.mean(fn(p, g))) for cid, (p, g) in data.items()}
        got = {c["clip_id"]: c["value"] for c in m["clips"]}
        assert got == pytest.approx(want, rel=1e-12)
        assert m["mean"] == pytest.approx(np.mean(list(want.values())), rel=1e-12)
        assert len(m["clips"][0]["per_frame"]) == 3
        assert m["identity"]["name"] == name and m["identity"]["mode"] == "clean"


def test_score_table_output(dirs, capsys):
    pred, gt, data = dirs
    assert cli(["score", str(pred), str(gt), "-m", "psnr,ssim"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["clip", "PSNR↑", "SSIM↑"]
    assert [line.split()[0] for line in out[1:]] == ["a", "b", "----", "mean"]
    a_psnr = float(np.mean(psnr(*data["a"])))
    assert out[1].split()[1] == f"{a_psnr:.2f}"


def test_table_precision_comes_from_the_metric_entry(dirs):
    """The decimals are the metric's ``precision`` carried in the document (whatever the key,
    e.g. a spec with options), not looked up again from a metric key."""
    from vfebench.commands.score import format_table, score
    from vfebench.metrics.psnr import PSNR
    from vfebench.metrics.ssim import SSIM

    pred, gt, data = dirs
    doc = score(pred, gt, "psnr,ssim:crop_border=2")
    assert list(doc["metrics"]) == ["psnr", "ssim:crop_border=2"]
    assert doc["metrics"]["psnr"]["precision"] == PSNR.precision
    assert doc["metrics"]["ssim:crop_border=2"]["precision"] == SSIM.precision
    doc["metrics"]["psnr"]["precision"] = 5
    doc["metrics"]["ssim:crop_border=2"]["precision"] = 1
    row_a = format_table(doc).splitlines()[1].split()
    assert row_a[1] == f"{float(np.mean(psnr(*data['a']))):.5f}"
    assert len(row_a[2].partition(".")[2]) == 1


def test_single_clips_pair_whatever_their_names(dirs, capsys, tmp_path):
    pred, gt, data = dirs
    assert (
        cli(["score", str(pred / "a"), str(gt / "b.mkv"), "-m", "psnr", "--json", "--max-frames", "2"]) == 0
    )
    doc = json.loads(capsys.readouterr().out)
    want = float(np.mean(psnr(data["a"][0][:2], data["b"][1][:2])))
    assert doc["metrics"]["psnr"]["clips"][0]["value"] == pytest.approx(want)
    assert doc["metrics"]["psnr"]["clips"][0]["n_frames"] == 2
    out = tmp_path / "res.json"
    assert cli(["score", str(pred / "a"), str(gt / "a"), "-m", "psnr", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["metrics"]["psnr"]["clips"][0]["clip_id"] == "a"


def test_no_reference_without_gt(tmp_path, rng, capsys):
    from skimage.data import astronaut

    write_png_frames(np.stack([astronaut()[:200, :200]] * 2), tmp_path / "c1")
    assert cli(["score", str(tmp_path / "c1"), "-m", "niqe", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["gt"] is None and 2 < doc["metrics"]["niqe"]["mean"] < 20
    assert cli(["score", str(tmp_path / "c1"), "-m", "niqe,psnr"]) == 2
    assert "psnr need a reference" in capsys.readouterr().err


def test_errors_name_the_clip(tmp_path, rng, capsys):
    p, g = _pair(rng)
    write_png_frames(p, tmp_path / "pred" / "clipA")
    write_png_frames(g[:, :, :32], tmp_path / "gt" / "clipA")
    # a clip that cannot be scored is a recorded failure naming the clip and the fix (exit 1)
    assert cli(["score", str(tmp_path / "pred"), str(tmp_path / "gt"), "-m", "psnr"]) == 1
    cap = capsys.readouterr()
    assert "'clipA'" in cap.err and "restore to the GT size" in cap.err and "Traceback" not in cap.err
    assert cap.out.splitlines()[1].split() == ["clipA", "failed"]

    write_png_frames(g[:2], tmp_path / "gt2" / "clipA")
    assert cli(["score", str(tmp_path / "pred"), str(tmp_path / "gt2"), "-m", "ssim"]) == 1
    err = capsys.readouterr().err
    assert "'clipA'" in err and "3 frames" in err

    write_png_frames(g, tmp_path / "gt3" / "other")
    write_png_frames(g, tmp_path / "gt3" / "other2")
    assert cli(["score", str(tmp_path / "pred"), str(tmp_path / "gt3"), "-m", "psnr"]) == 2
    assert "no reference clip for prediction clip(s) ['clipA']" in capsys.readouterr().err

    assert cli(["score", str(tmp_path / "pred"), str(tmp_path / "gt"), "-m", "psrn"]) == 2
    assert "Did you mean 'psnr'" in capsys.readouterr().err

    assert cli(["score", str(tmp_path / "nope"), "-m", "niqe"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_missing_weights_point_to_assets_command(dirs, capsys):
    pred, gt, _ = dirs
    assert cli(["score", str(pred), str(gt), "-m", "lpips"]) == 2
    err = capsys.readouterr().err
    assert "vfebench assets fetch tv_alexnet" in err and "vfebench assets import DIR" in err


class _ScaledClipMetric(Metric):
    """Stand-in for another family's per-clip metric (display ×1000, no weights)."""

    name: ClassVar[str] = "meandiff"
    display: ClassVar[str] = "MD*"
    higher_is_better: ClassVar[bool] = False
    needs_reference: ClassVar[bool] = True
    scale: ClassVar[float] = 1000.0
    precision: ClassVar[int] = 3

    def score_clip(self, pred, gt, ctx) -> ClipResult:
        pred, gt = self._prepare(pred, gt, ctx)
        v = float(np.abs(pred.frames.astype(float) - gt.frames.astype(float)).mean() / 255.0)
        return ClipResult(pred.id, v, pred.num_frames)


def test_any_registered_metric_works(dirs, capsys, monkeypatch):
    pred, gt, data = dirs
    monkeypatch.setitem(METRICS._targets, "meandiff", "<test>")
    monkeypatch.setitem(METRICS._loaded, "meandiff", _ScaledClipMetric)
    assert cli(["score", str(pred), str(gt), "-m", "meandiff,psnr"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["clip", "MD*↓", "PSNR↑"]
    p, g = data["a"]
    want = np.abs(p.astype(float) - g.astype(float)).mean() / 255.0 * 1000
    assert out[1].split()[1] == f"{want:.3f}"


class _NeedsWide(_ScaledClipMetric):
    """Cannot run on frames narrower than 48 px (like NIQE on small frames)."""

    name: ClassVar[str] = "t_wide"

    def score_clip(self, pred, gt, ctx) -> ClipResult:
        from vfebench.errors import InputError

        if pred.size[1] < 48:
            raise InputError(f"t_wide: clip {pred.id!r} is {pred.size[1]} px wide; needs >= 48")
        return super().score_clip(pred, gt, ctx)


def test_one_metric_failing_does_not_stop_the_others(tmp_path, rng, capsys, monkeypatch):
    """A metric that cannot run on some clip is recorded for that clip; every other value is computed."""
    monkeypatch.setitem(METRICS._targets, "t_wide", "<test>")
    monkeypatch.setitem(METRICS._loaded, "t_wide", _NeedsWide)
    data = {}
    for cid, w in (("narrow", 40), ("wide", 56)):
        p, g = _pair(rng, w=w)
        data[cid] = (p, g)
        write_png_frames(p, tmp_path / "pred" / cid)
        write_png_frames(g, tmp_path / "gt" / cid)
    (tmp_path / "pred" / "empty").mkdir()  # an empty clip folder is a failed clip, not dropped
    write_png_frames(data["wide"][1], tmp_path / "gt" / "empty")
    assert cli(["score", str(tmp_path / "pred"), str(tmp_path / "gt"), "-m", "t_wide,psnr", "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["clips"] == ["empty", "narrow", "wide"]
    fails = {(f["clip_id"], f["metric"]) for f in doc["failures"]}
    assert fails == {("narrow", "t_wide"), ("empty", "t_wide"), ("empty", "psnr")}
    assert any("needs >= 48" in f["reason"] for f in doc["failures"])
    assert any(
        "zero frames" in f["reason"] or "no frames" in f["reason"]
        for f in doc["failures"]
        if f["clip_id"] == "empty"
    )
    ps = {c["clip_id"]: c["value"] for c in doc["metrics"]["psnr"]["clips"]}
    for cid in ("narrow", "wide"):
        assert ps[cid] == pytest.approx(float(np.mean(psnr(*data[cid]))))
    assert doc["metrics"]["psnr"]["mean"] == pytest.approx(np.mean([ps["narrow"], ps["wide"]]))
    p, g = data["wide"]
    want = np.abs(p.astype(float) - g.astype(float)).mean() / 255.0
    assert doc["metrics"]["t_wide"]["mean"] == pytest.approx(want)
    assert doc["metrics"]["t_wide"]["n_scored"] == 1
