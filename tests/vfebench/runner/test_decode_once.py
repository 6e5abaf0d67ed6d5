"""Each clip is decoded once on a cold run, and not at all on a warm one (issue 18).

Every decode of a clip file or frame folder goes through :func:`vfebench.video.iter_frames`
(called by ``read_clip``); the tests count its calls per path while a real run hashes the GT,
degrades it, restores (in process, so nothing is hidden in a worker) and scores.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from helpers.runs import make_folder, quiet
from helpers.runs import run_config as cfg

from vfebench.runner import run

pytestmark = pytest.mark.usefixtures("runner_plugin")


@pytest.fixture
def decodes(monkeypatch) -> Counter:
    """``Counter`` of decodes per resolved clip path (file or frame folder)."""
    import vfebench.video as video

    counts: Counter = Counter()
    real = video.iter_frames

    def counting(path, *a, **k):
        counts[Path(path).resolve()] += 1
        return real(path, *a, **k)

    monkeypatch.setattr(video, "iter_frames", counting)
    return counts


def _split(counts: Counter, gt: dict[str, Path], rec) -> dict[str, Counter]:
    """Decodes by role: ``gt`` (dataset clips), ``lq`` (LQ frame folders), ``restored``."""
    lq = {Path(c["lq_path"]).resolve(): c["clip_id"] for c in rec["clips"] if c.get("lq_path")}
    restored = {Path(c["restored_path"]).resolve(): c["clip_id"] for c in rec["clips"]}
    gt_paths = {p.resolve(): cid for cid, p in gt.items()}
    out = {"gt": Counter(), "lq": Counter(), "restored": Counter(), "other": Counter()}
    for p, n in counts.items():
        role = "gt" if p in gt_paths else "lq" if p in lq else "restored" if p in restored else "other"
        key = {"gt": gt_paths, "lq": lq, "restored": restored}.get(role, {}).get(p, str(p))
        out[role][key] += n
    return out


def _gt_paths(dataset: str) -> dict[str, Path]:
    from vfebench.datasets import build_source

    src = build_source(dataset)
    return {cid: src.clip_path(cid) for cid in src.clip_ids()}


@pytest.mark.parametrize("kind", ["demo", "folder"])
def test_cold_run_decodes_each_gt_once_and_warm_run_none(kind, tmp_path, decodes):
    if kind == "demo":
        dataset = "demo,num_clips=2,num_frames=5,size=64"
    else:
        dataset = f"folder:{make_folder(tmp_path / 'gt', n=2, t=5, size=64)}"
    gt = _gt_paths(dataset)
    decodes.clear()  # the demo renders (and a folder is written) before the run: not decodes
    c = cfg(Path("."), tmp_path, dataset=dataset, isolation="inprocess", cache=str(tmp_path / "c"))
    o = run(c, log=quiet)
    assert o.record["status"] == "complete"
    cold = _split(decodes, gt, o.record)
    assert cold["gt"] == Counter({cid: 1 for cid in gt}), cold  # hash, degrade, restore, score: 1
    assert not cold["lq"] and not cold["restored"] and not cold["other"], cold
    assert o.stats["restored_computed"] == 2 and o.stats["scores_computed"] == 2

    decodes.clear()
    o2 = run(c, log=quiet)  # warm: everything is cached (hashes on disk, LQ, restored, scores)
    assert o2.stats["restored_cached"] == 2 and o2.stats["scores_cached"] == 2
    assert o2.record["clips"][0]["values"] == o.record["clips"][0]["values"]
    assert sum(decodes.values()) == 0, _split(decodes, gt, o2.record)

    decodes.clear()  # resumed with a new metric: the GT and the stored restoration once each
    o3 = run(cfg(Path("."), tmp_path, dataset=dataset, isolation="inprocess", cache=str(tmp_path / "c"),
                 metrics=["t_mae", "t_mae:mode=alt"]), log=quiet)  # fmt: skip
    assert o3.stats["scores_computed"] == 2 and o3.stats["scores_cached"] == 2
    resumed = _split(decodes, gt, o3.record)
    assert resumed["gt"] == Counter({cid: 1 for cid in gt}), resumed
    assert resumed["restored"] == Counter({cid: 1 for cid in gt}), resumed
    assert not resumed["lq"] and not resumed["other"], resumed


def test_max_frames_cold_run_decodes_once_and_values_match(tmp_path, decodes):
    data = make_folder(tmp_path / "gt", n=2, t=6, size=48)
    gt = _gt_paths(f"folder:{data}")
    c = cfg(data, tmp_path, isolation="inprocess", cache=str(tmp_path / "c"), max_frames=3)
    o = run(c, log=quiet)
    assert _split(decodes, gt, o.record)["gt"] == Counter({cid: 1 for cid in gt})
    assert all(r["n_frames"] == 3 for r in o.record["clips"])
    # the same run on a cold cache with the hashes already known decodes only the 3 frames
    # and gives the same values (the GT cut from the whole-clip decode equals a 3-frame decode)
    o2 = run(
        cfg(data, tmp_path / "b", isolation="inprocess", cache=str(tmp_path / "c2"), max_frames=3), log=quiet
    )
    assert [r["values"] for r in o2.record["clips"]] == [r["values"] for r in o.record["clips"]]
    assert o2.record["dataset"]["manifest_hash"] == o.record["dataset"]["manifest_hash"]


def test_shards_decode_only_their_clips_and_the_merge_none(tmp_path, decodes):
    data = make_folder(tmp_path / "gt", n=3, t=4, size=48)
    gt = _gt_paths(f"folder:{data}")
    c = dict(isolation="inprocess", cache=str(tmp_path / "c"))
    seen: list[Counter] = []
    for i in range(3):
        decodes.clear()
        run(cfg(data, tmp_path, shard=f"{i}/3", **c), log=quiet)
        seen.append(
            Counter({p.name: n for p, n in decodes.items() if p in {q.resolve() for q in gt.values()}})
        )
    assert seen == [Counter({f"c{i}": 1}) for i in range(3)], seen  # shard I decodes clip I once
    decodes.clear()
    o = run(cfg(data, tmp_path, **c), log=quiet)  # the merge: all cached, nothing decoded
    assert o.record["status"] == "complete" and o.stats["restored_cached"] == 3
    assert sum(decodes.values()) == 0, decodes


def test_real_lq_clips_decoded_once_cold_and_not_warm(tmp_path, decodes):
    """``rfv:`` (no GT): the clip is the LQ input; hashing and restoring share its one decode."""
    data = make_folder(tmp_path / "lq", n=2, t=4, size=32)
    dataset = f"rfv:{data}"
    gt = _gt_paths(dataset)
    c = cfg(data, tmp_path, dataset=dataset, methods=["identity"], metrics=["t_bright"],
            isolation="inprocess", cache=str(tmp_path / "c"))  # fmt: skip
    o = run(c, log=quiet)
    assert o.record["status"] == "complete" and o.stats["scores_computed"] == 2
    assert Counter({p.name: n for p, n in decodes.items()}) == Counter({"c0": 1, "c1": 1}), decodes
    decodes.clear()
    o2 = run(c, log=quiet)
    assert o2.stats["restored_cached"] == 2 and o2.stats["scores_cached"] == 2
    assert sum(decodes.values()) == 0, _split(decodes, gt, o2.record)
