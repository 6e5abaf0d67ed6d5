"""Pinned weights of the vividface method (see vfebench.assets)."""

from vfebench.assets import Asset

ASSETS: list[Asset] = []
