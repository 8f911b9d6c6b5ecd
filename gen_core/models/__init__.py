"""The model registry: every model by name, with its config dataclass."""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, TypeVar

from gen_core.models.base import GAN, VAE, GenerativeModel, VAEOutput, reparameterize
from gen_core.models.dcgan import DCGAN, DCGANConfig
from gen_core.models.fcgan import FCGAN, FCGANConfig
from gen_core.models.vae import MLPVAE, ConvVAE, ConvVAEConfig, MLPVAEConfig

__all__ = [
    "GAN", "VAE", "GenerativeModel", "VAEOutput", "reparameterize", "MODELS",
    "build_model", "config_from_dict", "FCGANConfig", "DCGANConfig", "MLPVAEConfig", "ConvVAEConfig",
]  # fmt: skip

T = TypeVar("T")

MODELS: dict[str, tuple[type[Any], type[GenerativeModel]]] = {
    "fcgan": (FCGANConfig, FCGAN),
    "dcgan": (DCGANConfig, DCGAN),
    "vae": (MLPVAEConfig, MLPVAE),
    "conv-vae": (ConvVAEConfig, ConvVAE),
}


def build_model(name: str, config: object | dict[str, Any] | None = None) -> GenerativeModel:
    """A fresh model by registry name, from a config object, a plain dict (as stored), or defaults."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    config_cls, model_cls = MODELS[name]
    if config is None:
        config = config_cls()
    elif isinstance(config, dict):
        config = config_from_dict(config_cls, config)
    return model_cls(config)


def config_from_dict(cls: type[T], values: dict[str, Any]) -> T:
    """Rebuild a config dataclass from JSON values, refusing unknown keys (a foreign file)."""
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = set(values) - set(fields)
    if unknown:
        raise ValueError(f"{cls.__name__} has no field(s) {', '.join(sorted(unknown))}")
    hints = typing.get_type_hints(cls)
    return cls(**{k: coerce(hints[k], v) for k, v in values.items()})


def coerce(hint: Any, value: Any) -> Any:
    """Turn a JSON or command-line value into the field's type (tuples come back as lists)."""
    origin = typing.get_origin(hint)
    if origin is tuple:
        items = value.split(",") if isinstance(value, str) else value
        return tuple(coerce(typing.get_args(hint)[0], v) for v in items)
    if origin in (types.UnionType, typing.Union):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return None if value is None else coerce(inner[0], value)
    if hint is bool and isinstance(value, str):
        if value.lower() not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
            raise ValueError(f"not a yes/no value: {value!r}")
        return value.lower() in ("true", "1", "yes", "on")
    if hint in (int, float, str, bool):
        if hint is int and isinstance(value, float) and not value.is_integer():
            raise ValueError(f"not a whole number: {value!r}")
        return hint(value)
    return value
