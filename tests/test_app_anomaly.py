"""AppTest of the Anomaly page: verdicts, the threshold, examples and every kind of bad file."""

import io
import json

import numpy as np
import pytest
from PIL import Image

from gen_core.analysis.anomaly import (
    DEFAULT_FPR,
    evaluate,
    fit_reference,
    normal_uploads,
    score,
    threshold,
)
from gen_core.preprocess import MNIST

from .helpers import ROOT, open_page, png, trainer_for

pytestmark = pytest.mark.slow  # real processes, servers or browsers: the full suite only

ANOMALY = "pages/anomaly.py"


@pytest.fixture
def at():
    at = open_page(ANOMALY)
    at.sidebar.selectbox[0].set_value(str(ROOT / "checkpoints" / "conv-vae")).run()
    assert not at.exception
    return at


def upload(at, *files):
    at.file_uploader(key="a_files").set_value(
        [(name, data, "image/png") for name, data in files]
    ).run()
    assert not at.exception
    return at


def verdicts(at):
    return [m.value for m in at.markdown if " · " in m.value and "score" in m.value]


def test_a_digit_photo_is_normal_and_noise_is_anomalous(at, mnist5k):
    digit = np.asarray(
        Image.fromarray(255 - mnist5k.test.images[420, 0].numpy()).resize((200, 200))
    )  # dark on paper
    noise = np.random.default_rng(1).integers(0, 256, (64, 64), dtype=np.uint8)
    upload(at, ("my-four.png", png(digit)), ("noise.png", png(noise)))
    four, fuzz = verdicts(at)
    assert four.startswith("**1. my-four.png** · ✅ normal") and fuzz.startswith(
        "**2. noise.png** · 🚩 anomalous"
    )
    figure = json.loads(
        next(c for c in at.get("plotly_chart") if "a_hist" in c.proto.id).proto.spec
    )
    numbered = next(t for t in figure["data"] if t.get("name", "").startswith("your inputs"))
    assert numbered["text"] == ["1", "2"]  # numbers on the histogram, names on the cards
    assert any(c == "grayscale, inverted" for e in at.get("image") for c in e.captions)
    assert any(c == "error map" for e in at.get("image") for c in e.captions)
    table = at.dataframe[0].value
    assert list(table["verdict"]) == ["normal", "anomalous"]
    assert any(b.proto.label == "Results as CSV" for b in at.get("download_button"))


def test_the_combined_score_compares_with_the_training_digits(at, mnist5k):
    at.radio(key="a_kind").set_value("sq-error+knn").run()
    upload(
        at,
        ("digit.png", png(mnist5k.test.images[903, 0].numpy())),
        ("noise.png", png(np.random.default_rng(2).integers(0, 256, (28, 28), dtype=np.uint8))),
    )
    digit, noise = verdicts(at)
    assert "✅ normal" in digit and "🚩 anomalous" in noise and "nats" not in digit
    assert not any("nats" in c.value for c in at.caption if c.value.startswith("Threshold"))


def test_moving_the_threshold_changes_the_verdict(at, mnist5k):
    upload(at, ("digit.png", png(mnist5k.test.images[903, 0].numpy())))
    assert "✅ normal" in verdicts(at)[0]
    at.radio(key="a_by").set_value("false-positive rate").run()
    at.slider(key="a_fpr").set_value(20.0).run()  # flag the top fifth of normal digits
    percentile = float(verdicts(at)[0].split("higher than ")[1].split("%")[0])
    assert ("🚩 anomalous" in verdicts(at)[0]) == (percentile > 80.0)


def test_built_in_examples_need_no_file(at):
    options = at.multiselect(key="a_examples").options
    noise = next(o for o in options if o == "uniform noise")
    normal = next(o for o in options if o.startswith("MNIST test digit #705"))
    at.multiselect(key="a_examples").set_value([normal, noise]).run()
    assert ["✅ normal" in v for v in verdicts(at)] == [True, False]


BAD = [
    ("empty.png", b"", "is empty"),
    ("notes.png", b"just some text, renamed", "not a PNG or JPEG"),
    ("doc.png", b"%PDF-1.4\n1 0 obj", "not a PNG or JPEG"),
    ("drawing.png", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "not a PNG or JPEG"),
    ("scan.png", png(np.zeros((40, 40), np.uint8), format="TIFF"), "not a PNG or JPEG"),
    ("cut.png", png(np.full((40, 40), 255, np.uint8))[:60], "damaged or truncated"),
    ("blank.png", png(np.full((40, 40), 255, np.uint8)), "no ink"),
    ("black.png", png(np.zeros((40, 40), np.uint8)), "no ink"),
    ("tiny.png", png(np.zeros((4, 4), np.uint8)), "too small"),
]


