"""The shipped checkpoints load, sample, and behave like trained models rather than noise."""

import pytest
import torch

from gen_core.analysis.anomaly import UPLOAD_CLASSIFIERS
from gen_core.analysis.latent import class_latents
from gen_core.analysis.report import CLASSIFIERS, classifier_path
from gen_core.checkpoints import list_checkpoints, load_checkpoint
from gen_core.data import DATASETS, kind_of
from gen_core.losses import elbo_parts
from gen_core.models.classifier import predict

from .helpers import ROOT

SHIPPED = ROOT / "checkpoints"


def test_every_model_is_shipped_small_and_without_optimizer_state():
    infos = {i.name: i for i in list_checkpoints(SHIPPED)}
    classifiers = set(CLASSIFIERS.values())  # one per kind of data
    uploads = set(UPLOAD_CLASSIFIERS.values())  # the Anomaly page's, for kinds that have one
    assert set(infos) == {"fcgan", "dcgan", "vae", "conv-vae", *classifiers, *uploads}
    for name, info in infos.items():
        assert info.size_bytes() < 6_000_000 and not info.has_training_state
        if name in uploads:
            assert info.model == "classifier" and info.config["reject"] and info.train["uploads"]
        elif name in classifiers:
            assert CLASSIFIERS[info.dataset.kind.name] == name and info.model == "classifier"
        else:
            assert info.dataset.name == "mnist-5k" and info.history


def test_every_dataset_has_a_shipped_classifier_of_its_own_classes():
    for name in DATASETS:
        info = load_checkpoint(classifier_path(name, SHIPPED)).info
        assert info.model == "classifier" and info.dataset.kind == kind_of(name)


@pytest.mark.parametrize("name", ["fcgan", "dcgan"])
def test_shipped_gans_sample_varied_digit_like_images(name):
    model = load_checkpoint(SHIPPED / name).model
    with torch.inference_mode():
        images = model.generate(model.sample_latent(64, torch.Generator().manual_seed(0)))
    ink = (images > 0.5).float().mean((1, 2, 3))
    assert 0.05 < ink.mean() < 0.35  # MNIST digits cover about 13% of the frame
    border = torch.cat([images[..., :2, :].flatten(1), images[..., -2:, :].flatten(1)], 1)
    assert border.mean() < 0.05  # dark background around a centred stroke
    spread = torch.cdist(images.flatten(1), images.flatten(1)).mean()
    assert spread > 5.0  # no mode collapse: samples differ from each other


def test_the_shipped_dcgan_draws_the_digit_it_is_asked_for():
    model = load_checkpoint(SHIPPED / "dcgan").model.eval()
    reader = load_checkpoint(classifier_path("mnist-5k", SHIPPED)).model.eval()
    asked = list(range(10)) * 3
    with torch.inference_mode():
        images = torch.cat(
            [model.generate(class_latents(model, asked, seed)) for seed in range(10)]
        )
    read = predict(reader, images)[0].argmax(1)
    agree = (read == torch.tensor(asked * 10)).float().mean()
    assert agree > 0.9, float(agree)  # a drawn class is 10% at chance


@pytest.mark.parametrize(("name", "bound"), [("vae", 170.0), ("conv-vae", 115.0)])
def test_shipped_vaes_reconstruct_test_digits(mnist5k, name, bound):
    model = load_checkpoint(SHIPPED / name).model
    x = mnist5k.test.images.float() / 255
    with torch.inference_mode():
        mu, logvar = model.encode(x)
        parts = elbo_parts(model.decode(mu), x, mu, logvar)
    assert parts.loss.mean() < bound  # nats per image; untrained, these models score 540 to 600
