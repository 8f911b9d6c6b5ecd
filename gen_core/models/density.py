"""A density fitted to a VAE's training codes, to sample from instead of the prior N(0, I).

The codes of real images do not fill N(0, I): they cluster, and the prior puts mass in the
holes between clusters, where the decoder never learnt to draw. A Gaussian mixture fitted to
the codes after training (Ghosh et al. 2020; the two-stage VAE of Dai & Wipf 2019 fits a second
VAE there) samples where real images land. Its parameters are buffers, so a checkpoint's
weights file carries it and the model rebuilds with it.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

DENSITY_IMAGES = 10_000  # training images whose codes a density is fitted to: 1-7 s on 2 cores


class LatentDensity(nn.Module):
    """A mixture of ``components`` full-covariance Gaussians over a ``dim``-D latent space;
    unfitted (all weights 0) until :meth:`fit`."""

    weights: torch.Tensor
    means: torch.Tensor
    scale_tril: torch.Tensor

    def __init__(self, dim: int, components: int) -> None:
        super().__init__()
        self.register_buffer("weights", torch.zeros(components))
        self.register_buffer("means", torch.zeros(components, dim))
        self.register_buffer("scale_tril", torch.eye(dim).repeat(components, 1, 1))

    @property
    def fitted(self) -> bool:
        return bool(self.weights.sum() > 0)

    def clear(self) -> None:
        """Back to unfitted."""
        self.weights.zero_()

    @torch.no_grad()
    def fit(self, codes: torch.Tensor, seed: int = 0) -> None:
        """Fit the mixture to ``codes`` (N, dim) by EM (scikit-learn); fewer codes than
        components fit as many components as there are codes, the rest keep weight 0."""
        from sklearn.mixture import GaussianMixture

        k = min(len(self.weights), len(codes))
        gmm = GaussianMixture(k, covariance_type="full", random_state=seed)
        gmm.fit(codes.double().cpu().numpy())
        self.clear()
        self.means.zero_()
        self.scale_tril.copy_(torch.eye(self.means.shape[1]))
        self.weights[:k] = torch.from_numpy(gmm.weights_)
        self.means[:k] = torch.from_numpy(gmm.means_)
        self.scale_tril[:k] = torch.linalg.cholesky(torch.from_numpy(gmm.covariances_))

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` codes: a component by its weight, then its mean plus its Cholesky factor times
        N(0, I) noise, drawn on the CPU (so a seed gives the same codes on every device)."""
        if not self.fitted:
            raise ValueError("no density has been fitted to this model's training codes")
        weights, means, tril = (t.cpu() for t in (self.weights, self.means, self.scale_tril))
        which = torch.multinomial(weights, n, replacement=True, generator=generator)
        eps = torch.randn(n, means.shape[1], 1, generator=generator)
        return (means[which] + (tril[which] @ eps).squeeze(-1)).to(self.weights.device)

    def _load_from_state_dict(
        self, state_dict: dict[str, Any], prefix: str, *args: Any, **kwargs: Any
    ) -> None:
        """A checkpoint saved before densities were fitted has none: it loads unfitted."""
        if not any(key.startswith(prefix) for key in state_dict):
            return
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
