"""VAE training: maximise the ELBO (minimise reconstruction + beta * KL), reported part by part."""

from __future__ import annotations

from typing import Any

import torch

from gen_core.analysis.latent import fit_density
from gen_core.data import to_unit
from gen_core.device import eval_mode
from gen_core.losses import elbo_parts
from gen_core.models import VAE
from gen_core.models.density import DENSITY_IMAGES
from gen_core.training.base import FIXED_SAMPLES, Trainer, total_norm
from gen_core.training.config import VAETrainConfig


class VAETrainer(Trainer):
    model: VAE
    config: VAETrainConfig

    def __init__(
        self, model: VAE, images: torch.Tensor, config: VAETrainConfig, **kwargs: Any
    ) -> None:
        super().__init__(model, images, config, **kwargs)
        self.images_per_step = config.batch_size
        self.optimizers = {
            "opt": torch.optim.Adam(model.parameters(), **self.optimizer_settings()["opt"])
        }
        self.net = self.dist.wrap(model, self.device)  # DDP under torchrun, the model itself alone
        pick = torch.randperm(len(images), generator=torch.Generator().manual_seed(config.seed))
        self.fixed_x = images[pick[: FIXED_SAMPLES // 4]].to(self.device)
        self.density_x = images[pick[:DENSITY_IMAGES]]  # whose codes the density is fitted to

    def optimizer_settings(self) -> dict[str, dict[str, Any]]:
        return {"opt": {"lr": self.config.lr}}

    def train_step(self) -> dict[str, torch.Tensor]:
        x = self.batch()
        with self.autocast():
            out = self.net(x)
        parts = elbo_parts(
            out.logits.float(), x, out.mu.float(), out.logvar.float(), self.config.beta
        )
        loss = parts.loss.mean()
        opt = self.optimizers["opt"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        grad = total_norm(self.model)
        opt.step()
        return {
            "loss": loss.detach(),
            "recon": parts.recon.mean().detach(),
            "kl": parts.kl.mean().detach(),
            "grad_norm": grad,
        }

    def saved_model(self, final: bool) -> VAE:
        """The model; at the run's last checkpoint with its latent density fitted to the codes
        (posterior means) of its training images (1-7 s, so not at every checkpoint), before it
        with none (one resumed from would describe older weights' codes)."""
        if not final:
            self.model.density.clear()
        else:
            fit_density(self.model, self.density_x, seed=self.config.seed)
        return self.model

    def snapshot(self) -> torch.Tensor:
        """Two rows of inputs, two of their reconstructions, then samples from the fixed latents."""
        x = to_unit(self.fixed_x)
        with eval_mode(self.model):
            recon = self.model.reconstruct(x)
            samples = self.model.generate(self.fixed_z[: FIXED_SAMPLES // 2])
        return torch.cat([x, recon.float(), samples.float()])
