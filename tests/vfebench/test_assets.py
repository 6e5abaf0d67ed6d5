"""Pinned weights: catalogue, fetch (file:// URLs stand in for the network), import, verify, safe loading."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from vfebench import assets
from vfebench.cli import main as cli
from vfebench.errors import AssetHashError, MissingAssetError
from vfebench.utils import sha256_file

HEX64 = re.compile(r"^[0-9a-f]{64}$")
IQA_ASSETS = ("tv_alexnet", "tv_vgg16", "lpips_alex_v01", "lpips_vgg_v01", "musiq_koniq", "clip_rn50")


@pytest.fixture
def fake_asset(tmp_path, monkeypatch):
    """A small asset whose source file lives in a local folder reachable by a file:// URL."""
    src = tmp_path / "mirror" / "weights.bin"
    src.parent.mkdir()
    src.write_bytes(b"\x00weights\x01" * 1000)
    a = assets.Asset(
        name="test_weights",
        filename="weights.bin",
        urls=(src.as_uri(),),
        sha256=sha256_file(src),
        size=src.stat().st_size,
        licence="test",
        users=("testmetric",),
    )
    monkeypatch.setitem(assets._EXTRA, a.name, a)
    monkeypatch.setattr(assets, "_CATALOG", None)
    return a, src


def test_iqa_catalogue_entries_are_pinned():
    cat = assets.catalog()
    from vfebench.metrics import METRICS

    for name in IQA_ASSETS:
        a = cat[name]
        assert HEX64.match(a.sha256), name
        assert a.urls and all(u.startswith("https://") for u in a.urls), name
        assert a.users and a.licence != "unknown" and a.notes, name
        # torchvision / pyiqa embed the sha256 prefix in the file name; OpenAI the whole hash in the URL
        prefix = re.search(r"-([0-9a-f]{8})\.pth$", a.filename)
        if prefix:
            assert a.sha256.startswith(prefix.group(1)), name
        if name == "clip_rn50":
            assert a.sha256 in a.urls[0]
    # every asset an image metric declares exists in the catalogue
    for m in ("lpips", "lpips_vgg", "musiq", "clipiqa"):
        for a in METRICS.get(m).assets:
            assert a in cat


def test_lpips_heads_pins_equal_the_lpips_wheel_files():
    lpips = pytest.importorskip("lpips")
    d = Path(lpips.__file__).parent / "weights" / "v0.1"
    assert sha256_file(d / "alex.pth") == assets.get_asset("lpips_alex_v01").sha256
    assert sha256_file(d / "vgg.pth") == assets.get_asset("lpips_vgg_v01").sha256


def test_missing_asset_message_names_file_place_and_command(fake_asset):
    a, _ = fake_asset
    with pytest.raises(MissingAssetError) as e:
        assets.asset_path(a.name)
    msg = str(e.value)
    assert "weights.bin" in msg and str(assets.asset_dir()) in msg
    assert "vfebench assets fetch test_weights" in msg and "vfebench assets import DIR" in msg


def test_fetch_verifies_then_renames(fake_asset, monkeypatch):
    a, src = fake_asset
    monkeypatch.setenv("VFEBENCH_OFFLINE", "0")
    p = assets.fetch(a.name)
    assert p == assets.asset_dir() / a.filename and p.read_bytes() == src.read_bytes()
    assert assets.asset_path(a.name) == p
    assert assets.asset_hash(a.name) == a.sha256
    assert not list(p.parent.glob(".*part*"))  # no temp file left behind


def test_fetch_bad_hash_leaves_nothing(fake_asset, monkeypatch):
    a, src = fake_asset
    monkeypatch.setenv("VFEBENCH_OFFLINE", "0")
    bad = assets.Asset(a.name, a.filename, a.urls, "0" * 64, a.size, a.licence, a.users)
    monkeypatch.setitem(assets._EXTRA, a.name, bad)
    monkeypatch.setattr(assets, "_CATALOG", None)
    with pytest.raises(MissingAssetError, match="sha256"):
        assets.fetch(a.name)
    d = assets.asset_dir()
    assert not (d / a.filename).exists()
    assert not d.exists() or not [p for p in d.iterdir() if p.is_file()]


def test_offline_mode_forbids_download(fake_asset):
    a, _ = fake_asset  # conftest sets VFEBENCH_OFFLINE=1
    with pytest.raises(MissingAssetError, match="offline"):
        assets.fetch(a.name)


