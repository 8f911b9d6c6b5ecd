"""VAEs of Kingma & Welling (2014): an MLP one (2-D latent by default, for plotting) and a conv one."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from gen_core.models.base import VAE
from gen_core.models.density import LatentDensity


@dataclass
class MLPVAEConfig:
    latent_dim: int = 2  # 2 lets the latent space be plotted as is
    hidden: tuple[int, ...] = (512, 256)  # encoder widths; the decoder mirrors them
    density_components: int = 10  # Gaussians fitted to the training codes, to sample from


class MLPVAE(VAE[MLPVAEConfig]):
    name = "vae"

    def __init__(self, config: MLPVAEConfig) -> None:
        super().__init__()
        self.config = config
        widths = [784, *config.hidden]
        enc: list[nn.Module] = [nn.Flatten()]
        for w_in, w_out in zip(widths, widths[1:], strict=False):
            enc += [nn.Linear(w_in, w_out), nn.ReLU()]
        self.encoder = nn.Sequential(*enc)
        self.to_mu = nn.Linear(widths[-1], config.latent_dim)
        self.to_logvar = nn.Linear(widths[-1], config.latent_dim)
        dec: list[nn.Module] = []
        back = [config.latent_dim, *reversed(config.hidden)]
        for w_in, w_out in zip(back, back[1:], strict=False):
            dec += [nn.Linear(w_in, w_out), nn.ReLU()]
        dec.append(nn.Linear(back[-1], 784))
        self.decoder = nn.Sequential(*dec)
        self.density = LatentDensity(config.latent_dim, config.density_components)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.encoder(x)
        return self.to_mu(h), self.to_logvar(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z).view(-1, 1, 28, 28)


@dataclass
class ConvVAEConfig:
    latent_dim: int = 16  # above 2: the Latent Space page projects it with UMAP or PCA
    channels: int = 32  # feature maps of the first conv layer; the second has twice as many
    fc: int = 128  # width of the fully connected layer between convs and latent
    density_components: int = 10  # Gaussians fitted to the training codes, to sample from


class ConvVAE(VAE[ConvVAEConfig]):
    name = "conv-vae"

    def __init__(self, config: ConvVAEConfig) -> None:
        super().__init__()
        self.config = config
        c, flat = config.channels, 2 * config.channels * 7 * 7
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c, 4, 2, 1),  # c x 14 x 14
            nn.ReLU(),
            nn.Conv2d(c, 2 * c, 4, 2, 1),  # 2c x 7 x 7
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(flat, config.fc),
            nn.ReLU(),
        )
        self.to_mu = nn.Linear(config.fc, config.latent_dim)
        self.to_logvar = nn.Linear(config.fc, config.latent_dim)
        self.decoder = nn.Sequential(
            nn.Linear(config.latent_dim, config.fc),
            nn.ReLU(),
            nn.Linear(config.fc, flat),
            nn.ReLU(),
            nn.Unflatten(1, (2 * c, 7, 7)),
            nn.ConvTranspose2d(2 * c, c, 4, 2, 1),  # c x 14 x 14
            nn.ReLU(),
            nn.ConvTranspose2d(c, 1, 4, 2, 1),  # 1 x 28 x 28 logits
        )
        self.density = LatentDensity(config.latent_dim, config.density_components)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.encoder(x)
        return self.to_mu(h), self.to_logvar(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)
