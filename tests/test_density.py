"""The latent density a VAE fits to its training codes: fitting, sampling, checkpoints, the CLI."""

import hashlib

import pytest
import torch
from safetensors.torch import load_file, save_file

from gen_core import checkpoints as ckpt
from gen_core.models import build_model
from gen_core.models.density import LatentDensity
from tests.helpers import cli_here, params_equal, trainer_for


def clusters(n: int = 3000) -> tuple[torch.Tensor, torch.Tensor]:
    """Codes in three tight clusters, the middle one twice as likely, far from N(0, I)'s mass."""
    centres = torch.tensor([[4.0, 0.0], [0.0, 4.0], [-4.0, -4.0]])
    which = torch.multinomial(torch.tensor([0.25, 0.5, 0.25]), n, replacement=True)
    return centres[which] + 0.3 * torch.randn(n, 2), centres


def test_a_fitted_mixture_samples_where_the_codes_are_not_where_the_prior_is():
    torch.manual_seed(0)
    codes, centres = clusters()
    density = LatentDensity(2, 3)
    assert not density.fitted
    density.fit(codes)
    assert density.fitted
    drawn = density.sample(3000, torch.Generator().manual_seed(1))
    nearest = torch.cdist(drawn, centres).min(1)
    assert (nearest.values < 1.2).float().mean() > 0.99  # every draw lands in a cluster
    shares = torch.bincount(nearest.indices, minlength=3) / len(drawn)
    assert torch.allclose(shares, torch.tensor([0.25, 0.5, 0.25]), atol=0.04)
    prior = torch.randn(3000, 2)
    assert (torch.cdist(prior, centres).min(1).values < 1.2).float().mean() < 0.2
    again = density.sample(3000, torch.Generator().manual_seed(1))
    assert torch.equal(again, drawn)  # a seed gives the same codes


def test_fewer_codes_than_components_fit_that_many():
    density = LatentDensity(2, 10)
    density.fit(torch.randn(4, 2))
    assert int((density.weights > 0).sum()) == 4
    assert density.sample(20).shape == (20, 2)


def test_an_unfitted_density_refuses_to_sample_with_a_reason():
    model = build_model("vae")
    assert not model.has_fitted_density
    with pytest.raises(ValueError, match="no density fitted to its training codes"):
        model.sample_latent(4, source="fitted")
    with pytest.raises(ValueError, match="samples from its prior only"):
        build_model("dcgan").sample_latent(4, source="fitted")


def test_a_vae_run_ends_with_a_density_of_its_training_codes(mnist5k, tmp_path):
    trainer, _ = trainer_for(
        "conv-vae", mnist5k.train.images, tmp_path, steps=60, checkpoint_every=30
    )
    saved = []

    def on_event(event):
        if event.type == "checkpoint":
            saved.append(ckpt.load_checkpoint(event.data["path"]).model.has_fitted_density)

    trainer.callbacks.append(on_event)
    assert trainer.run() == "finished"
    assert saved == [False, True]  # fitted at the last checkpoint only: fitting takes seconds
    model = ckpt.load_checkpoint(tmp_path / "checkpoint").model
    codes = model.encode(mnist5k.train.images[:2000].float() / 255)[0].detach()
    drawn = model.sample_latent(2000, torch.Generator().manual_seed(0), "fitted")
    assert drawn.shape == codes.shape
    # the mixture matches the codes' spread per dimension, which N(0, I) does not
    assert float(codes.std(0).max()) < 0.5
    assert torch.allclose(drawn.std(0), codes.std(0), rtol=0.3)
    assert torch.allclose(drawn.mean(0), codes.mean(0), atol=0.15 * float(codes.std(0).max()))


def test_a_checkpoint_saved_before_densities_loads_unfitted_and_can_be_given_one(mnist5k, tmp_path):
    model = build_model("vae")
    ckpt.save_checkpoint(tmp_path / "old", model, step=1, dataset=mnist5k.info)
    info = ckpt.read_info(tmp_path / "old")
    path = tmp_path / info.weights.file
    kept = {k: v for k, v in load_file(path).items() if not k.startswith("density.")}
    save_file(kept, path)
    sidecar = ckpt.sidecar_of(tmp_path / "old")
    fresh = hashlib.sha256(path.read_bytes()).hexdigest()
    sidecar.write_text(sidecar.read_text().replace(info.weights.sha256, fresh))
    loaded = ckpt.load_checkpoint(tmp_path / "old").model
    assert not loaded.has_fitted_density
    assert loaded.sample_latent(3).shape == (3, 2)

    done = cli_here("fit-density", str(tmp_path / "old"))
    assert "codes of 4000 mnist-5k images" in done.stdout
    again = ckpt.load_checkpoint(tmp_path / "old")
    assert again.model.has_fitted_density and again.info.step == 1
    assert params_equal(again.model.encoder, loaded.encoder)  # the VAE itself is untouched
    refused = cli_here("fit-density", "checkpoints/dcgan", check=False)
    assert refused.returncode == 1 and "only a VAE has codes" in refused.stderr


def test_sample_cli_draws_from_the_fitted_density_or_says_why_not(mnist5k, tmp_path):
    trainer, _ = trainer_for("vae", mnist5k.train.images, tmp_path, steps=30)
    assert trainer.run() == "finished"
    done = cli_here(
        "sample",
        str(tmp_path / "checkpoint"),
        "--out",
        str(tmp_path / "f.png"),
        "--latents",
        "fitted",
    )
    assert "fitted latents" in done.stdout and (tmp_path / "f.png").stat().st_size > 0
    refused = cli_here(
        "sample",
        "checkpoints/dcgan",
        "--out",
        str(tmp_path / "g.png"),
        "--latents",
        "fitted",
        check=False,
    )
    assert refused.returncode == 1 and "samples from its prior only" in refused.stderr
    assert not (tmp_path / "g.png").exists()
