import contextlib
import dataclasses
import math
import os
import sys

import pytest
import torch

from gen_core import checkpoints as ckpt
from gen_core.data import BatchStream, to_unit
from gen_core.device import autocast
from gen_core.runs import RunLog, read_events
from gen_core.training import GANTrainConfig, VAETrainConfig

from .helpers import ROOT, params_equal, trainer_for


def test_vae_loss_falls(mnist5k):
    trainer, events = trainer_for("vae", mnist5k.train.images, steps=300, log_every=20)
    assert trainer.run() == "finished"
    losses = [e.data["loss"] for e in events if e.type == "step"]
    assert losses[-1] < losses[0] - 40, losses
    last = events[-1]
    assert last.type == "finished" and last.step == 300


@pytest.mark.slow  # compiling takes most of a minute
def test_a_compiled_training_step_learns_like_the_eager_one(mnist5k):
    eager, eager_events = trainer_for("vae", mnist5k.train.images, steps=150, log_every=50)
    compiled, events = trainer_for(
        "vae", mnist5k.train.images, steps=150, log_every=50, compile=True
    )
    assert compiled.run() == "finished" and eager.run() == "finished"
    losses = [e.data["loss"] for e in events if e.type == "step"]
    eager_losses = [e.data["loss"] for e in eager_events if e.type == "step"]
    assert losses[-1] < losses[0] - 40
    assert losses[-1] == pytest.approx(eager_losses[-1], rel=0.05)  # same math, other noise draws


@pytest.mark.parametrize("name", ["fcgan", "dcgan"])
def test_gan_steps_move_both_networks(mnist5k, name):
    trainer, events = trainer_for(name, mnist5k.train.images, steps=10)
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    trainer.run()
    after = trainer.model.state_dict()
    assert not torch.equal(before["G.net.0.weight"], after["G.net.0.weight"])
    d_key = next(k for k in before if k.startswith("D.") and k.endswith("weight"))
    assert not torch.equal(before[d_key], after[d_key])
    step = next(e for e in events if e.type == "step")
    for key in (
        "loss_d",
        "loss_g",
        "d_x",
        "d_g_z",
        "grad_norm_d",
        "grad_norm_g",
        "images_per_s",
        "eta_s",
    ):
        assert key in step.data
    assert 0 < step.data["d_x"] < 1 and 0 < step.data["d_g_z"] < 1


def test_sampling_is_an_eval_step_that_changes_nothing(mnist5k):
    for name in ("dcgan", "vae"):
        trainer, _ = trainer_for(name, mnist5k.train.images, steps=3)
        trainer.run()
        before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
        rng = torch.get_rng_state()
        images = trainer.snapshot()
        assert images.shape == (64, 1, 28, 28)
        assert params_equal(trainer.model, trainer.model) and all(
            torch.equal(before[k], v) for k, v in trainer.model.state_dict().items()
        )
        assert torch.equal(rng, torch.get_rng_state())
        assert trainer.model.training


def test_wgan_gp_trains_a_critic_without_batch_norm(mnist5k):
    trainer, events = trainer_for(
        "dcgan",
        mnist5k.train.images,
        model_config={"d_batch_norm": False},
        steps=10,
        loss="wgan-gp",
        d_steps=2,
        beta1=0.0,
        beta2=0.9,
    )
    assert trainer.run() == "finished"
    step = next(e for e in events if e.type == "step")
    assert {"w_distance", "gp"} <= step.data.keys()
    assert trainer.stream.batches_seen == 20  # two critic batches per generator step
    with pytest.raises(ValueError, match="batch norm"):
        trainer_for("dcgan", mnist5k.train.images, steps=1, loss="wgan-gp")


def test_same_seed_same_run(mnist5k):
    a, _ = trainer_for("fcgan", mnist5k.train.images, steps=15)
    b, _ = trainer_for("fcgan", mnist5k.train.images, steps=15)
    a.run(), b.run()
    assert params_equal(a.model, b.model)


