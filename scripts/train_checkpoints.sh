#!/usr/bin/env bash
# Retrain the shipped checkpoints on mnist-5k on the CPU: `make checkpoints`.
# Each run goes to runs/ship/NAME; its model (no optimizer state) is exported to
# checkpoints/NAME and a sample grid to docs/samples/NAME.png for the README.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
ONLY=${1:-}

ship() {
  local name=$1; shift
  [ -z "$ONLY" ] || [ "$ONLY" = "$name" ] || return 0
  rm -rf "runs/ship/$name"
  "$PY" -m gen_core train --model "$name" --out "runs/ship/$name" --dataset mnist-5k \
    --device cpu --seed 0 --sample-every 1000 --checkpoint-every 100000 "$@"
  "$PY" -m gen_core export "runs/ship/$name/checkpoint" "checkpoints/$name"
  "$PY" -m gen_core sample "checkpoints/$name" --out "docs/samples/$name.png" -n 64 --seed 0
}

ship dcgan --epochs 60 --label-smoothing 0.1
ship fcgan --epochs 100 --label-smoothing 0.1
ship vae --epochs 60
ship conv-vae --epochs 40

# The digit classifier that measures samples (classifier FID, class coverage).
if [ -z "$ONLY" ] || [ "$ONLY" = classifier ]; then
  "$PY" -m gen_core classifier --out checkpoints/classifier --dataset mnist-5k --epochs 20 --seed 0
fi
