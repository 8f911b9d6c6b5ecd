"""A model's report card: the metrics of gen_core.analysis.metrics for one checkpoint, with their settings.

Shared by the app's Model report page, ``python -m gen_core report`` and
benchmarks/sample_quality.py, so all three give the same figures for the same checkpoint and seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from gen_core.analysis.metrics import (
    class_histogram,
    classifier_score,
    entropy,
    frechet_distance,
    vae_likelihood,
)
from gen_core.checkpoints import Checkpoint
from gen_core.data import Split, kind_of, load_dataset, only_classes, subset
from gen_core.device import eval_mode
from gen_core.models import VAE, GenerativeModel, LatentSource
from gen_core.models.classifier import Classifier, predict

Progress = Callable[[float, str], object]
CONFIDENT = 0.9  # a sample "reads as a class" when the classifier gives one class this much
# The shipped classifier (a checkpoint stem in checkpoints/) that measures samples of each kind
# of data: one per set of classes, so the two digit sets share one.
CLASSIFIERS = {"digits": "classifier", "clothes": "classifier-fashion-mnist"}


def classifier_path(dataset: str, folder: Path) -> Path:
    """Where the shipped classifier of ``dataset``'s classes lies in ``folder``."""
    return folder / CLASSIFIERS[kind_of(dataset).name]


@dataclass
class Report:
    """Figures as (name, value, what it means), the sample-class histogram, and notes."""

    rows: list[tuple[str, float, str]] = field(default_factory=list)
    histogram: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, name: str, value: float, meaning: str) -> None:
        self.rows.append((name, value, meaning))

    def value(self, name: str) -> float:
        return next(v for n, v, _ in self.rows if n == name)


FITTED = " (fitted density)"  # the name of a figure measured on samples of a VAE's fitted density


@torch.no_grad()
def sample_quality(
    model: GenerativeModel,
    classifier: Classifier,
    test: Split,
    n: int = 1000,
    seed: int = 0,
    source: LatentSource = "prior",
) -> Report:
    """Classifier FID, class entropy, classifier score and confidence of ``n`` samples from the
    prior or from a VAE's fitted density."""
    z = model.sample_latent(n, torch.Generator().manual_seed(seed), source)
    with eval_mode(model):
        samples = model.generate(z).float().cpu()
    probs, feats = predict(classifier, samples)
    _, test_feats = predict(classifier, subset(test.images, n, seed))
    hist = class_histogram(probs)
    report = Report(histogram=hist.tolist())
    report.add(
        "classifier FID",
        frechet_distance(feats, test_feats),
        f"{n} samples vs {min(n, len(test))} test images; 0 = same feature statistics",
    )
    report.add("class entropy (nats)", entropy(hist), "ln 10 = 2.303: every class equally often")
    report.add("classifier score", classifier_score(probs), "Inception-Score analogue: 10 at best")
    report.add(
        "confident samples",
        float((probs.max(1).values > CONFIDENT).float().mean()),
        f"share the classifier puts in one class with > {CONFIDENT:.0%}",
    )
    return report


def model_report(
    model: GenerativeModel | Classifier,
    test: Split,
    classifier: Classifier | None,
    *,
    n: int = 1000,
    k: int = 100,
    seed: int = 0,
    progress: Progress = lambda fraction, text: None,
) -> Report:
    """Every figure that applies to ``model``; ``progress`` hears (fraction done, what runs next).

    Without a ``classifier`` (data it was not trained on) the sample figures are left out.
    """
    if isinstance(model, Classifier):
        progress(0.0, "classifying the test split")
        probs, _ = predict(model, test.images)
        report = Report(histogram=class_histogram(probs).tolist())
        accuracy = float((probs.argmax(1) == test.labels).float().mean())
        report.add("test accuracy", accuracy, f"on {len(test)} test images")
    else:
        if classifier is None:
            report = Report(notes=["sample figures need a classifier of this dataset's classes"])
        else:
            progress(0.0, f"sampling {n} images and classifying them")
            report = sample_quality(model, classifier, test, n, seed)
            if model.has_fitted_density:
                progress(0.2, f"sampling {n} images from the fitted density")
                fitted = sample_quality(model, classifier, test, n, seed, "fitted")
                report.rows += [(name + FITTED, v, why) for name, v, why in fitted.rows]
        if isinstance(model, VAE):
            progress(0.3, f"test likelihood: {k} importance samples per image")
            lik = vae_likelihood(model, test.images, k=k, seed=seed)
            report.add(
                "test negative ELBO (nats)",
                lik["neg_elbo"],
                f"per image, {len(test)} test images; lower is better",
            )
            report.add(
                "test -log p(x), IW (nats)",
                lik["neg_log_px_iw"],
                f"importance-weighted, k = {k}; never above the negative ELBO",
            )
    progress(1.0, "done")
    return report


def measures(classifier: Checkpoint, dataset: str) -> bool:
    """Whether a classifier checkpoint knows the classes of ``dataset`` (trained on the same kind)."""
    return classifier.info.dataset.kind == kind_of(dataset)


def checkpoint_report(
    checkpoint: Checkpoint,
    classifier: Checkpoint | None,
    *,
    n: int = 1000,
    k: int = 100,
    seed: int = 0,
    progress: Progress = lambda fraction, text: None,
) -> Report:
    """:func:`model_report` on the test images of the data the checkpoint was trained on; the
    sample figures only with a classifier of that data's classes."""
    info = checkpoint.info
    name = info.dataset.name
    test = only_classes(load_dataset(name).test, info.classes)
    usable = classifier.model if classifier and measures(classifier, name) else None
    usable = usable if isinstance(usable, Classifier) else None
    report = model_report(checkpoint.model, test, usable, n=n, k=k, seed=seed, progress=progress)
    report.notes.append(f"measured on {len(test)} {name} test images")
    return report
