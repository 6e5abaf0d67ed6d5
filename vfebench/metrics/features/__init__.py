"""Per-clip features shared across metrics (face analysis, ArcFace, CLIP); see faces.py."""