def animated() -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (30, 30), 0).save(
        buffer, format="PNG", save_all=True, append_images=[Image.new("L", (30, 30), 255)]
    )
    return buffer.getvalue()


def test_every_bad_file_gets_a_message_and_the_good_one_still_a_verdict(at, mnist5k):
    files = [(n, d) for n, d, _ in BAD] + [
        ("anim.png", animated()),
        ("good.png", png(mnist5k.test.images[0, 0].numpy())),
    ]
    upload(at, *files)
    errors = [e.value for e in at.error]
    for name, _, message in [*BAD, ("anim.png", b"", "animated")]:
        assert any(e.startswith(f"**{name}**") and message in e for e in errors), (name, errors)
    assert len(verdicts(at)) == 1 and verdicts(at)[0].startswith("**1. good.png**")
    assert not at.exception


def test_too_many_files_at_once(at, mnist5k):
    files = [(f"d{i}.png", png(mnist5k.test.images[i, 0].numpy())) for i in range(22)]
    upload(at, *files)
    assert any("too many" in e.value for e in at.error)
    assert len(verdicts(at)) == 20


def test_evaluate_against_fashion_mnist(at):
    at.toggle(key="a_eval_fashion").set_value(True).run()
    if any("not on this machine" in w.value for w in at.warning):
        pytest.skip("Fashion-MNIST is not installed")
    table = at.dataframe[0].value.set_index("task")
    assert table.loc["MNIST vs Fashion-MNIST", "AUROC, uploads"] > 0.995  # as files arrive
    assert table.loc["MNIST vs Fashion-MNIST", "AUROC, tensors"] > 0.99
    assert any("a_roc" in c.proto.id for c in at.get("plotly_chart"))


def test_one_vs_rest_detector_trained_on_a_single_digit(mnist5k):
    from gen_core.data import only_classes
    from gen_core.runs import RunManager
    from ui.common import RUNS

    folder = RUNS / "20000101-000003-conv-vae-three"
    trainer, _ = trainer_for(
        "conv-vae",
        only_classes(mnist5k.train, "3").images,
        folder,
        steps=150,
        batch_size=32,
        classes="3",
    )
    trainer.run()
    stem = folder / "checkpoint"
    reference = fit_reference(trainer.model, only_classes(mnist5k.train, "3").images)
    scores = score(trainer.model, mnist5k.test.images, "sq-error+knn", reference).scores.numpy()
    threes = (mnist5k.test.labels == 3).numpy()
    expected = evaluate(scores[threes], scores[~threes]).auroc
    at = open_page(ANOMALY)
    at.sidebar.selectbox[0].set_value(str(stem)).run()
    assert at.radio(key="a_kind_one_class").value == "sq-error+knn"  # the best score for the task
    table = at.dataframe[0].value.set_index("task")
    assert table.loc["digits 3 vs the rest", "AUROC, tensors"] == pytest.approx(expected, abs=1e-4)
    assert expected > 0.6  # 150 steps on 400 threes already beat chance clearly
    assert 0.5 < table.loc["digits 3 vs the rest", "AUROC, uploads"] <= 1
    caption = next(c.value for c in at.caption if c.value.startswith("Threshold"))
    calibration = normal_uploads(mnist5k.test.images[threes], MNIST).calibration  # threes alone
    normal = score(trainer.model, calibration, "sq-error+knn", reference).scores
    cut = threshold(normal, fpr=DEFAULT_FPR)
    assert f"Threshold {cut:.2f}," in caption and "50 normal test digits 3 " in caption

    at.selectbox(key="a_digit").set_value(5)
    at.button(key="a_train").click().run()
    started = next(s.value for s in at.success if s.value.startswith("Run "))
    run_id = started.split()[1]
    manager = RunManager(RUNS)
    settings = manager.status(run_id).request.settings
    assert settings["classes"] == "5" and settings["augment_shift"] == 2 and settings["beta"] == 0.1
    assert settings["log_every"] == settings["sample_every"] == "auto"  # sized by the trainer
    manager.stop(run_id)
