"""Pinned weights of this metric family (see vfebench.assets)."""

from vfebench.assets import Asset

ASSETS: list[Asset] = []
