"""Anomaly scoring with a VAE: per-image scores, per-pixel error maps, thresholds, AUROC.

Digits unlike the training data reconstruct worse (An & Cho, 2015). Thresholds are fitted
on normal data only, by percentile or by a target false-positive rate, so no labelled
anomalies are needed; a score is reported with its percentile among normal scores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from gen_core.data import to_unit
from gen_core.losses import bernoulli_nll, kl_to_standard_normal
from gen_core.models import VAE

SCORES = {
    "recon": "reconstruction error (nats)",
    "sq-error": "squared error of the reconstruction",
    "neg-elbo": "negative ELBO (nats)",
}
ELBO_SAMPLES = 8


@dataclass
class Scored:
    """Scores (N,), per-pixel error maps (N, 1, 28, 28) and reconstructions (N, 1, 28, 28)."""

    scores: torch.Tensor
    error_maps: torch.Tensor
    recon: torch.Tensor


@torch.inference_mode()
def score(model: VAE, images: torch.Tensor, kind: str = "recon", batch_size: int = 500) -> Scored:
    """Score images (uint8, or float in [0, 1]); higher means less like the training data.

    recon: -log p(x | z = mu), the Bernoulli reconstruction error of the posterior mean.
    sq-error: sum of (x - x_hat)^2 over pixels for that reconstruction; it weighs a missing
    stroke less harshly than the log loss, and ranks one-digit-vs-rest anomalies better
    (BENCHMARKS.md).
    neg-elbo: E_q[-log p(x|z)] + KL(q(z|x) || p(z)), with ELBO_SAMPLES seeded samples of z.
    """
    if kind not in SCORES:
        raise ValueError(f"unknown score {kind!r}; choose one of {', '.join(SCORES)}")
    model.eval()
    device = next(model.parameters()).device
    x_all = to_unit(images)
    scores, maps, recons = [], [], []
    gen = torch.Generator().manual_seed(0)
    for i in range(0, len(x_all), batch_size):
        x = x_all[i : i + batch_size].to(device)
        mu, logvar = model.encode(x)
        logits = model.decode(mu).float()
        if kind == "sq-error":
            pixel = (torch.sigmoid(logits) - x) ** 2
        else:
            pixel = torch.nn.functional.binary_cross_entropy_with_logits(
                logits, x, reduction="none"
            )
        value = pixel.flatten(1).sum(1)
        if kind == "neg-elbo":
            sigma = torch.exp(0.5 * logvar)
            nll = torch.stack([bernoulli_nll(model.decode(mu + sigma * torch.randn(mu.shape, generator=gen).to(device)).float(), x)
                               for _ in range(ELBO_SAMPLES)]).mean(0)  # fmt: skip
            value = nll + kl_to_standard_normal(mu.float(), logvar.float())
        scores.append(value.cpu())
        maps.append(pixel.cpu())
        recons.append(torch.sigmoid(logits).cpu())
    return Scored(torch.cat(scores), torch.cat(maps), torch.cat(recons))


def threshold(
    normal_scores: np.ndarray | torch.Tensor,
    *,
    percentile: float | None = None,
    fpr: float | None = None,
) -> float:
    """The score above which an image is called anomalous, fitted on normal scores only.

    By percentile p: p% of normal images fall at or below it. By false-positive rate f: a
    fraction f of normal images lie above it. Percentile 99 and FPR 0.01 are the same threshold.
    """
    if (percentile is None) == (fpr is None):
        raise ValueError("give exactly one of percentile or fpr")
    level = percentile if percentile is not None else 100 * (1 - fpr)  # type: ignore[operator]
    if not 0 <= level <= 100:
        raise ValueError("percentile must be in [0, 100] and fpr in [0, 1]")
    return float(np.percentile(np.asarray(normal_scores, dtype=np.float64), level))


def percentile_of(value: float, normal_scores: np.ndarray | torch.Tensor) -> float:
    """Percent of normal scores at or below ``value``: 99.5 means "higher than 99.5% of normal digits"."""
    normal = np.asarray(normal_scores, dtype=np.float64)
    return float(100 * (normal <= value).mean())


@dataclass
class Evaluation:
    auroc: float
    fpr: np.ndarray
    tpr: np.ndarray
    thresholds: np.ndarray


def evaluate(
    normal_scores: np.ndarray | torch.Tensor, anomaly_scores: np.ndarray | torch.Tensor
) -> Evaluation:
    """AUROC and the ROC curve, anomalies as the positive class (scikit-learn's implementation)."""
    from sklearn.metrics import roc_auc_score, roc_curve

    normal, anomalous = (
        np.asarray(normal_scores, dtype=np.float64),
        np.asarray(anomaly_scores, dtype=np.float64),
    )
    y = np.r_[np.zeros(len(normal)), np.ones(len(anomalous))]
    s = np.r_[normal, anomalous]
    fpr, tpr, thresholds = roc_curve(y, s)
    return Evaluation(float(roc_auc_score(y, s)), fpr, tpr, thresholds)
