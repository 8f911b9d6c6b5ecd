#!/usr/bin/env bash
# Retrain the shipped checkpoints on the CPU (generators on mnist-5k): `make checkpoints`.
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

# The best measured recipe: the hinge loss with a lazy R1 penalty (BENCHMARKS.md), 250 epochs;
# the DCGAN class-conditional (FID 33.7 -> 17.9, confident samples 69% -> 96%). Under bf16
# autocast where the CPU has AMX tiles (1.3-1.5x faster, as the shipped one was trained); a CPU
# without them emulates bf16 some 30x slower, so it trains in float32.
BF16=$("$PY" -c "import torch; from gen_core.device import bf16_is_fast; print(bf16_is_fast(torch.device('cpu')))")
ship dcgan --epochs 250 --loss hinge --r1 1 --r1-every 4 --bf16 "$BF16" --conditional
ship fcgan --epochs 300 --loss hinge --r1 1 --r1-every 4
ship vae --epochs 60
ship conv-vae --epochs 40
# Its UMAP and PCA maps, so the Latent space page shows them at once (~20 s), and samples
# from the density its run fitted to its training codes.
if [ -z "$ONLY" ] || [ "$ONLY" = conv-vae ]; then
  "$PY" -m gen_core sample checkpoints/conv-vae --latents fitted --out docs/samples/conv-vae-fitted.png \
    -n 64 --seed 0
  "$PY" -m gen_core project checkpoints/conv-vae
fi

# The classifiers that measure samples (classifier FID, class coverage): digits, and clothes
# for models trained on Fashion-MNIST (Debian's dataset-fashion-mnist; ~2 minutes).
if [ -z "$ONLY" ] || [ "$ONLY" = classifier ]; then
  "$PY" -m gen_core classifier --out checkpoints/classifier --dataset mnist-5k --epochs 20 --seed 0
fi
# The upload classifier of the Anomaly page's default score: digits rendered as uploads (4 looks
# each) and synthetic non-digits as a "none of them" class (~8 minutes).
if [ -z "$ONLY" ] || [ "$ONLY" = classifier-uploads ]; then
  "$PY" -m gen_core classifier --out checkpoints/classifier-uploads --dataset mnist-5k --epochs 12 \
    --uploads 4 --seed 0
fi
if [ -z "$ONLY" ] || [ "$ONLY" = classifier-fashion-mnist ]; then
  "$PY" -m gen_core classifier --out checkpoints/classifier-fashion-mnist --dataset fashion-mnist \
    --epochs 5 --seed 0
fi
