"""The small-data GAN recipe, ingredient by ingredient: each trained in this one run, same seed.

Today's recipe (the non-saturating loss with one-sided label smoothing) beside it with each of
DiffAugment, an EMA of G, spectral norm in D (with D's batch norm off, as SN-GAN has it), the
hinge loss and the R1 penalty alone, and all together. Each run is measured as the Model report
measures a checkpoint (classifier FID of n samples against the test digits, the confident share,
class entropy), with its wall time.

Run: .venv/bin/python benchmarks/recipes.py [--model dcgan] [--epochs 60] [-n 1000] [--smoke]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
from _common import ratio_line

from gen_core.analysis.report import checkpoint_report
from gen_core.checkpoints import load_checkpoint
from gen_core.cli import train
from gen_core.options import to_args
from gen_core.training.presets import small_data

ROOT = Path(__file__).resolve().parent.parent
TODAY: dict[str, Any] = {"label_smoothing": 0.1}
TODAY_NAME, TOGETHER = "today (label smoothing 0.1)", "all together"


def recipes(model: str) -> dict[str, dict[str, Any]]:
    """Today's recipe, then each small-data ingredient added alone, then all of them."""
    ingredients = small_data(model)
    alone = {f"+ {name}": {**TODAY, **options} for name, options in ingredients.items()}
    together = {k: v for options in ingredients.values() for k, v in options.items()}
    return {TODAY_NAME: TODAY, **alone, TOGETHER: {**TODAY, **together}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=("dcgan", "fcgan"), default="dcgan")
    parser.add_argument("--epochs", type=int, default=60, help="passes over mnist-5k, each run")
    parser.add_argument("-n", type=int, default=1000, help="samples measured per run")
    parser.add_argument(
        "--smoke", action="store_true", help="today's and all together, 5 steps: proves it runs"
    )
    args = parser.parse_args()
    budget = {"steps": 5} if args.smoke else {"epochs": args.epochs}
    n = 100 if args.smoke else args.n
    print(f"torch {torch.__version__}; {args.model} on mnist-5k, {budget}, seed 0, {n} samples")
    measure = load_checkpoint(ROOT / "checkpoints" / "classifier")
    print(f"\n{'recipe':<28}{'classifier FID':>16}{'confident':>11}{'entropy':>9}{'wall s':>8}")
    fids: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, options in recipes(args.model).items():
            if args.smoke and name not in (TODAY_NAME, TOGETHER):
                continue
            out = Path(folder) / str(len(fids))
            fixed = {"dataset": "mnist-5k", "seed": 0, "quality": False, "checkpoint_every": 10**6}
            settings = {**fixed, **budget, **options}
            start = time.perf_counter()
            if train(["--model", args.model, *to_args(settings), "--out", str(out)]) != 0:
                raise SystemExit(f"{name}: the run failed")
            wall = time.perf_counter() - start
            report = checkpoint_report(load_checkpoint(out / "checkpoint"), measure, n=n, k=1)
            fids[name] = report.value("classifier FID")
            print(
                f"{name:<28}{fids[name]:>16.1f}{report.value('confident samples'):>11.3f}"
                f"{report.value('class entropy (nats)'):>9.3f}{wall:>8.0f}"
            )
    today, together = fids[TODAY_NAME], fids[TOGETHER]
    print(ratio_line("classifier FID, all together vs today's recipe", together, today))


if __name__ == "__main__":
    main()
