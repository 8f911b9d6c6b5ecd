"""Sample quality of the shipped checkpoints, measured with the shipped digit classifier.

For each checkpoint: classifier FID (n samples vs the mnist-5k test images), class entropy,
classifier score, and for the VAEs the test negative ELBO and IW -log p(x). Beside them: the
floor (n real training digits vs the same test images), DCGAN vs fcGAN FID, and the shipped
DCGAN's class entropy against its target of 0.95 ln 10.

Run: .venv/bin/python benchmarks/sample_quality.py [-n 1000] [-k 100] [--smoke]
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import torch
from _common import ratio_line

from gen_core.analysis.metrics import frechet_distance
from gen_core.analysis.report import checkpoint_report
from gen_core.checkpoints import load_checkpoint
from gen_core.data import load_dataset, subset
from gen_core.models.classifier import predict

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("dcgan", "fcgan", "vae", "conv-vae")
COLUMNS = (
    "classifier FID",
    "class entropy (nats)",
    "classifier score",
    "confident samples",
    "test negative ELBO (nats)",
    "test -log p(x), IW (nats)",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="samples per checkpoint")
    parser.add_argument("-k", type=int, default=100, help="importance samples per test image")
    parser.add_argument("--smoke", action="store_true", help="few samples: proves it runs")
    args = parser.parse_args()
    n, k = (100, 5) if args.smoke else (args.n, args.k)
    print(f"torch {torch.__version__}; {n} samples per model, k = {k}, seed 0")
    measure = load_checkpoint(ROOT / "checkpoints" / "classifier")
    classifier = measure.model
    data = load_dataset("mnist-5k")
    _, real = predict(classifier, subset(data.train.images, n))
    _, test = predict(classifier, subset(data.test.images, n))
    floor = frechet_distance(real, test)
    print(f"\n{'checkpoint':<10}" + "".join(f"{c[:20]:>22}" for c in COLUMNS))
    print(f"{'real data':<10}{floor:>22.2f}   ({n} training digits vs {len(test)} test digits)")
    figures = {}
    for name in SHIPPED:
        report = checkpoint_report(load_checkpoint(ROOT / "checkpoints" / name), measure, n=n, k=k)
        figures[name] = {row[0]: row[1] for row in report.rows}
        cells = (figures[name].get(c) for c in COLUMNS)
        print(f"{name:<10}" + "".join(f"{'-' if v is None else f'{v:.2f}':>22}" for v in cells))
    dc, fc = figures["dcgan"], figures["fcgan"]
    target = 0.95 * math.log(10)
    print(
        f"\nDCGAN / fcGAN classifier FID: {dc['classifier FID'] / fc['classifier FID']:.2f}x "
        f"(below 1: DCGAN closer to the test digits); real-data floor {floor:.2f}"
    )
    print(
        ratio_line("DCGAN class entropy vs target 0.95 ln 10", dc["class entropy (nats)"], target)
    )


if __name__ == "__main__":
    main()
