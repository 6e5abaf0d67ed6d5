"""``vfebench`` command line: a thin layer over the Python API.

Sub-commands live in ``vfebench/commands/<name>.py``; each defines ``configure(parser)`` and
``main(args) -> int`` and imports nothing heavy at module level. Only the chosen sub-command's
module is imported, so ``vfebench --help`` returns fast. Errors derived from
:class:`~vfebench.errors.VfebenchError` are printed without a traceback (exit status 2).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from vfebench import __version__

COMMANDS: dict[str, str] = {
    "run": "run methods on a dataset: degrade, restore, score, write a run record",
    "ls": "list datasets, presets, methods or metrics",
    "degrade": "write deterministic synthetic LQ clips for a dataset",
    "prepare": "turn raw talking-head videos into VFHQ-style 512×512 face clips",
    "score": "score restored clips against GT clips (pyiqa-style)",
    "assets": "list, fetch, verify or import pinned weights",
    "report": "render run records as Markdown / LaTeX / HTML tables and plots",
    "gate": "compare a candidate run with a baseline (exit 0 pass / 1 fail / 2 incomparable)",
    "calibrate": "check metrics against officially published values on pinned inputs",
    "baselines": "set up / check published methods' checkouts (pinned commit, own env, weights)",
}


def _top_parser() -> argparse.ArgumentParser:
    width = max(len(c) for c in COMMANDS)
    lines = "\n".join(f"  {c.ljust(width)}  {h}" for c, h in COMMANDS.items())
    p = argparse.ArgumentParser(
        prog="vfebench",
        description="Reproducible benchmark for video face enhancement.",
        epilog=f"commands:\n{lines}\n\nRun `vfebench COMMAND --help` for a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"vfebench {__version__}")
    p.add_argument("command", nargs="?", help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``vfebench COMMAND ...``; returns the exit status.

    Dispatches to ``vfebench.commands.<COMMAND>`` (its ``configure`` builds the parser, its ``main``
    runs). An unknown command prints a did-you-mean and returns 2; a :class:`VfebenchError` is printed
    as ``vfebench CMD: error: ...`` and returns 2; Ctrl-C returns 130.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    top = _top_parser()
    if not argv or argv[0].startswith("-"):
        top.parse_args(argv or ["--help"])
        return 0
    cmd = argv[0]
    if cmd not in COMMANDS:
        from vfebench.registry import did_you_mean

        top.print_usage(sys.stderr)
        print(
            f"vfebench: error: unknown command {cmd!r}.{did_you_mean(cmd, list(COMMANDS))}", file=sys.stderr
        )
        return 2
    mod = importlib.import_module(f"vfebench.commands.{cmd}")
    parser = argparse.ArgumentParser(prog=f"vfebench {cmd}", description=COMMANDS[cmd])
    mod.configure(parser)
    args = parser.parse_args(argv[1:])
    from vfebench.errors import VfebenchError

    try:
        return int(mod.main(args) or 0)
    except VfebenchError as exc:
        print(f"vfebench {cmd}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"vfebench {cmd}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