@pytest.mark.parametrize(
    ("name", "model_config", "extra"),
    [
        ("fcgan", None, {}),
        ("vae", None, {"augment_shift": 2}),
        ("dcgan", {"d_batch_norm": False, "ngf": 8, "ndf": 8}, {"loss": "wgan-gp", "d_steps": 2}),
        ("dcgan", {"conditional": True, "ngf": 8, "ndf": 8}, {"loss": "hinge", "ema": 0.99}),
    ],
)
def test_resume_equals_an_uninterrupted_run(mnist5k, tmp_path, name, model_config, extra):
    images, labels = mnist5k.train.images, mnist5k.train.labels
    whole, _ = trainer_for(
        name,
        images,
        tmp_path / "whole",
        model_config,
        labels,
        steps=40,
        checkpoint_every=20,
        **extra,
    )
    whole.run()
    first, _ = trainer_for(name, images, tmp_path / "part", model_config, labels, steps=20, **extra)
    first.run()
    torch.manual_seed(123)  # the resumed run must not depend on the state it starts in
    second, events = trainer_for(
        name, images, tmp_path / "part", model_config, labels, steps=40, seed=0, **extra
    )
    torch.manual_seed(456)
    second.resume(tmp_path / "part" / "checkpoint")
    assert second.step == 20
    assert second.run() == "finished"
    assert params_equal(whole.model, second.model)
    resumed_at_once = [h["step"] for h in second.history if h["step"] != 21]  # its first log
    assert resumed_at_once == [h["step"] for h in whole.history]
    opt_whole = whole.optimizers[next(iter(whole.optimizers))].state_dict()["state"]
    opt_second = second.optimizers[next(iter(second.optimizers))].state_dict()["state"]
    assert all(torch.equal(opt_whole[i]["exp_avg"], opt_second[i]["exp_avg"]) for i in opt_whole)


def test_a_conditional_gan_shows_d_each_real_batch_with_its_labels_and_draws_fakes_as_them(
    mnist5k,
):
    train = mnist5k.train
    with pytest.raises(ValueError, match="labelled images"):
        trainer_for("dcgan", train.images, model_config={"conditional": True})
    trainer, events = trainer_for(
        "dcgan", train.images, None, {"conditional": True}, train.labels, steps=6, log_every=3
    )
    same = BatchStream(train.images, 64, 0, torch.device("cpu"), labels=train.labels)
    for _ in range(2):
        real, z, code = trainer.real_and_noise()
        images, labels = same.next_labelled()
        assert torch.equal(real, to_unit(images))
        assert torch.equal(code.argmax(1), labels) and torch.equal(code, z[:, 64:])
    grid_classes = trainer.fixed_z[:, 64:].argmax(1).tolist()
    assert grid_classes == sorted(grid_classes) and set(grid_classes) == set(range(10))
    assert max(map(grid_classes.count, range(10))) - min(map(grid_classes.count, range(10))) <= 1
    assert trainer.run() == "finished"
    assert all(math.isfinite(e.data["loss_d"]) for e in events if e.type == "step")


