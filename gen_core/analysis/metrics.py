"""How good is a generative model, in numbers a person can check.

- Fréchet distance between Gaussians fitted to classifier features of two image sets
  (the "classifier FID": FID's formula, Heusel et al. 2017, on a domain classifier's features);
- class histogram of generated samples, its entropy (ln 10 = every digit equally often) and
  the classifier analogue of the Inception Score, exp E[KL(p(y|x) || p(y))];
- for VAEs: test negative ELBO and the importance-weighted estimate of -log p(x)
  (Burda et al., 2016) with k samples, both in nats per image.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from gen_core.data import to_unit
from gen_core.losses import bernoulli_nll
from gen_core.models import VAE


def frechet_distance(a: np.ndarray | torch.Tensor, b: np.ndarray | torch.Tensor) -> float:
    """||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)) for features (N, F) of two sets."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    # Tr((S_a S_b)^(1/2)) is the sum of the square roots of S_a S_b's eigenvalues, which are real
    # and non-negative for two covariance matrices: no matrix square root needed, and none of
    # sqrtm's trouble when dead ReLU features make the covariances singular.
    eigenvalues = np.linalg.eigvals(cov_a @ cov_b).real.clip(min=0)
    value = (
        ((mu_a - mu_b) ** 2).sum()
        + np.trace(cov_a)
        + np.trace(cov_b)
        - 2 * np.sqrt(eigenvalues).sum()
    )
    return float(max(value, 0.0))


def class_histogram(probs: torch.Tensor) -> torch.Tensor:
    """Share of samples the classifier puts in each class (argmax), summing to 1."""
    counts = torch.bincount(probs.argmax(1), minlength=probs.shape[1]).float()
    return counts / counts.sum()


def entropy(histogram: torch.Tensor) -> float:
    """Entropy in nats; ln 10 ≈ 2.303 for ten classes in equal shares, 0 for one class only."""
    p = histogram[histogram > 0]
    value = float(-(p * p.log()).sum())
    return value if value > 0 else 0.0  # one class: 0, not -0


def classifier_score(probs: torch.Tensor) -> float:
    """exp E_x KL(p(y|x) || p(y)): 10 at best (confident and all classes), 1 at worst."""
    marginal = probs.mean(0, keepdim=True)
    kl = (probs * (probs.clamp_min(1e-12).log() - marginal.clamp_min(1e-12).log())).sum(1)
    return float(kl.mean().exp())


@torch.inference_mode()
def vae_likelihood(
    model: VAE, images: torch.Tensor, k: int = 100, batch_size: int = 200, seed: int = 0
) -> dict[str, float]:
    """Negative ELBO and the k-sample importance-weighted estimate of -log p(x), nats per image.

    With w_i = p(x, z_i) / q(z_i | x) for z_i ~ q(z | x): negative ELBO = -mean_i log w_i and
    IW = -log mean_i w_i. By Jensen the IW estimate is never above the ELBO's bound, and it
    tightens towards -log p(x) as k grows (Burda et al., 2016, eq. 8).
    """
    model.eval()
    device = next(model.parameters()).device
    gen = torch.Generator().manual_seed(seed)
    neg_elbo, neg_iw = [], []
    for i in range(0, len(images), batch_size):
        x = to_unit(images[i : i + batch_size]).to(device)
        mu, logvar = model.encode(x)
        sigma = torch.exp(0.5 * logvar)
        log_w = []
        for _ in range(k):
            eps = torch.randn(mu.shape, generator=gen).to(device)
            z = mu + sigma * eps
            log_px_z = -bernoulli_nll(model.decode(z).float(), x)
            log_pz = -0.5 * (z**2 + math.log(2 * math.pi)).sum(1)
            log_qz = -0.5 * (eps**2 + math.log(2 * math.pi) + logvar).sum(1)
            log_w.append(log_px_z + log_pz - log_qz)
        stacked = torch.stack(log_w)  # (k, B)
        neg_elbo.append(-stacked.mean(0).cpu())
        neg_iw.append(-(torch.logsumexp(stacked, 0) - math.log(k)).cpu())
    return {
        "neg_elbo": float(torch.cat(neg_elbo).mean()),
        "neg_log_px_iw": float(torch.cat(neg_iw).mean()),
        "k": k,
    }
