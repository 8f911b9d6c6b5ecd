"""GAN losses from discriminator logits and the VAE's ELBO parts, numerically stable throughout.

With D(x) = sigmoid(l), log D(x) = -softplus(-l) and log(1 - D(x)) = -softplus(l), so no
loss here takes the log of a probability that has rounded to 0 or 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, get_args

import torch
import torch.nn.functional as F

Loss = Literal["minimax", "non-saturating", "wgan-gp", "hinge"]
UNLABELLED: tuple[Loss, ...] = ("wgan-gp", "hinge")  # losses on raw scores: nothing to smooth
GAN_LOSSES: tuple[Loss, ...] = get_args(Loss)


def d_loss(
    real_logits: torch.Tensor, fake_logits: torch.Tensor, kind: Loss, label_smoothing: float = 0.0
) -> torch.Tensor:
    """Discriminator (or critic) loss.

    minimax / non-saturating: L_D = -(E log D(x) + E log(1 - D(G(z)))) (Goodfellow et al.,
    eq. 1), with one-sided label smoothing: real targets 1 - s, fake targets stay 0.
    wgan-gp: L_D = E C(G(z)) - E C(x); the gradient penalty is added by the trainer.
    hinge: L_D = E max(0, 1 - D(x)) + E max(0, 1 + D(G(z))) (Lim & Ye 2017; Miyato et al. 2018).
    """
    if kind == "wgan-gp":
        return fake_logits.mean() - real_logits.mean()
    if kind == "hinge":
        return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()
    check_loss(kind)
    real_target = torch.full_like(real_logits, 1.0 - label_smoothing)
    return (
        F.binary_cross_entropy_with_logits(real_logits, real_target)
        + F.softplus(fake_logits).mean()
    )


def g_loss(fake_logits: torch.Tensor, kind: Loss) -> torch.Tensor:
    """Generator loss.

    minimax: minimise E log(1 - D(G(z))), which saturates when D wins;
    non-saturating: L_G = -E log D(G(z)); wgan-gp and hinge: L_G = -E D(G(z)).
    """
    check_loss(kind)
    if kind == "minimax":
        return -F.softplus(fake_logits).mean()
    if kind == "non-saturating":
        return F.softplus(-fake_logits).mean()
    return -fake_logits.mean()


def gradient_penalty(
    critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, fake: torch.Tensor
) -> torch.Tensor:
    """E (||grad C(x_hat)||_2 - 1)^2 on random mixes of real and fake (Gulrajani et al., 2017)."""
    alpha = torch.rand(len(real), *([1] * (real.dim() - 1)), device=real.device, dtype=real.dtype)
    mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


def r1_penalty(real_logits: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """E ||grad D(x)||^2 on real images (Mescheder et al., 2018): D flat around the data, so
    it cannot sharpen onto the few thousand images it sees. ``real`` must require grad."""
    (grad,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)
    return grad.pow(2).flatten(1).sum(1).mean()


def check_loss(kind: str) -> None:
    """Refuse a GAN loss name this module does not know, listing the ones it does."""
    if kind not in GAN_LOSSES:
        raise ValueError(f"unknown GAN loss {kind!r}; choose one of {', '.join(GAN_LOSSES)}")


@dataclass
class ELBOParts:
    """Per-sample terms in nats: loss = recon + beta * kl is the negative ELBO when beta = 1."""

    recon: torch.Tensor
    kl: torch.Tensor
    loss: torch.Tensor


def bernoulli_nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log p(x|z) under independent Bernoulli pixels, summed over pixels: one value per image."""
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)


def kl_to_standard_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, sigma^2) || N(0, I)) in closed form, per sample: -1/2 sum(1 + log s^2 - mu^2 - s^2)."""
    return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)


def elbo_parts(
    logits: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor, beta: float = 1.0
) -> ELBOParts:
    """Reconstruction and KL per sample, and their beta-weighted sum (Kingma & Welling, eq. 10)."""
    recon = bernoulli_nll(logits, x)
    kl = kl_to_standard_normal(mu, logvar)
    return ELBOParts(recon, kl, recon + beta * kl)
