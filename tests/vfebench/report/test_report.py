"""Reports: golden Markdown/LaTeX tables, ranking, stats vs SciPy, HTML renders with its plots."""

from __future__ import annotations

import base64
import io
import os
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from helpers import DATA

from vfebench.report import stats, tables
from vfebench.results import SCHEMA, SCHEMA_VERSION

GOLDEN = DATA / "golden"
UPDATE = os.environ.get("VFEBENCH_UPDATE_GOLDEN") == "1"


def _metric(name, display, hib, prec, scale=1.0, mode="clean", recon=False):
    return {"name": name, "version": "1", "mode": mode, "options": {}, "assets": {}, "display": display,
            "higher_is_better": hib, "needs_reference": True, "level": "frame", "scale": scale,
            "precision": prec, "recon": recon}  # fmt: skip


def fake_record(dataset: str = "demo", spec: str | None = None, n_clips: int = 3, version: str = "1") -> dict:
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
    return _record(metrics, vals, dataset, spec or dataset, True, n_clips,
                   {"kind": "synthetic", "preset": "vfhq-x4", "version": version, "seed": 0, "max_frames": 8})  # fmt: skip


def fake_real_lq_record() -> dict:
    """A real-LQ run (``rfv``, no GT): no-reference metrics only, 3 methods × 3 clips."""
    metrics = {"niqe": _metric("niqe", "NIQE", False, 4), "musiq": _metric("musiq", "MUSIQ", True, 4)}
    vals = {
        "bicubic": [(7.0, 40.0), (7.2, 42.0), (7.4, 44.0)],
        "lanczos": [(6.9, 41.0), (7.1, 43.0), (7.3, 45.0)],
        "identity": [(5.0, 30.0), (5.2, 31.0), (5.4, 32.0)],
    }
    return _record(metrics, vals, "rfv", "rfv:runs/real-lq-clips", False, 3,
                   {"kind": "real", "source": "rfv", "max_frames": 8}, run_id="fedcba9876543210")  # fmt: skip


