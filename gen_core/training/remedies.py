"""The remedies for a discriminator that wins too fast, as a set of runs to compare.

Each run changes one thing against the same baseline (the non-saturating loss, equal learning
rates, one D step, no smoothing and no dropout, the model's own batch norm), so the comparison
shows what that remedy alone does to the losses, D(x) and D(G(z)).
"""

from __future__ import annotations

from typing import Any

from gen_core.training.config import GANTrainConfig
from gen_core.training.presets import small_data, wgan_gp

# The GAN objective at its defaults, and no dropout or spectral norm in D (the fcGAN has some
# dropout by default).
OBJECTIVE = (
    "loss",
    "lr_g",
    "lr_d",
    "beta1",
    "beta2",
    "d_steps",
    "label_smoothing",
    "diffaugment",
    "ema",
    "r1",
)
BASELINE: dict[str, Any] = {
    **{name: getattr(GANTrainConfig(), name) for name in OBJECTIVE},
    "d_dropout": 0.0,
    "d_spectral_norm": False,
}


def remedies(model: str) -> dict[str, dict[str, Any]]:
    """Each remedy by name, as the options it changes against :data:`BASELINE` for ``model``."""
    batch_norm = "d_batch_norm" if model == "dcgan" else "g_batch_norm"
    return {
        "baseline": {},
        "one-sided label smoothing": {"label_smoothing": 0.1},  # real targets 0.9 (Salimans 2016)
        "slower D": {"lr_d": 5e-5},  # separate learning rates: D at a quarter of G's
        "dropout in D": {"d_dropout": 0.3},
        "WGAN-GP": wgan_gp(model),
        "without batch norm": {batch_norm: False},  # what the model's batch norm was doing
        **small_data(model),
    }


def remedy_runs(model: str, base: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The options of each run: ``base`` (data, epochs, seed, ...) with the GAN objective set to
    :data:`BASELINE` and then to the remedy's changes."""
    return {name: {**base, **BASELINE, **change} for name, change in remedies(model).items()}
