"""Sample quality measured while a model trains: the Model report's sample figures, on a fixed
set of latents, with the test images' classifier features computed once.

A training run holds one :class:`QualityProbe` and measures at every third sample grid, so its
classifier FID can be charted beside the losses and runs ranked by where it ended.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import torch

from gen_core.analysis.metrics import class_histogram, entropy, frechet_distance
from gen_core.analysis.report import CONFIDENT
from gen_core.data import Split, subset
from gen_core.models.classifier import Classifier, predict

SAMPLES = 500  # a few per cent of a run's time at its ~60 sample steps, and a steady FID


@dataclass
class QualityProbe:
    """A classifier, ``n`` of the test images (their features computed at the first measure,
    so a run too short to measure pays nothing) and the seed of ``n`` fixed latents."""

    classifier: Classifier
    test: Split
    n: int = SAMPLES
    seed: int = 0

    @functools.cached_property
    def test_features(self) -> torch.Tensor:
        return predict(self.classifier, subset(self.test.images, self.n, self.seed))[1]

    @torch.no_grad()
    def measure(
        self, generate: Callable[[torch.Tensor], torch.Tensor], latents: torch.Tensor
    ) -> dict[str, float]:
        """Classifier FID against the test images, class entropy and the confident share of the
        images ``generate`` makes (in [0, 1]) from ``latents``, the probe's fixed set."""
        images = torch.cat([generate(z).float().cpu() for z in latents.split(250)])
        probs, features = predict(self.classifier, images)
        return {
            "fid": frechet_distance(features, self.test_features),
            "class_entropy": entropy(class_histogram(probs)),
            "confident": float((probs.max(1).values > CONFIDENT).float().mean()),
        }
