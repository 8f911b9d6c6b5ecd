"""Sample quality of the shipped checkpoints, measured with the shipped digit classifier.

For each checkpoint: classifier FID (n samples vs the mnist-5k test images), class entropy,
classifier score, the confident share, for the VAEs the same of samples from the density fitted
to their training codes, and the test negative ELBO and IW -log p(x). Beside them: the floor (n
real training digits vs the same test images) and each figure against its target (issue 15):
DCGAN FID <= 30 with >= 85% confident samples and class entropy >= 2.25, fcGAN FID <= 50, conv
VAE FID from its fitted density <= 60.

Run: .venv/bin/python benchmarks/sample_quality.py [-n 1000] [-k 100] [--smoke]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from _common import ratio_line

from gen_core.analysis.metrics import frechet_distance
from gen_core.analysis.report import FITTED, checkpoint_report
from gen_core.checkpoints import load_checkpoint
from gen_core.data import load_dataset, subset
from gen_core.models.classifier import Classifier, predict

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("dcgan", "fcgan", "vae", "conv-vae")
COLUMNS = (
    "classifier FID",
    "class entropy (nats)",
    "classifier score",
    "confident samples",
    "classifier FID" + FITTED,
    "confident samples" + FITTED,
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
    assert isinstance(classifier, Classifier)
    data = load_dataset("mnist-5k")
    _, real = predict(classifier, subset(data.train.images, n))
    _, test = predict(classifier, subset(data.test.images, n))
    floor = frechet_distance(real, test)
    print(f"real-data floor: classifier FID {floor:.2f} ({n} training vs {len(test)} test digits)")
    figures = {}
    for name in SHIPPED:
        report = checkpoint_report(load_checkpoint(ROOT / "checkpoints" / name), measure, n=n, k=k)
        figures[name] = {row[0]: row[1] for row in report.rows}
    print(f"\n{'figure':<36}" + "".join(f"{name:>10}" for name in SHIPPED))
    for column in COLUMNS:
        cells = (figures[name].get(column) for name in SHIPPED)
        print(f"{column:<36}" + "".join(f"{'-' if v is None else f'{v:.2f}':>10}" for v in cells))
    dc, fc, cv = figures["dcgan"], figures["fcgan"], figures["conv-vae"]
    print()
    print(
        ratio_line("conv-vae FID, fitted density vs target 60", cv["classifier FID" + FITTED], 60)
    )
    print(ratio_line("fcGAN FID vs target 50", fc["classifier FID"], 50))
    print(ratio_line("DCGAN confident samples vs target 0.85", dc["confident samples"], 0.85))
    print(ratio_line("DCGAN class entropy vs target 2.25", dc["class entropy (nats)"], 2.25))
    print(ratio_line("DCGAN FID vs target 30", dc["classifier FID"], 30))


if __name__ == "__main__":
    main()
