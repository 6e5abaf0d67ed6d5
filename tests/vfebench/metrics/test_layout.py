"""Layout of ``vfebench.metrics``: every network definition and weight loader lives in ``nets/``.

``metrics/features/`` holds shared per-clip features (alignment, preprocessing, the face-analysis
pass, fragments) and the metric modules hold metrics; a ``torch.nn.Module`` subclass or a
``load_*`` function anywhere else in ``vfebench/metrics`` is a second home for a network. Read
from the source with :mod:`ast` (nothing is imported, so optional dependencies do not matter).
"""

from __future__ import annotations

import ast
from pathlib import Path

import vfebench.metrics

METRICS = Path(vfebench.metrics.__file__).resolve().parent
NETS = METRICS / "nets"


def _dotted(node: ast.expr) -> str:
    """``torch.nn.Module`` for an ``Attribute`` chain, ``Module`` for a ``Name``, else ``""``."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def _is_torch_module_base(base: ast.expr) -> bool:
    name = _dotted(base)
    return name == "Module" or name.startswith(("nn.", "torch.nn."))


def network_definitions(source: str, filename: str = "<source>") -> list[str]:
    """``file:line what`` for each ``torch.nn`` subclass and each ``load_*`` function in ``source``
    (at any depth: classes defined inside functions count)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.ClassDef) and any(_is_torch_module_base(b) for b in node.bases):
            found.append(f"{filename}:{node.lineno} class {node.name} (a torch.nn module)")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("load_"):
            found.append(f"{filename}:{node.lineno} def {node.name} (a weights loader)")
    return found


def test_the_checker_finds_networks_and_loaders():
    src = (
        "import torch\nfrom torch import nn\nfrom torch.nn import Module\n"
        "class A(nn.Module): pass\n"
        "class B(torch.nn.Module): pass\n"
        "class C(Module): pass\n"
        "def build():\n    class D(nn.Sequential): pass\n    return D()\n"
        "def load_weights(path): return path\n"
        "class E:\n    def load_net(self): pass\n"
        "class Fine(types.ModuleType): pass\n"
        "def loader(): pass\n"
    )
    got = [s.split(" ", 2)[1:] for s in network_definitions(src)]
    assert sorted(name for _, name in got) == [
        "A (a torch.nn module)",
        "B (a torch.nn module)",
        "C (a torch.nn module)",
        "D (a torch.nn module)",
        "load_net (a weights loader)",
        "load_weights (a weights loader)",
    ]


def test_networks_and_loaders_live_only_in_nets():
    files = [p for p in sorted(METRICS.rglob("*.py")) if NETS not in p.parents]
    assert any(p.parent.name == "features" for p in files), "no metrics/features/ modules found"
    bad = [
        hit
        for p in files
        for hit in network_definitions(p.read_text(encoding="utf-8"), str(p.relative_to(METRICS.parents[1])))
    ]
    assert not bad, (
        "network definitions / weight loaders outside vfebench/metrics/nets/ (move them into a "
        "nets/<network>.py module and import them from there):\n  " + "\n  ".join(bad)
    )


def test_nets_holds_the_networks():
    """The check above is not vacuous: the networks it keeps out are found in nets/."""
    hits = [
        h.split(" ")[1:3]
        for p in sorted(NETS.glob("*.py"))
        for h in network_definitions(p.read_text(encoding="utf-8"), p.name)
    ]
    classes = {name for kind, name in hits if kind == "class"}
    loaders = {name for kind, name in hits if kind == "def"}
    assert {"IRSE", "VisionTransformer", "InceptionI3d", "LPIPSNet", "FasterVQANet"} <= classes, classes
    assert {"load_ir_se", "load_clip_vit", "load_fan", "load_mtcnn_nets", "load_i3d_torchscript"} <= loaders
