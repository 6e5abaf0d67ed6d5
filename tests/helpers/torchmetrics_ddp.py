"""Worker of ``tests/vfebench/torchmetrics/test_torchmetrics.py::test_ddp_two_processes_equal_one`` (spawned, one per rank).

Each rank joins a gloo process group on localhost, re-declares the parent's stand-in weights
(the asset catalogue patch of the parent test does not cross processes; the asset directory
does, through ``$VFEBENCH_ASSETS``), updates the metrics on its share of the clips (rank 0:
the first ⌈n/2⌉ clips, rank 1: the rest) and calls ``compute()``, which synchronises the states
across both ranks. A PSNR updated on rank 0 only checks that a rank without clips still takes part in the sync.
Rank 0 writes the results as JSON (temp file + rename).
"""

from __future__ import annotations

import json
import os
from pathlib import Path


def run(
    rank: int, world: int, port: int, data: str, specs: list[str], files: dict[str, str], out: str
) -> None:
    import numpy as np
    import pytest
    import torch
    import torch.distributed as dist

    from helpers import integration_assets as ia

    torch.set_num_threads(1)
    mp = pytest.MonkeyPatch()
    ia.register(mp, {k: Path(v) for k, v in files.items()})
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    try:
        import vfebench.torchmetrics as vt

        z = np.load(data)
        ids = [str(i) for i in z["ids"]]
        half = (len(ids) + 1) // 2
        mine = slice(0, half) if rank == 0 else slice(half, len(ids))
        pred = torch.from_numpy(z["pred"][mine]).permute(0, 1, 4, 2, 3)
        gt = torch.from_numpy(z["gt"][mine]).permute(0, 1, 4, 2, 3)
        values = {}
        for spec in specs:
            m = vt.build(spec)
            m.update(pred, gt, clip_ids=ids[mine])
            values[spec] = float(m.compute())
        # a rank that sees no clip at all (fewer validation clips than processes) still syncs
        m = vt.PSNR()
        if rank == 0:
            m.update(
                torch.from_numpy(z["pred"]).permute(0, 1, 4, 2, 3),
                torch.from_numpy(z["gt"]).permute(0, 1, 4, 2, 3),
            )
        values["psnr (rank 0 only)"] = float(m.compute())
        counts = [torch.zeros(1) for _ in range(world)]
        dist.all_gather(counts, torch.tensor([float(pred.shape[0])]))
        gathered = [None] * world
        dist.all_gather_object(gathered, values)
        if rank == 0:
            doc = {
                "world_size": dist.get_world_size(),
                "local_counts": [int(c) for c in counts],
                "values": values,
                "rank1_values": gathered[1],
            }
            tmp = out + ".tmp"
            Path(tmp).write_text(json.dumps(doc))
            os.replace(tmp, out)
    finally:
        dist.destroy_process_group()
        mp.undo()
