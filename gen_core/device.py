"""Device, dtype and seed handling, in one place so no caller sprinkles its own."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator

import numpy as np
import torch


def resolve_device(name: str = "auto") -> torch.device:
    """Turn "auto", "cuda", "mps", "cpu" (or "cuda:1") into a device that exists here."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ValueError(f"unknown device {name!r}: use auto, cpu, cuda, cuda:N or mps") from None
    if device.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"device {name!r} is not one gen_core trains on: auto, cpu, cuda or mps")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} asked for, but CUDA is not available on this machine")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device {name!r} asked for, but MPS is not available on this machine")
    return device


def describe_device(device: torch.device) -> str:
    """A human name for the device: the GPU model, or the CPU with its thread count."""
    if device.type == "cuda":
        return f"GPU: {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "Apple GPU (MPS)"
    return f"CPU ({torch.get_num_threads()} threads)"


ALL_THREADS = torch.get_num_threads()  # torch's own choice: one per physical core


def share_cpu(training: bool) -> None:
    """Torch threads of a process that serves pages: one while a run it launched trains, so the
    run keeps its cores and the pages do not thrash against it; all of them otherwise."""
    wanted = 1 if training else ALL_THREADS
    if torch.get_num_threads() != wanted:
        torch.set_num_threads(wanted)


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run a block on ``n`` torch threads, then go back to as many as before."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def seed_everything(seed: int) -> None:
    """Seed every RNG a run touches (Python, NumPy, torch on all devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def autocast(device: torch.device, bf16: bool) -> contextlib.AbstractContextManager[None]:
    """bf16 autocast on CUDA or the CPU when asked for; a no-op on MPS. A CPU gains only with
    AMX (Intel Sapphire Rapids and later: 1.3x on the DCGAN, BENCHMARKS.md); without it, slower."""
    if bf16 and device.type in ("cuda", "cpu"):
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def bf16_is_fast(device: torch.device) -> bool:
    """Whether bf16 autocast speeds training up on ``device``: on a GPU that has bf16, or on a
    CPU with AMX tiles (torch's own probe, private but the one oneDNN's choice rests on)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    probe = getattr(torch.cpu, "_is_amx_tile_supported", None)
    return device.type == "cpu" and probe is not None and bool(probe())


def rng_state() -> dict[str, torch.Tensor]:
    """The global torch RNG states (CPU and every CUDA device), for exact resume."""
    state = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            state[f"cuda{i}"] = s
    return state


def set_rng_state(state: dict[str, torch.Tensor]) -> None:
    """Restore what :func:`rng_state` captured; CUDA states are skipped on a CPU-only machine."""
    torch.set_rng_state(state["cpu"].to(torch.uint8))
    if torch.cuda.is_available():
        cuda = [state[k].to(torch.uint8) for k in sorted(state) if k.startswith("cuda")]
        if len(cuda) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(cuda)


def seeded_rng_state(seed: int) -> dict[str, torch.Tensor]:
    """The RNG states ``torch.manual_seed(seed)`` gives, without touching the caller's."""
    with torch.random.fork_rng(devices=range(torch.cuda.device_count())):
        torch.manual_seed(seed)
        return rng_state()


@contextlib.contextmanager
def own_rng(state: dict[str, torch.Tensor]) -> Iterator[dict[str, torch.Tensor]]:
    """Run a block on its own RNG stream; the dict yielded holds the stream's state afterwards.

    A trainer's noise, dropout and sampling then depend only on its seed (or the state it
    resumed), never on what the caller drew before, and the caller's stream is left as it was.
    """
    with torch.random.fork_rng(devices=range(torch.cuda.device_count())):
        set_rng_state(state)
        try:
            yield state
        finally:
            state.update(rng_state())


@contextlib.contextmanager
def eval_mode(module: torch.nn.Module) -> Iterator[None]:
    """Run a block in eval mode and put the module back as it was."""
    was_training = module.training
    module.eval()
    try:
        yield
    finally:
        module.train(was_training)
