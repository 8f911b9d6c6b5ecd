"""Anomaly scoring with a VAE: per-image scores, per-pixel error maps, thresholds, AUROC.

Digits unlike the training data reconstruct worse (An & Cho, 2015). Thresholds are fitted
on normal data only, by percentile or by a target false-positive rate, so no labelled
anomalies are needed; a score is reported with its percentile among normal scores.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from gen_core.data import kind_of, to_unit
from gen_core.losses import bernoulli_nll, kl_to_standard_normal
from gen_core.models import VAE
from gen_core.models.classifier import Classifier, predict
from gen_core.preprocess import Framing
from gen_core.render import as_uploads

ScoreKind = Literal["recon", "sq-error", "neg-elbo", "sq-error+knn", "recon+classifier"]
SCORES: dict[ScoreKind, str] = {
    "recon": "reconstruction error (nats)",
    "sq-error": "squared error of the reconstruction",
    "neg-elbo": "negative ELBO (nats)",
    "sq-error+knn": "squared error + latent neighbours (z-scores)",
    "recon+classifier": "reconstruction error + classifier doubt (z-scores)",
}
UNITS: dict[ScoreKind, str] = {
    "recon": " nats",
    "sq-error": "",
    "neg-elbo": " nats",
    "sq-error+knn": "",
    "recon+classifier": "",
}
Extra = Literal["knn", "doubt"]  # what a combined score adds to a reconstruction score
# A combined score sums two terms, each as a z-score among normal images (its Reference),
# the reconstruction term weighted: the classifier's doubt carries "is it a digit at all?",
# which reconstruction answers poorly for uploads (BENCHMARKS.md, through the upload path).
COMBINED: dict[ScoreKind, tuple[ScoreKind, Extra, float]] = {
    "sq-error+knn": ("sq-error", "knn", 1.0),
    "recon+classifier": ("recon", "doubt", 0.25),
}
NEEDS_REFERENCE: tuple[ScoreKind, ...] = tuple(COMBINED)
NEEDS_CLASSIFIER: tuple[ScoreKind, ...] = ("recon+classifier",)
ELBO_SAMPLES = 8
NEIGHBOURS = 5
DEFAULT_FPR = 0.03  # a detector's default: about one normal upload in 33 is flagged


@dataclass
class Reference:
    """Normal images as a combined score sees them: each term's mean and spread among them,
    and their latent means (which the neighbour term measures distances to)."""

    terms: dict[str, tuple[float, float]]
    codes: torch.Tensor


def neighbour_distance(
    codes: torch.Tensor, reference: torch.Tensor, leave_one_out: bool = False
) -> torch.Tensor:
    """Mean Euclidean distance from each code to its NEIGHBOURS nearest reference codes; with
    ``leave_one_out`` the codes are the reference itself and each skips its own zero."""
    dist = torch.cdist(codes.double(), reference.double())
    k = NEIGHBOURS + int(leave_one_out)
    nearest = dist.topk(min(k, dist.shape[1]), largest=False).values
    return nearest[:, int(leave_one_out) :].mean(1).float()


@torch.inference_mode()
def doubt(classifier: Classifier, images: torch.Tensor) -> torch.Tensor:
    """How little the classifier believes the image is one of its classes, as a log-odds: its
    "none of them" class (learned from outliers) against all the others; for a classifier
    without that class, 1 - its highest class probability."""
    probs, _ = predict(classifier, images)
    if not classifier.config.reject:
        return 1 - probs.max(1).values
    none = probs[:, -1].clamp(1e-7, 1 - 1e-7)
    return (none / (1 - none)).log()


def fit_reference(
    model: VAE[Any],
    normal_images: torch.Tensor,
    kind: ScoreKind = "sq-error+knn",
    classifier: Classifier | None = None,
) -> Reference:
    """What a combined score compares with, from normal images only (no labelled anomalies):
    "sq-error+knn" is fitted on the normal training images, "recon+classifier" on normal
    images as they arrive as uploads."""
    base, other, _ = COMBINED[kind]
    scored = score(model, normal_images, base)
    terms = {
        base: scored.scores.double(),
        other: _term(other, normal_images, scored.codes, scored.codes, classifier, True).double(),
    }
    return Reference({t: (float(v.mean()), float(v.std())) for t, v in terms.items()}, scored.codes)


def _term(
    name: Extra,
    images: torch.Tensor,
    codes: torch.Tensor,
    reference_codes: torch.Tensor,
    classifier: Classifier | None,
    leave_one_out: bool = False,
) -> torch.Tensor:
    if name == "knn":
        return neighbour_distance(codes, reference_codes, leave_one_out)
    if classifier is None:
        raise ValueError("the classifier-doubt term needs the upload classifier")
    return doubt(classifier, images)


@dataclass
class Scored:
    """Scores (N,), per-pixel error maps and reconstructions (N, 1, 28, 28), and the posterior
    means (N, latent_dim) they were decoded from."""

    scores: torch.Tensor
    error_maps: torch.Tensor
    recon: torch.Tensor
    codes: torch.Tensor


@torch.inference_mode()
def score(
    model: VAE[Any],
    images: torch.Tensor,
    kind: ScoreKind = "recon",
    reference: Reference | None = None,
    batch_size: int = 500,
    classifier: Classifier | None = None,
) -> Scored:
    """Score images (uint8, or float in [0, 1]); higher means less like the training data.

    recon: -log p(x | z = mu), the Bernoulli reconstruction error of the posterior mean.
    sq-error: sum of (x - x_hat)^2 over pixels for that reconstruction; it weighs a missing
    stroke less harshly than the log loss, and ranks one-digit-vs-rest anomalies better
    (BENCHMARKS.md).
    neg-elbo: E_q[-log p(x|z)] + KL(q(z|x) || p(z)), with ELBO_SAMPLES seeded samples of z.
    sq-error+knn: the squared error and the mean distance of the latent mean to its NEIGHBOURS
    nearest normal training codes, each as a z-score among the normal training images
    (``reference``, from :func:`fit_reference`), summed: an image can be unusual by looking
    wrong or by landing where no normal digit lies. The best one-vs-rest ranking in
    BENCHMARKS.md.
    recon+classifier: the upload ``classifier``'s doubt plus a quarter of the reconstruction
    error, each as a z-score among normal uploads: the classifier (trained on uploads and on
    synthetic non-digits) says whether it is a digit at all, the VAE how well-formed it is.
    The best digits-vs-clothes ranking through the upload path in BENCHMARKS.md.
    """
    if kind not in SCORES:
        raise ValueError(f"unknown score {kind!r}; choose one of {', '.join(SCORES)}")
    if kind in COMBINED:
        if reference is None:
            raise ValueError(
                f"the {kind} score needs the normal images it compares with: pass fit_reference(...)"
            )
        base, other, weight = COMBINED[kind]
        scored = score(model, images, base, batch_size=batch_size)
        extra = _term(other, images, scored.codes, reference.codes, classifier)
        z = {
            name: (value.double() - reference.terms[name][0]) / reference.terms[name][1]
            for name, value in ((base, scored.scores), (other, extra))
        }
        combined = weight * z[base] + z[other]
        return Scored(
            torch.as_tensor(combined).float(), scored.error_maps, scored.recon, scored.codes
        )
    model.eval()
    device = next(model.parameters()).device
    x_all = to_unit(images)
    scores, maps, recons, codes = [], [], [], []
    gen = torch.Generator().manual_seed(0)
    for i in range(0, len(x_all), batch_size):
        x = x_all[i : i + batch_size].to(device)
        mu, logvar = model.encode(x)
        logits = model.decode(mu).float()
        if kind == "sq-error":
            pixel = (torch.sigmoid(logits) - x) ** 2
        else:
            pixel = torch.nn.functional.binary_cross_entropy_with_logits(
                logits, x, reduction="none"
            )
        value = pixel.flatten(1).sum(1)
        if kind == "neg-elbo":
            sigma = torch.exp(0.5 * logvar)
            nll = torch.stack(
                [
                    bernoulli_nll(
                        model.decode(
                            mu + sigma * torch.randn(mu.shape, generator=gen).to(device)
                        ).float(),
                        x,
                    )
                    for _ in range(ELBO_SAMPLES)
                ]
            ).mean(0)
            value = nll + kl_to_standard_normal(mu.float(), logvar.float())
        scores.append(value.cpu())
        maps.append(pixel.cpu())
        recons.append(torch.sigmoid(logits).cpu())
        codes.append(mu.float().cpu())
    return Scored(torch.cat(scores), torch.cat(maps), torch.cat(recons), torch.cat(codes))


def threshold(
    normal_scores: np.ndarray | torch.Tensor,
    *,
    percentile: float | None = None,
    fpr: float | None = None,
) -> float:
    """The score above which an image is called anomalous, fitted on normal scores only.

    By percentile p: p% of normal images fall at or below it. By false-positive rate f: a
    fraction f of normal images lie above it. Percentile 99 and FPR 0.01 are the same threshold.
    """
    if percentile is not None and fpr is None:
        level = percentile
    elif fpr is not None and percentile is None:
        level = 100 * (1 - fpr)
    else:
        raise ValueError("give exactly one of percentile or fpr")
    if not 0 <= level <= 100:
        raise ValueError("percentile must be in [0, 100] and fpr in [0, 1]")
    return float(np.percentile(np.asarray(normal_scores, dtype=np.float64), level))


def percentiles(values: np.ndarray, normal_scores: np.ndarray | torch.Tensor) -> np.ndarray:
    """Percent of normal scores at or below each value: 99.5 means "higher than 99.5% of normal
    digits"."""
    normal = np.sort(np.asarray(normal_scores, dtype=np.float64))
    return 100 * np.searchsorted(normal, np.asarray(values, np.float64), side="right") / len(normal)


