"""The remedy comparison: every run is a valid GAN run that changes one thing from the baseline."""

import pytest
from torch import nn

from gen_core.configs import build
from gen_core.models import MODELS, build_model
from gen_core.runs import Limits
from gen_core.training import GANTrainConfig, make_trainer
from gen_core.training.remedies import BASELINE, remedies, remedy_runs


@pytest.mark.parametrize("model", ["fcgan", "dcgan"])
def test_each_remedy_run_trains_and_differs_from_the_baseline_only_where_it_says(model, mnist5k):
    base = {"dataset": "mnist-5k", "epochs": 3, "seed": 7, "loss": "minimax", "d_dropout": 0.5}
    runs = remedy_runs(model, base)
    assert list(runs) == list(remedies(model)) and len(runs) == 11
    baseline = runs["baseline"]
    assert baseline["loss"] == "non-saturating" and baseline["d_dropout"] == 0.0  # form undone
    for name, options in runs.items():
        assert {k: options[k] for k in base if k not in BASELINE} == {
            "dataset": "mnist-5k",
            "epochs": 3,
            "seed": 7,
        }
        changed = {k for k in options if options[k] != baseline.get(k)}
        assert changed == set(remedies(model)[name]), name
        config = build(GANTrainConfig, {**options, "steps": 2, "device": "cpu", "batch_size": 16})
        net = build_model(model, build(MODELS[model][0], options))
        trainer = make_trainer(net, mnist5k.train.images[:64], config)
        assert trainer.run() == "finished", name


@pytest.mark.parametrize("model", ["fcgan", "dcgan"])
def test_one_person_may_queue_the_whole_comparison(model):
    assert len(remedies(model)) <= Limits().per_owner <= Limits().queued


def test_spectral_norm_comes_without_batch_norm_in_d_as_sn_gan_has_it():
    options = remedies("dcgan")["spectral norm in D"]
    net = build_model("dcgan", build(MODELS["dcgan"][0], options))
    assert not any(isinstance(m, nn.BatchNorm2d) for m in net.D.modules())
    assert any(hasattr(m, "parametrizations") for m in net.D.modules())
    assert remedies("fcgan")["spectral norm in D"] == {"d_spectral_norm": True}  # no BN in its D
