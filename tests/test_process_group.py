"""A torchrun job of one process joins a process group, so one GPU can check NCCL and DDP."""

import sys

import torch
import torch.distributed as dist
from torch import nn

from gen_core.distributed import ALONE, close, init_from_env

from .helpers import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from _browser import free_port  # noqa: E402 - the benchmarks' free loopback port, shared

CPU = torch.device("cpu")


def test_a_plain_process_stays_alone(monkeypatch):
    for name in ("WORLD_SIZE", "TORCHELASTIC_RUN_ID"):
        monkeypatch.delenv(name, raising=False)
    assert init_from_env(CPU) is ALONE and ALONE.backend is None


def test_a_torchrun_job_of_one_process_joins_a_group_and_wraps_the_model_in_ddp(monkeypatch):
    torchrun_env = {
        "TORCHELASTIC_RUN_ID": "one-process",
        "RANK": "0",
        "LOCAL_RANK": "0",
        "WORLD_SIZE": "1",
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(free_port()),
        "GLOO_SOCKET_IFNAME": "lo",
    }
    for name, value in torchrun_env.items():
        monkeypatch.setenv(name, value)
    job = init_from_env(CPU)
    try:
        assert job.active and (job.rank, job.world_size) == (0, 1)
        assert job.backend == dist.get_backend() == "gloo"
        assert isinstance(job.wrap(nn.Linear(2, 1), CPU), nn.parallel.DistributedDataParallel)
        assert job.mean(torch.tensor([3.0])).item() == 3.0
    finally:
        close(job)
    assert not dist.is_initialized()
