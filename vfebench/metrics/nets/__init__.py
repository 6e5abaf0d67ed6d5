"""Every network definition and weight loader used by metrics, one network per module (torch
modules; import only inside ``setup()``). The per-clip procedures around them (alignment,
preprocessing, face analysis) are :mod:`vfebench.metrics.features`."""
