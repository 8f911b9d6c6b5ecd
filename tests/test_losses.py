import math

import pytest
import torch

from gen_core.losses import (
    bernoulli_nll,
    d_loss,
    elbo_parts,
    g_loss,
    gradient_penalty,
    kl_to_standard_normal,
    r1_penalty,
)
from gen_core.models import reparameterize

sig = torch.sigmoid


def test_d_loss_is_the_minimax_formula():
    real, fake = torch.tensor([2.0, -0.5]), torch.tensor([-1.0, 0.3])
    expected = -(torch.log(sig(real)).mean() + torch.log(1 - sig(fake)).mean())
    for kind in ("minimax", "non-saturating"):
        assert torch.allclose(d_loss(real, fake, kind), expected)
    assert torch.isclose(
        d_loss(torch.zeros(3), torch.zeros(3), "minimax"), torch.tensor(2 * math.log(2))
    )


def test_one_sided_label_smoothing_changes_only_the_real_target():
    real, fake, s = torch.tensor([1.5]), torch.tensor([-0.7]), 0.1
    expected = -((1 - s) * torch.log(sig(real)) + s * torch.log(1 - sig(real))) - torch.log(
        1 - sig(fake)
    )
    assert torch.allclose(d_loss(real, fake, "non-saturating", label_smoothing=s), expected)


def test_generator_losses():
    fake = torch.tensor([-2.0, 0.5, 3.0])
    assert torch.allclose(g_loss(fake, "minimax"), torch.log(1 - sig(fake)).mean())
    assert torch.allclose(g_loss(fake, "non-saturating"), -torch.log(sig(fake)).mean())
    assert torch.allclose(g_loss(fake, "wgan-gp"), -fake.mean())


def test_non_saturating_keeps_a_gradient_where_minimax_vanishes():
    fake = torch.tensor([-12.0], requires_grad=True)  # D is sure the sample is fake
    (grad_minimax,) = torch.autograd.grad(g_loss(fake, "minimax"), fake)
    (grad_ns,) = torch.autograd.grad(g_loss(fake, "non-saturating"), fake)
    assert grad_minimax.abs() < 1e-4 < 0.9 < grad_ns.abs()


def test_wasserstein_critic_loss():
    real, fake = torch.tensor([1.0, 3.0]), torch.tensor([0.5, -0.5])
    assert torch.isclose(d_loss(real, fake, "wgan-gp"), torch.tensor(0.0 - 2.0))


def test_losses_stay_finite_for_extreme_logits():
    big = torch.tensor([100.0, -100.0])
    for kind in ("minimax", "non-saturating"):
        assert torch.isfinite(d_loss(big, -big, kind)) and torch.isfinite(g_loss(big, kind))


def test_gradient_penalty_of_a_linear_critic():
    w = torch.tensor([3.0, 4.0])  # |grad| = 5 everywhere, so the penalty is (5 - 1)^2
    gp = gradient_penalty(lambda x: x @ w, torch.randn(8, 2), torch.randn(8, 2))
    assert torch.isclose(gp, torch.tensor(16.0))


def test_r1_penalty_is_the_squared_gradient_norm_on_real_images():
    real = torch.randn(8, 2).requires_grad_(True)
    logits = real @ torch.tensor([3.0, 4.0]) + (real**2).sum(1)  # grad 3 + 2x, 4 + 2y
    expected = ((3 + 2 * real[:, 0]) ** 2 + (4 + 2 * real[:, 1]) ** 2).mean()
    assert torch.isclose(r1_penalty(logits, real), expected)
    r1_penalty(logits, real).backward()  # a graph to train D through
    assert real.grad is not None


def test_unknown_loss_is_refused():
    with pytest.raises(ValueError, match="unknown GAN loss"):
        g_loss(torch.zeros(1), "least-squares")


def test_hinge_losses_count_only_scores_inside_the_margin():
    real, fake = torch.tensor([2.0, 0.5]), torch.tensor([-3.0, 0.0])
    # real: max(0, 1 - 2) = 0 and max(0, 1 - 0.5) = 0.5; fake: max(0, 1 - 3) = 0, max(0, 1) = 1
    assert torch.isclose(
        d_loss(real, fake, "hinge"), torch.tensor((0.0 + 0.5) / 2 + (0.0 + 1.0) / 2)
    )
    assert torch.isclose(g_loss(fake, "hinge"), torch.tensor(1.5))  # -E D(G(z))


def test_kl_is_zero_for_the_prior_and_matches_closed_form():
    assert torch.equal(kl_to_standard_normal(torch.zeros(4, 3), torch.zeros(4, 3)), torch.zeros(4))
    mu, logvar = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, math.log(4.0)]])
    expected = 0.5 * 1.0 + 0.5 * (
        4.0 - 1 - math.log(4.0)
    )  # per dim: (s^2 + mu^2 - 1 - log s^2) / 2
    assert torch.isclose(kl_to_standard_normal(mu, logvar), torch.tensor([expected]))


def test_bernoulli_nll_and_elbo_parts_per_sample():
    logits, x = torch.randn(5, 1, 28, 28), torch.rand(5, 1, 28, 28)
    p = sig(logits)
    manual = -(x * torch.log(p) + (1 - x) * torch.log(1 - p)).flatten(1).sum(1)
    assert torch.allclose(bernoulli_nll(logits, x), manual, rtol=1e-5)
    mu, logvar = torch.randn(5, 2), torch.randn(5, 2)
    parts = elbo_parts(logits, x, mu, logvar, beta=2.0)
    assert parts.loss.shape == (5,)
    assert torch.allclose(parts.loss, parts.recon + 2.0 * parts.kl)


def test_reparameterised_sample_carries_gradients_to_mu_and_sigma():
    mu = torch.tensor([0.5, -1.0], requires_grad=True)
    logvar = torch.tensor([0.2, -0.4], requires_grad=True)
    z = reparameterize(mu, logvar)
    z.sum().backward()
    eps = (z - mu) / torch.exp(0.5 * logvar)
    assert torch.allclose(mu.grad, torch.ones(2))
    assert torch.allclose(logvar.grad, 0.5 * torch.exp(0.5 * logvar) * eps.detach())
    assert logvar.grad.abs().min() > 0
