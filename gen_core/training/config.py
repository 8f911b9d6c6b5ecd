"""Training settings as dataclasses: one base and one per model family, every field a CLI option."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TrainConfig:
    dataset: str = "auto"  # auto, mnist, mnist-5k, fashion-mnist
    classes: str = ""  # train on these labels only, e.g. "3" or "1,7" (one-vs-rest anomaly detectors); empty = all
    epochs: int = 5  # passes over the training split
    steps: int = 0  # total optimisation steps; 0 = as many as `epochs` take
    batch_size: int = 64  # images per batch (per process under torchrun)
    seed: int = 0  # seeds weights, noise and the data order: same seed, same run
    device: str = "auto"  # auto, cpu, cuda, cuda:1, mps
    bf16: bool = False  # bf16 autocast (CUDA only)
    compile: bool = False  # torch.compile the training step (compiling takes ~25 s first)
    augment_shift: int = 0  # shift batches up to this many pixels (helps small one-class VAEs)
    log_every: int = 20  # steps between "step" events (and the only host syncs)
    sample_every: int = 200  # steps between sample grids
    checkpoint_every: int = 500  # steps between checkpoints (one is always written at the end)


@dataclass
class GANTrainConfig(TrainConfig):
    loss: str = "non-saturating"  # minimax, non-saturating, wgan-gp
    lr_g: float = 2e-4  # Adam learning rate of the generator
    lr_d: float = 2e-4  # a slower D is one remedy for a discriminator that wins too fast
    beta1: float = 0.5  # Adam betas as in the DCGAN paper; wgan-gp prefers 0.0 and 0.9
    beta2: float = 0.999  # Adam's second-moment decay
    label_smoothing: float = 0.0  # one-sided: real targets become 1 - label_smoothing
    d_steps: int = 1  # D (critic) updates per G update; wgan-gp uses 5
    gp_weight: float = 10.0  # gradient-penalty weight (wgan-gp only)


@dataclass
class VAETrainConfig(TrainConfig):
    lr: float = 1e-3  # Adam learning rate
    beta: float = 1.0  # KL weight; 1 gives the ELBO, above 1 a beta-VAE


def config_for(family: str) -> type[TrainConfig]:
    """The training config class of a model family ("gan" or "vae")."""
    return {"gan": GANTrainConfig, "vae": VAETrainConfig}[family]
