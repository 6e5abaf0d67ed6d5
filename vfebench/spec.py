"""The one component spec grammar: ``NAME[:MODE][:key=value,...]``.

Every component a user names on the command line — dataset (``--dataset``), degradation preset
(``--preset``), method (``--method``) and metric (``--metrics``) — is written in this grammar and
read by :func:`parse_spec`; option values go through the one value parser :func:`parse_value`.

- ``NAME``: a registry name (``psnr``, ``vfhq``, ``bicubic``). For methods, ``pkg.module:Class``
  is also a name (the ``:`` inside it is the class separator, not a mode).
- ``MODE``: a metric mode (``fvd:dataset``) or a dataset root (``vfhq:/data/VFHQ-test``).
- ``key=value,...``: options. Values are JSON when they parse as JSON (``window=16`` → ``16``,
  ``eps=1e-6`` → ``1e-06``, ``half=true`` → ``True``), else kept as text (``backend=insightface``,
  ``lq=LQ``). A value may contain ``:`` and ``=`` but not ``,``.

The options begin after the last ``:`` before the first ``=``. For compatibility with the older
dataset spelling, a ``,`` there is read the same way (``demo,num_clips=2`` =
``demo:num_clips=2``; ``vfhq:/data/VFHQ-test,lq=LQ`` = ``vfhq:/data/VFHQ-test:lq=LQ``).

A comma-separated *list* of specs (``--metrics psnr,ids:backend=insightface,eps=1,fvd``) is read
by :func:`split_specs`: a piece with ``=`` and no ``:`` before it is one more option of the
previous spec. Unknown option keys are rejected by :func:`check_options` with a did-you-mean
(unknown names by the registries, :mod:`vfebench.registry`).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from vfebench.errors import InputError
from vfebench.registry import did_you_mean


def parse_value(text: str) -> Any:
    """An option value: JSON when it parses (numbers, ``true``/``false``/``null``, quoted
    strings, lists), else the stripped text itself."""
    text = text.strip()
    try:
        return json.loads(text)
    except ValueError:
        return text


@dataclass(frozen=True)
class Spec:
    """A parsed component spec.

    Attributes:
        text: the spec as written (stripped); the key of a metric in records.
        name: ``NAME`` (for a ``pkg.module:Class`` method: ``pkg.module``; see :attr:`head`).
        mode: ``MODE`` or ``""``.
        options: ``key → value`` (values parsed by :func:`parse_value`), in the order written.
    """

    text: str
    name: str
    mode: str = ""
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def head(self) -> str:
        """``NAME[:MODE]`` as written: a method's registry name or ``pkg.module:Class`` target."""
        return f"{self.name}:{self.mode}" if self.mode else self.name


def _options_start(text: str) -> int:
    """Index where the options text begins (after its separator), or -1 when there are none."""
    eq = text.find("=")
    if eq < 0:
        return -1
    sep = max(text.rfind(":", 0, eq), text.rfind(",", 0, eq))
    return sep + 1 if sep >= 0 else 0


def parse_spec(text: str, kind: str = "component") -> Spec:
    """Parse ``NAME[:MODE][:key=value,...]`` (see the module docstring); ``kind`` names the
    component in error messages (``metric``, ``--method`` ...)."""
    text = str(text).strip()
    if not text:
        raise InputError(f"empty {kind} spec (expected NAME[:MODE][:key=value,...])")
    start = _options_start(text)
    if start == 0:
        raise InputError(
            f"{kind} spec {text!r}: options need a name first (NAME:key=value, e.g. fvd:window=16)"
        )
    head, opt_text = (text, "") if start < 0 else (text[: start - 1], text[start:])
    if "," in head:
        bad = head.split(",", 1)[1]
        raise InputError(
            f"{kind} spec {text!r}: {bad!r} is not an option (expected key=value: "
            "NAME[:MODE][:key=value,...])"
        )
    options: dict[str, Any] = {}
    for item in opt_text.split(",") if opt_text else []:
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or not key:
            raise InputError(f"{kind} spec {text!r}: bad option {item!r} (expected key=value)")
        if key in options:
            raise InputError(f"{kind} spec {text!r}: option {key!r} given twice")
        options[key] = parse_value(value)
    name, _, mode = head.partition(":")
    if not name.strip():
        raise InputError(f"{kind} spec {text!r}: no name before ':' (expected NAME[:MODE])")
    return Spec(text=text, name=name.strip(), mode=mode.strip(), options=options)


def split_specs(text: str | Iterable[str], kind: str = "component") -> list[Spec]:
    """Parse a comma-separated list of specs (or several such lists) once, dropping blanks and
    repeats (order kept).

    ``"psnr,ids:backend=insightface,fvd:dataset:window=10,eps=1e-6"`` → three specs; a piece
    whose text before its first ``:`` holds ``=`` is another option of the previous spec.
    """
    items = [text] if isinstance(text, str) else list(text)
    pieces: list[str] = []
    for it in items:
        for piece in str(it).split(","):
            piece = piece.strip()
            if not piece:
                continue
            if "=" in piece.partition(":")[0]:
                if not pieces or "=" not in pieces[-1]:
                    raise InputError(
                        f"{kind} list {str(it)!r}: option {piece!r} follows no spec with options; "
                        f"write it after its component as NAME:{piece}"
                    )
                pieces[-1] += "," + piece
            else:
                pieces.append(piece)
    out: list[Spec] = []
    for p in pieces:
        s = parse_spec(p, kind)
        if all(s.text != o.text for o in out):
            out.append(s)
    return out


def check_options(who: str, options: Iterable[str], known: Iterable[str], hint: str = "") -> None:
    """Raise :class:`InputError` for the first option not in ``known``, with a did-you-mean and
    the list of known options (``who`` names the component: ``"metric 'fvd'"``)."""
    known = tuple(sorted(known))
    for k in options:
        if k not in known:
            listed = ", ".join(known) if known else "none"
            raise InputError(
                f"{who} has no option {k!r}.{did_you_mean(k, known)} Options: {listed}"
                + (f" ({hint})" if hint else "")
            )


def signature_options(cls: type[Any], skip: Iterable[str] = ("self",)) -> tuple[str, ...] | None:
    """Keyword options a class's ``__init__`` accepts, or None when it takes ``**kwargs``."""
    if cls.__init__ is object.__init__:
        return ()
    params = inspect.signature(cls.__init__).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    skip = set(skip)
    return tuple(
        p.name for p in params if p.name not in skip and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    )
