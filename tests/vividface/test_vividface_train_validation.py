"""``vividface train`` validates with the torchmetrics face of vfebench (LPIPS, IDS, AKD) and logs it.

Stand-in weights (``tests/helpers/integration_assets.py``) are pinned for LPIPS and IDS so the real
asset route loads them. The logged values are checked against the vfebench metrics called on the
same decoded held-out windows.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("torchmetrics")
pytest.importorskip("mediapipe")
pytest.importorskip("facenet_pytorch")

from helpers import integration_assets as ia  # noqa: E402

from vfebench.errors import MissingAssetError  # noqa: E402

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]

SPECS = ["lpips", "ids", "akd"]


def _cfg(tmp_path, **kw):
    from vividface.train import load_config

    # one 9-frame window per clip (2 for training, 1 held out) keeps the face analysis short
    opts = {"num_clips": 3, "num_frames": 9, "size": 64}
    return load_config(
        "vividface/configs/tiny.json", out_dir=str(tmp_path / "run"), dataset_options=opts, **kw
    )


def _weights(weights_dir, monkeypatch, specs):
    from vfebench import assets

    files = ia.write_weights(weights_dir, ia.assets_for(specs))
    ia.register(monkeypatch, files)
    d = assets.asset_dir()
    d.mkdir(parents=True, exist_ok=True)
    for p in files.values():
        (d / p.name).symlink_to(p)


@pytest.mark.slow  # ~12–30 s on 2 cores
def test_train_validates_and_logs_lpips_ids_akd(tmp_path, weights_dir, monkeypatch):
    torch.set_num_threads(2)
    _weights(weights_dir, monkeypatch, SPECS)
    from vividface.train import train

    cfg = _cfg(
        tmp_path, max_steps=4, checkpoint_every=2, val_every=2, val_metrics=SPECS, log_with="tensorboard"
    )
    s = train(cfg, progress=False)
    assert [v["step"] for v in s["validation"]] == [2, 4]
    assert s["validation_skipped"] == {}
    for v in s["validation"]:
        assert set(v["values"]) == set(SPECS)
        assert v["values"]["lpips"] is not None and math.isfinite(v["values"]["lpips"])
    assert s["validation"][0]["values"]["lpips"] != s["validation"][1]["values"]["lpips"]  # the model moved
    logged = json.loads((tmp_path / "run" / "validation.json").read_text())
    assert logged["history"] == s["validation"]
    state = json.loads((tmp_path / "run" / "checkpoints" / "step-4" / "state.json").read_text())
    assert state["validation"] == s["validation"]
    assert list((tmp_path / "run").rglob("events.out.tfevents.*"))  # the accelerate tracker got them

    # the logged numbers are the vfebench metrics' own on the decoded held-out windows
    from safetensors.torch import load_file

    from vfebench.metrics import build_metric
    from vfebench.metrics.base import ScoreContext
    from vfebench.video import Clip
    from vividface.pipeline import InferenceConfig, OneStepPipeline
    from vividface.train import build_components

    dit, vae, emb = build_components(cfg)
    dit.load_state_dict(load_file(str(tmp_path / "run" / "checkpoints" / "step-4" / "dit.safetensors")))
    dit.eval()
    pipe = OneStepPipeline(
        dit, vae, emb, InferenceConfig(size=cfg.size, timestep=cfg.timestep, chunk_frames=0, dtype="float32")
    )
    items = [
        load_file(str(f)) for f in sorted((tmp_path / "run" / "latents" / "holdout").glob("*.safetensors"))
    ]
    assert items
    ctx = ScoreContext()
    expect = {k: [] for k in SPECS}
    with torch.no_grad():
        for i, it in enumerate(items):
            x = pipe.decode(pipe.restore_latent(it["z_lq"][None]))[0]
            pred = np.round(((x.permute(1, 2, 3, 0) + 1) / 2).clamp(0, 1).double().numpy() * 255).astype(
                np.uint8
            )
            for k in SPECS:
                m = build_metric(k)
                expect[k].append(
                    m.score_clip(Clip(f"holdout-{i}", pred), Clip(f"holdout-{i}", it["hq"].numpy()), ctx)
                )
    for k in SPECS:
        want = build_metric(k).aggregate(expect[k])
        got = s["validation"][-1]["values"][k]
        if got is None:
            assert math.isnan(want), k
        else:
            assert got == pytest.approx(want, rel=1e-6), k


def test_explicit_validation_metric_without_weights_fails_before_training(tmp_path):
    from vividface.train import train

    with pytest.raises(MissingAssetError, match="arcface_ir_se50"):
        train(_cfg(tmp_path, max_steps=2, val_metrics=["ids"]), progress=False)
    assert not (tmp_path / "run" / "latents").exists()  # nothing was computed


def test_default_validation_skips_what_cannot_run(tmp_path):
    from vividface.train import train

    s = train(_cfg(tmp_path, max_steps=2, checkpoint_every=0), progress=False)
    assert set(s["validation_skipped"]) == {"lpips", "ids"}  # no weights here; AKD needs none
    assert "vfebench assets" in s["validation_skipped"]["ids"]
    assert [v["step"] for v in s["validation"]] == [2] and set(s["validation"][0]["values"]) == {"akd"}


def test_cli_val_metrics_option(tmp_path, capsys):
    from vividface.cli import main

    base = ["train", "--config", "vividface/configs/tiny.json", "--max-steps", "1"]
    rc = main([*base, "--out-dir", str(tmp_path / "a"), "--val-metrics", "ids,akd"])
    err = capsys.readouterr().err
    assert rc == 2 and "arcface_ir_se50" in err and "Traceback" not in err
    assert main([*base, "--out-dir", str(tmp_path / "b"), "--val-metrics", "", "--quiet"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["validation"] == [] and summary["validation_skipped"] == {}
