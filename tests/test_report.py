"""Reports: golden Markdown/LaTeX tables, ranking, stats vs SciPy, HTML renders with its plots."""

from __future__ import annotations

import base64
import io
import os
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from vfebench.report import stats, tables
from vfebench.results import SCHEMA, SCHEMA_VERSION

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("VFEBENCH_UPDATE_GOLDEN") == "1"


def _metric(name, display, hib, prec, scale=1.0, mode="clean", recon=False):
    return {"name": name, "version": "1", "mode": mode, "options": {}, "assets": {}, "display": display,
            "higher_is_better": hib, "needs_reference": True, "level": "frame", "scale": scale,
            "precision": prec, "recon": recon}  # fmt: skip


def fake_record() -> dict:
    """A fixed record: 3 methods × 3 clips, raw values chosen by hand."""
    metrics = {
        "psnr": _metric("psnr", "PSNR", True, 2),
        "ssim": _metric("ssim", "SSIM", True, 4),
        "akd": _metric("akd", "AKD*", False, 4, scale=1000.0),
        "niqe": _metric("niqe", "NIQE", False, 4),
    }
    vals = {  # per clip raw values: psnr, ssim, akd, niqe
        "bicubic": [(25.0, 0.75, 0.0050, 9.0), (26.0, 0.77, 0.0052, 9.2), (27.0, 0.79, 0.0054, 9.4)],
        "lanczos": [(25.1, 0.75, 0.0049, 9.1), (26.1, 0.77, 0.0051, 9.3), (27.1, 0.79, 0.0053, 9.5)],
        "identity": [(24.0, 0.70, 0.0060, 8.0), (24.5, 0.71, None, 8.2), (25.0, 0.72, 0.0062, 8.4)],
    }
    clips, methods = [], {}
    for m, rows in vals.items():
        for i, v in enumerate(rows):
            clips.append({"method": m, "clip_id": f"clip{i}", "status": "ok", "n_frames": 8, "height": 64,
                          "width": 64, "seconds": 0.1 * (i + 1), "fps": 80.0 / (i + 1), "peak_mem_mb": 100.0,
                          "values": dict(zip(metrics, v)), "details": {}})  # fmt: skip
        agg = {}
        for j, k in enumerate(metrics):
            xs = [r[j] for r in rows if r[j] is not None]
            agg[k] = float(np.mean(xs))
        methods[m] = {"name": m, "fingerprint_hash": m[:4], "steps": 0 if m != "lanczos" else 1,
                      "timing": {"seconds_mean": {"bicubic": 0.2, "lanczos": 0.5, "identity": 0.05}[m]},
                      "aggregates": agg}  # fmt: skip
    return {
        "schema": SCHEMA, "schema_version": SCHEMA_VERSION, "run_id": "0123456789abcdef", "status": "complete",
        "config": {"seed": 0, "max_frames": 8, "preset": "vfhq-x4"},
        "dataset": {"spec": "demo", "has_gt": True, "n_clips": 3, "clip_ids": ["clip0", "clip1", "clip2"],
                    "manifest_hash": "ab" * 32},
        "degradation": {"preset": "vfhq-x4", "version": "1", "seed": 0},
        "environment": {"device": "cpu", "device_name": "test-cpu"},
        "metrics": metrics, "methods": methods, "clips": clips, "failures": [],
    }  # fmt: skip


def check_golden(name: str, text: str) -> None:
    f = GOLDEN / name
    if UPDATE:
        f.parent.mkdir(exist_ok=True)
        f.write_text(text)
    assert f.is_file(), f"golden file {f} missing (run with VFEBENCH_UPDATE_GOLDEN=1 once)"
    assert text == f.read_text()


@pytest.mark.parametrize("fmt", ["md", "tex"])
@pytest.mark.parametrize("layout,reference", [("table1", False), ("table1", True), ("table3", True)])
def test_golden_tables(fmt, layout, reference):
    t = tables.build_table(layout, [fake_record()], reference=reference)
    check_golden(f"{layout}{'_ref' if reference else ''}.{fmt}", tables.render(t, fmt))


def test_ranking_and_precision():
    t = tables.build_table("table1", [fake_record()])
    md = tables.render_md(t)
    # PSNR 2 decimals: lanczos 26.10 best, bicubic 26.00 second; SSIM ties bicubic/lanczos 0.7700 → both bold
    assert "| lanczos | **26.10** | **0.7700** |" in md
    assert "| bicubic | <u>26.00</u> | **0.7700** |" in md
    # AKD* ×1000 with 4 decimals, lower is better; identity's clip without value is skipped in the mean
    assert "<u>5.2000</u>" in md and "**5.1000**" in md and "6.1000" in md
    # NIQE is not a Table-1 column → "Other" group; FVD was not measured → dash
    assert "Other" in md and "NIQE↓" in md and "–" in md
    assert [c.key for c in t.cols][:8] == [
        "psnr",
        "ssim",
        "lpips",
        "ids",
        "akd",
        "facecons",
        "fastervqa",
        "fvd",
    ]


