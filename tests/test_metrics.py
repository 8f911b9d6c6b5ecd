import math

import numpy as np
import pytest
import torch

from gen_core.analysis.metrics import (
    class_histogram,
    classifier_score,
    entropy,
    frechet_distance,
    vae_likelihood,
)
from gen_core.checkpoints import load_checkpoint
from gen_core.models.classifier import accuracy, predict

from .helpers import ROOT


def test_frechet_distance_is_zero_for_a_set_with_itself_and_grows_with_a_shift():
    feats = np.random.default_rng(0).normal(size=(500, 8))
    assert frechet_distance(feats, feats) == pytest.approx(0.0, abs=1e-6)
    shifted = [frechet_distance(feats, feats + d) for d in (0.5, 1.0, 2.0)]
    assert shifted == pytest.approx([8 * 0.25, 8 * 1.0, 8 * 4.0], rel=1e-6)  # ||shift||^2 per dim
    wider = frechet_distance(feats, feats * 2)
    assert wider > 1.0


def test_frechet_distance_matches_the_matrix_square_root_formula():
    from scipy import linalg

    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(400, 6)), rng.normal(size=(400, 6)) @ rng.normal(size=(6, 6)) + 0.3
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    direct = ((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(
        ca + cb - 2 * np.real(linalg.sqrtm(ca @ cb))
    )
    assert frechet_distance(a, b) == pytest.approx(direct, rel=1e-8)


def test_entropy_of_a_uniform_histogram_is_ln_10_and_of_one_class_zero():
    assert entropy(torch.full((10,), 0.1)) == pytest.approx(math.log(10))
    assert str(entropy(torch.tensor([1.0] + [0.0] * 9))) == "0.0"  # not "-0.0" in a report
    probs = torch.eye(10)[torch.tensor([3, 3, 3, 7])]
    assert class_histogram(probs).tolist() == pytest.approx([0, 0, 0, 0.75, 0, 0, 0, 0.25, 0, 0])


def test_classifier_score_bounds():
    assert classifier_score(torch.eye(10)) == pytest.approx(10.0, rel=1e-4)  # sure and covering all
    assert classifier_score(torch.full((50, 10), 0.1)) == pytest.approx(1.0)  # no information
    assert classifier_score(torch.eye(10)[[2] * 20]) == pytest.approx(1.0)  # collapsed to one class


def test_importance_weighted_bound_is_tighter_than_the_elbo(mnist5k):
    model = load_checkpoint(ROOT / "checkpoints" / "conv-vae").model
    result = vae_likelihood(model, mnist5k.test.images[::20], k=50)
    assert result["neg_log_px_iw"] <= result["neg_elbo"]
    assert 60 < result["neg_log_px_iw"] < 120  # nats per image for a small VAE on MNIST


def test_the_shipped_classifier_reaches_its_recorded_accuracy(mnist5k):
    loaded = load_checkpoint(ROOT / "checkpoints" / "classifier")
    recorded = loaded.info.train["test_accuracy"]
    assert recorded >= 0.97
    assert accuracy(loaded.model, mnist5k.test) == pytest.approx(recorded, abs=1e-9)
    probs, feats = predict(loaded.model, mnist5k.test.images[:10])
    assert probs.shape == (10, 10) and feats.shape == (10, loaded.model.config.features)


def test_the_live_probe_gives_the_model_reports_figures_for_the_same_samples():
    from gen_core.analysis.quality import QualityProbe
    from gen_core.analysis.report import sample_quality
    from gen_core.data import load_dataset
    from gen_core.device import eval_mode

    model = load_checkpoint(ROOT / "checkpoints" / "dcgan").model
    classifier = load_checkpoint(ROOT / "checkpoints" / "classifier").model
    test = load_dataset("mnist-5k").test
    probe = QualityProbe(classifier, test, n=300, seed=0)
    z = model.sample_latent(300, generator=torch.Generator().manual_seed(0))
    with eval_mode(model):
        live = probe.measure(model.generate, z)
    report = sample_quality(model, classifier, test, n=300, seed=0)
    assert live["fid"] == pytest.approx(report.value("classifier FID"), rel=1e-9)
    assert live["class_entropy"] == pytest.approx(report.value("class entropy (nats)"))
    assert live["confident"] == pytest.approx(report.value("confident samples"))
