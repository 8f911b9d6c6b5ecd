import json
import time

import pytest
import torch
from torch import nn

from gen_core.checkpoints import CheckpointError, load_checkpoint, save_checkpoint
from gen_core.configs import from_dict
from gen_core.models import GAN, MODELS, VAE, build_model


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_maps_latents_to_28x28_images_in_unit_range(name):
    model = build_model(name).eval()
    z = model.sample_latent(6)
    assert z.shape == (6, model.latent_dim)
    images = model.generate(z)
    assert images.shape == (6, 1, 28, 28)
    assert images.min() >= 0 and images.max() <= 1


@pytest.mark.parametrize("name", ["fcgan", "dcgan"])
def test_gan_shapes(name):
    model = build_model(name)
    assert isinstance(model, GAN)
    fake = model.G(torch.randn(4, model.latent_dim))
    assert fake.shape == (4, 1, 28, 28) and fake.abs().max() <= 1
    assert model.D(fake).shape == (4,)


@pytest.mark.parametrize("name", ["vae", "conv-vae"])
def test_vae_shapes(name):
    model = build_model(name)
    assert isinstance(model, VAE)
    x = torch.rand(5, 1, 28, 28)
    mu, logvar = model.encode(x)
    assert mu.shape == logvar.shape == (5, model.latent_dim)
    out = model(x)
    assert out.logits.shape == (5, 1, 28, 28) and out.z.shape == (5, model.latent_dim)
    assert model.reconstruct(x).shape == (5, 1, 28, 28)


def test_default_vae_has_a_2d_latent_for_plotting():
    assert build_model("vae").latent_dim == 2
    assert build_model("conv-vae").latent_dim > 2


def test_config_from_a_stored_dict_and_unknown_keys_refused():
    model = build_model("vae", {"latent_dim": 20, "hidden": [400]})
    assert model.config.hidden == (400,) and model.latent_dim == 20
    assert [m.out_features for m in model.encoder if isinstance(m, nn.Linear)] == [400]
    with pytest.raises(ValueError, match="no field"):
        from_dict(MODELS["dcgan"][0], {"ngf": 8, "evil": 1})
    with pytest.raises(ValueError, match="unknown model"):
        build_model("stylegan")


def test_dcgan_batch_norm_and_dropout_switches():
    with_bn = build_model("dcgan")
    without = build_model("dcgan", {"d_batch_norm": False, "d_dropout": 0.3})
    assert any(isinstance(m, nn.BatchNorm2d) for m in with_bn.D.modules())
    assert not any(isinstance(m, nn.BatchNorm2d) for m in without.D.modules())
    assert any(isinstance(m, nn.Dropout) and m.p == 0.3 for m in without.D.modules())
    assert not any(isinstance(m, nn.MaxPool2d | nn.AvgPool2d) for m in with_bn.modules())


@pytest.mark.parametrize("name", ["dcgan", "fcgan"])
def test_spectral_norm_makes_each_layer_of_d_1_lipschitz_and_survives_a_checkpoint(name, tmp_path):
    torch.manual_seed(0)
    model = build_model(name, {"d_spectral_norm": True})
    model.D.train()
    for _ in range(30):  # each forward pass is one power iteration
        model.D(torch.randn(8, 1, 28, 28))
    layers = [m for m in model.D.modules() if isinstance(m, nn.Linear | nn.Conv2d)]
    assert layers and all(hasattr(m, "parametrizations") for m in layers)
    for m in layers:
        sigma = torch.linalg.matrix_norm(m.weight.detach().flatten(1), ord=2)
        assert abs(float(sigma) - 1) < 0.05
    save_checkpoint(tmp_path / "sn", model, step=1)
    again = load_checkpoint(tmp_path / "sn").model
    again.eval(), model.eval()
    x = torch.randn(4, 1, 28, 28)
    assert torch.equal(again.D(x), model.D(x))


@pytest.mark.parametrize("name", ["fcgan", "dcgan"])
def test_a_conditional_gan_carries_the_class_in_its_latent_and_d_judges_image_and_class(
    name, tmp_path
):
    plain, model = build_model(name), build_model(name, {"conditional": True}).eval()
    assert model.latent_dim == plain.latent_dim + 10
    z = model.sample_latent(300, torch.Generator().manual_seed(0))
    code = model.class_code(z)
    assert torch.equal(code.sum(1), torch.ones(300))  # one-hot
    labels = code.argmax(1)
    assert set(labels.tolist()) == set(range(10))
    noise = z[:, : model.config.nz]
    assert torch.equal(model.with_class(noise, labels), z)
    x = model.G(z)
    with pytest.raises(ValueError, match="class code"):
        model.D(x)
    told_otherwise = model.class_code(model.with_class(noise, (labels + 1) % 10))
    assert not torch.allclose(model.D(x, code), model.D(x, told_otherwise))
    save_checkpoint(tmp_path / "c", model, step=1)
    again = load_checkpoint(tmp_path / "c").model.eval()
    assert torch.equal(again.D(x, code), model.D(x, code))
    # an unconditional GAN's weights keep their names: checkpoints saved before still load
    assert set(model.state_dict()) - set(plain.state_dict()) == {"D.project.embed.weight"}
    assert plain.class_code(plain.sample_latent(2)) is None


def test_train_configs_and_model_configs_share_no_option_names():
    import dataclasses

    from gen_core.training import GANTrainConfig, VAETrainConfig

    for config_cls, model_cls in MODELS.values():
        train_cls = GANTrainConfig if model_cls.family == "gan" else VAETrainConfig
        model_fields = {f.name for f in dataclasses.fields(config_cls)}
        assert not model_fields & {f.name for f in dataclasses.fields(train_cls)}


@pytest.mark.parametrize(
    ("name", "config", "message"),
    [
        ("dcgan", {"nz": 60000}, "the limit is 20,000,000"),
        ("fcgan", {"nz": 1_000_000_000}, "the limit is 20,000,000"),
        ("dcgan", {"nz": -2}, "nz must be at least 1"),
        ("vae", {"latent_dim": 0}, "latent_dim must be at least 1"),
        ("conv-vae", {"channels": 0}, "channels must be at least 1"),
        ("vae", {"hidden": ()}, "hidden must be at least 1"),
        ("fcgan", {"d_dropout": 1.5}, "d_dropout must be in"),
    ],
)
def test_a_config_no_model_can_have_is_refused_before_anything_is_built(name, config, message):
    start = time.perf_counter()
    with pytest.raises(ValueError, match=message):
        build_model(name, config)
    assert time.perf_counter() - start < 1.0  # counted on the meta device, never allocated


def test_a_sidecar_asking_for_a_huge_model_is_refused_as_a_bad_checkpoint(tmp_path):
    stem = save_checkpoint(tmp_path / "m", build_model("dcgan"))
    meta = json.loads((tmp_path / "m.json").read_text())
    meta["config"]["nz"] = 60000
    (tmp_path / "m.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="the limit is"):
        load_checkpoint(stem)


ON_CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=ON_CUDA)])
def test_a_seeded_cpu_generator_draws_the_same_latents_on_any_device(device):
    model = build_model("dcgan").to(device)
    z = model.sample_latent(5, torch.Generator().manual_seed(3))
    expected = torch.randn(5, model.latent_dim, generator=torch.Generator().manual_seed(3))
    assert z.device.type == device and torch.equal(z.cpu(), expected)
