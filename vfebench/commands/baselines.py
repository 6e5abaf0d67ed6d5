"""``vfebench baselines list|setup|check``: checkouts of the published methods (``baselines/``).

- ``list``: every baseline adapter with its repository, pinned commit and entry point.
- ``setup NAME [--dir DIR] [--from SRC] [--run]``: the steps that make a checkout: clone
  ``https://github.com/<repo>`` (or ``--from``: another URL or a local path) into ``DIR``, check
  out the adapter's pinned commit, build the method's OWN environment (the adapter's
  ``env_setup`` steps, run from the checkout; they create ``DIR/.venv``), fetch its weights
  (temp file → sha256 check → rename; a file without a published hash is kept and reported as
  unverified) and apply the adapter's pre-run fix-ups. Without ``--run`` the steps are printed
  only; with ``--run`` they are executed in order and the first failing step stops the setup.
  Weights whose URL is not a direct file link (a folder share, a zip) are printed as a manual
  step.
- ``check NAME [--dir DIR]``: verifies a checkout before a long run: the commit is the pinned
  one (``--any-commit`` makes a difference a warning), the entry point and the other files the
  command relies on are present, each weights file is present and matches its sha256
  (``unverified`` when no hash is published — reported, never counted as a pass).

``DIR`` defaults to where the method looks for its checkout (``$VFEBENCH_<NAME>_REPO`` or
``<cache root>/baselines/<name>``). Exit status: 0 ok, 1 a step or a check failed, 2 bad input
(unknown name, a folder in the way, no checkout to check).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from vfebench.errors import InputError

_ADAPTER_ATTRS = ("repo_url", "pinned_commit", "entry_point", "weights", "env_setup", "command")


def configure(p: argparse.ArgumentParser) -> None:
    """Add the ``list``, ``setup NAME`` and ``check NAME`` sub-commands and their options to ``p``."""
    sub = p.add_subparsers(dest="action", required=True)
    ls = sub.add_parser("list", help="list the baseline adapters and their pinned commits")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    s = sub.add_parser("setup", help="print (or --run) the steps that make a checkout")
    s.add_argument("name", help="baseline method name (see `vfebench baselines list`)")
    s.add_argument("--dir", help="checkout folder (default: where the method looks for it)")
    s.add_argument(
        "--from",
        dest="source",
        metavar="SRC",
        help="clone from this URL or local path instead of https://github.com/<repo>",
    )
    s.add_argument("--run", action="store_true", help="execute the steps (default: print them)")
    s.add_argument("--skip-env", action="store_true", help="leave out the environment steps")
    s.add_argument("--skip-weights", action="store_true", help="leave out the weights downloads")
    c = sub.add_parser("check", help="verify a checkout: commit, entry point, files, weights")
    c.add_argument("name", help="baseline method name (see `vfebench baselines list`)")
    c.add_argument("--dir", help="checkout folder (default: where the method looks for it)")
    c.add_argument(
        "--any-commit",
        action="store_true",
        help="a commit other than the pinned one is a warning, not a failure",
    )
    c.add_argument("--json", action="store_true", help="machine-readable output")


# ---------------------------------------------------------------- adapters
def _is_adapter(cls: Any) -> bool:
    return isinstance(cls, type) and all(hasattr(cls, a) for a in _ADAPTER_ATTRS)


def adapter_names() -> list[str]:
    """Registered method names that are external-checkout adapters (methods whose module fails to import are
    skipped)."""
    from vfebench.methods import METHODS

    out = []
    for n in METHODS:
        try:
            if _is_adapter(METHODS.get(n)):
                out.append(n)
        except ImportError:
            continue
    return out


def load_adapter(name: str, directory: str | None):
    """An instance of the baseline ``name`` whose checkout is ``directory`` (or its default)."""
    from vfebench.methods import METHODS

    cls = METHODS.get(name)  # UnknownNameError with did-you-mean
    if not _is_adapter(cls):
        raise InputError(
            f"{name!r} is not a baseline adapter (no checkout to set up); baselines: {', '.join(adapter_names())}"
        )
    return cls(**({"repo": str(Path(directory).expanduser())} if directory else {}))


def _is_direct(url: str, path: str) -> bool:
    """A URL we can download as the file itself: its path ends with the weights file's suffix."""
    u = urlparse(url)
    return u.scheme in ("http", "https", "file") and Path(unquote(u.path)).suffix == Path(path).suffix != ""


