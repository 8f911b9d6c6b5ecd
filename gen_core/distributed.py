"""Data-parallel training under torchrun: PyTorch's DistributedDataParallel, set up in one place.

``python -m gen_core train`` runs unchanged under ``torchrun --nproc-per-node=N``: torchrun
sets RANK, LOCAL_RANK and WORLD_SIZE, and this module joins the process group (NCCL on CUDA,
gloo on CPU). Every rank trains on its own shard of each epoch's permutation; DDP averages the
gradients; rank 0 alone writes events, grids and checkpoints. Decisions that must be the same
on every rank (stop now? did a loss go non-finite?) are agreed by all-reduce, so no rank waits
forever for another that left.
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass
from typing import NoReturn

import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True)
class Dist:
    """This process's place in the job: rank, world size, and whether a process group runs."""

    rank: int = 0
    world_size: int = 1
    active: bool = False  # in a process group: any torchrun job, even one of a single process

    @property
    def backend(self) -> str | None:
        """The process group's backend ("nccl", "gloo"), None alone: said in a run's start event."""
        return str(dist.get_backend()) if self.active else None

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def wrap(self, module: nn.Module, device: torch.device) -> nn.Module:
        """DDP around a module (identity when alone). Buffers (batch-norm statistics) are
        broadcast from rank 0 at each forward, so every rank normalises the same way at eval."""
        if not self.active:
            return module
        ids = [device.index] if device.type == "cuda" else None
        return nn.parallel.DistributedDataParallel(module, device_ids=ids)

    def mean(self, values: torch.Tensor) -> torch.Tensor:
        """The average of a tensor over ranks (itself when alone)."""
        if not self.active:
            return values
        values = values.clone()
        dist.all_reduce(values)
        return values / self.world_size

    def any(self, flag: bool, device: torch.device) -> bool:
        """True on every rank when it is true on any rank."""
        if not self.active:
            return flag
        t = torch.tensor([1.0 if flag else 0.0], device=device)
        dist.all_reduce(t)
        return bool(t.item() > 0)

    def fingerprints(self, module: nn.Module) -> list[str]:
        """A hash of the parameters on each rank: equal hashes mean the replicas agree."""
        digest = hashlib.sha256()
        for p in module.parameters():
            digest.update(p.detach().cpu().numpy().tobytes())
        mine = digest.hexdigest()[:16]
        if not self.active:
            return [mine]
        gathered: list[str] = [""] * self.world_size
        dist.all_gather_object(gathered, mine)
        return gathered


ALONE = Dist()  # a process that is not part of a torchrun job


def launcher(python: str, processes: int) -> list[str]:
    """The command prefix that runs ``gen_core`` in N processes: torchrun on a free loopback
    port (--standalone), or plain ``python -m gen_core`` for one."""
    if processes <= 1:
        return [python, "-m", "gen_core"]
    return [
        python,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc-per-node={processes}",
        "-m",
        "gen_core",
    ]


def init_from_env(device: torch.device) -> Dist:
    """Join the process group torchrun describes in the environment; a lone process gets Dist().

    A torchrun job of one process joins too (NCCL or gloo, DDP around the model), so the
    data-parallel path can be checked on a machine with one GPU."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1 and "TORCHELASTIC_RUN_ID" not in os.environ:
        return ALONE
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group(backend)
    return Dist(dist.get_rank(), dist.get_world_size(), active=True)


def local_device(device: torch.device) -> torch.device:
    """Under torchrun each process on a GPU machine takes the GPU of its LOCAL_RANK."""
    if device.type == "cuda" and "LOCAL_RANK" in os.environ:
        return torch.device("cuda", int(os.environ["LOCAL_RANK"]))
    return device


def close(d: Dist) -> None:
    """Wait for every rank, then leave the process group."""
    if d.active and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def exit_process(code: int) -> NoReturn:
    """End the process with ``code``; a torchrun rank skips the interpreter's shutdown.

    DDP keeps references to the gloo process group that outlive destroy_process_group, so its
    worker threads still run at exit, and one may be releasing the last collective's tensors
    while the interpreter finalizes: it cannot take the GIL and the rank dies of SIGABRT
    ("terminate called without an active exception", seen about once in ten loaded CI runs).
    Every file is closed by now, so a rank flushes its output and leaves at once.
    """
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        sys.exit(code)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