def shifted_in(x: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """``x`` moved by (dy, dx) pixels, background (0) coming in where it leaves."""
    y, (h, w) = torch.zeros_like(x), x.shape[-2:]
    into = (slice(max(dy, 0), h + min(dy, 0)), slice(max(dx, 0), w + min(dx, 0)))
    out_of = (slice(max(-dy, 0), h + min(-dy, 0)), slice(max(-dx, 0), w + min(-dx, 0)))
    y[..., into[0], into[1]] = x[..., out_of[0], out_of[1]]
    return y


def test_augment_shift_moves_each_batch_and_wraps_no_ink_round(mnist5k):
    plain, _ = trainer_for("vae", mnist5k.train.images)
    shifted, _ = trainer_for("vae", mnist5k.train.images, augment_shift=2)
    moves, wrapped = set(), 0
    for _ in range(30):
        x, y = plain.batch(), shifted.batch()
        move = next(
            (dy, dx)
            for dy in range(-2, 3)
            for dx in range(-2, 3)
            if torch.equal(shifted_in(x, dy, dx), y)
        )
        moves.add(move)
        wrapped += not torch.equal(torch.roll(x, move, (2, 3)), y)  # a roll would wrap ink
    assert len(moves) > 5 and wrapped > 0


def test_nan_guard_stops_and_keeps_the_last_good_checkpoint(mnist5k, tmp_path):
    images = mnist5k.train.images[:640].float() / 255
    trainer, events = trainer_for("vae", images, tmp_path, steps=10, checkpoint_every=10)
    assert trainer.run() == "finished"
    good = ckpt.load_checkpoint(tmp_path / "checkpoint").model
    trainer.stream.images[5] = float("nan")  # a poisoned image: every epoch's batches include it
    trainer.config = dataclasses.replace(trainer.config, steps=40)
    assert trainer.run() == "failed"
    failed = events[-1]
    assert failed.type == "failed" and "nan" in failed.data["reason"]
    assert "last good checkpoint (step 10)" in failed.data["reason"]
    kept = ckpt.load_checkpoint(tmp_path / "checkpoint")
    assert kept.info.step == 10 and params_equal(kept.model, good)
    assert all(torch.isfinite(p).all() for p in kept.model.parameters())


def test_stop_request_finishes_the_step_saves_and_exits(mnist5k, tmp_path):
    trainer, events = trainer_for("fcgan", mnist5k.train.images, tmp_path, steps=100)
    asked = iter([False] * 7 + [True])
    assert trainer.run(should_stop=lambda: next(asked)) == "stopped"
    assert trainer.step == 7
    assert [e.type for e in events[-2:]] == ["checkpoint", "stopped"]
    assert ckpt.read_info(tmp_path / "checkpoint").step == 7


def test_run_log_writes_events_and_grids_that_a_reader_takes_incrementally(mnist5k, tmp_path):
    log = RunLog(tmp_path)
    trainer, _ = trainer_for("vae", mnist5k.train.images, tmp_path, steps=30, sample_every=15)
    trainer.callbacks.append(log)
    trainer.run()
    log.close()
    events, offset = read_events(tmp_path / "events.jsonl")
    types = [e["type"] for e in events]
    assert types[0] == "start" and types[-1] == "finished" and types.count("samples") == 3
    assert events[0]["total_steps"] == 30 and events[0]["dataset"] == {}
    grid = next(e for e in events if e["type"] == "samples")
    assert grid["step"] == 0  # the untrained "before" grid comes first
    assert (tmp_path / grid["path"]).stat().st_size > 0
    with (tmp_path / "events.jsonl").open("a") as f:
        f.write(
            '{"type": "step", "step": 31}\n{"type": "st'
        )  # the second line is still being written
    more, offset2 = read_events(tmp_path / "events.jsonl", offset)
    assert more == [{"type": "step", "step": 31}]
    assert read_events(tmp_path / "events.jsonl", offset2) == ([], offset2)


@pytest.mark.parametrize(
    ("name", "model_config", "extra"),
    [
        ("dcgan", None, {}),
        ("vae", None, {}),
        ("dcgan", {"d_batch_norm": False, "ngf": 8, "ndf": 8}, {"loss": "wgan-gp", "d_steps": 2}),
    ],
)
def test_the_bf16_path_trains_in_mixed_precision(monkeypatch, mnist5k, name, model_config, extra):
    """On the CPU as on CUDA: every cast in the steps must hold, and the weights stay float32."""
    seen = []

    @contextlib.contextmanager
    def spy(device, bf16):
        with autocast(device, bf16):
            seen.append(torch.is_autocast_enabled("cpu"))
            yield

    monkeypatch.setattr("gen_core.training.base.autocast", spy)
    trainer, events = trainer_for(
        name,
        mnist5k.train.images[:512],
        None,
        model_config,
        steps=6,
        log_every=3,
        bf16=True,
        **extra,
    )
    assert trainer.run() == "finished" and seen and all(seen)
    rows = [e.data for e in events if e.type == "step"]
    assert all(
        torch.isfinite(torch.tensor(v)) for row in rows for k, v in row.items() if k != "epoch"
    )
    assert all(p.dtype == torch.float32 for p in trainer.model.parameters())


def test_the_first_step_runs_on_one_thread_and_the_rest_on_all(mnist5k):
    """The step a watcher waits for trains alone on a core (two threads beside a busy page
    stalled each other); from then on the run has every thread it had."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        trainer, events = trainer_for("vae", mnist5k.train.images[:512], steps=4, log_every=2)
        seen = []
        step = trainer.train_step

        def counted():
            seen.append(torch.get_num_threads())
            return step()

        trainer.train_step = counted
        assert trainer.run() == "finished"
        assert seen == [1, 2, 2, 2] and torch.get_num_threads() == 2
        assert [e.step for e in events if e.type == "step"][0] == 1  # the first step is logged
    finally:
        torch.set_num_threads(before)


SYNCS = ("item", "tolist", "cpu", "numpy", "__bool__", "__float__", "__int__")


@pytest.mark.parametrize(
    ("name", "model_config", "extra"),
    [
        ("fcgan", None, {}),
        ("vae", None, {}),
        ("dcgan", {"d_batch_norm": False, "ngf": 8, "ndf": 8}, {"loss": "wgan-gp", "d_steps": 2}),
    ],
)
def test_gen_core_reads_device_values_only_at_log_steps(
    monkeypatch, mnist5k, name, model_config, extra
):
    """On a GPU each read of a tensor's value waits for the device: none may happen per step."""
    trainer, _ = trainer_for(
        name, mnist5k.train.images[:512], None, model_config, steps=12, log_every=4, **extra
    )
    reads, in_step = [], [False]
    step = trainer.train_step

    def train_step():
        in_step[0] = True
        try:
            return step()
        finally:
            in_step[0] = False

    trainer.train_step = train_step
    for method in SYNCS:
        original = getattr(torch.Tensor, method)

        def read(self, *args, _original=original, _method=method, **kwargs):
            caller = sys._getframe(1).f_code
            if f"{os.sep}gen_core{os.sep}" in caller.co_filename:
                reads.append(("in a step" if in_step[0] else trainer.step, caller.co_name, _method))
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, method, read)
    assert trainer.run() == "finished"
    assert reads and {when for when, _, _ in reads} <= {0, 1, 4, 8, 12}, reads  # 1: logged at once


