"""Batch sizes by free device memory (``vfebench run --batch auto``).

:func:`probe_batch_size` runs one item (one frame) through the metric on a CUDA device, takes the
peak memory it allocated above what was allocated before (the activations; the weights are
already resident), and sizes the batch with :func:`auto_batch_size` from the free memory the
driver reports (``torch.cuda.mem_get_info``). On CPU there is nothing to size: the metric's
default applies (batching bought nothing on CPU in ``benchmarks/bench_image_metrics.py``).
Sizes are cached per (device, probe) so a run probes once per metric and frame size.
"""

from __future__ import annotations

from collections.abc import Callable

#: fraction of the free device memory a batch may use (the rest absorbs fragmentation and the
#: other metrics' buffers)
HEADROOM = 0.5
#: never more than this many items per forward pass (returns diminish long before)
MAX_BATCH = 64


def auto_batch_size(
    per_item_bytes: int, free_bytes: int, headroom: float = HEADROOM, cap: int = MAX_BATCH
) -> int:
    """``floor(headroom · free / per_item)`` clamped to ``[1, cap]``."""
    if per_item_bytes <= 0:
        return cap
    return int(max(1, min(cap, (headroom * free_bytes) // per_item_bytes)))


_sizes: dict[tuple[str, int], int] = {}


def probe_batch_size(device: str, one: Callable[[], object], key: int | None = None) -> int:
    """The batch size for ``device`` from one probe call ``one()`` (one item); 1 without CUDA."""
    ck = (str(device), id(one) if key is None else key)
    if ck in _sizes:
        return _sizes[ck]
    if not str(device).startswith("cuda"):
        return 1
    import torch

    dev = torch.device(device)
    torch.cuda.synchronize(dev)
    base = torch.cuda.memory_allocated(dev)
    torch.cuda.reset_peak_memory_stats(dev)
    one()
    torch.cuda.synchronize(dev)
    per = torch.cuda.max_memory_allocated(dev) - base
    free, _total = torch.cuda.mem_get_info(dev)
    n = auto_batch_size(per, free)
    _sizes[ck] = n
    return n