def _record(metrics, vals, dataset, spec, has_gt, n_clips, lq, run_id="0123456789abcdef") -> dict:
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
        methods[m] = {"name": m, "fingerprint_hash": m[:4], "steps": 0 if m != "lanczos" else 1, "n_clips": 3,
                      "timing": {"seconds_mean": {"bicubic": 0.2, "lanczos": 0.5, "identity": 0.05}[m]},
                      "aggregates": agg}  # fmt: skip
    synthetic = lq["kind"] == "synthetic"
    return {
        "schema": SCHEMA, "schema_version": SCHEMA_VERSION, "run_id": run_id, "status": "complete",
        "config": {"seed": 0, "max_frames": 8, "preset": "vfhq-x4"},
        "dataset": {"spec": spec, "name": dataset, "has_gt": has_gt, "n_clips": n_clips,
                    "clip_ids": ["clip0", "clip1", "clip2"], "manifest_hash": ("ab" if has_gt else "cd") * 32},
        "lq": {"kind": lq["kind"], "identity": lq},
        "degradation": {"preset": lq["preset"], "version": lq["version"], "seed": 0} if synthetic else None,
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
    """Published rows on a (3-clip, pre-fix) vfhq run, with the paper's columns."""
    rec = fake_record("vfhq", "vfhq:/data/VFHQ-test") if reference else fake_record()
    t = tables.build_table(layout, [rec], reference=reference, columns="paper" if reference else "measured")
    check_golden(f"{layout}{'_ref' if reference else ''}.{fmt}", tables.render(t, fmt))


def test_ranking_and_precision():
    t = tables.build_table("table1", [fake_record()], columns="paper")
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


def test_paper_columns_gain_a_placed_metric_only_once_measured():
    """tLP is placed in Table 1 (its ``paper`` line) but is not a column of the published table:
    the paper layout shows it only when a run measured it."""
    rec = fake_record()
    assert "tlp" not in [c.key for c in tables.build_table("table1", [rec], columns="paper").cols]
    rec["metrics"]["tlp"] = _metric("tlp", "tLP×100", False, 3, scale=100.0)
    rec["metrics"]["tlp"]["paper"] = [{"table": "table1", "group": "Temporal Consistency", "order": 3}]
    for m in rec["methods"].values():
        m["aggregates"]["tlp"] = 0.01
    for c in rec["clips"]:
        c["values"]["tlp"] = 0.01
    keys = [c.key for c in tables.build_table("table1", [rec], columns="paper").cols]
    assert keys.index("tlp") == keys.index("fvd") + 1  # Temporal Consistency, after FaceCons/FasterVQA/FVD


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


class _Media(_Collect):
    def __init__(self):
        super().__init__()
        self.videos, self.sections = [], []

    def handle_starttag(self, tag, attrs):
        super().handle_starttag(tag, attrs)
        a = dict(attrs)
        if tag == "source":
            self.videos.append(a)
        if tag == "section":
            self.sections.append(a.get("id"))


@pytest.fixture(scope="module")
def small_run(tmp_path_factory, runner_plugin):
    from helpers.runs import make_folder

    from vfebench.runner import RunConfig, run

    tmp = tmp_path_factory.mktemp("html")
    data = make_folder(tmp / "gt", n=3, t=4)
    o = run(RunConfig(methods=["identity", "bicubic", "lanczos"], dataset=f"folder:{data}", metrics=["psnr", "t_mae"],
                      out=str(tmp / "run"), cache=str(tmp / "cache"), progress=False), log=lambda s: None)  # fmt: skip
    return o


def test_html_report_renders_with_plots_grid_and_videos(small_run, tmp_path):
    import av
    from PIL import Image

    from vfebench.cli import main as cli
    from vfebench.report.plots import load_sources
    from vfebench.report.qualitative import VIDEO_LABEL, side_by_side

    o = small_run
    out = tmp_path / "r.html"
    rc = cli(["report", str(o.out), "--format", "html", "--out", str(out), "--reference",
              "--compare", "bicubic", "identity", "--profile-clip", "c1", "--show", "c0@2"])  # fmt: skip
    assert rc == 0
    page = out.read_text()
    p = _Media()
    p.feed(page)
    assert {"table1", "table3", "fig-quality-time", "fig-distributions"} <= p.ids
    assert p.tables >= 4  # table1, table3, CIs, paired
    # 3 plots + grid of GT, LQ, 3 methods × (frame, eyes, mouth) for the one shown clip
    assert len(p.imgs) == 3 + 5 * 3
    for img in p.imgs:  # every image is a file beside the page, loaded lazily, and decodes
        assert img.get("loading") == "lazy" and img["src"].startswith("r_files/")
        im = Image.open(out.parent / img["src"])
        im.load()
        assert min(im.size) > 10
    assert "temporal profile c1" in page and "p (sign-flip)" in page and "c0 — frame 2 of 4" in page
    assert "fixed boxes (no stored landmarks" in page  # psnr/t_mae computed no face landmarks
    assert "VividFace" not in page  # folder run: no published VFHQ-test rows, and a note says why
    assert "Published rows left out" in page
    # the video: one <source>, the file exists, decodes to every frame of the side-by-side panels
    assert len(p.videos) == 1 and VIDEO_LABEL in page
    vid = out.parent / p.videos[0]["src"]
    assert vid.is_file() and p.videos[0]["type"] == "video/mp4"
    with av.open(str(vid)) as c:
        st = c.streams.video[0]
        assert st.codec_context.name == "h264" and st.codec_context.pix_fmt == "yuv420p"
        frames = np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)])
    expect = side_by_side(load_sources(o.record, "c0"))
    assert frames.shape == expect.shape == (4, 256, 5 * 256, 3)
    mse = np.mean((frames.astype(float) - expect.astype(float)) ** 2)
    assert 10 * np.log10(255**2 / mse) > 30  # near-lossless (4:2:0 chroma): the right content
    # a second report reuses the encoded video (encoded once)
    mtime = vid.stat().st_mtime_ns
    assert cli(["report", str(o.out), "--format", "html", "--out", str(out), "--show", "c0@2"]) == 0
    assert vid.stat().st_mtime_ns == mtime


