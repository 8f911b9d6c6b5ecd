import numpy as np
import pytest
import torch

from gen_core.analysis import latent
from gen_core.analysis.latent import (
    at_position,
    decode,
    encode,
    lerp,
    norm_profile,
    path,
    project,
    seeded_latents,
    slerp,
)
from gen_core.checkpoints import load_checkpoint
from gen_core.losses import bernoulli_nll

from .helpers import ROOT

T = torch.linspace(0, 1, 11)


@pytest.mark.parametrize("step", [lerp, slerp])
def test_endpoints_equal_the_inputs_exactly(step):
    a, b = torch.randn(16), torch.randn(16)
    frames = step(a, b, T)
    assert torch.equal(frames[0], a) and torch.equal(frames[-1], b)
    assert torch.equal(step(a, b, 0.0), a) and torch.equal(step(a, b, 1.0), b)


def test_slerp_keeps_unit_vectors_on_the_sphere_where_lerp_cuts_inside():
    a, b = torch.nn.functional.normalize(torch.randn(2, 32), dim=1)
    assert torch.allclose(norm_profile(slerp(a, b, T)), torch.ones(11), atol=1e-5)
    assert norm_profile(lerp(a, b, T))[5] < 0.9


def test_slerp_is_stable_for_parallel_and_opposite_vectors():
    a = torch.randn(8)
    for b in (a * 2.0, a + 1e-9, -a, -3 * a + 1e-9):
        frames = slerp(a, b, T)
        assert torch.isfinite(frames).all()
        assert torch.equal(frames[0], a) and torch.allclose(frames[-1], b)
    around = slerp(a, -a, T)  # opposite: the path goes round the sphere, never through 0
    assert torch.allclose(norm_profile(around), a.norm().expand(11), rtol=1e-5)


def test_slerp_bends_the_noise_and_leaves_a_class_code_straight():
    noise = torch.nn.functional.normalize(torch.randn(2, 32), dim=1)
    codes = torch.eye(10)[[3, 8]]
    points = torch.cat([noise, codes], 1)
    frames = path(points, frames_per_leg=10, method="slerp", noise_dim=32)
    assert torch.equal(frames[0], points[0]) and torch.equal(frames[-1], points[1])
    assert torch.allclose(norm_profile(frames, 32), torch.ones(11), atol=1e-5)
    assert torch.allclose(frames[:, 32:], lerp(codes[0], codes[1], T), atol=1e-6)
    assert torch.allclose(frames[:, 32:].sum(1), torch.ones(11))  # still one digit's weight
    assert torch.allclose(at_position(points, 0.5, "slerp", 32), frames[5], atol=1e-6)
    bent = path(points, frames_per_leg=10, method="slerp")  # the code on the sphere too
    assert (bent[5, 32:].sum() - 1).abs() > 0.1


def test_a_path_through_k_points_has_the_promised_frames():
    points = torch.randn(4, 10)
    for method in ("lerp", "slerp"):
        frames = path(points, frames_per_leg=7, method=method)
        assert frames.shape == (3 * 7 + 1, 10)
        for k in range(4):
            assert torch.allclose(frames[7 * k], points[k], atol=1e-6)
    assert torch.allclose(at_position(points, 2.0), points[2]) and torch.allclose(
        at_position(points, 3.0), points[3]
    )
    with pytest.raises(ValueError):
        path(points[:1], 5)


def test_seeded_latents_are_reproducible():
    model = load_checkpoint(ROOT / "checkpoints" / "dcgan").model
    assert torch.equal(seeded_latents(model, [3, 4]), seeded_latents(model, [3, 4]))
    assert not torch.equal(seeded_latents(model, [3])[0], seeded_latents(model, [4])[0])


@pytest.mark.parametrize(("name", "bound"), [("vae", 160.0), ("conv-vae", 95.0)])
def test_encode_then_decode_reconstructs_test_digits(mnist5k, name, bound):
    model = load_checkpoint(ROOT / "checkpoints" / name).model
    x = mnist5k.test.images[::5]  # 20 of each digit, in class order
    recon = decode(model, encode(model, x))
    assert recon.shape == (200, 1, 28, 28)
    bce = bernoulli_nll(torch.logit(recon.clamp(1e-6, 1 - 1e-6)), x.float() / 255).mean()
    assert bce < bound  # nats per image; noise images score over 500
    wrong = decode(model, encode(model, x.roll(20, 0)))  # each paired with a digit of another class
    assert (recon - x.float() / 255).abs().mean() < 0.7 * (wrong - x.float() / 255).abs().mean()
    sampled = encode(model, x[:5], sample=True, generator=torch.Generator().manual_seed(0))
    assert not torch.equal(sampled, encode(model, x[:5]))


def test_gans_cannot_encode():
    with pytest.raises(TypeError, match="only a VAE"):
        encode(load_checkpoint(ROOT / "checkpoints" / "dcgan").model, torch.zeros(1, 1, 28, 28))


@pytest.mark.parametrize("method", ["pca", "umap"])
def test_projections_give_one_2d_point_per_input_and_reuse_the_cache(tmp_path, monkeypatch, method):
    latents = np.random.default_rng(0).normal(size=(120, 16)).astype(np.float32)
    coords = project(latents, method, cache_dir=tmp_path, n_neighbors=10)
    assert coords.shape == (120, 2) and np.isfinite(coords).all()
    fits = []
    monkeypatch.setattr(
        latent, "_fit", lambda *args: fits.append(args) or np.zeros((120, 2), np.float32)
    )
    assert np.array_equal(project(latents, method, cache_dir=tmp_path, n_neighbors=10), coords)
    assert fits == [] and len(list(tmp_path.iterdir())) == 1
    project(latents, method, cache_dir=tmp_path, n_neighbors=11)  # other settings: computed afresh
    assert len(fits) == 1
