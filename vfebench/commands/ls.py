"""``vfebench ls datasets|presets|methods|metrics``.

The ``from`` column says where each registry entry comes from: ``builtin``, ``entry point
<distribution>`` or ``VFEBENCH_PLUGINS <module>`` (see :mod:`vfebench.registry`).
"""

from __future__ import annotations

import argparse
import json

KINDS = ("datasets", "presets", "methods", "metrics", "assets")


def configure(p: argparse.ArgumentParser) -> None:
    """Add the options of ``vfebench ls`` to its sub-parser ``p``."""
    p.add_argument("what", choices=KINDS, help="what to list")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def _rows(what: str) -> list[dict]:
    from vfebench.errors import InputError
    from vfebench.registry import load_env_plugins

    load_env_plugins()
    rows: list[dict] = []
    if what == "datasets":
        from vfebench.datasets import DATASETS

        for n in DATASETS:
            cls = DATASETS.get(n)
            rows.append(
                {
                    "name": n,
                    "gt": cls.has_gt,
                    "version": cls.version,
                    "about": ((cls.__doc__ or "").strip().splitlines() or [""])[0],
                    "from": DATASETS.origin(n),
                }
            )
    elif what == "presets":
        from vfebench.degrade import PRESETS

        for n in PRESETS:
            pr = PRESETS.get(n)
            rows.append({"name": n, "version": pr.version, "about": pr.description})
    elif what == "methods":
        from vfebench.methods import METHODS

        for n in METHODS:
            try:
                cls = METHODS.get(n)
                rows.append(
                    {
                        "name": n,
                        "version": cls.version,
                        "steps": cls.steps,
                        "extras": ",".join(cls.extras) or "-",
                        "weights": ",".join(cls.assets) or "-",
                        "about": cls.description,
                        "from": METHODS.origin(n),
                    }
                )
            except (ImportError, InputError) as exc:  # a broken plugin is listed, not fatal
                rows.append(
                    {"name": n, "version": "?", "about": f"(unavailable: {exc})", "from": METHODS.origin(n)}
                )
    elif what == "metrics":
        from vfebench import assets
        from vfebench.metrics import METRICS

        for n in METRICS:
            try:
                cls = METRICS.get(n)
            except (ImportError, InputError) as exc:  # a broken plugin is listed, not fatal
                rows.append({"name": n, "about": f"(unavailable: {exc})", "from": METRICS.origin(n)})
                continue
            have = all(assets.is_present(a) for a in cls.assets)
            rows.append(
                {
                    "name": n,
                    "display": cls.display or n,
                    "dir": "↑" if cls.higher_is_better else "↓",
                    "kind": ("FR" if cls.needs_reference else "NR") + "/" + cls.level,
                    "extra": cls.extra or "core",
                    "weights": (",".join(cls.assets) + (" ✓" if have else " ✗")) if cls.assets else "none",
                    "modes": ",".join(cls.modes),
                    "from": METRICS.origin(n),
                }
            )
    elif what == "assets":
        from vfebench import assets

        for a in assets.catalog().values():
            rows.append(
                {
                    "name": a.name,
                    "file": a.filename,
                    "present": assets.is_present(a.name),
                    "users": ",".join(a.users),
                }
            )
    return rows


def print_table(rows: list[dict]) -> None:
    """Print ``rows`` as left-aligned columns (the union of their keys, first-seen order); ``(none)`` when
    empty."""
    if not rows:
        print("(none)")
        return
    cols = list(dict.fromkeys(k for r in rows for k in r))
    cells = [[str(r.get(c, "")) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    print("  ".join(c.ljust(w) for c, w in zip(cols, widths)).rstrip())
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())


def main(args: argparse.Namespace) -> int:
    """Run ``vfebench ls`` with the parsed ``args``; returns the exit status."""
    rows = _rows(args.what)
    if args.json:
        print(json.dumps(rows, indent=2, default=str))
    else:
        print_table(rows)
    return 0