def test_import_dir_verifies_hashes(fake_asset, tmp_path):
    a, src = fake_asset
    drop = tmp_path / "usb" / "nested"
    drop.mkdir(parents=True)
    (drop / a.filename).write_bytes(b"tampered")
    assert assets.import_dir(tmp_path / "usb", [a.name])[a.name].startswith("hash mismatch")
    assert not (assets.asset_dir() / a.filename).exists()
    (drop / a.filename).write_bytes(src.read_bytes())
    assert assets.import_dir(tmp_path / "usb", [a.name]) == {a.name: "imported"}
    assert assets.import_dir(tmp_path / "usb", [a.name]) == {a.name: "present"}
    assert assets.verify_all()[a.name] == "ok"


def test_corrupted_file_is_refused(fake_asset, monkeypatch):
    a, src = fake_asset
    dest = assets.asset_dir() / a.filename
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(b"not the weights")
    with pytest.raises(AssetHashError, match="vfebench assets fetch test_weights"):
        assets.asset_path(a.name)
    assert assets.verify_all()[a.name] == "mismatch"


def test_safe_loading_refuses_pickled_objects(tmp_path):
    torch = pytest.importorskip("torch")
    good = tmp_path / "good.pth"
    torch.save({"w": torch.ones(2)}, good)
    assert torch.equal(assets.load_torch_state_dict(good)["w"], torch.ones(2))
    evil = tmp_path / "evil.pth"
    torch.save({"w": torch.ones(2), "obj": _Evil()}, evil)
    with pytest.raises(AssetHashError, match="never unpickles"):
        assets.load_torch_state_dict(evil)


class _Evil:
    def __reduce__(self):
        return (print, ("unpickled an arbitrary object",))


def test_torchscript_archive_yields_state_dict(tmp_path):
    torch = pytest.importorskip("torch")
    m = torch.nn.Sequential(torch.nn.Linear(3, 2))
    p = tmp_path / "m.pt"
    torch.jit.script(m).save(str(p))
    assert assets.is_torchscript_archive(p) and not assets.is_torchscript_archive(tmp_path / "none.pt")
    sd = assets.load_torch_state_dict(p)
    assert torch.equal(sd["0.weight"], m[0].weight)


def test_safetensors_loading(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    p = tmp_path / "w.safetensors"
    save_file({"a": torch.arange(4.0)}, str(p))
    assert torch.equal(assets.load_torch_state_dict(p)["a"], torch.arange(4.0))


def test_hash_sidecar_avoids_rehash(tmp_path, monkeypatch):
    f = tmp_path / "x.bin"
    f.write_bytes(b"abc")
    h = assets.file_sha256(f)
    calls = []
    monkeypatch.setattr(assets, "sha256_file", lambda p: calls.append(p) or "never")
    assert assets.file_sha256(f) == h and not calls


# ----------------------------------------------------------------------------- CLI
def test_cli_assets_list(capsys):
    assert cli(["assets", "list"]) == 0
    out = capsys.readouterr().out
    for name in IQA_ASSETS:
        a = assets.get_asset(name)
        assert name in out and a.sha256 in out and a.urls[0] in out
    assert cli(["assets", "list", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    rows = {r["name"]: r for r in doc["assets"]}
    assert rows["musiq_koniq"]["status"] == "missing" and rows["musiq_koniq"]["size"] == 108_610_983


def test_cli_import_and_verify(fake_asset, tmp_path, capsys):
    a, src = fake_asset
    assert cli(["assets", "verify", a.name]) == 1  # named and missing
    assert cli(["assets", "import", str(src.parent), a.name]) == 0
    assert f"{a.name}: imported" in capsys.readouterr().out
    assert cli(["assets", "verify", a.name]) == 0
    assert cli(["assets", "fetch", a.name]) == 0  # present: no download needed even offline
    assert cli(["assets", "verify", "tset_weights"]) == 2  # unknown name: did-you-mean error
    assert "Did you mean 'test_weights'" in capsys.readouterr().err


def test_cli_fetch_offline_error(fake_asset, capsys):
    a, _ = fake_asset
    assert cli(["assets", "fetch", a.name]) == 2
    assert "offline" in capsys.readouterr().err


def test_metric_identity_records_weight_hashes():
    from vfebench.metrics import build_metric

    ident = build_metric("musiq").identity()
    assert ident["assets"] == {"musiq_koniq": assets.get_asset("musiq_koniq").sha256}
    assert build_metric("lpips:bfvr").identity()["assets"] == {
        "tv_vgg16": assets.get_asset("tv_vgg16").sha256,
        "lpips_vgg_v01": assets.get_asset("lpips_vgg_v01").sha256,
    }
    assert ident["version"] and ident["mode"] == "clean"
