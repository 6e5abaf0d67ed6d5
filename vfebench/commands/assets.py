"""``vfebench assets list|fetch|verify|import DIR``: pinned weights (see :mod:`vfebench.assets`).

- ``list``: every declared asset with file name, size, sha256, URLs, licence, users, and whether
  a verified copy is present in the asset directory (``$VFEBENCH_ASSETS``).
- ``fetch NAME…`` / ``fetch --all``: download (temp file → sha256 check → rename). Refused in
  offline mode (``VFEBENCH_OFFLINE=1``).
- ``verify [NAME…]``: re-hash present files; exit 1 on a mismatch (or a named asset missing).
- ``import DIR [NAME…]``: the air-gapped route: copy files found (recursively, by file name) in a
  folder you brought over, verifying each hash; nothing with a wrong hash is copied.
"""

from __future__ import annotations

import argparse
import json


def configure(p: argparse.ArgumentParser) -> None:
    """Add the options of ``vfebench assets`` to its sub-parser ``p``."""
    sub = p.add_subparsers(dest="action", required=True)
    ls = sub.add_parser("list", help="list declared assets and whether they are present")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    f = sub.add_parser("fetch", help="download assets (verified, atomic)")
    f.add_argument("names", nargs="*", help="asset names (see `vfebench assets list`)")
    f.add_argument("--all", action="store_true", help="fetch every declared asset")
    f.add_argument("--force", action="store_true", help="download again even if present")
    v = sub.add_parser("verify", help="re-hash present assets")
    v.add_argument("names", nargs="*", help="only these assets (default: all)")
    v.add_argument("--json", action="store_true", help="machine-readable output")
    i = sub.add_parser("import", help="copy verified files from a local folder (air-gapped route)")
    i.add_argument("dir", help="folder holding the weights files (searched recursively by file name)")
    i.add_argument("names", nargs="*", help="only these assets (default: all found)")
    i.add_argument("--json", action="store_true", help="machine-readable output")


def _size(n: float) -> str:
    if not n:
        return "?"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def _check_names(names: list[str]) -> None:
    from vfebench import assets

    for n in names:
        assets.get_asset(n)  # raises UnknownNameError with did-you-mean


def _list(args: argparse.Namespace) -> int:
    from vfebench import assets
    from vfebench.commands.ls import print_table

    status = assets.verify_all()
    rows = []
    for a in assets.catalog().values():
        rows.append(
            {
                "name": a.name,
                "file": a.filename,
                "size": a.size if args.json else _size(a.size),
                "sha256": a.sha256 or "(unverified)",
                "status": status.get(a.name, "?"),
                "users": ",".join(a.users),
                "licence": a.licence,
                "url": a.urls[0] if a.urls else "",
                **({"urls": list(a.urls), "notes": a.notes} if args.json else {}),
            }
        )
    if args.json:
        print(
            json.dumps(
                {"asset_dir": str(assets.asset_dir()), "offline": assets.offline(), "assets": rows}, indent=2
            )
        )
    else:
        print(f"asset directory: {assets.asset_dir()}" + ("  (offline)" if assets.offline() else ""))
        print_table(rows)
    return 0


def _fetch(args: argparse.Namespace) -> int:
    from vfebench import assets

    names = list(assets.catalog()) if args.all else args.names
    if not names:
        print("vfebench assets fetch: name assets or pass --all (see `vfebench assets list`)")
        return 2
    _check_names(names)
    for n in names:
        path = assets.fetch(n, force=args.force)
        a = assets.get_asset(n)
        got = assets.file_sha256(path)
        state = "verified" if a.sha256 else "UNVERIFIED (no pinned hash: pin this sha256/size)"
        print(f"{n}: ok  {path}  sha256 {got}  size {path.stat().st_size}  {state}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from vfebench import assets

    _check_names(args.names)
    status = assets.verify_all()
    if args.names:
        status = {n: status[n] for n in args.names}
    if args.json:
        print(json.dumps(status, indent=2))
    else:
        for n, s in status.items():
            print(f"{n}: {s}")
    bad = [n for n, s in status.items() if s == "mismatch" or (args.names and s == "missing")]
    return 1 if bad else 0


def _import(args: argparse.Namespace) -> int:
    from vfebench import assets

    _check_names(args.names)
    status = assets.import_dir(args.dir, args.names or None)
    if args.json:
        print(json.dumps(status, indent=2))
    else:
        for n, s in status.items():
            print(f"{n}: {s}")
    return 1 if any(s.startswith("hash mismatch") for s in status.values()) else 0


def main(args: argparse.Namespace) -> int:
    """Run ``vfebench assets`` with the parsed ``args``; returns the exit status."""
    return {"list": _list, "fetch": _fetch, "verify": _verify, "import": _import}[args.action](args)
