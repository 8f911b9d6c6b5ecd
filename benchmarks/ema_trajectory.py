"""The EMA of G against G itself at equal steps, on one training trajectory.

The average does not change how G trains, so G and averages of it with several decays are
measured at the same steps of one run, with no seed's noise between them; each average's
batch-norm statistics are measured for its weights, as the trainer does for the one it keeps.
Each point: the Model report's sample figures (n samples, the shipped digit classifier).
With --train-size N the run sees N of mnist-5k's training digits, the same N for every seed:
the small-data regime where D memorises.

Run: .venv/bin/python benchmarks/ema_trajectory.py [--epochs 100 | --steps S] [--seed 0]
     [--points 4] [--train-size N] [--smoke]
     [--options '{"loss": "hinge", "r1": 1, "r1_every": 4, "conditional": true}']
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import torch
from _common import ratio_line

from gen_core.analysis.report import sample_quality
from gen_core.checkpoints import load_model
from gen_core.data import load_dataset, training_split
from gen_core.device import seed_everything
from gen_core.models import GAN, build_model
from gen_core.models.classifier import Classifier
from gen_core.runs.request import RunRequest
from gen_core.training import GANTrainer
from gen_core.training.gan import average_of, measure_batch_norm, with_average
from gen_core.training.presets import EMA_DECAY

ROOT = Path(__file__).resolve().parent.parent
DECAYS = (0.99, 0.995, 0.999)


class Averages(GANTrainer):
    """A GAN trainer that also keeps an average of G per decay, and measures G and each of them
    with ``measure`` at ``points`` steps spread over the run, into ``rows``."""

    def __init__(self, *args: Any, points: int, measure: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.averages = {d: average_of(self.model.G, d) for d in DECAYS}
        self.every, self.measure = max(1, self.total_steps // points), measure
        self.rows: list[dict[str, float]] = []

    def train_step(self) -> dict[str, torch.Tensor]:
        metrics = super().train_step()
        for average in self.averages.values():
            average.update_parameters(self.model.G)
        if (self.step + 1) % self.every == 0:
            row = {"step": self.step + 1, "G": self.measure(self.model)}
            for decay, average in self.averages.items():
                measure_batch_norm(average, self.model, self.config.seed, self.device)
                row[f"EMA {decay}"] = self.measure(with_average(self.model, average))
            self.rows.append(row)
            print("".join(f"{v:>12.1f}" if k != "step" else f"{v:>8}" for k, v in row.items()))
        return metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=("dcgan", "fcgan"), default="dcgan")
    parser.add_argument("--epochs", type=int, default=100, help="passes over the digits")
    parser.add_argument("--steps", type=int, default=0, help="a budget in steps, not epochs")
    parser.add_argument("--train-size", type=int, default=0, help="N training digits; 0: all")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--points", type=int, default=4, help="measurements along the run")
    parser.add_argument("--options", default="{}", help="run settings by name, as JSON")
    parser.add_argument("-n", type=int, default=1000, help="samples per measurement")
    parser.add_argument("--smoke", action="store_true", help="20 steps, 2 points: proves it runs")
    args = parser.parse_args()
    budget = {"steps": 20 if args.smoke else args.steps, "epochs": args.epochs}
    points, n = (2, 100) if args.smoke else (args.points, args.n)
    settings = {
        **json.loads(args.options),
        **budget,
        "seed": args.seed,
        "train_size": args.train_size,
    }
    request = RunRequest.build(args.model, {"dataset": "mnist-5k", "quality": False, **settings})
    dataset = load_dataset("mnist-5k")
    train = training_split(dataset.train, request.train.classes, request.train.train_size)
    classifier = load_model(ROOT / "checkpoints" / "classifier", Classifier)

    def fid(model: GAN) -> float:
        state = torch.random.get_rng_state()  # measuring must not move the run's noise
        value = sample_quality(model, classifier, dataset.test, n=n).value("classifier FID")
        torch.random.set_rng_state(state)
        return value

    seed_everything(args.seed)
    model = build_model(args.model, request.config)
    assert isinstance(model, GAN)
    trainer = Averages(
        model,
        train.images,
        request.train,
        labels=train.labels,
        points=points,
        measure=fid,
    )
    print(
        f"torch {torch.__version__}; {args.model} on {len(train)} mnist-5k digits, {settings}, "
        f"{n} samples"
    )
    print(f"{'step':>8}{'G':>12}" + "".join(f"{f'EMA {d}':>12}" for d in DECAYS))
    start = time.perf_counter()
    trainer.run()
    print(f"{time.perf_counter() - start:.0f} s")
    last = trainer.rows[-1]
    label = f"classifier FID, EMA {EMA_DECAY} vs G at the last step"
    print(ratio_line(label, last[f"EMA {EMA_DECAY}"], last["G"]))


if __name__ == "__main__":
    main()
