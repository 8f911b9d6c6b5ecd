"""Data-parallel training: real torchrun jobs of 2 CPU processes over gloo, bounded by timeouts."""

import os
import subprocess
import sys

import pytest

from gen_core import checkpoints as ckpt
from gen_core.distributed import launcher
from gen_core.runs import RunManager, RunRequest, read_events

from .helpers import ROOT, cli_here, wait_for

pytestmark = pytest.mark.slow  # real processes, servers or browsers: the full suite only

ENV = {**os.environ, "GLOO_SOCKET_IFNAME": "lo", "OMP_NUM_THREADS": "1"}


def torchrun(*args: str, processes: int = 2) -> subprocess.CompletedProcess:
    cmd = [*launcher(sys.executable, processes), *args]
    proc = subprocess.run(cmd, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


HALF_WIDTH = ["--ngf", "16", "--ndf", "16"]  # what is checked is the ranks, not what G learns
# The shipped DCGAN's objective (hinge loss, R1, class labels), here with lazy R1 and an EMA
SHIPPED_RECIPE = ["--loss", "hinge", "--r1", "1", "--conditional", "true"]


@pytest.mark.parametrize(
    ("model", "extra"),
    [
        ("vae", []),
        ("conv-vae", []),
        ("fcgan", []),
        ("dcgan", HALF_WIDTH),
        ("dcgan", [*HALF_WIDTH, "--loss", "wgan-gp", "--d-batch-norm", "false", "--d-steps", "2"]),
        ("dcgan", [*HALF_WIDTH, *SHIPPED_RECIPE, "--r1-every", "2", "--ema", "0.99"]),
    ],
)
def test_two_processes_train_in_step_and_only_rank_0_writes(tmp_path, model, extra):
    out = tmp_path / "run"
    torchrun(
        "train",
        "--model",
        model,
        "--dataset",
        "mnist-5k",
        "--steps",
        "40",
        "--log-every",
        "10",
        "--sample-every",
        "20",
        "--device",
        "cpu",
        "--out",
        str(out),
        *extra,
    )
    events, _ = read_events(out / "events.jsonl")
    types = [e["type"] for e in events]
    assert types.count("start") == 1 and types.count("finished") == 1  # one writer, not two
    assert [e["step"] for e in events if e["type"] == "step"] == [1, 10, 20, 30, 40]
    assert [e["step"] for e in events if e["type"] == "samples"] == [0, 20, 40]
    replicas = events[-1]["replicas"]
    assert len(replicas) == 2 and replicas[0] == replicas[1]  # every rank holds the same weights
    info = ckpt.read_info(out / "checkpoint")
    written = {p.name for p in out.iterdir()}
    assert info.has_training_state and len(info.files()) == 3  # sidecar, weights, optimizer state
    assert written == {"events.jsonl", "samples"} | {f.name for f in info.files()}  # nothing stale
    steps = [e for e in events if e["type"] == "step"]
    if "loss" in steps[0]:
        assert steps[-1]["loss"] < steps[0]["loss"] - 20
    else:
        assert all(abs(s["loss_d"]) < 1e3 and abs(s["loss_g"]) < 1e3 for s in steps)

    cli_here(
        "train", "--resume", str(out / "checkpoint"), "--steps", "50", "--out", str(out)
    )  # 2 ranks -> 1
    assert ckpt.read_info(out / "checkpoint").step == 50


def test_a_single_process_checkpoint_resumes_on_two(tmp_path):
    out = tmp_path / "run"
    cli_here(
        "train",
        "--model",
        "vae",
        "--dataset",
        "mnist-5k",
        "--steps",
        "20",
        "--device",
        "cpu",
        "--out",
        str(out),
    )
    torchrun("train", "--resume", str(out / "checkpoint"), "--steps", "40", "--out", str(out))
    events, _ = read_events(out / "events.jsonl")
    assert (
        events[-1]["type"] == "finished"
        and events[-1]["step"] == 40
        and len(events[-1]["replicas"]) == 2
    )


def test_the_run_manager_launches_torchrun_for_several_processes(tmp_path):
    manager = RunManager(tmp_path / "runs")
    run_id = manager.submit(
        RunRequest.build(
            "vae",
            {"dataset": "mnist-5k", "steps": 20, "log_every": 10, "device": "cpu"},
            processes=2,
        )
    )
    status = wait_for(manager, run_id, {"finished", "failed"}, timeout=180)
    assert status.status == "finished", status.reason
    events, _ = read_events(status.path / "events.jsonl")
    assert len(events[-1]["replicas"]) == 2


@pytest.mark.parametrize(("world", "shutdown"), [("1", True), ("2", False)])
def test_a_rank_exits_with_its_code_and_output_but_without_interpreter_shutdown(world, shutdown):
    script = (
        "import atexit\nfrom gen_core.distributed import exit_process\n"
        "atexit.register(print, 'shutdown')\nprint('kept')\nexit_process(3)\n"
    )
    env = {**os.environ, "WORLD_SIZE": world, "PYTHONUNBUFFERED": ""}  # buffered: flush or lose
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert proc.returncode == 3
    assert proc.stdout.split() == (["kept", "shutdown"] if shutdown else ["kept"])
