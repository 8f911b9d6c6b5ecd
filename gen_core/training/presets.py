"""Named recipes: settings by field name that the app, the CLI and the benchmarks share.

A recipe lives here once; a page shows it, a run request applies it, and nothing restates it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from gen_core.models import MODELS

# Gulrajani et al. 2017: five critic steps per generator step, Adam at 1e-4 with betas 0 and
# 0.9, and no batch norm in the critic (the penalty is per sample, batch norm mixes samples).
WGAN_GP: dict[str, Any] = {
    "loss": "wgan-gp",
    "d_steps": 5,
    "lr_g": 1e-4,
    "lr_d": 1e-4,
    "beta1": 0.0,
    "beta2": 0.9,
}

# The one-vs-rest detector of BENCHMARKS.md: a conv VAE with a weak KL term, trained on one
# digit's images shifted by up to 2 pixels (400 images overfit without it), scored by
# "sq-error+knn". The Anomaly page trains it for a chosen digit.
ONE_VS_REST_MODEL = "conv-vae"
ONE_VS_REST: dict[str, Any] = {"steps": 1200, "batch_size": 32, "beta": 0.1, "augment_shift": 2}


# The EMA of G's decay in the remedy comparison and the small-data recipes: an average over
# about the last 100 steps. 0.999 averages over ~1,000 and, on runs of a few thousand steps,
# shows a G from several hundred steps back: worse than G itself at every point measured up to
# 6,200 steps, where 0.99 is as good or better (BENCHMARKS.md).
EMA_DECAY = 0.99


def d_batch_norm_off(model: str) -> dict[str, Any]:
    """D's batch norm turned off, where ``model``'s D has one (the DCGAN's)."""
    fields = {f.name for f in dataclasses.fields(MODELS[model][0])}
    return {"d_batch_norm": False} if "d_batch_norm" in fields else {}


def wgan_gp(model: str) -> dict[str, Any]:
    """:data:`WGAN_GP` for ``model``: its critic's batch norm turned off where it has one."""
    return {**WGAN_GP, **d_batch_norm_off(model)}


def spectral_norm(model: str) -> dict[str, Any]:
    """Spectral norm in D as SN-GAN has it (Miyato et al. 2018): without batch norm in D, which
    would rescale the very layers the norm bounds."""
    return {"d_spectral_norm": True, **d_batch_norm_off(model)}


def small_data(model: str) -> dict[str, dict[str, Any]]:
    """The small-data GAN ingredients, by name, as the options each sets: the last runs of the
    remedy comparison and the rows of benchmarks/recipes.py."""
    return {
        "hinge loss": {"loss": "hinge"},  # D's margin loss (Lim & Ye 2017)
        "spectral norm in D": spectral_norm(model),  # 1-Lipschitz layers (Miyato 2018)
        "DiffAugment": {"diffaugment": True},  # shifts of what D sees (Zhao 2020)
        "EMA of G": {"ema": EMA_DECAY},  # samples from an average of G's weights (Yazici 2019)
        "R1 penalty": {"r1": 1.0},  # D kept flat around the real images (Mescheder 2018)
    }
