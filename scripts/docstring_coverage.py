#!/usr/bin/env python3
"""Docstring coverage of public functions, per package, and a shape check for array functions.

    python scripts/docstring_coverage.py [--missing] [--fail-under PCT] [PACKAGE ...]
    # default packages: vfebench baselines vividface

Public = a function at module level, or a method of a class at module level, whose own name and
whose class's name do not start with ``_`` (dunder methods excluded), in a module whose path has
no ``_``-prefixed part (``__init__.py`` counts as public). Methods that override a documented
base method are counted like any other (their docstring may be one line).

Array functions = public functions with a parameter or return annotation, or a parameter
default, that mentions an array type (``ndarray``, ``NDArray``, ``ArrayLike``, ``Tensor``,
``np.``, ``torch.``). Their docstring must state a shape: a parenthesised tuple such as
``(T, H, W, 3)``, ``(N,3,H,W)`` or ``(D,)``, dimensions joined by ``×`` (``T×H×W×3``), or the
word "shape"/"shaped"/"scalar". An array function without one (undocumented ones included) is
reported as "no shape".

Printed: one table row per package with documented / public, the array functions and how many
of them have no shape. ``--missing`` lists the offenders as ``path:line name (undocumented)`` or
``path:line name (no shape)``. ``--fail-under PCT`` exits 1 when a package's docstring coverage
or its shape coverage (array functions with a shape / array functions) is below PCT.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_ARRAY_TOKENS = re.compile(r"ndarray|NDArray|ArrayLike|Tensor|\bnp\.|\bnumpy\.|\btorch\.")
# a parenthesised tuple of short dimension tokens: (T, H, W, 3), (N,3,H,W), (D,), (B, 2*C)
_DIM = r"\s*[\w*+\-/.]{1,16}\s*"
_SHAPE_TUPLE = re.compile(rf"\((?:{_DIM},)+(?:{_DIM})?\)")
# the house's other spelling: T×H×W×3, N×D, size×size×3 (two or more dimensions joined by ×)
_SHAPE_TIMES = re.compile(r"\b\w{1,16}(?:×\w{1,16})+")
_SHAPE_WORD = re.compile(r"\b(?:shape[sd]?|scalar)\b", re.IGNORECASE)


@dataclass
class Coverage:
    """What one package scores: counts and the ``path:line name (why)`` offenders."""

    documented: int = 0
    public: int = 0
    arrays: int = 0
    no_shape: int = 0
    missing: list[str] = field(default_factory=list)

    @property
    def doc_pct(self) -> float:
        """Documented public functions in percent (100 when there are none)."""
        return 100.0 * self.documented / self.public if self.public else 100.0

    @property
    def shape_pct(self) -> float:
        """Array functions whose docstring states a shape, in percent (100 when there are none)."""
        return 100.0 * (self.arrays - self.no_shape) / self.arrays if self.arrays else 100.0


def _public_module(path: Path, root: Path) -> bool:
    parts = path.relative_to(root).with_suffix("").parts
    return not any(p.startswith("_") and p != "__init__" for p in parts)


def _functions(tree: ast.Module):
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
            yield node.name, node
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for sub in node.body:
                if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)) and not sub.name.startswith("_"):
                    yield f"{node.name}.{sub.name}", sub


def takes_arrays(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether a parameter/return annotation or a parameter default mentions an array type."""
    a = node.args
    params = [*a.posonlyargs, *a.args, *a.kwonlyargs]
    if a.vararg:
        params.append(a.vararg)
    if a.kwarg:
        params.append(a.kwarg)
    exprs = [p.annotation for p in params] + [node.returns] + list(a.defaults) + list(a.kw_defaults)
    return any(e is not None and _ARRAY_TOKENS.search(ast.unparse(e)) for e in exprs)


def states_shape(doc: str) -> bool:
    """Whether a docstring states an array shape (a dimension tuple or the word shape/scalar)."""
    return bool(_SHAPE_TUPLE.search(doc) or _SHAPE_TIMES.search(doc) or _SHAPE_WORD.search(doc))


def coverage(package: str, root: Path = ROOT) -> Coverage:
    """Score one package folder under ``root`` (the repository root by default).

    Raises ``FileNotFoundError`` naming the folder when ``root / package`` is not a directory.
    """
    pkg = root / package
    if not pkg.is_dir():
        raise FileNotFoundError(f"{pkg}: no such package folder (give a folder under {root})")
    cov = Coverage()
    for path in sorted(pkg.rglob("*.py")):
        if not _public_module(path, root):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for name, node in _functions(tree):
            where = f"{path.relative_to(root)}:{node.lineno} {name}"
            doc = ast.get_docstring(node) or ""
            cov.public += 1
            if doc:
                cov.documented += 1
            else:
                cov.missing.append(f"{where} (undocumented)")
            if takes_arrays(node):
                cov.arrays += 1
                if not states_shape(doc):
                    cov.no_shape += 1
                    if doc:
                        cov.missing.append(f"{where} (no shape)")
    return cov


def main(argv: list[str] | None = None, root: Path = ROOT) -> int:
    """Print the table (and offenders with ``--missing``); 1 when ``--fail-under`` is not met."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("packages", nargs="*", default=["vfebench", "baselines", "vividface"])
    ap.add_argument("--missing", action="store_true", help="list undocumented and no-shape functions")
    ap.add_argument(
        "--fail-under",
        type=float,
        metavar="PCT",
        help="exit 1 when a package's docstring or shape coverage is below PCT percent",
    )
    args = ap.parse_args(argv)
    print("| package | documented | public | coverage | array functions | no shape | shape coverage |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    all_missing: list[str] = []
    failing: list[str] = []
    for pkg in args.packages:
        c = coverage(pkg, root)
        all_missing += c.missing
        print(
            f"| {pkg} | {c.documented} | {c.public} | {c.doc_pct:.0f} % "
            f"| {c.arrays} | {c.no_shape} | {c.shape_pct:.0f} % |"
        )
        if args.fail_under is not None:
            if c.doc_pct < args.fail_under:
                failing.append(f"{pkg}: docstring coverage {c.doc_pct:.1f} % < {args.fail_under:g} %")
            if c.shape_pct < args.fail_under:
                failing.append(f"{pkg}: shape coverage {c.shape_pct:.1f} % < {args.fail_under:g} %")
    if args.missing and all_missing:
        print("\n".join(all_missing))
    if failing:
        print("FAIL (run with --missing for the list):\n  " + "\n  ".join(failing), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