@dataclass
class Evaluation:
    auroc: float
    fpr: np.ndarray
    tpr: np.ndarray
    thresholds: np.ndarray


def evaluate(
    normal_scores: np.ndarray | torch.Tensor, anomaly_scores: np.ndarray | torch.Tensor
) -> Evaluation:
    """AUROC and the ROC curve, anomalies as the positive class (scikit-learn's implementation)."""
    from sklearn.metrics import roc_auc_score, roc_curve

    normal, anomalous = (
        np.asarray(normal_scores, dtype=np.float64),
        np.asarray(anomaly_scores, dtype=np.float64),
    )
    y = np.r_[np.zeros(len(normal)), np.ones(len(anomalous))]
    s = np.r_[normal, anomalous]
    fpr, tpr, thresholds = roc_curve(y, s)
    return Evaluation(float(roc_auc_score(y, s)), fpr, tpr, thresholds)


# The upload classifier (a checkpoint stem in checkpoints/) of each kind of data that has one:
# the digit classifier trained on uploads and synthetic non-digits ("recon+classifier").
UPLOAD_CLASSIFIERS = {"digits": "classifier-uploads"}


def upload_classifier_path(dataset: str, folder: Path) -> Path | None:
    """Where the upload classifier of ``dataset``'s kind lies in ``folder``; None: it has none."""
    stem = UPLOAD_CLASSIFIERS.get(kind_of(dataset).name)
    return folder / stem if stem else None


