#!/usr/bin/env bash
# Smoke regression gate (called by .ci/run): run the weight-free flow on the demo data and gate
# it against the blessed baseline. Exit status: 0 pass, 1 fail, 2 incomparable (or bad input).
#
#   scripts/smoke_gate.sh            # gate against results/baselines/smoke-demo.json
#   scripts/smoke_gate.sh --bless    # re-bless the baseline after an intended change (commit it)
#
# Demo data (3 clips × first 8 frames, 512²), preset vfhq-x4 seed 0, methods identity / bicubic /
# lanczos, metrics PSNR / SSIM / NIQE (no downloaded weights). Everything runs in a temporary
# cache unless VFEBENCH_SMOKE_CACHE is set (reuse it to make repeated local runs fast).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
baseline="$here/results/baselines/smoke-demo.json"
tolerances="$here/results/baselines/smoke-tolerances.json"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export VFEBENCH_CACHE="${VFEBENCH_SMOKE_CACHE:-$tmp/cache}"
export VFEBENCH_OFFLINE=1
VFEBENCH="${VFEBENCH:-vfebench}"

"$VFEBENCH" run --method identity --method bicubic --method lanczos --dataset demo --preset vfhq-x4 \
  --seed 0 --metrics psnr,ssim,niqe --max-frames 8 --out "$tmp/run" --no-progress --quiet

if [[ "${1:-}" == "--bless" ]]; then
  "$VFEBENCH" gate --bless --candidate "$tmp/run" --baseline "$baseline"
  exit 0
fi
"$VFEBENCH" gate --baseline "$baseline" --candidate "$tmp/run" --tolerances "$tolerances"