@pytest.mark.parametrize(
    ("config_cls", "bad", "message"),
    [
        (VAETrainConfig, {"batch_size": 0}, "batch_size must be at least 1"),
        (VAETrainConfig, {"epochs": 0, "steps": 0}, "epochs or steps"),
        (VAETrainConfig, {"augment_shift": 5}, "4 pixels"),
        (VAETrainConfig, {"classes": "three"}, "labels separated by commas"),
        (VAETrainConfig, {"lr": 0.0}, "learning rate"),
        (GANTrainConfig, {"loss": "least-squares"}, "unknown GAN loss"),
        (GANTrainConfig, {"label_smoothing": 0.5}, "label_smoothing"),
        (GANTrainConfig, {"d_steps": 0}, "d_steps"),
    ],
)
def test_settings_no_run_can_use_are_refused_with_the_option_named(config_cls, bad, message):
    with pytest.raises(ValueError, match=message):
        config_cls(**bad)


def test_a_hinge_dcgan_with_spectral_norm_trains_and_logs_its_score_gap(mnist5k):
    trainer, events = trainer_for(
        "dcgan",
        mnist5k.train.images[:512],
        None,
        {"d_spectral_norm": True},
        steps=30,
        loss="hinge",
        label_smoothing=0.1,
    )
    assert trainer.config.label_smoothing == 0.0  # hinge scores carry no labels to smooth
    assert trainer.run() == "finished"
    steps = [e.data for e in events if e.type == "step"]
    assert all("score_gap" in s and "d_x" not in s for s in steps)
    assert steps[-1]["score_gap"] > steps[0]["score_gap"]  # D learns to tell them apart
    assert all(math.isfinite(s["loss_d"]) and math.isfinite(s["loss_g"]) for s in steps)


def test_an_average_of_g_is_what_grids_and_checkpoints_show_and_it_resumes_exactly(
    mnist5k, tmp_path
):
    images = mnist5k.train.images
    whole, _ = trainer_for("fcgan", images, tmp_path / "whole", steps=40, ema=0.9)
    assert whole.run() == "finished"
    shown = ckpt.load_checkpoint(tmp_path / "whole" / "checkpoint").model
    assert whole.ema is not None and params_equal(shown.G, whole.ema.module)
    assert not params_equal(shown.G, whole.model.G)  # the average, not G's own last weights
    whole.ema.eval()
    with torch.no_grad():
        expected = (whole.ema.module(whole.fixed_z) + 1) / 2
    assert torch.allclose(whole.snapshot(), expected)  # grids are drawn by the average

    first, _ = trainer_for("fcgan", images, tmp_path / "part", steps=20, ema=0.9)
    assert first.run() == "finished"
    second, _ = trainer_for("fcgan", images, tmp_path / "part", steps=40, ema=0.9)
    second.resume(tmp_path / "part" / "checkpoint")
    assert second.run() == "finished"
    assert params_equal(whole.model, second.model)  # G went on from its own weights
    assert second.ema is not None and params_equal(whole.ema.module, second.ema.module)