def test_reference_tables_match_the_paper():
    rows = {r.label: r.values for r in tables.load_reference(["table1.csv", "table7.csv"])}
    assert rows["VividFace"] == {"psnr": 30.03, "ssim": 0.8534, "lpips": 0.1112, "ids": 0.9128, "akd": 3.5319,
                                 "facecons": 0.8111, "fastervqa": 0.8855, "fvd": 79.14}  # fmt: skip
    assert rows["DifFace"]["fvd"] == 904.14 and len(rows) == 14
    t2 = {r.label: r.values for r in tables.load_reference(["table2.csv"])}
    assert t2["VividFace"]["tlme"] == 6.0064 and t2["BasicVSR++"]["musiq"] == 30.8569
    t3 = {r.label: r.values for r in tables.load_reference(["table3.csv"])}
    assert t3["SVFR"] == {"steps": 30, "seconds": 94.60, "lpips": 0.157, "ids": 0.864}


def test_bootstrap_matches_scipy():
    from scipy.stats import bootstrap

    x = np.random.default_rng(3).normal(5, 2, 40)
    mean, lo, hi = stats.bootstrap_ci(x, n_boot=20000, seed=1)
    ref = bootstrap((x,), np.mean, method="percentile", n_resamples=20000, random_state=0).confidence_interval
    assert mean == pytest.approx(x.mean())
    assert lo == pytest.approx(ref.low, abs=0.05) and hi == pytest.approx(ref.high, abs=0.05)
    assert stats.bootstrap_ci([1.0, None, float("nan")]) == (1.0, 1.0, 1.0)


def test_paired_test_matches_scipy_permutation_and_wilcoxon():
    from scipy.stats import permutation_test, wilcoxon

    rng = np.random.default_rng(2)
    a = rng.normal(1.0, 1.0, 12)
    b = a - rng.normal(0.4, 0.5, 12)
    ref = permutation_test((a - b,), np.mean, permutation_type="samples", n_resamples=np.inf).pvalue
    got = stats.paired_test(dict(enumerate(a)), dict(enumerate(b)), higher_is_better=True)
    assert got["p_perm"] == pytest.approx(ref, rel=1e-12)
    assert got["p_wilcoxon"] == pytest.approx(wilcoxon(a, b).pvalue)
    assert got["n"] == 12 and got["better"] == "a" and got["ci_low"] < got["diff"] < got["ci_high"]
    # hand value: 3 positive differences → exact two-sided sign-flip p = 2/8
    assert stats.sign_flip_pvalue([1.0, 2.0, 3.0]) == pytest.approx(0.25)


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.imgs, self.ids, self.tables = [], set(), 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "table":
            self.tables += 1
        if tag == "img":
            self.imgs.append(a)


def test_html_report_renders_with_plots(tmp_path):
    import _runner_plugin  # noqa: F401
    from PIL import Image
    from test_runner import make_folder

    from vfebench.cli import main as cli
    from vfebench.runner import RunConfig, run

    data = make_folder(tmp_path / "gt", n=3, t=4)
    o = run(RunConfig(methods=["identity", "bicubic", "lanczos"], dataset=f"folder:{data}", metrics=["psnr", "t_mae"],
                      out=str(tmp_path / "run"), progress=False), log=lambda s: None)  # fmt: skip
    out = tmp_path / "r.html"
    rc = cli(["report", str(o.out), "--format", "html", "--out", str(out), "--reference",
              "--compare", "bicubic", "identity", "--profile-clip", "c1"])  # fmt: skip
    assert rc == 0
    p = _Collect()
    p.feed(out.read_text())
    assert {"table1", "table3", "fig-quality-time", "fig-distributions"} <= p.ids
    assert p.tables >= 4  # table1, table3, CIs, paired
    assert len(p.imgs) == 3  # quality-vs-time, distributions, one temporal profile
    for img in p.imgs:
        src = img["src"]
        assert src.startswith("data:image/png;base64,")
        im = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
        im.load()
        assert im.size[0] > 100 and im.size[1] > 100
    html = out.read_text()
    assert "temporal profile c1" in html and "VividFace" in html and "p (sign-flip)" in html


def test_temporal_profile_strip_is_the_row_over_time():
    from vfebench.report.plots import profile_image

    f = np.random.default_rng(0).integers(0, 256, (5, 16, 8, 3), dtype=np.uint8)
    s = profile_image(f, 7)
    assert s.shape == (5, 8, 3) and np.array_equal(s[3], f[3, 7])
    assert profile_image(f, 7, width=16).shape == (5, 16, 3)


def test_md_and_tex_cli(tmp_path):
    import json

    from vfebench.cli import main as cli

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "run.json").write_text(json.dumps(fake_record()))
    out = tmp_path / "t.tex"
    assert (
        cli(["report", str(run_dir), "--format", "tex", "--table", "table1", "--ci", "--out", str(out)]) == 0
    )
    text = out.read_text()
    assert "\\multicolumn{3}{c}{Quality and Fidelity}" in text and "95" in text
    assert cli(["report", str(tmp_path / "nope")]) == 2
