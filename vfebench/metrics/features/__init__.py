"""Per-clip features shared across metrics: alignment, preprocessing, the face-analysis pass
(faces.py), video fragments. No networks here: every network definition and weight loader is in
:mod:`vfebench.metrics.nets` (``tests/vfebench/metrics/test_layout.py`` checks it)."""
