"""Runs that go wrong lose nothing: checkpoints committed as a set, resumes that obey, divergence
caught, and a kill at any moment leaving a loadable checkpoint."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from gen_core import checkpoints as ckpt
from gen_core.files import atomic_write
from gen_core.models import build_model
from gen_core.runs import EventFile, read_events

from .helpers import ROOT, trainer_for


def test_each_save_is_a_new_generation_and_the_old_files_go_once_it_is_in_place(mnist5k, tmp_path):
    trainer, _ = trainer_for(
        "vae", mnist5k.train.images[:512], tmp_path, steps=30, checkpoint_every=10
    )
    assert trainer.run() == "finished"
    info = ckpt.read_info(tmp_path / "checkpoint")
    assert info.weights.file == "checkpoint.g0000030.safetensors" and info.step == 30
    left = sorted(p.name for p in tmp_path.glob("*.safetensors"))
    assert left == ["checkpoint.g0000030.safetensors", "checkpoint.g0000030.state.safetensors"]
    assert ckpt.load_checkpoint(tmp_path / "checkpoint.g0000030.safetensors").info.step == 30


def test_a_save_cut_short_leaves_the_previous_checkpoint_whole(mnist5k, tmp_path, monkeypatch):
    trainer, _ = trainer_for(
        "vae", mnist5k.train.images[:512], tmp_path, steps=10, checkpoint_every=10
    )
    trainer.run()

    def full_disk(path, write):
        if path.suffix == ".json":  # the tensors are written, then the disk fills up
            raise OSError(28, "No space left on device")
        return atomic_write(path, write)

    monkeypatch.setattr(ckpt, "atomic_write", full_disk)
    with pytest.raises(OSError):
        ckpt.save_checkpoint(tmp_path / "checkpoint", build_model("vae"), step=20, generation=20)
    assert ckpt.load_checkpoint(tmp_path / "checkpoint").info.step == 10  # still whole
    assert not list(tmp_path.glob("*g0000020*"))  # and the half-made generation left no orphan
    monkeypatch.undo()
    ckpt.save_checkpoint(tmp_path / "checkpoint", build_model("vae"), step=30, generation=30)
    assert sorted(p.name for p in tmp_path.glob("*.safetensors")) == [
        "checkpoint.g0000030.safetensors"
    ]


def test_a_sidecar_may_name_only_tensor_files_beside_it(tmp_path):
    stem = ckpt.save_checkpoint(tmp_path / "m", build_model("vae"))
    meta = json.loads((tmp_path / "m.json").read_text())
    for name in ("../m.safetensors", "/etc/passwd", "m.json"):
        meta["weights"]["file"] = name
        (tmp_path / "m.json").write_text(json.dumps(meta))
        with pytest.raises(ckpt.CheckpointError, match="not a tensor file beside the sidecar"):
            ckpt.load_checkpoint(stem)


def test_a_checkpoint_is_written_every_checkpoint_minutes_too(mnist5k, tmp_path):
    trainer, events = trainer_for(
        "vae",
        mnist5k.train.images[:512],
        tmp_path,
        steps=40,
        checkpoint_every=10_000,
        checkpoint_minutes=1e-6,
    )
    assert trainer.run() == "finished"
    assert [e.step for e in events if e.type == "checkpoint"] == [
        1,
        10,
        20,
        30,
        40,
    ]  # each log step


def test_resume_uses_the_new_learning_rate_and_records_it(mnist5k, tmp_path):
    first, _ = trainer_for("vae", mnist5k.train.images[:512], tmp_path, steps=10, lr=1e-3)
    first.run()
    again, events = trainer_for("vae", mnist5k.train.images[:512], None, steps=20, lr=5e-4)
    again.resume(tmp_path / "checkpoint")
    assert again.optimizers["opt"].param_groups[0]["lr"] == 5e-4  # not the saved 1e-3
    again.run()
    start = next(e for e in events if e.type == "start")
    assert start.data["train"]["lr"] == 5e-4


def test_resuming_into_a_run_that_ends_before_the_checkpoint_is_refused(mnist5k, tmp_path):
    first, _ = trainer_for("vae", mnist5k.train.images[:512], tmp_path, steps=20)
    first.run()
    short, _ = trainer_for("vae", mnist5k.train.images[:512], None, steps=20)
    with pytest.raises(ValueError, match="is at step 20 and this run ends at step 20"):
        short.resume(tmp_path / "checkpoint")


def test_a_gan_whose_networks_saturate_fails_with_its_reason(mnist5k):
    trainer, events = trainer_for("dcgan", mnist5k.train.images[:1024], steps=300, lr_g=10, lr_d=10)
    assert trainer.run() == "failed" and trainer.step < 150
    reason = next(e.data["reason"] for e in events if e.type == "failed")
    assert "gradients have been exactly zero" in reason and "lower learning rate" in reason


def test_weights_that_explode_fail_the_run(mnist5k):
    trainer, events = trainer_for("vae", mnist5k.train.images[:512], steps=30)
    with torch.no_grad():  # the decoder's last bias: losses stay finite, the weight does not
        list(trainer.model.parameters())[-1].fill_(1e5)
    assert trainer.run() == "failed"
    assert "a weight grew to" in next(e.data["reason"] for e in events if e.type == "failed")


def test_a_torn_last_event_line_is_cut_before_the_next_is_written(tmp_path):
    (tmp_path / "events.jsonl").write_text('{"type": "start", "step": 0}\n{"type": "step", "st')
    with EventFile(tmp_path) as events:
        events.write({"type": "finished", "step": 5})
    lines, _ = read_events(tmp_path / "events.jsonl")
    assert [e["type"] for e in lines] == ["start", "finished"]


@pytest.mark.slow
def test_six_kills_at_random_moments_each_leave_a_recent_loadable_checkpoint(tmp_path):
    """kill -9 while the run trains (and saves every log step): every time the checkpoint loads,
    and resuming from it goes on where it was."""
    rng = torch.Generator().manual_seed(0)
    out, step = tmp_path / "run", 0
    args = [sys.executable, "-m", "gen_core", "train", "--out", str(out), "--device", "cpu"]
    first = [
        "--model",
        "vae",
        "--dataset",
        "mnist-5k",
        "--steps",
        "100000",
        "--log-every",
        "5",
        "--checkpoint-minutes",
        "0.001",
    ]
    for kill in range(6):
        more = first if kill == 0 else ["--resume", str(out / "checkpoint")]
        proc = subprocess.Popen(
            [*args, *more], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # wait for training to be under way past the last step
            events, _ = read_events(out / "events.jsonl")
            steps = [e["step"] for e in events if e["type"] == "checkpoint"]
            if steps and steps[-1] > step:
                break
            time.sleep(0.1)
        time.sleep(float(torch.rand(1, generator=rng)) * 0.5)  # then a random moment later
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        info = ckpt.load_checkpoint(out / "checkpoint").info  # whole, hashes and all
        assert info.step > step, f"kill {kill}: no newer checkpoint than step {step}"
        step = info.step
    assert len(list(out.glob("*.safetensors"))) <= 4  # a kill may leave one half-made set behind


def test_a_disk_that_fills_up_mid_run_is_one_message_at_its_step(tmp_path, monkeypatch, capsys):
    from gen_core import cli

    real = ckpt.save_checkpoint

    def fill_up(path, model, **kwargs):
        if kwargs.get("step", 0) >= 20:
            raise OSError(28, "No space left on device")
        return real(path, model, **kwargs)

    monkeypatch.setattr(ckpt, "save_checkpoint", fill_up)
    out = tmp_path / "run"
    argv = [
        "train",
        "--model",
        "vae",
        "--dataset",
        "mnist-5k",
        "--steps",
        "30",
        "--device",
        "cpu",
        "--checkpoint-every",
        "10",
        "--out",
        str(out),
    ]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert "No space left" in err and "at step 20" in err and "Traceback" not in err
    events, _ = read_events(out / "events.jsonl")
    assert events[-1]["type"] == "failed" and events[-1]["step"] == 20
    assert ckpt.read_info(out / "checkpoint").step == 10  # the last good one
