"""Build a network for its weights without initialising it first.

Building a ``torch.nn.Module`` runs every layer's random initialisation (``uniform_`` /
``normal_`` over all parameters) and ``load_state_dict`` then copies the real weights over it:
both are thrown away work (about a second for IR-SE50 or MUSIQ on a CPU). :func:`build_loaded`
builds the module on the ``meta`` device (shapes only, nothing allocated or drawn) and assigns
the loaded tensors as the parameters, so the network costs what reading its weights costs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from vfebench.errors import InputError


def build_loaded(
    build: Callable[[], Any],
    state_dict: dict[str, Any],
    what: str,
    strict: bool = True,
    may_miss: Iterable[str] = ("num_batches_tracked",),
):
    """``build()`` on the meta device with ``state_dict`` assigned; eval mode, on the CPU.

    Each tensor is assigned as the module would have copied it: cast to the dtype the module
    declares and made contiguous, so the result equals building, then ``load_state_dict``.

    Keys ending in one of ``may_miss`` (batch-norm counters, absent from many checkpoints) may be
    missing; they get the value a fresh module has (0). Any other missing key, or with ``strict``
    an unexpected one, is an :class:`InputError` naming ``what`` (the weights file).
    """
    import torch

    with torch.device("meta"):
        net = build()
    declared = net.state_dict()  # meta tensors: the shapes and dtypes the module declares
    sd = {
        k: (v.to(declared[k].dtype) if k in declared else v).contiguous() if torch.is_tensor(v) else v
        for k, v in state_dict.items()
    }
    missing, unexpected = net.load_state_dict(sd, strict=False, assign=True)
    bad = [k for k in missing if not k.endswith(tuple(may_miss))]
    if bad or (strict and unexpected):
        raise InputError(
            f"{what}: weights do not fit the network (missing {bad[:3]}, unexpected {list(unexpected)[:3]})"
        )
    for name in missing:  # allowed gaps: the value a freshly built module holds
        mod_name, _, attr = name.rpartition(".")
        mod = net.get_submodule(mod_name)
        old = getattr(mod, attr)
        setattr(mod, attr, torch.zeros(old.shape, dtype=old.dtype))
    left = [n for n, t in [*net.named_parameters(), *net.named_buffers()] if t.is_meta]
    if left:
        raise InputError(f"{what}: weights do not fill the network (no values for {left[:3]})")
    return net.eval()
