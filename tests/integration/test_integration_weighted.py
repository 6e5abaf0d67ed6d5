"""Every weighted metric through the real CLI: assets import → run → score → report → gate → re-run.

Weights are small random networks in each asset's real file format (``tests/helpers/integration_assets.py``),
declared as test assets with their sha256 and brought in with ``vfebench assets import DIR``, so
the metrics load them through the normal ``asset_path`` route. The dataset is the embedded demo
(2 clips × 10 frames, 128×128), restored by ``identity`` and ``bicubic`` after the ``vfhq-x4``
degradation. Checks: the run record carries every metric's version, mode, options and the pinned
asset hashes; every Table-1 column is filled (no "–") in the Markdown and HTML reports;
``fvd:dataset`` (10-frame windows, an option given in the ``--metrics`` spec) gives one set-level
value per method with its sample count; the gate of the run against itself passes; a re-run
recomputes nothing; the metric called directly and ``vfebench score`` on the stored restored clips
give the run's numbers.

The non-slow test covers LPIPS, CLIP-IQA, IDS, AKD (MediaPipe), FaceCons, FasterVQA and FVD
(per-video and dataset); the slow one LPIPS-VGG and MUSIQ (both hard-code full-size networks:
~59 MB and ~108 MB of random weights), IDS with the insightface ONNX backend and AKD with FAN-68.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("pyiqa")
pytest.importorskip("mediapipe")
pytest.importorskip("facenet_pytorch")

from helpers import integration_assets as ia  # noqa: E402

from vfebench import assets  # noqa: E402
from vfebench.cli import main as cli  # noqa: E402

pytestmark = [
    pytest.mark.filterwarnings("ignore::UserWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
]

DATASET = "demo,num_clips=2,num_frames=10,size=128"
METHODS = ("identity", "bicubic")
FVD_SET = "fvd:dataset:window=10"  # one window per 10-frame clip
FAST = ["psnr", "ssim", "lpips", "clipiqa", "ids", "akd", "facecons", "fastervqa", "fvd", FVD_SET]
SLOW = ["lpips_vgg", "musiq", "ids:backend=insightface", "akd:backend=fan68"]
TABLE1 = ("PSNR", "SSIM", "LPIPS", "IDS", "AKD*", "FaceCons", "FasterVQA", "FVD")


def _bring(weights_dir: Path, tmp_path: Path, metrics: list[str], monkeypatch) -> tuple[Path, dict[str, str]]:
    """A folder holding exactly the weights these metrics need, declared as pinned test assets."""
    names = ia.assets_for(metrics)
    files = ia.write_weights(weights_dir, names)
    pins = ia.register(monkeypatch, files)
    bring = tmp_path / "bring"
    bring.mkdir()
    for p in files.values():
        os.symlink(p, bring / p.name)
    return bring, pins


def _run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = cli(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def _run_args(metrics: list[str], out: Path, cache: Path, dataset: str = DATASET) -> list[str]:
    args = ["run"]
    for m in METHODS:
        args += ["--method", m]
    args += ["--dataset", dataset, "--preset", "vfhq-x4", "--seed", "0", "--metrics", ",".join(metrics)]
    return args + ["--out", str(out), "--cache", str(cache), "--no-progress"]


def _md_rows(md: str, title: str) -> tuple[list[str], dict[str, list[str]]]:
    """Column headers and ``{method: cells}`` of one Markdown table of ``vfebench report``."""
    block = md.split(f"**{title}.**", 1)[1].split("\n\n", 2)[1]
    lines = [ln for ln in block.splitlines() if ln.startswith("|")]
    heads = [c.strip() for c in lines[2].strip("|").split("|")][1:]
    rows = {}
    for ln in lines[3:]:
        cells = [re.sub(r"\*\*|</?u>", "", c).strip() for c in ln.strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return heads, rows


def _check_record(rec: dict, metrics: list[str], pins: dict[str, str]) -> None:
    assert rec["status"] == "complete", rec["failures"]
    assert rec["failures"] == [] and rec["skipped_metrics"] == {}
    assert list(rec["metrics"]) == metrics
    from vfebench.metrics import METRICS, parse_metric_spec

    for key in metrics:
        info = rec["metrics"][key]
        name, mode, options = parse_metric_spec(key)
        assert info["name"] == name and info["version"] == str(METRICS.get(name).version), key
        assert info["mode"] == (mode or {"fvd": "per_video_mean"}.get(name, "clean")), (key, info["mode"])
        assert options.items() <= info["options"].items()  # options given in the spec are recorded
        needed = ia.assets_for([key])
        assert info["assets"] == {a: pins[a] for a in needed}, key
        for lb in METHODS:
            v = rec["methods"][lb]["aggregates"][key]
            assert v is not None and math.isfinite(v), (lb, key, v)
    if FVD_SET in metrics:
        fvd_set = rec["metrics"][FVD_SET]
        assert fvd_set["level"] == "set" and fvd_set["options"] == {"window": 10}


@pytest.mark.slow  # ~90–100 s on 2 cores: every weighted metric through run/score/report/gate
def test_weighted_metrics_end_to_end(weights_dir, tmp_path, monkeypatch, capsys):
    torch.set_num_threads(2)
    metrics = FAST
    bring, pins = _bring(weights_dir, tmp_path, metrics, monkeypatch)

    # the air-gapped route: copy the verified files into the asset directory
    rc, out, _ = _run_cli(capsys, "assets", "import", str(bring), "--json")
    assert rc == 0
    status = json.loads(out)
    assert {n: status[n] for n in pins} == {n: "imported" for n in pins}
    for n in pins:
        assert assets.asset_path(n) == assets.asset_dir() / assets.get_asset(n).filename

    run_dir, cache = tmp_path / "run", tmp_path / "cache"
    rc, out, err = _run_cli(capsys, *_run_args(metrics, run_dir, cache))
    assert rc == 0, err
    assert "scored" in err and "FAILED" not in err
    rec = json.loads((run_dir / "run.json").read_text())
    _check_record(rec, metrics, pins)

    # FVD dataset mode: one set-level value per method, with its window count
    for lb in METHODS:
        st = rec["methods"][lb]["set_results"][FVD_SET]
        assert st["value"] == rec["methods"][lb]["aggregates"][FVD_SET] > 0
        assert (
            st["extras"]["n_samples"] == 2 and st["extras"]["n_clips"] == 2 and st["extras"]["window"] == 10
        )
    per_clip = [c["details"][FVD_SET] for c in rec["clips"]]
    assert len(per_clip) == 4 and all(d["n_frames"] == 10 and "set" in d["reason"] for d in per_clip)
    # identity (nearest-neighbour LQ) and bicubic do differ under the random networks
    for key in ("lpips", "ids", "fastervqa", "fvd", "clipiqa"):
        a, b = (rec["methods"][lb]["aggregates"][key] for lb in METHODS)
        assert a != b, key

    # a runner value equals the metric called on the stored restored clip (same loading route)
    from vfebench.datasets import build_source
    from vfebench.metrics import build_metric
    from vfebench.metrics.base import ScoreContext
    from vfebench.video import read_clip

    row = next(c for c in rec["clips"] if c["method"] == "bicubic")
    pred = read_clip(row["restored_path"], row["clip_id"])
    gt = build_source(DATASET).load(row["clip_id"])
    for key in ("lpips", "facecons"):
        direct = build_metric(key)(pred, gt if key == "lpips" else None, ScoreContext(), row["clip_id"])
        assert row["values"][key] == pytest.approx(direct.value, rel=1e-6), key

    # `vfebench score` on the stored restored clips gives the run's numbers, set-level FVD included
    pred_dir, gt_dir = tmp_path / "pred", tmp_path / "gt"
    for c in rec["clips"]:
        if c["method"] == "bicubic":
            (pred_dir / c["clip_id"]).parent.mkdir(exist_ok=True)
            os.symlink(c["restored_path"], pred_dir / c["clip_id"])
            (gt_dir / c["clip_id"]).parent.mkdir(exist_ok=True)
            os.symlink(build_source(DATASET).clip_path(c["clip_id"]), gt_dir / c["clip_id"])
    specs = f"lpips,{FVD_SET},facecons"
    rc, out, err = _run_cli(capsys, "score", str(pred_dir), str(gt_dir), "--metrics", specs, "--json")
    assert rc == 0, err
    doc = json.loads(out)["metrics"]
    agg = rec["methods"]["bicubic"]["aggregates"]
    for key in ("lpips", FVD_SET, "facecons"):
        assert doc[key]["mean"] == pytest.approx(agg[key], rel=1e-6), key
        assert doc[key]["identity"]["assets"] == rec["metrics"][key]["assets"]
    assert doc[FVD_SET]["set_extras"]["n_samples"] == 2 and doc[FVD_SET]["level"] == "set"

    # reports: every Table-1 column filled for both methods
    rc, md, _ = _run_cli(capsys, "report", str(run_dir), "--format", "md", "--ci")
    assert rc == 0
    heads, rows = _md_rows(md, "Table 1")
    cols = [h.rstrip("↑↓ ").replace(" [recon]", "") for h in heads]
    for h in TABLE1:
        assert h in cols, (h, heads)
    for lb in METHODS:
        assert "–" not in rows[lb], (lb, heads, rows[lb])
    assert "FVD (dataset, window=10)" in cols  # the set-level FVD is reported beside the per-video one
    assert "FVD (dataset, window=10) is one set-level value per method over 2 pooled samples" in md
    ci = md.split("confidence intervals", 1)[1]
    assert "| identity | FVD | 2 |" in ci and "dataset" not in ci  # no per-clip CI of a set-level value
    html_file = tmp_path / "report.html"
    rc, _, _ = _run_cli(capsys, "report", str(run_dir), "--format", "html", "--out", str(html_file))
    assert rc == 0
    html = html_file.read_text()
    t1 = html.split('id="table1"', 1)[1].split("</table>", 1)[0]
    assert "<td>–</td>" not in t1 and all(h in t1 for h in ("IDS", "FaceCons", "FasterVQA", "FVD"))

    # the gate of the run against itself passes
    rc, out, _ = _run_cli(capsys, "gate", "--baseline", str(run_dir), "--candidate", str(run_dir))
    assert rc == 0 and "PASS" in out

    # a re-run reuses everything: no restore, no score, same record values
    run2 = tmp_path / "run2"
    rc, _, err = _run_cli(capsys, *_run_args(metrics, run2, cache))
    assert rc == 0, err
    rec2 = json.loads((run2 / "run.json").read_text())
    assert rec2["cache"]["restored_computed"] == 0 and rec2["cache"]["scores_computed"] == 0
    n_clip_scores = len(METHODS) * 2 * (len(metrics) - 1) + len(METHODS)  # + one set score per method
    assert rec2["cache"]["scores_cached"] == n_clip_scores
    assert rec2["cache"]["restored_cached"] == len(METHODS) * 2
    for lb in METHODS:
        assert rec2["methods"][lb]["aggregates"] == rec["methods"][lb]["aggregates"]
        assert rec2["methods"][lb]["set_results"] == rec["methods"][lb]["set_results"]
    rc, out, _ = _run_cli(capsys, "gate", "--baseline", str(run_dir), "--candidate", str(run2))
    assert rc == 0 and "PASS" in out


@pytest.mark.slow
def test_full_size_and_alternative_backends_end_to_end(weights_dir, tmp_path, monkeypatch, capsys):
    pytest.importorskip("face_alignment")
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    torch.set_num_threads(2)
    metrics = ["psnr", "lpips", "ids", "akd", *SLOW]
    bring, pins = _bring(weights_dir, tmp_path, metrics, monkeypatch)
    rc, out, _ = _run_cli(capsys, "assets", "import", str(bring))
    assert rc == 0 and all(f"{n}: imported" in out for n in pins)

    run_dir, cache = tmp_path / "run", tmp_path / "cache"
    rc, _, err = _run_cli(capsys, *_run_args(metrics, run_dir, cache))
    assert rc == 0, err
    rec = json.loads((run_dir / "run.json").read_text())
    _check_record(rec, metrics, pins)
    assert rec["metrics"]["ids:backend=insightface"]["options"] == {"backend": "insightface"}
    assert rec["metrics"]["akd:backend=fan68"]["options"] == {"backend": "fan68"}
    # the two backends of a metric are separate columns with their own values
    for lb in METHODS:
        agg = rec["methods"][lb]["aggregates"]
        assert agg["akd:backend=fan68"] != agg["akd"] and agg["ids:backend=insightface"] != agg["ids"]

    rc, md, _ = _run_cli(capsys, "report", str(run_dir), "--format", "md")
    assert rc == 0
    heads, rows = _md_rows(md, "Table 1")
    cols = [h.rstrip("↑↓ ") for h in heads]
    for h in (
        "PSNR",
        "LPIPS",
        "IDS",
        "AKD*",
        "LPIPS-VGG",
        "MUSIQ",
        "IDS (backend=insightface)",
        "AKD* (backend=fan68)",
    ):
        assert h in cols, (h, heads)
    for lb in METHODS:
        filled = [c for h, c in zip(cols, rows[lb]) if h not in ("SSIM", "FaceCons", "FasterVQA", "FVD")]
        assert len(filled) == len(metrics) and "–" not in filled, (lb, heads, rows[lb])

    rc, out, _ = _run_cli(capsys, "gate", "--baseline", str(run_dir), "--candidate", str(run_dir))
    assert rc == 0 and "PASS" in out
    rc, _, err = _run_cli(capsys, *_run_args(metrics, tmp_path / "run2", cache))
    rec2 = json.loads((tmp_path / "run2" / "run.json").read_text())
    assert rc == 0 and rec2["cache"]["restored_computed"] == 0 and rec2["cache"]["scores_computed"] == 0


def test_metric_specs_with_options():
    """``--metrics`` keeps ``key=value`` options with their metric (the method spec syntax)."""
    from vfebench.errors import InputError
    from vfebench.metrics import build_metric, parse_metric_spec, split_metric_specs
    from vfebench.runner import parse_metric_specs

    text = "psnr,ids:backend=insightface,fvd:dataset:window=10,eps=1e-5,lpips:bfvr,akd:backend=fan68"
    want = [
        "psnr",
        "ids:backend=insightface",
        "fvd:dataset:window=10,eps=1e-5",
        "lpips:bfvr",
        "akd:backend=fan68",
    ]
    assert split_metric_specs(text) == want
    assert [s.text for s in parse_metric_specs([text, "psnr"])] == want  # parsed once, as Specs
    assert parse_metric_spec("fvd:dataset:window=10,eps=1e-5") == (
        "fvd",
        "dataset",
        {"window": 10, "eps": 1e-5},
    )
    assert parse_metric_spec("ids:backend=insightface") == ("ids", "", {"backend": "insightface"})
    assert parse_metric_spec("fastervqa:weights=/a:b/c.pth") == ("fastervqa", "", {"weights": "/a:b/c.pth"})
    m = build_metric("fvd:dataset:window=12")
    assert (m.mode, m.window, m.level) == ("dataset", 12, "set")
    assert build_metric("ids:backend=insightface").required_assets() == ("insightface_w600k_r50",)
    assert build_metric("akd:backend=fan68", backend="mediapipe").backend == "mediapipe"  # keywords win
    with pytest.raises(InputError, match="key=value"):
        parse_metric_spec("fvd:dataset:window")
    with pytest.raises(InputError, match="backend"):
        build_metric("ids:backend=dlib")
