#!/usr/bin/env bash
# DCGAN recipes side by side on one GPU (issue 15): each trains the shipped architecture on
# mnist-5k for the shipped run's 250 epochs, seed 0, with the live probe's 500-sample classifier
# FID every 1,500 steps; then each is measured as the Model report measures a checkpoint (1,000
# samples). The GPU only makes the search fast: a recipe found here is then trained on the CPU.
#
# Run from the repository root: bash benchmarks/recipe_sweep.sh LOG [EPOCHS] [SECONDS]
# (SECONDS bounds the training; a run stopped there saves first and is measured as it stands.)
set -uo pipefail
LOG=${1:?usage: recipe_sweep.sh LOG [EPOCHS] [SECONDS]}
EPOCHS=${2:-250}
SECONDS_LEFT=${3:-360}
PY=${PY:-python3}
DEVICE=${DEVICE:-cuda}
DIR=$(mktemp -d)
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} GEN_CORE_OFFLINE=1 OMP_NUM_THREADS=2

SHIPPED="--loss hinge --r1 1 --r1-every 4"
declare -A RECIPES=(
  [shipped]="$SHIPPED"
  [ema]="$SHIPPED --ema 0.999"
  [ttur]="$SHIPPED --lr-d 0.0004 --lr-g 0.0001"
  [betas]="$SHIPPED --beta1 0.0 --beta2 0.99"
  [r1-3]="--loss hinge --r1 3 --r1-every 4"
  [batch128]="$SHIPPED --batch-size 128 --lr-g 0.0004 --lr-d 0.0004"
)

for name in "${!RECIPES[@]}"; do
  # shellcheck disable=SC2086  # each recipe is a list of options
  timeout "$SECONDS_LEFT" "$PY" -m gen_core train --model dcgan --dataset mnist-5k --seed 0 \
    --device "$DEVICE" --epochs "$EPOCHS" --sample-every 500 --log-every 500 \
    --checkpoint-every 100000 --out "$DIR/$name" ${RECIPES[$name]} >"$DIR/$name.out" 2>&1 &
done
wait

for name in "${!RECIPES[@]}"; do
  "$PY" -m gen_core report "$DIR/$name/checkpoint" -n 1000 -k 1 >"$DIR/$name.report" 2>&1 &
done
wait

for name in "${!RECIPES[@]}"; do
  {
    echo "== $name: ${RECIPES[$name]}"
    "$PY" -c 'import sys
from gen_core.runs import read_events
events = read_events(sys.argv[1])[0]  # a run killed at the time limit may end in a torn line
probe = [(e["step"], round(e["fid"], 1)) for e in events if e["type"] == "quality"]
wall = events[-1]["time"] - events[0]["time"]
print(events[-1]["type"], "at step", events[-1]["step"], "after %.0f s;" % wall, "probe FID", probe)
' "$DIR/$name/events.jsonl"
    grep -iE "fid|confident|entropy" "$DIR/$name.report"
    tail -1 "$DIR/$name.out"
  } | tee -a "$LOG"
done
