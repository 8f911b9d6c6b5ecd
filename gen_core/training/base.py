"""The step loop every trainer shares: logging, samples, checkpoints, stop, NaN guard, resume.

Subclasses supply one optimisation step and their sample grid; the loop turns those into
events and files. It syncs with the device only at log, sample and checkpoint steps.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import torch

from gen_core import checkpoints as ckpt
from gen_core.analysis.quality import QualityProbe
from gen_core.configs import from_dict
from gen_core.data import BatchStream, DatasetInfo, random_shift, to_unit
from gen_core.device import (
    autocast,
    describe_device,
    eval_mode,
    own_rng,
    resolve_device,
    rng_state,
    seeded_rng_state,
    torch_threads,
)
from gen_core.distributed import ALONE, Dist, local_device
from gen_core.models import GenerativeModel
from gen_core.training.config import LOG_POINTS, SAMPLE_GRIDS, TrainConfig, interval
from gen_core.training.events import Callback, Event

FIXED_SAMPLES = 64
QUALITY_STRIDE = 3  # sample quality at every third grid: ~20 a run, a few per cent of its time
WEIGHT_LIMIT = 1e4  # trained weights here stay below ~10; at lr 10 a GAN's reach 1e11


def total_norm(module: torch.nn.Module) -> torch.Tensor:
    """The L2 norm of all of ``module``'s gradients, as a 0-d tensor (no host sync, no rescaling)."""
    return torch.nn.utils.get_total_norm(
        [p.grad for p in module.parameters() if p.grad is not None]
    )