def test_html_single_file_embeds_thumbnails_only(small_run, tmp_path):
    from PIL import Image

    from vfebench.cli import main as cli

    out = tmp_path / "one.html"
    assert cli(["report", str(small_run.out), "--format", "html", "--out", str(out), "--single-file"]) == 0
    assert not (tmp_path / "one_files").exists() or not any((tmp_path / "one_files").iterdir())
    p = _Media()
    p.feed(out.read_text())
    assert not p.videos and "Videos are left out" in out.read_text()
    grid = [i for i in p.imgs if i["src"].startswith("data:image/jpeg")]
    assert len(grid) == 2 * 5 * 3  # default: the two clips where methods differ most, 5 sources
    for img in grid:  # thumbnails, not full frames
        im = Image.open(io.BytesIO(base64.b64decode(img["src"].split(",", 1)[1])))
        assert im.size[0] <= 160
    assert all(i["src"].startswith("data:") for i in p.imgs)


def test_pick_clips_where_methods_differ_most():
    from vfebench.report.qualitative import parse_show, pick_clips

    rec = fake_record()
    # PSNR max − min over methods, by hand: clip0 25.1 − 24.0 = 1.1, clip1 1.6, clip2 2.1
    assert pick_clips([rec], "psnr", 2) == ["clip2", "clip1"]
    assert parse_show(["a@3", "b", "x@y"]) == [("a", 3), ("b", None), ("x@y", None)]


def test_temporal_profile_strip_is_the_row_over_time():
    from vfebench.report.plots import profile_image

    f = np.random.default_rng(0).integers(0, 256, (5, 16, 8, 3), dtype=np.uint8)
    s = profile_image(f, 7)
    assert s.shape == (5, 8, 3) and np.array_equal(s[3], f[3, 7])
    assert profile_image(f, 7, width=16).shape == (5, 16, 3)


