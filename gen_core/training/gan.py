"""GAN training as in the literature: alternate D and G updates, with the remedies as options."""

from __future__ import annotations

import copy
import functools
from typing import Any

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn, update_bn

from gen_core.device import eval_mode
from gen_core.losses import d_loss, g_loss, gradient_penalty, r1_penalty
from gen_core.models import GAN
from gen_core.training.base import Trainer, total_norm
from gen_core.training.config import GANTrainConfig
from gen_core.training.diffaugment import diff_augment

PINNED, PINNED_STEPS = 1e-4, 500  # D(G(z)) this low for this long: the run has collapsed
FROZEN_LOGS = 5  # logs in a row with zero gradients in both networks: saturated


def average_of(G: nn.Module, decay: float) -> AveragedModel:
    """An exponential moving average of G's weights with ``decay`` (Yazici et al. 2019)."""
    return AveragedModel(G, multi_avg_fn=get_ema_multi_avg_fn(decay))


def with_average(model: GAN, average: AveragedModel) -> GAN:
    """A copy of ``model`` whose G has the average's weights and batch-norm statistics."""
    shown = copy.deepcopy(model)
    shown.G.load_state_dict(average.module.state_dict())
    return shown


def measure_batch_norm(
    average: AveragedModel, model: GAN, seed: int, device: torch.device | None = None
) -> None:
    """Batch-norm statistics of an average of G's weights, measured for those weights on 1,024
    latents drawn from ``seed``: G's running statistics belong to G's last weights, and
    averaging them too gave faint, blurred samples (classifier FID 374 against 233 after this
    measurement, in a 40-epoch run). G draws nothing at random: a run's noise is untouched."""
    noise = torch.Generator().manual_seed(seed)
    batches = [model.sample_latent(128, generator=noise) for _ in range(8)]
    with torch.no_grad():
        update_bn(batches, average.module, device)


