"""The CLI as the app and a terminal user run it: training in a real subprocess; what the other
commands say and write, run in this process (`cli_here`), which spares each torch's import."""

import dataclasses
import json

import pytest
import torch
from PIL import Image

from gen_core import checkpoints as ckpt
from gen_core.cli import main
from gen_core.images import from_grid
from gen_core.models.classifier import predict
from gen_core.runs import read_events

from .helpers import cli, cli_here


@pytest.mark.slow
@pytest.mark.parametrize("model", ["fcgan", "dcgan", "vae", "conv-vae"])
def test_train_one_epoch_end_to_end(tmp_path, model):
    out = tmp_path / "run"
    cli(
        "train",
        "--model",
        model,
        "--dataset",
        "mnist-5k",
        "--epochs",
        "1",
        "--batch-size",
        "128",
        "--sample-every",
        "15",
        "--out",
        str(out),
        "--device",
        "cpu",
    )
    events, _ = read_events(out / "events.jsonl")
    types = [e["type"] for e in events]
    assert types[0] == "start" and types[-1] == "finished"
    assert {"step", "epoch", "samples", "checkpoint"} <= set(types)
    assert events[0]["dataset"]["name"] == "mnist-5k" and events[0]["total_steps"] == 31
    assert all((out / e["path"]).is_file() for e in events if e["type"] == "samples")
    loaded = ckpt.load_checkpoint(out / "checkpoint")
    assert loaded.info.step == 31 and loaded.info.epoch == 1 and loaded.info.has_training_state


@pytest.mark.slow
def test_a_run_on_a_few_images_trains_and_fits_its_density_on_those_alone(tmp_path):
    out = tmp_path / "run"
    args = ["--dataset", "mnist-5k", "--classes", "3", "--train-size", "150", "--epochs", "2"]
    cli("train", "--model", "vae", *args, "--batch-size", "50", "--out", str(out))
    start = read_events(out / "events.jsonl")[0][0]
    assert start["images"] == 150 and start["total_steps"] == 6  # 3 batches of 50 an epoch
    refit = cli_here("fit-density", str(out / "checkpoint"))
    assert "codes of 150 mnist-5k images" in refit.stdout


@pytest.mark.slow
def test_resume_stop_file_list_sample_and_export(tmp_path):
    out = tmp_path / "run"
    cli(
        "train",
        "--model",
        "vae",
        "--dataset",
        "mnist-5k",
        "--steps",
        "20",
        "--out",
        str(out),
        "--lr",
        "2e-3",
    )
    proc = cli("train", "--resume", str(out / "checkpoint"), "--steps", "30", "--out", str(out))
    assert "finished at step 30" in proc.stderr
    info = ckpt.read_info(out / "checkpoint")
    assert info.step == 30 and info.train["lr"] == 2e-3  # kept from the checkpoint
    (out / "STOP").touch()
    proc = cli("train", "--resume", str(out / "checkpoint"), "--steps", "100", "--out", str(out))
    assert "stopped at step 30" in proc.stderr
    events, _ = read_events(out / "events.jsonl")
    assert events[-1]["type"] == "stopped"

    listing = cli_here("list", str(tmp_path)).stdout
    assert "checkpoint" in listing and "vae" in listing and "mnist-5k" in listing
    cli_here("sample", str(out / "checkpoint"), "--out", str(tmp_path / "grid.png"), "-n", "16")
    assert (tmp_path / "grid.png").read_bytes()[:4] == b"\x89PNG"
    cli_here("export", str(out / "checkpoint"), str(tmp_path / "shipped" / "vae"))
    exported = ckpt.read_info(tmp_path / "shipped" / "vae")
    assert exported.step == 30 and not exported.has_training_state
    assert not (tmp_path / "shipped" / "vae.state.safetensors").exists()


@pytest.mark.slow
def test_every_config_field_is_an_option():
    help_text = cli_here("train", "--model", "dcgan", "--out", "x", "--help").stdout
    for option in (
        "--ngf",
        "--d-batch-norm",
        "--d-dropout",
        "--loss",
        "--label-smoothing",
        "--d-steps",
        "--lr-g",
        "--lr-d",
        "--gp-weight",
        "--seed",
        "--device",
        "--bf16",
        "--resume",
    ):
        assert option in help_text
    assert "one-sided" in help_text  # the field comment is the help text


