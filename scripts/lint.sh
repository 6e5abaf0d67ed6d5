#!/usr/bin/env bash
# Lint step (CI runs it after the tests): ruff check + format check on the whole tree, mypy on
# vfebench/ (config: [tool.mypy] in pyproject.toml), then docstring coverage (every public
# function documented, every array function stating its shape: scripts/docstring_coverage.py). Needs the test extra (ruff and mypy are
# pinned in constraints.txt): `pip install -c constraints.txt -e ".[test]"`, or run
# `scripts/test.sh` once, which creates ./.venv; this script uses ./.venv when it exists.
#
#   scripts/lint.sh            # everything
#   scripts/lint.sh mypy       # mypy only (e.g. after a merge)
#   scripts/lint.sh docs       # docstring coverage only
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${VIRTUAL_ENV:-}" ] && [ -x .venv/bin/python ]; then . .venv/bin/activate; fi
what=${1:-all}
if [[ "$what" == all || "$what" == ruff ]]; then
  ruff check .
  ruff format --check .
fi
if [[ "$what" == all || "$what" == mypy ]]; then
  python -m mypy
fi
if [[ "$what" == all || "$what" == docs ]]; then
  python scripts/docstring_coverage.py --fail-under 100
fi