def test_the_average_of_g_measures_batch_norm_statistics_for_its_own_weights(mnist5k, tmp_path):
    small = {"ngf": 8, "ndf": 8}
    trainer, _ = trainer_for("dcgan", mnist5k.train.images, tmp_path, small, steps=30, ema=0.9)
    assert trainer.run() == "finished"
    saved = ckpt.load_checkpoint(tmp_path / "checkpoint").model
    G = saved.G
    norm = next(m for m in G.modules() if isinstance(m, torch.nn.BatchNorm2d))
    seen: list[torch.Tensor] = []
    norm.register_forward_hook(lambda _m, inputs, _out: seen.append(inputs[0]))
    with torch.no_grad():
        G(torch.randn(2048, saved.latent_dim))
    channel_vars = seen[0].var((0, 2, 3))
    assert torch.allclose(norm.running_var, channel_vars, rtol=0.1)


def test_an_ema_decay_outside_0_to_1_is_refused():
    with pytest.raises(ValueError, match="ema is the average's decay"):
        GANTrainConfig(ema=1.0)


def test_sample_quality_is_measured_at_every_third_grid_and_at_the_end(mnist5k):
    from gen_core.analysis.quality import QualityProbe
    from gen_core.models import build_model
    from gen_core.training import make_trainer

    classifier = ckpt.load_checkpoint(ROOT / "checkpoints" / "classifier").model
    probe = QualityProbe(classifier, mnist5k.test, n=100)
    config = GANTrainConfig(device="cpu", steps=40, log_every=10, sample_every=10)
    events = []
    trainer = make_trainer(
        build_model("fcgan"),
        mnist5k.train.images[:512],
        config,
        callbacks=[events.append],
        probe=probe,
    )
    untrained = probe.measure(trainer.shown_samples, trainer.model.sample_latent(100))["fid"]
    assert trainer.run() == "finished"
    measured = [e for e in events if e.type == "quality"]
    assert [e.step for e in measured] == [30, 40]
    assert all(math.isfinite(e.data["fid"]) and e.data["seconds"] > 0 for e in measured)
    assert measured[-1].data["fid"] < untrained  # noise becomes more digit-like


def test_the_r1_penalty_keeps_d_flat_around_the_real_images(mnist5k):
    """Same seed and steps: with R1, D's gradient at real digits is a fraction of without."""
    images = mnist5k.train.images[:512]
    real = (images[:64].float() / 255 * 2 - 1).requires_grad_(True)
    norms = {}
    for gamma in (0.0, 10.0):
        trainer, _ = trainer_for(
            "fcgan", images, model_config={"width": 64}, steps=200, loss="hinge", r1=gamma
        )
        assert trainer.run() == "finished"
        D = trainer.model.D.eval()
        (grad,) = torch.autograd.grad(D(real).sum(), real)
        norms[gamma] = grad.flatten(1).norm(dim=1).mean().item()
    assert norms[10.0] < 0.5 * norms[0.0], norms


def test_a_lazy_r1_penalty_comes_at_every_r1_every_th_d_step(mnist5k, monkeypatch):
    from gen_core.training import gan

    seen = []
    real_penalty = gan.r1_penalty
    monkeypatch.setattr(gan, "r1_penalty", lambda *a: seen.append(a) or real_penalty(*a) * 0)
    images = mnist5k.train.images[:256]
    trainer, _ = trainer_for("fcgan", images, steps=8, d_steps=2, r1=1.0, r1_every=4)
    assert trainer.run() == "finished"
    assert len(seen) == 4  # 16 D steps: the 1st, 5th, 9th and 13th
