"""What every model answers, so pages and trainers need not know which one they hold.

All models map latents of shape (N, latent_dim) to images (N, 1, 28, 28) in [0, 1]
through :meth:`generate`; GANs add a discriminator, VAEs an encoder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Literal, Protocol, TypeVar

import torch
from torch import nn

from gen_core.models.density import LatentDensity

Family = Literal["gan", "vae", "classifier"]
LatentSource = Literal["prior", "fitted"]  # N(0, I), or the density fitted to training codes
LABELS = 10  # every dataset here has ten classes: what a class-conditional GAN is conditioned on


class ModelConfig(Protocol):
    """Any model's config: a dataclass (so a checkpoint can store it as plain values)."""

    __dataclass_fields__: ClassVar[dict[str, Any]]


class GANConfig(ModelConfig, Protocol):
    nz: int
    conditional: bool


class VAEConfig(ModelConfig, Protocol):
    latent_dim: int
    density_components: int


C = TypeVar("C", bound=ModelConfig)
G = TypeVar("G", bound=GANConfig)
V = TypeVar("V", bound=VAEConfig)


class GenerativeModel(nn.Module, Generic[C]):
    """Common surface: a name, a family, a config, a latent size and ``generate``."""

    name: ClassVar[str]
    family: ClassVar[Family]
    config: C

    @property
    def latent_dim(self) -> int:
        raise NotImplementedError

    @property
    def noise_dim(self) -> int:
        """The latent's leading Gaussian coordinates, where slerp and the sqrt(d) shell apply:
        all of it, except in a class-conditional GAN, whose class code follows."""
        return self.latent_dim

    def sample_latent(
        self, n: int, generator: torch.Generator | None = None, source: LatentSource = "prior"
    ) -> torch.Tensor:
        """Draws from the prior N(0, I), or from the density fitted to the training codes, on
        the model's device; drawn where ``generator`` lives (a CPU one gives the same codes on
        every device, and CUDA refuses a CPU generator for its own tensors)."""
        if source == "fitted":
            return self.fitted_density().sample(n, generator)
        device = next(self.parameters()).device
        where = generator.device if generator is not None else device
        return torch.randn(n, self.latent_dim, generator=generator, device=where).to(device)

    @property
    def has_fitted_density(self) -> bool:
        return False

    def fitted_density(self) -> LatentDensity:
        raise ValueError(f"a {self.name} samples from its prior only: it has no encoder")

    def generate(self, z: torch.Tensor) -> torch.Tensor:
        """Images in [0, 1] for latents ``z``."""
        raise NotImplementedError


class GAN(GenerativeModel[G]):
    """A generator ``G`` (z -> image in [-1, 1]) and a discriminator ``D`` (image -> logit).

    A class-conditional GAN (``conditional``) keeps the one surface: its latent is the noise
    followed by a class code, one-hot for a drawn class, so walks and grids need not know; its
    D takes the same code beside the image."""

    family = "gan"
    G: nn.Module
    D: nn.Module

    @property
    def n_classes(self) -> int:
        return LABELS if self.config.conditional else 0

    @property
    def latent_dim(self) -> int:
        return self.config.nz + self.n_classes

    @property
    def noise_dim(self) -> int:
        return self.config.nz

    def sample_latent(
        self, n: int, generator: torch.Generator | None = None, source: LatentSource = "prior"
    ) -> torch.Tensor:
        """Noise from N(0, I) and, when conditional, the codes of classes drawn uniformly."""
        z = super().sample_latent(n, generator, source)
        if not self.n_classes:
            return z
        where = generator.device if generator is not None else z.device
        labels = torch.randint(self.n_classes, (n,), generator=generator, device=where)
        return self.with_class(z[:, : self.config.nz], labels.to(z.device))

    def with_class(self, noise: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """The latents of ``noise`` (N, nz) drawn as the digits ``labels`` (N,)."""
        code = nn.functional.one_hot(labels, self.n_classes).to(noise.dtype)
        return torch.cat([noise, code], 1)

    def in_class_order(self, z: torch.Tensor) -> torch.Tensor:
        """``z`` redrawn as the digits in turn, balanced and in order (0, 0, ..., 9), so a grid
        of them shows at a glance which digits G draws; unconditional latents unchanged."""
        if not self.n_classes:
            return z
        labels = torch.arange(len(z), device=z.device) * self.n_classes // len(z)
        return self.with_class(z[:, : self.config.nz], labels)

    def class_code(self, z: torch.Tensor) -> torch.Tensor | None:
        """The class part of latents ``z``: what a conditional D is shown beside G(z)."""
        return z[:, self.config.nz :] if self.n_classes else None

    def generate(self, z: torch.Tensor) -> torch.Tensor:
        return (self.G(z) + 1) / 2


def spectral_norm_layers(module: nn.Module) -> None:
    """Spectral norm (Miyato et al., 2018) on every linear and convolution weight of ``module``:
    each layer is 1-Lipschitz, which keeps a discriminator from winning by sheer scale. Applied
    after weight init, which then initialises the weight it normalises."""
    for layer in list(module.modules()):
        if isinstance(layer, nn.Linear | nn.Conv2d):
            nn.utils.parametrizations.spectral_norm(layer)


class ClassProjection(nn.Module):
    """The projection discriminator's class term (Miyato & Koyama, 2018): the logit gains
    <embed(y), h> for D's last features h. Taking a class code rather than an index, it also
    scores codes between classes, as a walk between two digits draws them."""

    def __init__(self, n_classes: int, features: int) -> None:
        super().__init__()
        self.embed = nn.Linear(n_classes, features, bias=False)

    def forward(self, h: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        return (self.embed(code.to(h.dtype)) * h.flatten(1)).sum(1)


def project_class(
    logit: torch.Tensor,
    h: torch.Tensor,
    projection: ClassProjection | None,
    code: torch.Tensor | None,
) -> torch.Tensor:
    """``logit`` plus the class term when D is conditional; a conditional D needs a code."""
    if projection is None:
        return logit
    if code is None:
        raise ValueError("a class-conditional discriminator scores an image with its class code")
    return logit + projection(h, code)


@dataclass
class VAEOutput:
    """Decoder logits (Bernoulli) and the posterior q(z|x) = N(mu, exp(logvar)) with its sample."""

    logits: torch.Tensor
    mu: torch.Tensor
    logvar: torch.Tensor
    z: torch.Tensor


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """z = mu + sigma * eps with eps ~ N(0, I): the sample stays differentiable in mu and sigma."""
    return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)


class VAE(GenerativeModel[V]):
    """An encoder to (mu, log-variance), a decoder to Bernoulli logits over pixels, and a
    density over the latent space fitted to its training codes when a run ends."""

    family = "vae"
    density: LatentDensity

    @property
    def has_fitted_density(self) -> bool:
        return self.density.fitted

    def fitted_density(self) -> LatentDensity:
        if not self.density.fitted:
            raise ValueError(
                "this checkpoint has no density fitted to its training codes (it was saved "
                "before VAEs kept one): `python -m gen_core fit-density` gives it one"
            )
        return self.density

    @property
    def latent_dim(self) -> int:
        return self.config.latent_dim

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mu, logvar) for images ``x`` in [0, 1]."""
        raise NotImplementedError

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Pixel logits (N, 1, 28, 28)."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> VAEOutput:
        mu, logvar = self.encode(x)
        z = reparameterize(mu, logvar)
        return VAEOutput(self.decode(z), mu, logvar, z)

    def generate(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.decode(z))

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Decode the posterior mean: the model's best guess of ``x``, with no sampling noise."""
        return self.generate(self.encode(x)[0])
