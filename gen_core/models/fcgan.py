"""The fully connected GAN of Goodfellow et al. (2014): MLPs for both G and D."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from gen_core.models.base import GAN, LABELS, ClassProjection, project_class, spectral_norm_layers


@dataclass
class FCGANConfig:
    nz: int = 64  # latent size
    width: int = 128  # G hidden widths are width, 2*width, 4*width; D mirrors them
    g_batch_norm: bool = True  # batch norm after each hidden layer of G
    d_dropout: float = 0.3  # dropout in D: a remedy for a discriminator that wins too fast
    d_spectral_norm: bool = False  # spectral norm on D's weights (Miyato et al. 2018)
    conditional: bool = False  # G draws the digit it is given; D judges image and class


class Generator(nn.Module):
    def __init__(self, cfg: FCGANConfig) -> None:
        super().__init__()
        widths = [cfg.nz + LABELS * cfg.conditional, cfg.width, 2 * cfg.width, 4 * cfg.width]
        layers: list[nn.Module] = []
        for w_in, w_out in zip(widths, widths[1:], strict=False):
            layers.append(nn.Linear(w_in, w_out, bias=not cfg.g_batch_norm))
            if cfg.g_batch_norm:
                layers.append(nn.BatchNorm1d(w_out))
            layers.append(nn.LeakyReLU(0.2))
        layers += [nn.Linear(widths[-1], 784), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(-1, 1, 28, 28)  # 1 x 28 x 28 in [-1, 1]


class Discriminator(nn.Module):
    def __init__(self, cfg: FCGANConfig) -> None:
        super().__init__()
        widths = [784, 4 * cfg.width, 2 * cfg.width, cfg.width]
        layers: list[nn.Module] = []
        for w_in, w_out in zip(widths, widths[1:], strict=False):
            layers += [nn.Linear(w_in, w_out), nn.LeakyReLU(0.2), nn.Dropout(cfg.d_dropout)]
        layers.append(nn.Linear(widths[-1], 1))
        self.net = nn.Sequential(*layers)
        self.project = ClassProjection(LABELS, cfg.width) if cfg.conditional else None

    def forward(self, x: torch.Tensor, code: torch.Tensor | None = None) -> torch.Tensor:
        h = self.net[:-1](x.flatten(1))  # the last features; the logit layer follows
        return project_class(self.net[-1](h).squeeze(1), h, self.project, code)  # a logit each


class FCGAN(GAN[FCGANConfig]):
    name = "fcgan"

    def __init__(self, config: FCGANConfig) -> None:
        super().__init__()
        self.config = config
        self.G = Generator(config)
        self.D = Discriminator(config)
        if config.d_spectral_norm:
            spectral_norm_layers(self.D)
