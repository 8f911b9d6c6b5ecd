"""The model registry: every model by name, with its config dataclass."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any, TypeVar

import torch

from gen_core.configs import field_types, from_dict
from gen_core.models.base import (
    GAN,
    LABELS,
    VAE,
    Family,
    GenerativeModel,
    LatentSource,
    ModelConfig,
    VAEOutput,
    reparameterize,
)
from gen_core.models.dcgan import DCGAN, DCGANConfig
from gen_core.models.fcgan import FCGAN, FCGANConfig
from gen_core.models.vae import MLPVAE, ConvVAE, ConvVAEConfig, MLPVAEConfig

__all__ = [
    "GAN",
    "LABELS",
    "VAE",
    "GenerativeModel",
    "VAEOutput",
    "reparameterize",
    "MODELS",
    "build_model",
    "check_config",
    "checked_build",
    "Family",
    "LatentSource",
    "ModelConfig",
    "FCGANConfig",
    "DCGANConfig",
    "MLPVAEConfig",
    "ConvVAEConfig",
]

M = TypeVar("M", bound=torch.nn.Module)

MODELS: dict[str, tuple[type[Any], type[GenerativeModel[Any]]]] = {
    "fcgan": (FCGANConfig, FCGAN),
    "dcgan": (DCGANConfig, DCGAN),
    "vae": (MLPVAEConfig, MLPVAE),
    "conv-vae": (ConvVAEConfig, ConvVAE),
}


MAX_PARAMETERS = 20_000_000  # the shipped models have 0.1-4 M; a sidecar may not ask for more


def build_model(name: str, config: object | dict[str, Any] | None = None) -> GenerativeModel[Any]:
    """A fresh model by registry name, from a config object, a plain dict (as stored), or defaults."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    config_cls, model_cls = MODELS[name]
    if config is None:
        config = config_cls()
    elif isinstance(config, dict):
        config = from_dict(config_cls, config)
    return checked_build(model_cls, config)


def checked_build(model_cls: Callable[[Any], M], config: Any) -> M:
    """``model_cls(config)`` once :func:`check_config` has found the config sane."""
    check_config(model_cls, config)
    return model_cls(config)


@functools.lru_cache(maxsize=256)
def _parameter_count(
    model_cls: Callable[[Any], torch.nn.Module], config_cls: type, values: tuple
) -> int:
    """Weights of the model a config of these field values makes, on the meta device, counted
    once per config: the app's run queue checks every run's request each time it polls, and a
    build on the meta device (spectral norm's power iteration included) costs tens of ms."""
    try:
        with torch.device("meta"):
            return sum(p.numel() for p in model_cls(config_cls(*values)).parameters())
    except (RuntimeError, OverflowError) as err:  # sizes whose product overflows int64
        raise ValueError(f"that config makes a model too large to build: {err}") from None


def check_config(model_cls: Callable[[Any], torch.nn.Module], config: Any) -> None:
    """Refuse a config no model should have: a size below 1, a dropout outside [0, 1), or more
    than MAX_PARAMETERS weights, counted on PyTorch's meta device (shapes without memory), so a
    file or a command line asking for a huge model is refused before anything is built."""
    config_cls: type = type(config)
    hints = field_types(config_cls)
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        sizes = value if isinstance(value, tuple) else (value,)
        if hints[field.name] in (int, tuple[int, ...]) and (not sizes or min(sizes) < 1):
            raise ValueError(f"{field.name} must be at least 1, not {value}")
        if "dropout" in field.name and not 0 <= value < 1:
            raise ValueError(f"{field.name} must be in [0, 1), not {value}")
    count = _parameter_count(model_cls, config_cls, dataclasses.astuple(config))
    if count > MAX_PARAMETERS:
        raise ValueError(
            f"that config makes a model of {count:,} weights; the limit is {MAX_PARAMETERS:,}"
        )
