#!/usr/bin/env python3
"""Docstring coverage of public functions, per package.

    python scripts/docstring_coverage.py [--missing] [PACKAGE ...]   # default: vfebench baselines vividface

Public = a function at module level, or a method of a class at module level, whose own name and
whose class's name do not start with ``_`` (dunder methods excluded), in a module whose path has
no ``_``-prefixed part (``__init__.py`` counts as public). Methods that override a documented
base method are counted like any other (their docstring may be one line). Printed: documented /
public per package; ``--missing`` lists the undocumented ones as ``path:line name``.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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


def coverage(package: str) -> tuple[int, int, list[str]]:
    """``(documented, public, missing)`` for one package folder under the repository root."""
    root = ROOT / package
    documented = total = 0
    missing: list[str] = []
    for path in sorted(root.rglob("*.py")):
        if not _public_module(path, ROOT):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for name, node in _functions(tree):
            total += 1
            if ast.get_docstring(node):
                documented += 1
            else:
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    return documented, total, missing


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("packages", nargs="*", default=["vfebench", "baselines", "vividface"])
    ap.add_argument("--missing", action="store_true", help="list the undocumented public functions")
    args = ap.parse_args(argv)
    print("| package | documented | public | coverage |")
    print("|---|---:|---:|---:|")
    all_missing = []
    for pkg in args.packages:
        d, t, miss = coverage(pkg)
        all_missing += miss
        print(f"| {pkg} | {d} | {t} | {100.0 * d / t if t else 100.0:.0f} % |")
    if args.missing:
        print("\n".join(all_missing))
    return 0


if __name__ == "__main__":
    sys.exit(main())
