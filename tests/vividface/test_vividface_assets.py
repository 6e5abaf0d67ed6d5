"""vividface's pinned weights: the release's real checkpoint location, 'unverified' until hashed."""

from __future__ import annotations

import re

from vfebench import assets
from vfebench.cli import main as cli
from vfebench.utils import sha256_file


def test_checkpoint_points_at_the_release_location_and_is_unverified():
    a = assets.get_asset("vividface_dit")
    assert a.urls == ("https://huggingface.co/shulianz/VividFace/resolve/main/vividface.ckpt",)
    assert a.filename == "vividface.ckpt"
    assert a.sha256 == "" and a.size == 0 and a.extra["status"] == "unverified"
    assert "UNVERIFIED" in a.notes and "assets fetch" in a.notes
    e = assets.get_asset("wan21_empty_prompt")
    assert e.sha256 == "" and e.extra["status"] == "unverified" and "embed-prompt" in e.notes


def test_fetch_prints_the_hash_it_got(tmp_path, monkeypatch, capsys):
    """An unpinned asset is downloaded (file:// stands in for the network) and its sha256/size printed."""
    src = tmp_path / "mirror" / "vividface_like.ckpt"
    src.parent.mkdir()
    src.write_bytes(b"\x01ckpt\x02" * 4096)
    a = assets.Asset(name="unpinned_test", filename="vividface_like.ckpt", urls=(src.as_uri(),), sha256="")
    monkeypatch.setitem(assets._EXTRA, a.name, a)
    monkeypatch.setattr(assets, "_CATALOG", None)
    monkeypatch.setenv("VFEBENCH_OFFLINE", "0")
    assert cli(["assets", "fetch", a.name]) == 0
    out = capsys.readouterr().out
    got = re.search(r"sha256 ([0-9a-f]{64})\s+size (\d+)\s+UNVERIFIED", out)
    assert got and got.group(1) == sha256_file(src) and int(got.group(2)) == src.stat().st_size
    assert cli(["assets", "list"]) == 0
    assert "(unverified)" in capsys.readouterr().out
