"""Add components to vfebench's registries for one test (undone by ``monkeypatch``)."""

from __future__ import annotations

import pytest

from vfebench.registry import Registry


def add(monkeypatch: pytest.MonkeyPatch, registry: Registry, name: str, obj: object) -> None:
    """Register ``obj`` as ``name`` in ``registry`` until ``monkeypatch`` is undone."""
    monkeypatch.setitem(registry._targets, name, f"<object {obj!r}>")
    monkeypatch.setitem(registry._loaded, name, obj)