class GANTrainer(Trainer):
    model: GAN
    config: GANTrainConfig

    def __init__(
        self, model: GAN, images: torch.Tensor, config: GANTrainConfig, **kwargs: Any
    ) -> None:
        if config.loss == "wgan-gp" and getattr(model.config, "d_batch_norm", False):
            raise ValueError(
                "wgan-gp penalises each sample's gradient, which batch norm in D mixes: "
                "turn D's batch norm off (d_batch_norm=false)"
            )
        if model.n_classes and kwargs.get("labels") is None:
            raise ValueError("a class-conditional GAN trains on labelled images: give their labels")
        super().__init__(model, images, config, **kwargs)
        self.fixed_z = model.in_class_order(self.fixed_z)
        self.images_per_step = config.batch_size * config.d_steps
        # Under DDP each network goes through its wrapper once per update (the forward whose
        # backward DDP must average); other forwards use the plain module and still add to
        # the same .grad, which DDP's hooks reduce when the backward reaches them.
        self.G_ddp = self.dist.wrap(model.G, self.device)
        self.D_ddp = self.dist.wrap(model.D, self.device)
        # An exponential average of G's weights (Yazici et al. 2019): what samples, grids and
        # checkpoints show; G itself trains on, and resumes from its own weights. Its batch-norm
        # statistics are measured for the averaged weights before each use (see shown_g).
        self.ema = average_of(model.G, config.ema) if config.ema else None
        self.ema_bn_step = -1
        settings = self.optimizer_settings()
        self.optimizers = {
            "opt_g": torch.optim.Adam(model.G.parameters(), **settings["opt_g"]),
            "opt_d": torch.optim.Adam(model.D.parameters(), **settings["opt_d"]),
        }

    def optimizer_settings(self) -> dict[str, dict[str, Any]]:
        betas = (self.config.beta1, self.config.beta2)
        return {
            "opt_g": {"lr": self.config.lr_g, "betas": betas},
            "opt_d": {"lr": self.config.lr_d, "betas": betas},
        }

    def diverged(self, metrics: dict[str, float]) -> str | None:
        """Besides exploding weights: both networks' gradients exactly zero for FROZEN_LOGS logs
        (saturated: at lr 10 this happens within 100 steps, with D(G(z)) = 0), or D(G(z)) pinned
        at 0 for PINNED_STEPS, a discriminator that rejects every fake however G moves."""
        found = super().diverged(metrics)
        last = self.history[-FROZEN_LOGS:]
        if (
            found is None
            and len(last) == FROZEN_LOGS
            and all(
                r.get("grad_norm_d", 1) < 1e-12 and r.get("grad_norm_g", 1) < 1e-12 for r in last
            )
        ):
            return (
                f"both networks' gradients have been exactly zero for {FROZEN_LOGS} logs (to step "
                f"{self.step}): they have saturated and no longer learn"
            )
        recent = [row for row in self.history if row["step"] > self.step - PINNED_STEPS]
        long_enough = self.step >= PINNED_STEPS and len(recent) >= 5
        if found is None and long_enough and all(r.get("d_g_z", 1) < PINNED for r in recent):
            return (
                f"D(G(z)) has stayed below {PINNED:g} for the last {PINNED_STEPS} steps: the "
                "discriminator rejects every fake and the generator has collapsed"
            )
        return found

    def train_step(self) -> dict[str, torch.Tensor]:
        cfg, G, D = self.config, self.model.G, self.model.D
        opt_g, opt_d = self.optimizers["opt_g"], self.optimizers["opt_d"]
        wgan = cfg.loss == "wgan-gp"
        seen = diff_augment if cfg.diffaugment else nn.Identity()  # what D is shown of an image
        metrics: dict[str, torch.Tensor] = {}

        # (1) Update D: maximise log D(x) + log(1 - D(G(z))) (or the critic's W-distance estimate).
        # The last D step's fake batch keeps its graph and serves the G update, as in the DCGAN
        # reference code: one G forward per step instead of two.
        D.requires_grad_(True)
        for i in range(cfg.d_steps):
            # R1 lazily (Karras et al. 2020): every r1_every-th D step, weighted r1_every times
            penalise = cfg.r1 > 0 and (self.step * cfg.d_steps + i) % cfg.r1_every == 0
            real, z, code = self.real_and_noise()
            real = (real * 2 - 1).requires_grad_(penalise)
            last = i == cfg.d_steps - 1
            with self.autocast():
                with torch.set_grad_enabled(last):
                    fake = (self.G_ddp if last else G)(z)
                real_logits = self.D_ddp(seen(real), code).float()
                fake_logits = D(seen(fake.detach()), code).float()
                err_d = d_loss(real_logits, fake_logits, cfg.loss, cfg.label_smoothing)
                if wgan:
                    gp = gradient_penalty(
                        functools.partial(D, code=code), real, fake.detach().to(real.dtype)
                    )
                    err_d = err_d + cfg.gp_weight * gp
                if penalise:
                    r1 = cfg.r1 * cfg.r1_every / 2 * r1_penalty(real_logits, real)
                    err_d = err_d + r1
            opt_d.zero_grad(set_to_none=True)
            err_d.backward()
            grad_d = total_norm(D)
            opt_d.step()

        # (2) Update G: minimise L_G (-log D(G(z)) when non-saturating); D is held fixed
        D.requires_grad_(False)
        with self.autocast():
            err_g = g_loss(D(seen(fake), code).float(), cfg.loss)
        opt_g.zero_grad(set_to_none=True)
        err_g.backward()
        grad_g = total_norm(G)
        opt_g.step()
        if self.ema is not None:
            self.ema.update_parameters(G)

        metrics.update(
            loss_d=err_d.detach(), loss_g=err_g.detach(), grad_norm_d=grad_d, grad_norm_g=grad_g
        )
        if wgan:
            metrics.update(
                w_distance=(real_logits.mean() - fake_logits.mean()).detach(), gp=gp.detach()
            )
        elif cfg.loss == "hinge":  # raw scores, not probabilities: their gap, as a critic's
            metrics.update(score_gap=(real_logits.mean() - fake_logits.mean()).detach())
        else:
            metrics.update(
                d_x=torch.sigmoid(real_logits).mean().detach(),
                d_g_z=torch.sigmoid(fake_logits).mean().detach(),
            )
        return metrics

    def real_and_noise(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """A real batch, latents for as many fakes and, for a conditional GAN, the class code
        D sees beside both: the real batch's own labels, so fakes are drawn as the same digits."""
        if not self.model.n_classes:
            real = self.batch()
            return real, torch.randn(len(real), self.model.latent_dim, device=self.device), None
        real, labels = self.labelled_batch()
        noise = torch.randn(len(real), self.model.config.nz, device=self.device)
        z = self.model.with_class(noise, labels)
        return real, z, self.model.class_code(z)

    def snapshot(self) -> torch.Tensor:
        """Samples from the fixed noise batch, so successive grids show the same latents learning."""
        return self.shown_samples(self.fixed_z).float()

    def shown_g(self) -> nn.Module:
        """The average of G's weights, its batch-norm statistics measured for it once a step."""
        assert self.ema is not None
        if self.ema_bn_step != self.step:
            measure_batch_norm(self.ema, self.model, self.config.seed, self.device)
            self.ema_bn_step = self.step
        return self.ema.module

    def shown_samples(self, z: torch.Tensor) -> torch.Tensor:
        """By the average of G's weights when there is one."""
        if self.ema is None:
            return super().shown_samples(z)
        shown = self.shown_g()
        with eval_mode(shown), torch.no_grad():
            return (shown(z.to(self.device)) + 1) / 2

    def saved_model(self, final: bool) -> GAN:
        if self.ema is None:
            return self.model
        self.shown_g()  # the average's batch-norm statistics, measured for this step
        return with_average(self.model, self.ema)

    def extra_state(self) -> dict[str, torch.Tensor]:
        if self.ema is None:
            return {}
        raw = {f"g_raw.{k}": v.detach().clone() for k, v in self.model.G.state_dict().items()}
        return {**raw, "ema.n_averaged": self.ema.n_averaged.detach().clone()}

    def restore_extra(self, tensors: dict[str, torch.Tensor]) -> None:
        """The checkpoint's G is the average where one was kept: it seeds this run's average,
        and G goes back to its own weights."""
        if self.ema is not None:
            self.ema.module.load_state_dict(self.model.G.state_dict())
            self.ema.n_averaged.fill_(int(tensors.get("ema.n_averaged", torch.tensor(1))))
        raw = {k[len("g_raw.") :]: v for k, v in tensors.items() if k.startswith("g_raw.")}
        if raw:
            self.model.G.load_state_dict(raw)
