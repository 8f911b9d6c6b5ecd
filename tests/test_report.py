"""The model report: the right figures for each kind of checkpoint, measured on the right data."""

import dataclasses
import math

import pytest
import torch

from gen_core.analysis.latent import encode
from gen_core.analysis.report import (
    FITTED,
    checkpoint_report,
    classifier_path,
    measures,
    model_report,
    sample_quality,
)
from gen_core.checkpoints import Checkpoint, load_checkpoint
from gen_core.data import DatasetInfo, subset
from gen_core.models import build_model
from gen_core.models.classifier import accuracy

from .helpers import ROOT


@pytest.fixture(scope="module")
def digit_classifier():
    return load_checkpoint(ROOT / "checkpoints" / "classifier")


@pytest.fixture(scope="module")
def classifier(digit_classifier):
    return digit_classifier.model


def test_gan_report_has_sample_figures_and_a_histogram(digit_classifier):
    dcgan = load_checkpoint(ROOT / "checkpoints" / "dcgan")
    report = checkpoint_report(dcgan, digit_classifier, n=300)
    names = [row[0] for row in report.rows]
    assert names == [
        "classifier FID",
        "class entropy (nats)",
        "classifier score",
        "confident samples",
    ]
    assert sum(report.histogram) == pytest.approx(1.0) and len(report.histogram) == 10
    assert 0 < report.value("class entropy (nats)") <= math.log(10)
    assert "mnist-5k" in report.notes[-1]


def test_a_trained_generator_beats_an_untrained_one(mnist5k, classifier):
    trained = sample_quality(
        load_checkpoint(ROOT / "checkpoints" / "dcgan").model, classifier, mnist5k.test, n=300
    )
    untrained = sample_quality(build_model("dcgan"), classifier, mnist5k.test, n=300)
    assert trained.value("classifier FID") < untrained.value("classifier FID") / 2
    assert trained.value("class entropy (nats)") > untrained.value("class entropy (nats)")


def test_vae_report_adds_likelihoods_and_progress_reaches_the_end(mnist5k, classifier):
    heard = []
    model = load_checkpoint(ROOT / "checkpoints" / "vae").model
    report = model_report(
        model, mnist5k.test, classifier, n=200, k=5, progress=lambda f, text: heard.append(f)
    )
    assert report.value("test -log p(x), IW (nats)") <= report.value("test negative ELBO (nats)")
    assert heard[0] == 0.0 and heard[-1] == 1.0 and heard == sorted(heard)


def test_a_vae_report_measures_samples_of_the_prior_and_of_its_fitted_density(mnist5k, classifier):
    model = load_checkpoint(ROOT / "checkpoints" / "conv-vae").model
    model.density.clear()
    prior_only = [row[0] for row in model_report(model, mnist5k.test, classifier, n=50, k=1).rows]
    assert not any(FITTED in name for name in prior_only)
    model.density.fit(encode(model, mnist5k.train.images))
    report = model_report(model, mnist5k.test, classifier, n=500, k=1)
    names = [row[0] for row in report.rows]
    assert [n for n in names if FITTED not in n] == prior_only
    assert {n + FITTED for n in prior_only if "test" not in n} <= set(names)
    # samples from where real codes lie read as digits far better than the prior's
    assert report.value("classifier FID" + FITTED) < report.value("classifier FID") / 2


def test_classifier_report_is_its_test_accuracy(mnist5k, classifier):
    report = model_report(classifier, mnist5k.test, None)
    assert report.value("test accuracy") == pytest.approx(accuracy(classifier, mnist5k.test))


def with_info(checkpoint: Checkpoint, **changes) -> Checkpoint:
    return Checkpoint(checkpoint.model, dataclasses.replace(checkpoint.info, **changes))


def test_a_one_class_run_is_measured_on_its_class_and_no_classifier_is_explained():
    shipped = load_checkpoint(ROOT / "checkpoints" / "vae")
    threes = with_info(shipped, train={**shipped.info.train, "classes": "3"})
    report = checkpoint_report(threes, None, k=2)
    assert "classifier FID" not in [row[0] for row in report.rows]
    assert any("classifier" in note for note in report.notes)
    assert "100 mnist-5k test images" in report.notes[-1]  # the 3s of the test split only


def test_each_dataset_is_measured_by_the_classifier_of_its_own_classes(
    monkeypatch, mnist5k, digit_classifier
):
    monkeypatch.setattr("gen_core.analysis.report.load_dataset", lambda name: mnist5k)
    shipped = load_checkpoint(ROOT / "checkpoints" / "dcgan")
    fashion = with_info(shipped, dataset=DatasetInfo.from_dict({"name": "fashion-mnist"}))
    clothes = load_checkpoint(classifier_path("fashion-mnist", ROOT / "checkpoints"))
    assert measures(digit_classifier, "mnist") and not measures(digit_classifier, "fashion-mnist")
    assert checkpoint_report(fashion, digit_classifier).rows == []
    assert checkpoint_report(shipped, clothes).rows == []
    assert checkpoint_report(fashion, clothes, n=100).rows[0][0] == "classifier FID"
    assert checkpoint_report(shipped, digit_classifier, n=100).rows[0][0] == "classifier FID"


def test_the_shipped_fashion_classifier_reaches_its_recorded_accuracy(fashion):
    test = fashion.test
    loaded = load_checkpoint(classifier_path("fashion-mnist", ROOT / "checkpoints"))
    recorded = loaded.info.train["test_accuracy"]
    assert recorded >= 0.89 and loaded.info.dataset.name == "fashion-mnist"
    assert accuracy(loaded.model, test) == pytest.approx(recorded, abs=1e-9)


def test_subset_draws_across_a_sorted_split(mnist5k):
    labels = subset(mnist5k.test.labels, 200)
    assert len(labels) == 200 and len(torch.unique(labels)) == 10
