"""Training settings as dataclasses: one base and one per model family, every field a CLI option."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gen_core.data import DatasetName, class_list
from gen_core.losses import UNLABELLED, Loss, check_loss

Every = int | Literal["auto"]  # steps between two events, or "auto": sized by the trainer
LOG_POINTS = 400  # "auto" logs about this many points per run: smooth live charts
SAMPLE_GRIDS = 60  # and keeps about this many sample grids to scrub through


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


@dataclass
class TrainConfig:
    dataset: DatasetName = "auto"  # auto, mnist, mnist-5k, fashion-mnist
    classes: str = ""  # train on these labels only, e.g. "3" or "1,7" (one-vs-rest anomaly detectors); empty = all
    train_size: int = 0  # this many of those images, the same ones in every run; 0 = all
    epochs: int = 5  # passes over the training split
    steps: int = 0  # total optimisation steps; 0 = as many as `epochs` take
    batch_size: int = 64  # images per batch (per process under torchrun)
    seed: int = 0  # seeds weights, noise and the data order: same seed, same run
    device: str = "auto"  # auto, cpu, cuda, cuda:1, mps
    bf16: bool = False  # bf16 autocast (CUDA, or a CPU with AMX)
    compile: bool = False  # torch.compile the training step (compiling takes ~25 s first)
    augment_shift: int = 0  # shift batches up to this many pixels (helps small one-class VAEs)
    log_every: Every = "auto"  # steps between "step" events (the only host syncs); auto: ~400 a run
    sample_every: Every = "auto"  # steps between sample grids; auto: about 60 a run
    checkpoint_every: int = 500  # steps between checkpoints (one is always written at the end)
    checkpoint_minutes: float = 1.0  # and one at the first log step this long after the last
    quality: bool = True  # classifier FID of 500 fixed samples at each sample grid (checkpoints/)

    def __post_init__(self) -> None:
        """Refuse settings no run can use, naming the option, before any work starts."""
        for name in ("batch_size", "checkpoint_every"):
            _require(getattr(self, name) >= 1, f"{name} must be at least 1")
        _require(self.checkpoint_minutes > 0, "checkpoint_minutes must be above 0")
        for name in ("log_every", "sample_every"):
            value = getattr(self, name)
            _require(value == "auto" or value >= 1, f"{name} must be at least 1, or auto")
        _require(self.epochs >= 0 and self.steps >= 0, "epochs and steps cannot be negative")
        _require(self.train_size >= 0, "train_size cannot be negative (0 trains on every image)")
        _require(self.epochs > 0 or self.steps > 0, "give epochs or steps above 0")
        class_list(self.classes)  # a classes setting that does not parse is refused here
        _require(
            0 <= self.augment_shift <= 4,
            "augment_shift is 0 to 4 pixels: MNIST's 20x20 digits leave about 4 pixels each side",
        )


@dataclass
class GANTrainConfig(TrainConfig):
    loss: Loss = "non-saturating"  # minimax, non-saturating, wgan-gp, hinge
    lr_g: float = 2e-4  # Adam learning rate of the generator
    lr_d: float = 2e-4  # a slower D is one remedy for a discriminator that wins too fast
    beta1: float = 0.5  # Adam betas as in the DCGAN paper; wgan-gp prefers 0.0 and 0.9
    beta2: float = 0.999  # Adam's second-moment decay
    label_smoothing: float = 0.0  # one-sided: real targets become 1 - label_smoothing
    d_steps: int = 1  # D (critic) updates per G update; wgan-gp uses 5
    gp_weight: float = 10.0  # gradient-penalty weight (wgan-gp only)
    diffaugment: bool = False  # DiffAugment: random shifts of up to 2 px on real and fake for D
    r1: float = 0.0  # R1 penalty's gamma: gamma / 2 * E |grad D(x)|^2 on real images; 0: off
    r1_every: int = 1  # D steps between two R1 penalties, each weighted this many times
    ema: float = 0.0  # decay of an average of G's weights that samples and checkpoints use; 0: off

    def __post_init__(self) -> None:
        super().__post_init__()
        check_loss(self.loss)
        if self.loss in UNLABELLED:  # raw scores have no labels to smooth: store what is used
            self.label_smoothing = 0.0
        _require(self.lr_g > 0 and self.lr_d > 0, "learning rates must be above 0")
        _require(0 <= self.beta1 < 1 and 0 <= self.beta2 < 1, "Adam betas are in [0, 1)")
        _require(
            0 <= self.label_smoothing < 0.5,
            "label_smoothing is the amount taken off the real target: use 0 to 0.5",
        )
        _require(self.d_steps >= 1, "d_steps must be at least 1")
        _require(self.gp_weight >= 0, "gp_weight cannot be negative")
        _require(self.r1 >= 0, "r1 (the penalty's weight) cannot be negative")
        _require(self.r1_every >= 1, "r1_every must be at least 1")
        _require(0 <= self.ema < 1, "ema is the average's decay: 0 (off) or up to 1, e.g. 0.999")


@dataclass
class VAETrainConfig(TrainConfig):
    lr: float = 1e-3  # Adam learning rate
    beta: float = 1.0  # KL weight; 1 gives the ELBO, above 1 a beta-VAE

    def __post_init__(self) -> None:
        super().__post_init__()
        _require(self.lr > 0, "the learning rate must be above 0")
        _require(self.beta >= 0, "beta (the KL weight) cannot be negative")


def interval(every: Every, steps: int, per_run: int, least: int) -> int:
    """Steps between two events: ``every`` as given, or for "auto" about ``per_run`` events over
    the ``steps`` a run will take, never closer than ``least``."""
    return every if every != "auto" else max(least, steps // per_run)


def config_for(family: str) -> type[TrainConfig]:
    """The training config class of a model family ("gan" or "vae")."""
    return {"gan": GANTrainConfig, "vae": VAETrainConfig}[family]