class Trainer:
    """Runs a model's training for ``config`` on ``images`` and reports :class:`Event` objects."""

    optimizers: dict[str, torch.optim.Optimizer]
    images_per_step: int

    def __init__(
        self,
        model: GenerativeModel,
        images: torch.Tensor,
        config: TrainConfig,
        *,
        dataset_info: DatasetInfo | None = None,
        callbacks: Iterable[Callback] = (),
        checkpoint_path: str | Path | None = None,
        dist: Dist = ALONE,
        probe: QualityProbe | None = None,
        labels: torch.Tensor | None = None,
    ) -> None:
        self.config = config
        self.dist = dist
        self.device = local_device(resolve_device(config.device))
        self.model = model.to(self.device).train()
        self.stream = BatchStream(
            images, config.batch_size, config.seed, self.device, dist.rank, dist.world_size, labels
        )
        self.dataset_info = dataset_info
        self.callbacks = list(callbacks)
        self.checkpoint_path = Path(checkpoint_path) if checkpoint_path else None
        self.step = 0
        self.history: list[dict[str, Any]] = []
        self.last_checkpoint_step: int | None = None
        gen = torch.Generator().manual_seed(config.seed)
        self.fixed_z = self.model.sample_latent(FIXED_SAMPLES, generator=gen)
        self.notes: list[str] = []
        self.saved_at = time.monotonic()
        self.rng = seeded_rng_state(config.seed + dist.rank)  # noise, dropout, GP mixes: per rank
        self.probe = probe  # measures sample quality at every third grid when given
        self.probe_z = (
            model.sample_latent(probe.n, generator=torch.Generator().manual_seed(probe.seed))
            if probe
            else None
        )

    # -- what subclasses provide -------------------------------------------------------------
    def train_step(self) -> dict[str, torch.Tensor]:
        """One optimisation step; returns detached 0-d metric tensors (no host sync)."""
        raise NotImplementedError

    def snapshot(self) -> torch.Tensor:
        """Images (N, 1, 28, 28) in [0, 1] for the sample grid; must not touch the global RNG."""
        raise NotImplementedError

    def shown_samples(self, z: torch.Tensor) -> torch.Tensor:
        """Images in [0, 1] for latents ``z``, by the model a checkpoint shows."""
        with eval_mode(self.model):
            return self.model.generate(z.to(self.device))

    def optimizer_settings(self) -> dict[str, dict[str, Any]]:
        """Each optimizer's settings from the config (lr, betas): used to make it, and again
        after a resume, so new settings take effect over the ones saved with its moments."""
        raise NotImplementedError

    # -- the loop ------------------------------------------------------------------------------
    @property
    def steps_per_epoch(self) -> int:
        return max(
            1, self.stream.batches_per_epoch * self.config.batch_size // self.images_per_step
        )

    @property
    def total_steps(self) -> int:
        return (
            self.config.steps
            if self.config.steps > 0
            else self.config.epochs * self.steps_per_epoch
        )

    def batch(self) -> torch.Tensor:
        """The next training batch as float in [0, 1] (uint8 input is scaled, float taken as is),
        shifted by up to ``augment_shift`` pixels each way."""
        return self._shifted(to_unit(self.stream.next()))

    def labelled_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The next batch, as :meth:`batch` gives it, and its labels."""
        images, labels = self.stream.next_labelled()
        return self._shifted(to_unit(images)), labels

    def _shifted(self, x: torch.Tensor) -> torch.Tensor:
        return random_shift(x, self.config.augment_shift) if self.config.augment_shift else x

    def autocast(self) -> Any:
        return autocast(self.device, self.config.bf16)

    def emit(self, event: Event) -> None:
        for callback in self.callbacks:
            callback(event)

    def run(self, should_stop: Callable[[], bool] = lambda: False) -> str:
        """Train until done, stopped or failed; returns "finished", "stopped" or "failed"."""
        with own_rng(self.rng):
            return self._loop(should_stop)

    def _loop(self, should_stop: Callable[[], bool]) -> str:
        total = self.total_steps
        self.log_every = interval(self.config.log_every, total - self.step, LOG_POINTS, 5)
        self.sample_every = interval(self.config.sample_every, total - self.step, SAMPLE_GRIDS, 10)
        self.emit(Event("start", self.step, self._start_fields(total)))
        if self.step == 0:
            self.emit_samples()  # the "before" picture, so a watcher sees samples at once
        step_fn = torch.compile(self.train_step) if self.config.compile else self.train_step
        sums: dict[str, torch.Tensor] = {}
        count, epoch_reported = 0, self.stream.epoch
        tick, tick_step = time.perf_counter(), self.step
        first = self.step + 1  # logged at once: a watcher's first loss point comes in a second
        while self.step < total:
            # Every rank stops at the same step. Alone, the request is a file check each step; under
            # DDP agreeing on it is a collective and a host sync, so ranks consult at log steps only.
            consult = not self.dist.active or self.step % self.log_every == 0
            if consult and self.dist.any(should_stop(), self.device):
                self._save(final=True)
                self.emit(
                    Event(
                        "stopped",
                        self.step,
                        {"reason": "stop requested", "epoch": self.stream.epoch},
                    )
                )
                return "stopped"
            # A new run's first step, which a watcher waits for, on one thread: beside the page
            # that launched it drawing on a small CPU, two threads stall each other at every
            # barrier (0.07 s alone, 1.4 s beside Chromium on 2 cores; BENCHMARKS.md). Not a
            # resumed run's: its step must round as the uninterrupted run's did, on all threads.
            solo = self.step == 0 and self.device.type == "cpu"
            with torch_threads(1) if solo else contextlib.nullcontext():
                out = step_fn()
            for key, value in out.items():
                sums[key] = sums[key] + value if key in sums else value.clone()
            count += 1
            self.step += 1
            last = self.step == total
            if count and (self.step % self.log_every == 0 or last or self.step == first):
                means = self.dist.mean(torch.stack(list(sums.values())).float() / count).tolist()
                metrics = dict(zip(sums, means, strict=True))
                bad = [k for k, v in metrics.items() if not math.isfinite(v)]
                if bad:
                    return self._fail(
                        f"{', '.join(bad)} became {metrics[bad[0]]} by step {self.step}"
                    )
                diverged = self.diverged(metrics)
                if diverged:
                    return self._fail(diverged)
                elapsed = time.perf_counter() - tick
                rate = (
                    (self.step - tick_step)
                    * self.images_per_step
                    * self.dist.world_size
                    / max(elapsed, 1e-9)
                )
                eta = (total - self.step) * elapsed / max(self.step - tick_step, 1)
                row = {"epoch": self.stream.epoch, **metrics, "images_per_s": rate, "eta_s": eta}
                self.history.append({"step": self.step, **row})
                self.emit(Event("step", self.step, {**row, "total_steps": total}))
                sums, count, tick, tick_step = {}, 0, time.perf_counter(), self.step
            if self.stream.epoch > epoch_reported:
                epoch_reported = self.stream.epoch
                self.emit(Event("epoch", self.step, {"epoch": epoch_reported}))
            if self.step % self.sample_every == 0 or last:
                self.emit_samples()
            # A checkpoint every checkpoint_every steps, and at a log step once the last one is
            # checkpoint_minutes old, so no run goes unprotected for long (agreed under DDP).
            due = count == 0 and self.dist.any(self._checkpoint_due(), self.device)
            if self.step % self.config.checkpoint_every == 0 or last or due:
                unfinished = count and not all(torch.isfinite(v).item() for v in sums.values())
                if self.dist.any(bool(unfinished), self.device):
                    return self._fail(f"a loss became non-finite by step {self.step}")
                self._save(final=last)
        replicas = self.dist.fingerprints(self.model)
        self.emit(Event("finished", self.step, {"epoch": self.stream.epoch, "replicas": replicas}))
        return "finished"

    def diverged(self, metrics: dict[str, float]) -> str | None:
        """Why the run has diverged though its losses are finite (None: it has not): weights
        grown past WEIGHT_LIMIT. Subclasses add what diverging means for them."""
        largest = max(p.detach().abs().max() for p in self.model.parameters()).item()
        if largest > WEIGHT_LIMIT:
            return f"a weight grew to {largest:.3g} by step {self.step} (the run has diverged)"
        return None

    def _checkpoint_due(self) -> bool:
        return time.monotonic() - self.saved_at > 60 * self.config.checkpoint_minutes

    def emit_samples(self) -> None:
        if not self.dist.is_main:
            return
        with torch.no_grad():
            images = self.snapshot()
        self.emit(Event("samples", self.step, {"epoch": self.stream.epoch}, images=images))
        every = self.sample_every * QUALITY_STRIDE
        # not at step 0 (noise scores ~1,000 and the first step would wait for it), nor at the
        # end of a run too short to reach its first measurement (a test or a demo)
        last = self.step == self.total_steps and self.step >= every
        due = self.step > 0 and (self.step % every == 0 or last)
        if self.probe is not None and self.probe_z is not None and due:
            start = time.perf_counter()
            found = self.probe.measure(self.shown_samples, self.probe_z)
            took = round(time.perf_counter() - start, 3)
            self.emit(Event("quality", self.step, {**found, "seconds": took}))

    def _fail(self, reason: str) -> str:
        kept = (
            f"the last good checkpoint (step {self.last_checkpoint_step}) is kept"
            if self.last_checkpoint_step is not None
            else "no checkpoint was written"
        )
        self.emit(
            Event("failed", self.step, {"reason": f"{reason}; {kept}. Try a lower learning rate."})
        )
        return "failed"

    def _start_fields(self, total: int) -> dict[str, Any]:
        return {
            "model": self.model.name,
            "family": self.model.family,
            "config": dataclasses.asdict(self.model.config),
            "train": dataclasses.asdict(self.config),
            "dataset": dataclasses.asdict(self.dataset_info) if self.dataset_info else {},
            "device": describe_device(self.device),
            "process_group": self.dist.backend,
            "total_steps": total,
            "steps_per_epoch": self.steps_per_epoch,
            "log_every": self.log_every,
            "sample_every": self.sample_every,
            "parameters": sum(p.numel() for p in self.model.parameters()),
            "images": len(self.stream.images),  # every rank's: ranks shard by index
            "notes": self.notes,
        }

    # -- checkpoints -----------------------------------------------------------------------------
    def saved_model(self, final: bool) -> GenerativeModel[Any]:
        """The model a checkpoint holds: the one being trained, unless a subclass keeps a better
        one to show (an average of G's weights) or finishes it at the run's last checkpoint
        (``final``: at the end or on a stop)."""
        return self.model

    def extra_state(self) -> dict[str, torch.Tensor]:
        """Tensors besides optimizers and RNG that resuming needs (none here)."""
        return {}

    def restore_extra(self, tensors: dict[str, torch.Tensor]) -> None:
        """Take back what :meth:`extra_state` saved ({} for a weights-only checkpoint)."""

    def _save(self, final: bool = False) -> Path | None:
        """Called inside run() only. Write the rolling checkpoint (weights + optimizer + RNG) and report it."""
        if self.checkpoint_path is None or not self.dist.is_main:
            return None
        tensors = {f"rng.{k}": v for k, v in rng_state().items()}  # run()'s own stream
        optimizers: dict[str, Any] = {}
        for name, opt in self.optimizers.items():
            state = ckpt.optimizer_state(opt, name)
            tensors.update(state.tensors)
            optimizers[name] = state.meta
        tensors.update(self.extra_state())
        stem = ckpt.save_checkpoint(
            self.checkpoint_path,
            self.saved_model(final),
            step=self.step,
            epoch=self.stream.epoch,
            dataset=self.dataset_info,
            train=dataclasses.asdict(self.config),
            history=self.history,
            training_state=ckpt.TrainingState(
                tensors, {"optimizers": optimizers, "batches_seen": self.stream.batches_seen}
            ),
            generation=self.step,
        )
        self.last_checkpoint_step, self.saved_at = self.step, time.monotonic()
        self.emit(Event("checkpoint", self.step, {"path": str(stem), "epoch": self.stream.epoch}))
        return stem

    def resume(self, path: str | Path) -> None:
        """Continue from a checkpoint: weights, step count, history and, when saved, optimizer and RNG.

        A weights-only checkpoint (as shipped) resumes with fresh optimizer moments; a note
        in the start event says so.
        """
        info = ckpt.read_info(path)
        if info.step >= self.total_steps:
            raise ValueError(
                f"{info.path} is at step {info.step} and this run ends at step {self.total_steps}: "
                "ask for more epochs (or steps) to continue it"
            )
        if (
            info.model != self.model.name
            or from_dict(type(self.model.config), info.config) != self.model.config
        ):
            raise ckpt.CheckpointError(
                f"{info.path} holds a {info.model} with another config than this run's model"
            )
        self.model.load_state_dict(ckpt.load_checkpoint(info.path, self.device).model.state_dict())
        self.model.train()
        self.step, self.history = info.step, list(info.history)
        if info.has_training_state:
            state = ckpt.load_training_state(info)
            for name, opt in self.optimizers.items():
                ckpt.restore_optimizer(opt, name, state)
                for group in opt.param_groups:  # the settings asked for now, not the saved ones
                    group.update(self.optimizer_settings()[name])
            self.rng = {k[4:]: v for k, v in state.tensors.items() if k.startswith("rng.")}
            if self.dist.rank:  # the saved stream is rank 0's; the others need streams of their own
                self.rng = seeded_rng_state(self.config.seed + self.dist.rank + 7919 * info.step)
            self.stream.batches_seen = int(state.meta["batches_seen"])
            self.restore_extra(state.tensors)
        else:
            self.stream.batches_seen = info.step * self.images_per_step // self.config.batch_size
            self.notes.append(f"{info.path.name} holds weights only: optimizer state starts afresh")
            self.restore_extra({})
        self.last_checkpoint_step = info.step