def test_temporal_profile_same_row_for_a_4x_larger_output():
    """GT 64×48 with a marked row at 50 %; a 4× (nearest) larger output and a 4× smaller LQ: every
    panel shows the same image row, resampled to the GT width; the thumbnail marks that row."""
    from PIL import Image

    from vfebench.report.plots import marked_thumbnail, profile_strips, row_of, temporal_profile

    t, h, w = 6, 64, 48
    yy, xx = np.mgrid[0:h, 0:w]
    gt = np.stack([np.stack([yy * 3, xx * 5, np.full_like(yy, k * 40)], -1) for k in range(t)]).astype(
        np.uint8
    )
    row = row_of(h, 0.5)
    assert row == 32
    gt[:, row, :, :] = (255, 0, 0)  # the marked row
    gt[:, row, ::2, 1] = 255  # with a pattern along x, so a wrong resampling shows too
    big = gt.repeat(4, axis=1).repeat(4, axis=2)  # 256×192: its row 128 is the GT's row 32
    lq = gt[:, ::4, ::4]  # 16×12: its row 8 is the GT's row 32
    strips = dict(profile_strips([("GT", gt), ("big", big), ("LQ", lq)], 0.5))
    assert strips["GT"].shape == strips["big"].shape == (t, w, 3)
    assert np.array_equal(strips["big"], gt[:, row]) and np.array_equal(strips["GT"], gt[:, row])
    assert np.array_equal(strips["LQ"], gt[:, row, :, :][:, (np.arange(w) // 4) * 4])
    # the old rule (the output's row index in every panel) would have shown GT row 128 → out of range,
    # and row 32 of the big output is GT row 8: not the marked row
    assert not np.array_equal(big[:, 32], big[:, 128])
    th = marked_thumbnail(gt[0], 0.5, size=96)
    r = row_of(th.shape[0], 0.5)
    assert th.shape[:2] == (128, 96) and np.all(th[r] == (255, 0, 0))
    png = temporal_profile(list(strips.items()), "c", 0.5, th)
    im = Image.open(io.BytesIO(png))
    im.load()
    assert im.size[0] > 200


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
    assert "\\multicolumn{2}{c}{Quality and Fidelity}" in text and "95" in text
    assert cli(["report", str(tmp_path / "nope")]) == 2


def _write_run(root: Path, rec: dict) -> Path:
    import json

    root.mkdir(parents=True)
    (root / "run.json").write_text(json.dumps(rec))
    return root


@pytest.mark.parametrize("fmt", ["md", "tex"])
def test_report_groups_a_folder_run_and_a_real_lq_run(tmp_path, capsys, fmt):
    """Two runs on different inputs: two tables per layout, own captions, own rankings (golden)."""
    from vfebench.cli import main as cli

    a = _write_run(tmp_path / "vfhq-like", fake_record("folder", "folder:runs/vfhq-like"))
    b = _write_run(tmp_path / "real-lq", fake_real_lq_record())
    capsys.readouterr()
    assert cli(["report", str(a), str(b), "--format", fmt, "--reference"]) == 0
    text = capsys.readouterr().out
    check_golden(f"report_groups.{fmt}", text)
    if fmt == "md":
        heads = [ln for ln in text.splitlines() if ln.startswith("**Table")]
        assert heads == [
            "**Table 1.** Quantitative comparison with reference — folder:runs/vfhq-like, 3 clips (first 8 frames), "
            "preset vfhq-x4 v1 (pre-fix), seed 0",
            "**Table 2.** Comparison without reference — rfv:runs/real-lq-clips, 3 clips (first 8 frames), real LQ",
            "**Table 3a.** Efficiency: sampling steps and wall-clock seconds per clip — folder:runs/vfhq-like, "
            "3 clips (first 8 frames), preset vfhq-x4 v1 (pre-fix), seed 0",
            "**Table 3b.** Efficiency: sampling steps and wall-clock seconds per clip — rfv:runs/real-lq-clips, "
            "3 clips (first 8 frames), real LQ",
        ]
        t1, t2 = text.split("**Table 2.**")[0], text.split("**Table 2.**")[1].split("**Table 3a.**")[0]
        # rankings within a table: identity's NIQE 8.2 is best in Table 1 although the real-LQ run has
        # 5.2; in Table 2 the published rows take the marks (RealBasicVSR 5.0402 best)
        assert "| identity | 24.50 | <u>0.7100</u> | 6.1000 (2/3) | **8.2000** |" in t1
        assert "| identity | 5.2000 | 31.0000 |" in t2 and "| RealBasicVSR † | **5.0402** |" in t2
        # no published VFHQ-test rows beside a folder run, no RFV-LQ rows beyond the rfv run; a visible note
        assert "VividFace" not in t1 and "Published rows left out" in t1
        assert "VividFace †" in t2 and "cannot verify" in t2
        assert text.count("Time: mean wall-clock") == 2  # once per Table 3, not twice in one
        assert "real LQ" in t2 and "preset" not in t2.split("\n")[0]


def test_columns_rule_is_the_same_for_run_and_report(tmp_path, capsys):
    """`run`'s terminal table, `report --format md` and html use one column rule and default."""
    from vfebench.cli import main as cli

    rec = fake_record()
    a = _write_run(tmp_path / "r", rec)
    summary = tables.render_run_summary([rec])
    capsys.readouterr()
    assert cli(["report", str(a)]) == 0
    assert capsys.readouterr().out == summary  # same default, same tables
    assert "LPIPS" not in summary and "FVD" not in summary  # measured: unmeasured columns hidden
    assert cli(["report", str(a), "--columns", "paper"]) == 0
    paper = capsys.readouterr().out
    assert "LPIPS↓" in paper and "FVD↓" in paper and "| – |" not in paper.split("Other")[0][:10]
    assert tables.render_run_summary([rec], columns="paper") == paper
    page = tables.render_html(tables.build_tables([rec])[0])
    assert "LPIPS" not in page and "PSNR" in page


def test_infinite_psnr_and_preset_labels():
    rec = fake_record(version="2")
    rec["methods"]["identity"]["aggregates"]["psnr"] = float("inf")
    rec["methods"]["bicubic"]["aggregates"]["psnr"] = "Infinity"  # a string marker reads the same
    t = tables.build_table("table1", [rec])
    md = tables.render_md(t)
    assert "| identity | **∞ (identical)** |" in md and "| bicubic | **∞ (identical)** |" in md
    assert "| lanczos | <u>26.10</u> |" in md
    assert "preset vfhq-x4 v2, seed 0" in t.caption and "pre-fix" not in t.caption
    assert "$\\infty$ (identical)" in tables.render_tex(t)
    assert "pre-fix" in tables.build_table("table1", [fake_record(version="1")]).caption
    # every clip identical: the recorded mean (finite values only) is null, the table shows ∞
    rec = fake_record()
    for c in rec["clips"]:
        if c["method"] == "identity":
            c["values"]["psnr"] = float("inf")
    rec["methods"]["identity"]["aggregates"]["psnr"] = None
    assert "| identity | **∞ (identical)** |" in tables.render_md(tables.build_table("table1", [rec]))


def test_partial_coverage_in_md_and_tex():
    rec = fake_record()
    row = next(c for c in rec["clips"] if c["method"] == "lanczos" and c["clip_id"] == "clip2")
    row["status"], row["values"] = "failed", {k: None for k in row["values"]}
    rec["methods"]["lanczos"]["aggregates"]["psnr"] = 25.6
    t = tables.build_table("table1", [rec])
    md = tables.render_md(t)
    assert "| lanczos | 25.60 (2/3) |" in md  # not ranked: bicubic is best now
    assert "| bicubic | **26.00** |" in md
    tex = tables.render_tex(t)
    assert "25.60\\textsuperscript{a}" in tex and "\\textsuperscript{a} over 2 of 3 clips" in tex


def test_paired_better_only_at_alpha():
    from vfebench.report.html import _verdict

    r = {"a": "A", "b": "B", "better": "a", "p_perm": 0.14}
    assert _verdict(r, 0.05) == "no significant difference (p = 0.14 ≥ 0.05)"
    assert _verdict({**r, "p_perm": 0.01}, 0.05) == "A (p = 0.01 < 0.05)"
    assert _verdict({**r, "p_perm": 0.14}, 0.2) == "A (p = 0.14 < 0.2)"


def _chromium() -> str | None:
    import shutil

    return next(
        (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None
    )


@pytest.mark.skipif(_chromium() is None, reason="no headless Chromium (apt-get install chromium)")
def test_report_videos_play_in_headless_chromium(small_run, tmp_path):
    """The browser itself loads every <video> source of the report: duration and size as encoded."""
    import re
    import subprocess

    from vfebench.cli import main as cli

    out = tmp_path / "r.html"
    assert cli(["report", str(small_run.out), "--format", "html", "--out", str(out)]) == 0
    srcs = re.findall(r'<source src="([^"]+)" type="video/mp4">', out.read_text())
    assert len(srcs) == 2
    probe = tmp_path / "probe.html"
    vids = "".join(f'<video muted preload="auto" src="{s}"></video>' for s in srcs)
    probe.write_text(
        f'<html><body><pre id="o"></pre>{vids}<script>'
        "const o=document.getElementById('o');"
        "document.querySelectorAll('video').forEach(v=>{"
        "v.addEventListener('loadeddata',()=>{o.textContent+=`ok ${v.duration.toFixed(2)} ${v.videoWidth}x${v.videoHeight};`});"
        "v.addEventListener('error',()=>{o.textContent+='error;'});});"
        "</script></body></html>"
    )
    dom = subprocess.run(
        [_chromium(), "--headless=new", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000",
         "--dump-dom", probe.as_uri()],
        capture_output=True, text=True, timeout=120,
    ).stdout  # fmt: skip
    got = re.search(r'<pre id="o">([^<]*)</pre>', dom).group(1)
    # 4 frames at 25 fps; GT, LQ and three methods at 256 px high
    assert got.count("ok 0.16 1280x256;") == 2, got


def test_compare_resolves_labels_within_a_group():
    from vfebench.errors import InputError
    from vfebench.report.html import paired_results

    recs = [fake_record("folder", "folder:runs/vfhq-like"), fake_real_lq_record()]
    recs[1]["methods"] = {k: v for k, v in recs[1]["methods"].items() if k != "lanczos"}
    # "bicubic" is in both runs (labels "bicubic (012345)" / "bicubic (fedcba)" across runs), but only
    # one group has both bicubic and lanczos: the table labels are enough
    res = paired_results(recs, "bicubic", "lanczos", n_boot=200)
    assert {r["metric"] for r in res} == {"PSNR", "SSIM", "AKD*", "NIQE"}
    with pytest.raises(InputError, match="different inputs"):
        paired_results(recs, "lanczos", "bicubic (fedcba)", n_boot=200)
