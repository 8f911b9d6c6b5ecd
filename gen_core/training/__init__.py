"""Trainers per model family, and one way to pick the right one."""

from __future__ import annotations

from typing import Any

import torch

from gen_core.models import GAN, VAE, GenerativeModel
from gen_core.training.base import Trainer
from gen_core.training.config import GANTrainConfig, TrainConfig, VAETrainConfig, config_for
from gen_core.training.gan import GANTrainer
from gen_core.training.vae import VAETrainer

__all__ = [
    "Trainer",
    "GANTrainer",
    "VAETrainer",
    "TrainConfig",
    "GANTrainConfig",
    "VAETrainConfig",
    "config_for",
    "make_trainer",
]


def make_trainer(
    model: GenerativeModel, images: torch.Tensor, config: TrainConfig, **kwargs: Any
) -> Trainer:
    """The trainer for the model's family; ``kwargs`` go to :class:`Trainer`."""
    if isinstance(model, GAN) and isinstance(config, GANTrainConfig):
        return GANTrainer(model, images, config, **kwargs)
    if isinstance(model, VAE) and isinstance(config, VAETrainConfig):
        return VAETrainer(model, images, config, **kwargs)
    raise TypeError(f"{type(config).__name__} does not fit a {model.family} model")