@pytest.mark.slow
def test_train_help_without_a_model_lists_the_models_and_how_to_see_their_options():
    help_text = cli_here("train", "--help").stdout
    assert "fcgan,dcgan,vae,conv-vae" in help_text and "--model NAME --help" in help_text
    missing = cli_here("train", "--resume", "no/such/checkpoint", "--help", check=False)
    assert missing.returncode == 2 and "checkpoint.json not found" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_every_config_field_has_its_help_comment():
    from gen_core.models import MODELS, build_model
    from gen_core.options import field_comments
    from gen_core.training import GANTrainConfig, VAETrainConfig

    classes = [GANTrainConfig, VAETrainConfig] + [type(build_model(n).config) for n in MODELS]
    for cls in classes:
        missing = [f.name for f in dataclasses.fields(cls) if f.name not in field_comments(cls)]
        assert not missing, f"{cls.__name__}: no help comment for {missing}"


@pytest.mark.slow
def test_bad_input_gets_a_message_not_a_traceback(tmp_path):
    proc = cli_here(
        "train", "--model", "vae", "--dataset", "cifar", "--out", str(tmp_path / "a"), check=False
    )
    assert proc.returncode == 2 and "--dataset: 'cifar' is not one of auto, mnist" in proc.stderr
    proc = cli_here(
        "train", "--model", "vae", "--dataset", "mnist", "--out", str(tmp_path / "b"), check=False
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and "MNIST" in proc.stderr
    events, _ = read_events(tmp_path / "b" / "events.jsonl")
    assert events[-1]["type"] == "failed" and "MNIST" in events[-1]["reason"]
    (tmp_path / "x.json").write_text(json.dumps({"format": "other"}))
    proc = cli_here(
        "train", "--resume", str(tmp_path / "x"), "--out", str(tmp_path / "c"), check=False
    )
    assert (
        proc.returncode != 0
        and "not a gen_core checkpoint" in proc.stderr
        and "Traceback" not in proc.stderr
    )
    proc = cli_here(
        "sample", str(tmp_path / "missing"), "--out", str(tmp_path / "g.png"), check=False
    )
    assert proc.returncode == 1 and "not found" in proc.stderr
    proc = cli_here(
        "train",
        "--model",
        "dcgan",
        "--loss",
        "wgan-gp",
        "--steps",
        "1",
        "--out",
        str(tmp_path / "d"),
        check=False,
    )
    assert proc.returncode == 1 and "batch norm" in proc.stderr
    proc = cli_here(
        "train", "--model", "vae", "--device", "cuda:7", "--out", str(tmp_path / "e"), check=False
    )
    assert proc.returncode == 2 and "not available" in proc.stderr
    proc = cli_here(
        "train", "--model", "vae", "--batch-size", "0", "--out", str(tmp_path / "f"), check=False
    )
    assert proc.returncode == 2 and "batch_size must be at least 1" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = cli_here(
        "sample", "checkpoints/classifier", "--out", str(tmp_path / "g.png"), check=False
    )
    assert proc.returncode == 1 and "does not generate images" in proc.stderr


def test_sample_draws_one_chosen_digit_from_a_conditional_gan_and_refuses_others(tmp_path):
    out = tmp_path / "sevens.png"
    said = cli_here("sample", "checkpoints/dcgan", "--out", out, "-n", "32", "--digit", "7").stdout
    assert "all of class 7" in said
    reader = ckpt.load_checkpoint("checkpoints/classifier").model
    read = predict(reader, from_grid(Image.open(out), 32))[0].argmax(1)
    assert (read == 7).float().mean() > 0.9
    said = cli_here("sample", "checkpoints/dcgan", "--out", out, "-n", "40").stdout
    assert "the digits in order" in said
    read = predict(reader, from_grid(Image.open(out), 40))[0].argmax(1)
    assert (read == torch.arange(40) // 4).float().mean() > 0.9  # four of each, 0 first
    proc = cli_here("sample", "checkpoints/vae", "--out", out, "--digit", "7", check=False)
    assert proc.returncode == 1 and "not class-conditional" in proc.stderr
    proc = cli_here("sample", "checkpoints/dcgan", "--out", out, "--digit", "10", check=False)
    assert proc.returncode == 2 and "from 0 to 9" in proc.stderr


@pytest.mark.slow
def test_classifier_command_records_its_test_accuracy(tmp_path):
    proc = cli("classifier", "--out", str(tmp_path / "clf"), "--epochs", "1")
    info = ckpt.read_info(tmp_path / "clf")
    assert info.model == "classifier" and 0.5 < info.train["test_accuracy"] <= 1.0
    assert f"{info.train['test_accuracy']:.4f}" in proc.stdout


@pytest.mark.slow
def test_report_command_prints_the_figures_of_a_checkpoint():
    proc = cli_here("report", "checkpoints/vae", "-n", "200", "-k", "5")
    assert "classifier FID" in proc.stdout and "test -log p(x), IW" in proc.stdout
    assert "200 samples" in proc.stdout and "k = 5" in proc.stdout
    missing = cli_here("report", "checkpoints/no-such-model", check=False)
    assert (
        missing.returncode == 1 and "error:" in missing.stderr and "Traceback" not in missing.stderr
    )


@pytest.mark.parametrize(
    ("model", "option", "value", "said"),
    [
        ("dcgan", "--lr-g", "abc", "'abc' is not a number"),
        ("dcgan", "--epochs", "2.5", "'2.5' is not a whole number"),
        ("dcgan", "--d-batch-norm", "maybe", "'maybe' is not true or false"),
        ("vae", "--hidden", "512,x", "'512,x' is not whole numbers separated by commas"),
    ],
)
def test_a_mistyped_option_value_is_named_with_what_it_should_be(
    tmp_path, capsys, model, option, value, said
):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--model", model, option, value, "--out", str(tmp_path / "run")])
    assert exit_.value.code == 2
    assert f"argument {option}: {said}" in capsys.readouterr().err


SIX_FCGAN_STEPS = ["--model", "fcgan", "--dataset", "mnist-5k", "--steps", "6", "--device", "cpu"]


@pytest.mark.slow
def test_remedies_trains_each_run_into_its_folder_and_prints_where_each_ended(tmp_path):
    from gen_core.training.remedies import remedies

    proc = cli("remedies", *SIX_FCGAN_STEPS, "--out", str(tmp_path))
    names = list(remedies("fcgan"))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(n.replace(" ", "-") for n in names)
    smoothed = ckpt.read_info(tmp_path / "one-sided-label-smoothing" / "checkpoint")
    assert smoothed.step == 6 and smoothed.train["label_smoothing"] == 0.1
    rows = {
        line[:28].strip(): line[28:].split()
        for line in proc.stdout.splitlines()[1 : len(names) + 1]
    }
    assert list(rows) == names and all(cells[0] == "6" for cells in rows.values())
    assert rows["WGAN-GP"][-2:] == ["-", "-"] == rows["hinge loss"][-2:]  # scores: no D(x)
    assert 0 < float(rows["baseline"][-1]) < 1


@pytest.mark.slow
def test_stopping_one_remedy_run_stops_the_comparison(tmp_path):
    (tmp_path / "baseline").mkdir()
    (tmp_path / "baseline" / "STOP").touch()  # as a Ctrl-C or `touch OUT/baseline/STOP` would
    proc = cli("remedies", *SIX_FCGAN_STEPS, "--out", str(tmp_path))
    assert [p.name for p in tmp_path.iterdir()] == ["baseline"]
    assert "the remedies after it were not run" in proc.stderr
    rows = [line.split()[0] for line in proc.stdout.splitlines()[1:] if not line.startswith("-")]
    assert rows == ["baseline"]


@pytest.mark.slow  # UMAP's first fit compiles with numba: half a minute
def test_project_writes_the_maps_the_latent_page_looks_for_first(tmp_path):
    from gen_core.analysis.latent import UMAP_DEFAULTS, projection_file, projection_key

    train = ["--model", "vae", "--latent-dim", "3", "--dataset", "mnist-5k", "--steps", "5"]
    cli_here("train", *train, "--out", str(tmp_path / "run"))
    stem = tmp_path / "run" / "checkpoint"
    cli_here("project", str(stem), "--out", str(tmp_path / "maps"))
    key = projection_key(ckpt.read_info(stem), "mnist-5k")
    umap = projection_file(tmp_path / "maps", key, "umap", UMAP_DEFAULTS)
    pca = projection_file(tmp_path / "maps", key, "pca", {})
    assert umap.is_file() and pca.is_file()
    flat = cli_here("project", "checkpoints/vae", "--out", str(tmp_path / "no"), check=False)
    assert flat.returncode == 1 and "more than 2 latent dimensions" in flat.stderr