@dataclass(frozen=True)
class NormalUploads:
    """Held-out normal images taken down the upload road, in two halves that share no image:
    a detector's threshold is fitted on the first, its figures are measured on the second."""

    calibration: torch.Tensor
    evaluation: torch.Tensor


def normal_uploads(images: torch.Tensor, framing: Framing, seed: int = 0) -> NormalUploads:
    """Render ``images`` (held out from training) as uploads and read them back (gen_core.render),
    split in halves at random (the same halves for the same seed)."""
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))
    half = len(images) // 2
    calibration, _ = as_uploads(list(images[order[:half]]), framing, seed)
    evaluation, _ = as_uploads(list(images[order[half:]]), framing, seed + len(images))
    return NormalUploads(calibration, evaluation)


@dataclass(frozen=True)
class Judged:
    """A batch's verdicts, and the reconstructions and error maps that explain them."""

    scores: np.ndarray  # (N,), higher is less like the normal data
    percentiles: np.ndarray  # (N,) percent of normal scores at or below each score
    anomalous: np.ndarray  # (N,) bool: above the threshold
    recon: torch.Tensor  # (N, 1, 28, 28) in [0, 1]
    error_maps: torch.Tensor  # (N, 1, 28, 28), per-pixel terms of the score


@dataclass(frozen=True, eq=False)
class Detector:
    """A VAE, a score kind, the normal data it compares with, and a threshold fitted on the
    scores of normal images only: what the Anomaly page, the CLI and benchmarks judge with."""

    model: VAE[Any]
    kind: ScoreKind
    normal_scores: np.ndarray  # scores of the normal images the threshold is fitted on
    threshold: float
    reference: Reference | None = None  # what a combined score compares with
    classifier: Classifier | None = None  # the upload classifier, for "recon+classifier"

    @classmethod
    def fit(
        cls,
        model: VAE[Any],
        kind: ScoreKind,
        normal: torch.Tensor,
        *,
        training: torch.Tensor | None = None,
        classifier: Classifier | None = None,
        percentile: float | None = None,
        fpr: float | None = None,
    ) -> Detector:
        """Score ``normal`` images (held out from training, and for uploads taken down the
        upload road) and set the threshold among them by percentile or false-positive rate
        (default: DEFAULT_FPR). "sq-error+knn" also needs ``training`` (the normal training
        images), "recon+classifier" the upload ``classifier`` (its z-scores are fitted on
        ``normal``)."""
        reference = None
        if kind in NEEDS_CLASSIFIER and classifier is None:
            raise ValueError(f"the {kind} score needs the upload classifier")
        if kind == "sq-error+knn":
            if training is None:
                raise ValueError(f"the {kind} score needs the normal training images")
            reference = fit_reference(model, training, kind)
        elif kind in COMBINED:
            reference = fit_reference(model, normal, kind, classifier)
        normal_scores = score(model, normal, kind, reference, classifier=classifier).scores.numpy()
        cut = _cut(normal_scores, percentile, fpr)
        return cls(model, kind, normal_scores, cut, reference, classifier)

    def at(self, *, percentile: float | None = None, fpr: float | None = None) -> Detector:
        """The same detector with its threshold moved (nothing is scored again)."""
        return dataclasses.replace(self, threshold=_cut(self.normal_scores, percentile, fpr))

    @property
    def unit(self) -> str:
        return UNITS[self.kind]

    @property
    def false_alarm_rate(self) -> float:
        """The share of the normal images above the threshold: the false alarms to expect on
        images like them."""
        return float((self.normal_scores > self.threshold).mean())

    def scores(self, images: torch.Tensor) -> np.ndarray:
        """Scores alone (N,), for evaluations over whole test sets."""
        found = score(self.model, images, self.kind, self.reference, classifier=self.classifier)
        return found.scores.numpy()

    def judge(self, images: torch.Tensor) -> Judged:
        """Verdicts for a batch of images (uint8, or float in [0, 1], (N, 1, 28, 28))."""
        scored = score(self.model, images, self.kind, self.reference, classifier=self.classifier)
        values = scored.scores.double().numpy()
        return Judged(
            values,
            percentiles(values, self.normal_scores),
            values > self.threshold,
            scored.recon,
            scored.error_maps,
        )


def _cut(normal_scores: np.ndarray, percentile: float | None, fpr: float | None) -> float:
    if percentile is None and fpr is None:
        fpr = DEFAULT_FPR
    return threshold(normal_scores, percentile=percentile, fpr=fpr)