def _git_head(repo: Path) -> str | None:
    r = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 and (repo / ".git").exists() else None


# ---------------------------------------------------------------- list
def _list(args: argparse.Namespace) -> int:
    from vfebench.commands.ls import print_table
    from vfebench.methods import METHODS

    rows = []
    for n in adapter_names():
        cls = METHODS.get(n)
        rows.append(
            {
                "name": n,
                "repo": cls.repo_url,
                "commit": cls.pinned_commit[:12] if not args.json else cls.pinned_commit,
                "entry_point": cls.entry_point,
                "weights": len(cls.weights),
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print_table(rows)
    return 0


# ---------------------------------------------------------------- setup
def _setup(args: argparse.Namespace) -> int:
    m = load_adapter(args.name, args.dir)
    repo: Path = m.repo
    if not m.pinned_commit:
        raise InputError(
            f"baseline {m.name!r} declares no pinned_commit; its adapter has not been checked yet"
        )
    source = args.source or f"https://github.com/{m.repo_url}.git"
    if args.source and Path(args.source).expanduser().is_dir():
        source = str(Path(args.source).expanduser().resolve())
    existing = repo.is_dir() and any(repo.iterdir())
    if existing and _git_head(repo) is None:
        raise InputError(
            f"{repo} exists and is not a git checkout; choose another --dir or remove it "
            f"(`vfebench baselines check {m.name} --dir {repo}` checks it as it is)"
        )
    q = shlex.quote
    steps: list[tuple[str, list[str] | str, Path | None]] = []  # (title, argv | shell, cwd)
    if existing:
        steps.append(
            (
                f"existing checkout at {repo}: fetch",
                ["git", "-C", str(repo), "fetch", "--quiet", source],
                None,
            )
        )
    else:
        steps.append((f"clone {source}", ["git", "clone", source, str(repo)], None))
    steps.append(
        (
            f"check out the pinned commit {m.pinned_commit}",
            ["git", "-C", str(repo), "checkout", "--detach", m.pinned_commit],
            None,
        )
    )
    steps.append(
        (
            "submodules (if any)",
            ["git", "-C", str(repo), "submodule", "update", "--init", "--recursive"],
            None,
        )
    )
    if not args.skip_env:
        for line in m.env_setup:
            steps.append(("note" if line.lstrip().startswith("#") else "environment", line, repo))
    print(f"# {m.name}: {m.description}")
    print(f"# repository https://github.com/{m.repo_url} at {m.pinned_commit}; checkout {repo}")
    weights = () if args.skip_weights else m.weights
    n = 0
    for title, cmd, cwd in steps:
        if title == "note":
            print(f"   {cmd}")
            continue
        n += 1
        shown = cmd if isinstance(cmd, str) else shlex.join(cmd)
        print(f"[{n}] {title}: " + (f"(cd {q(str(cwd))} && {shown})" if cwd else shown), flush=True)
        if not args.run:
            continue
        r = subprocess.run(["bash", "-c", cmd] if isinstance(cmd, str) else cmd, cwd=cwd)
        if r.returncode != 0:
            print(
                f"vfebench baselines setup: step {n} failed (exit {r.returncode}): {shown}", file=sys.stderr
            )
            return 1
    failed = _weights_steps(m, weights, n, args.run)
    if failed:
        return 1
    if args.run:
        m.prepare_checkout()
        print("pre-run fix-ups applied" + (f" ({m.traps})" if m.traps else ""))
        print(f"done. Verify with: vfebench baselines check {m.name} --dir {q(str(repo))}")
    else:
        print(
            f"# then: vfebench baselines check {m.name} --dir {q(str(repo))}   (--run executes these steps)"
        )
    print(f"# use:  vfebench run --method {q(f'{m.name}:repo={repo}')} ...")
    return 0


def _weights_steps(m: Any, weights: tuple, n: int, run: bool) -> bool:
    """Print / fetch each weights file; True when one failed."""
    from vfebench import assets
    from vfebench.errors import AssetHashError

    failed = False
    for w in weights:
        n += 1
        dest = m.repo / w.path
        sha = w.sha256 or "(no published sha256: unverified)"
        if not _is_direct(w.url, w.path):
            print(f"[{n}] weights {w.path}: download manually from {w.url} to {dest}; sha256 {sha}")
            if run and not dest.is_file():
                print(f"    (not present yet: {dest})")
            continue
        print(f"[{n}] weights {w.path}: {w.url} -> {dest}; sha256 {sha}", flush=True)
        if not run:
            continue
        if dest.is_file() and (w.sha256 is None or assets.file_sha256(dest) == w.sha256):
            print("    present" + ("" if w.sha256 else f" (unverified: sha256 {assets.file_sha256(dest)})"))
            continue
        if assets.offline() and urlparse(w.url).scheme != "file":  # a local file:// copy is fine
            print(
                f"    offline mode (VFEBENCH_OFFLINE) forbids downloading; copy it to {dest}", file=sys.stderr
            )
            failed = True
            continue
        try:
            got = assets.download_verified(w.url, dest, w.sha256)
        except (OSError, AssetHashError) as exc:
            print(f"vfebench baselines setup: weights {w.path}: {exc}", file=sys.stderr)
            failed = True
            continue
        print("    verified" if w.sha256 else f"    downloaded, unverified: sha256 {got}")
    return failed


# ---------------------------------------------------------------- check
def check_checkout(m: Any, any_commit: bool = False) -> list[dict[str, str]]:
    """One row per checked item: ``{"item", "status" (ok|warn|unverified|fail), "detail"}``."""
    from vfebench import assets

    repo: Path = m.repo
    rows: list[dict[str, str]] = []

    def add(item: str, status: str, detail: str) -> None:
        rows.append({"item": item, "status": status, "detail": detail})

    head = _git_head(repo)
    if not m.pinned_commit:
        add("commit", "fail", f"the adapter declares no pinned commit (checkout at {head or 'no git'})")
    elif head is None:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # this row says it
            digest = m.checkout_identity()["source_hash"]
        add(
            "commit",
            "warn",
            f"not a git checkout: cannot compare with the pinned {m.pinned_commit}; "
            f"fingerprinted by its source files' content ({digest})",
        )
    elif head == m.pinned_commit:
        add("commit", "ok", head)
    else:
        add(
            "commit",
            "warn" if any_commit else "fail",
            f"checkout at {head}, pinned {m.pinned_commit} (`git -C {repo} checkout {m.pinned_commit}`)",
        )
    for item, rel in [("entry point", m.entry_point)] + [
        ("file", f) for f in getattr(m, "checkout_files", ())
    ]:
        p = repo / rel
        add(f"{item} {rel}", "ok" if p.is_file() else "fail", "present" if p.is_file() else f"missing: {p}")
    for w in m.required_weights():
        p = repo / w.path
        if not p.is_file():
            add(
                f"weights {w.path}",
                "fail",
                f"missing: {p} (from {w.url}; `vfebench baselines setup {m.name} --run`)",
            )
            continue
        got = assets.file_sha256(p)
        if w.sha256 is None:
            add(
                f"weights {w.path}",
                "unverified",
                f"present, no published sha256 to compare (file sha256 {got})",
            )
        elif got == w.sha256:
            add(f"weights {w.path}", "ok", f"sha256 {got}")
        else:
            add(f"weights {w.path}", "fail", f"sha256 {got} != pinned {w.sha256}")
    py = m.python
    if os.sep in py:
        ok = Path(py).exists()
        add("python", "ok" if ok else "fail", py if ok else f"missing interpreter {py}")
    else:
        add(
            "python",
            "warn",
            f"{py!r} from PATH: no {repo / '.venv/bin/python'}; set python= or {m._env_key('PYTHON')}",
        )
    return rows


def _check(args: argparse.Namespace) -> int:
    m = load_adapter(args.name, args.dir)
    if not m.repo.is_dir():
        raise InputError(
            f"baseline {m.name!r}: no checkout at {m.repo}; create it with "
            f"`vfebench baselines setup {m.name} --dir {m.repo} --run`"
        )
    rows = check_checkout(m, any_commit=args.any_commit)
    failed = any(r["status"] == "fail" for r in rows)
    if args.json:
        print(json.dumps({"method": m.name, "dir": str(m.repo), "ok": not failed, "items": rows}, indent=2))
    else:
        from vfebench.commands.ls import print_table

        print(f"{m.name}: checkout {m.repo}")
        print_table(rows)
        unverified = sum(r["status"] == "unverified" for r in rows)
        print(
            ("FAIL" if failed else "OK")
            + (f" ({unverified} weights file(s) unverified: no published sha256)" if unverified else "")
        )
    return 1 if failed else 0


def main(args: argparse.Namespace) -> int:
    """Run the chosen ``vfebench baselines`` action; returns its exit status."""
    return {"list": _list, "setup": _setup, "check": _check}[args.action](args)
