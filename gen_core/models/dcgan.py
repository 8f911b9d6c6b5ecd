"""DCGAN (Radford et al., 2016) sized for 28x28: strided (transposed) convolutions, batch norm, no pooling."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from gen_core.models.base import GAN, LABELS, ClassProjection, project_class, spectral_norm_layers


@dataclass
class DCGANConfig:
    nz: int = 64  # latent size
    ngf: int = 32  # generator feature maps at the last hidden layer
    ndf: int = 32  # discriminator feature maps at the first layer
    d_batch_norm: bool = True  # batch norm in D (turn off for wgan-gp: the penalty is per sample)
    d_dropout: float = 0.0  # dropout in D after each hidden layer
    d_spectral_norm: bool = False  # spectral norm on D's weights (Miyato et al. 2018)
    conditional: bool = False  # G draws the digit it is given; D judges image and class


class Generator(nn.Module):
    def __init__(self, cfg: DCGANConfig) -> None:
        super().__init__()
        ngf = cfg.ngf
        self.net = nn.Sequential(
            nn.ConvTranspose2d(
                cfg.nz + LABELS * cfg.conditional, ngf * 4, 7, 1, 0, bias=False
            ),  # (ngf*4) x 7 x 7
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),  # (ngf*2) x 14 x 14
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, 1, 4, 2, 1),  # 1 x 28 x 28
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.view(len(z), -1, 1, 1))


class Discriminator(nn.Module):
    def __init__(self, cfg: DCGANConfig) -> None:
        super().__init__()
        ndf = cfg.ndf
        self.net = nn.Sequential(
            nn.Conv2d(1, ndf, 4, 2, 1),  # ndf x 14 x 14
            nn.LeakyReLU(0.2, True),
            nn.Dropout(cfg.d_dropout),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=not cfg.d_batch_norm),  # (ndf*2) x 7 x 7
            nn.BatchNorm2d(ndf * 2) if cfg.d_batch_norm else nn.Identity(),
            nn.LeakyReLU(0.2, True),
            nn.Dropout(cfg.d_dropout),
            nn.Conv2d(ndf * 2, 1, 7, 1, 0),  # 1 x 1 x 1: the logit
        )
        self.project = ClassProjection(LABELS, ndf * 2 * 49) if cfg.conditional else None

    def forward(self, x: torch.Tensor, code: torch.Tensor | None = None) -> torch.Tensor:
        h = self.net[:-1](x)  # the last features; the logit layer follows
        return project_class(self.net[-1](h).flatten(), h, self.project, code)


def _init_weights(m: nn.Module) -> None:
    """N(0, 0.02) convolutions (and class embedding) and N(1, 0.02) batch-norm scales, as in
    the DCGAN paper."""
    if isinstance(m, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


class DCGAN(GAN[DCGANConfig]):
    name = "dcgan"

    def __init__(self, config: DCGANConfig) -> None:
        super().__init__()
        self.config = config
        self.G = Generator(config)
        self.D = Discriminator(config)
        self.apply(_init_weights)
        if config.d_spectral_norm:
            spectral_norm_layers(self.D)
