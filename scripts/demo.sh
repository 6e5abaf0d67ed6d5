#!/usr/bin/env bash
# Install vfebench (core + report extras) into ./.venv and run the demo benchmark on the embedded
# demo data: three trivial methods on 3 demo clips degraded with vfhq-x4, then a Table-1 style
# Markdown table. Nothing is downloaded besides the Python packages.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
python -m pip install -q --disable-pip-version-check --upgrade pip setuptools wheel
python -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[report]"
OUT=${OUT:-runs/demo}
# prints Table 1 (Markdown) and Table 3 at the end; `vfebench report "$OUT" --format html` for plots
vfebench run --method identity --method bicubic --method lanczos --dataset demo --preset vfhq-x4 --seed 0 --out "$OUT"
