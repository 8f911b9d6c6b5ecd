"""The model registry: every model by name, with its config dataclass."""

from __future__ import annotations

from typing import Any

from gen_core.configs import from_dict
from gen_core.models.base import (
    GAN,
    VAE,
    Family,
    GenerativeModel,
    ModelConfig,
    VAEOutput,
    reparameterize,
)
from gen_core.models.dcgan import DCGAN, DCGANConfig
from gen_core.models.fcgan import FCGAN, FCGANConfig
from gen_core.models.vae import MLPVAE, ConvVAE, ConvVAEConfig, MLPVAEConfig

__all__ = [
    "GAN",
    "VAE",
    "GenerativeModel",
    "VAEOutput",
    "reparameterize",
    "MODELS",
    "build_model",
    "Family",
    "ModelConfig",
    "FCGANConfig",
    "DCGANConfig",
    "MLPVAEConfig",
    "ConvVAEConfig",
]

MODELS: dict[str, tuple[type[Any], type[GenerativeModel[Any]]]] = {
    "fcgan": (FCGANConfig, FCGAN),
    "dcgan": (DCGANConfig, DCGAN),
    "vae": (MLPVAEConfig, MLPVAE),
    "conv-vae": (ConvVAEConfig, ConvVAE),
}


def build_model(name: str, config: object | dict[str, Any] | None = None) -> GenerativeModel[Any]:
    """A fresh model by registry name, from a config object, a plain dict (as stored), or defaults."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    config_cls, model_cls = MODELS[name]
    if config is None:
        config = config_cls()
    elif isinstance(config, dict):
        config = from_dict(config_cls, config)
    return model_cls(config)
