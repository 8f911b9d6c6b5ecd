"""Run requests: what the page builds is what run.json keeps and what the CLI trains."""

import dataclasses
import json

import pytest

from gen_core.checkpoints import read_info
from gen_core.cli import request_from_args
from gen_core.runs import RunRequest
from gen_core.runs.folder import read_request, write_request
from gen_core.training import GANTrainConfig
from gen_core.training.presets import wgan_gp
from gen_core.training.remedies import remedy_runs

from .helpers import ROOT


@pytest.mark.parametrize(
    ("model", "settings"),
    [
        ("dcgan", {"loss": "minimax", "lr_d": 5e-5, "d_batch_norm": False, "classes": "1,7"}),
        ("vae", {"latent_dim": 3, "hidden": (64, 32), "beta": 0.5, "steps": 30}),
        ("fcgan", wgan_gp("fcgan")),
    ],
)
def test_a_request_survives_run_json_and_the_command_line_unchanged(tmp_path, model, settings):
    request = RunRequest.build(model, settings, title="t")
    write_request(tmp_path, request, created=12.5)
    assert read_request(tmp_path) == (request, 12.5)
    parsed = request_from_args([*request.args(), "--out", str(tmp_path)])
    assert parsed.settings == request.settings and parsed.model == model


def test_settings_start_at_the_config_defaults_and_unknown_or_contradictory_ones_are_refused():
    request = RunRequest.build("dcgan", {"epochs": 2})
    assert request.train == GANTrainConfig(epochs=2)
    assert request.train.log_every == request.train.sample_every == "auto"
    with pytest.raises(ValueError, match="no setting latent_dim"):
        RunRequest.build("dcgan", {"latent_dim": 8})  # a VAE's setting
    with pytest.raises(ValueError, match="loss"):
        RunRequest.build("dcgan", {"loss": "least-squares"})
    with pytest.raises(ValueError, match="class-conditional GAN draws every class"):
        RunRequest.build("dcgan", {"conditional": True, "classes": "3"})  # 9 codes never trained


def smoothed_dcgan():
    """The shipped DCGAN's sidecar as if trained with label smoothing and a fixed log interval."""
    info = read_info(ROOT / "checkpoints" / "dcgan")
    train = {**info.train, "loss": "non-saturating", "label_smoothing": 0.1, "log_every": 20}
    return dataclasses.replace(info, train=train)


def test_resuming_keeps_the_checkpoints_settings_and_sizes_the_schedule_afresh():
    info = smoothed_dcgan()
    request = RunRequest.resuming(info, {"epochs": info.epoch + 1})
    assert request.resume == info.path and request.train.epochs == info.epoch + 1
    assert request.train.label_smoothing == info.train["label_smoothing"] == 0.1
    assert request.train.log_every == "auto" and info.train["log_every"] == 20
    parsed = request_from_args([*request.args(), "--out", "x"])
    assert parsed == request


def test_a_wgan_run_stores_no_label_smoothing_it_cannot_use():
    request = RunRequest.build("dcgan", {"loss": "wgan-gp", "label_smoothing": 0.1})
    assert request.train.label_smoothing == 0.0
    assert RunRequest.resuming(smoothed_dcgan(), wgan_gp("dcgan")).train.label_smoothing == 0.0
    assert RunRequest.build("dcgan", {"label_smoothing": 0.1}).train.label_smoothing == 0.1


def test_resuming_with_another_model_is_refused_by_name():
    with pytest.raises(ValueError, match="--model vae does not match"):
        request_from_args(
            ["--resume", str(ROOT / "checkpoints" / "dcgan"), "--model", "vae", "--out", "x"]
        )


def test_the_remedy_runs_are_requests_that_differ_from_the_baseline_only_where_they_say():
    base = {"dataset": "mnist-5k", "epochs": 3, "seed": 4}
    runs = {
        name: RunRequest.build("dcgan", s, title=name).settings
        for name, s in remedy_runs("dcgan", base).items()
    }
    baseline = runs.pop("baseline")
    assert runs["slower D"] == {**baseline, "lr_d": 5e-5}
    assert runs["WGAN-GP"] == {**baseline, **wgan_gp("dcgan")}
    assert all(s["epochs"] == 3 and s["seed"] == 4 for s in runs.values())


def test_a_run_json_from_before_typed_requests_still_reads(tmp_path):
    old = {
        "id": "x",
        "model": "dcgan",
        "options": {"lr_g": 1e-4, "processes": 2, "log_every": 7},
        "resume": None,
        "created": 3.0,
        "title": "",
    }
    (tmp_path / "run.json").write_text(json.dumps(old))
    request, created = read_request(tmp_path)
    assert created == 3.0 and request.processes == 2
    assert request.train.lr_g == 1e-4 and request.train.log_every == 7


def test_a_resumed_run_is_labelled_by_its_model_and_title(tmp_path):
    from gen_core.runs import RunFeed
    from gen_core.runs.folder import read_status

    info = read_info(ROOT / "checkpoints" / "dcgan")
    folder = tmp_path / "20000101-000000-dcgan-resumed"
    folder.mkdir()
    write_request(folder, RunRequest.resuming(info, {"epochs": info.epoch + 1}, title="more"), 0.0)
    label = read_status(folder, RunFeed(folder)).label
    assert label == "20000101-000000-dcgan-resumed · dcgan · more" and "?" not in label
