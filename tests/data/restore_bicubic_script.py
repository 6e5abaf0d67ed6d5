"""A stand-in for "your own method": a plain script that knows nothing of vfebench's Python API.

    python restore_bicubic_script.py LQ_DIR OUT_DIR [--timing]

Reads the LQ set written by ``vfebench degrade --out LQ_DIR`` (``LQ_DIR/<clip>/%08d.png`` and
``LQ_DIR/manifest.json``, whose ``clips.<id>.params.gt_size`` is ``[H, W]``), upsamples every
frame to the GT size with OpenCV bicubic, and writes ``OUT_DIR/<clip>/%08d.png``. With
``--timing`` it also writes ``OUT_DIR/timing.json`` (the documented sidecar format).
"""

import json
import sys
import time
from pathlib import Path

import cv2


def main(argv):
    lq, out = Path(argv[0]), Path(argv[1])
    manifest = json.loads((lq / "manifest.json").read_text())
    timing = {}
    for cid, entry in sorted(manifest["clips"].items()):
        h, w = entry["params"]["gt_size"]
        (out / cid).mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        for f in sorted((lq / cid).glob("*.png")):
            img = cv2.imread(str(f), cv2.IMREAD_COLOR)
            cv2.imwrite(str(out / cid / f.name), cv2.resize(img, (w, h), interpolation=cv2.INTER_CUBIC))
        timing[cid] = {"seconds": max(time.perf_counter() - t0, 1e-6)}
    if "--timing" in argv:
        (out / "timing.json").write_text(json.dumps({"device": "cpu (test script)", "clips": timing}))


if __name__ == "__main__":
    main(sys.argv[1:])
