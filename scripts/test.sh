#!/usr/bin/env bash
# Install vfebench with its test extras into ./.venv (created if missing) and run the test suite.
# Extra arguments go to pytest, e.g. `scripts/test.sh -m "not slow" -k degrade`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
python -m pip install -q --disable-pip-version-check --upgrade pip setuptools wheel
python -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[test]"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
python -m pytest -ra "$@"
