"""A small digit classifier: the measuring instrument behind classifier FID and class coverage.

Inception weights cannot be fetched offline, and for MNIST a domain classifier is the advised
feature extractor anyway (Heusel et al., 2017). The project trains its own, reproducibly, on the
training split of the dataset in use and ships it with its test accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from gen_core.data import Split, to_unit
from gen_core.models.base import Family


@dataclass
class ClassifierConfig:
    channels: int = 32  # feature maps of the first conv layer; the second has twice as many
    features: int = 128  # width of the penultimate layer: the features FID is computed on
    classes: int = 10  # the dataset's classes
    reject: bool = False  # one class more, "none of them", learned from outliers (uploads)


class Classifier(nn.Module):
    """conv-conv-pool ×2 -> features -> logits; ``features`` feeds the Fréchet distance."""

    name: ClassVar[str] = "classifier"
    family: ClassVar[Family] = "classifier"

    def __init__(self, config: ClassifierConfig) -> None:
        super().__init__()
        self.config = config
        c = config.channels
        self.body = nn.Sequential(
            nn.Conv2d(1, c, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # c x 14 x 14
            nn.Conv2d(c, 2 * c, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 2c x 7 x 7
            nn.Flatten(),
            nn.Dropout(0.25),
            nn.Linear(2 * c * 49, config.features),
            nn.ReLU(),
        )
        outputs = config.classes + int(config.reject)
        self.head = nn.Sequential(nn.Dropout(0.25), nn.Linear(config.features, outputs))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


@torch.inference_mode()
def predict(
    model: Classifier, images: torch.Tensor, batch_size: int = 1000
) -> tuple[torch.Tensor, torch.Tensor]:
    """(class probabilities (N, 10), features (N, F)) for images (uint8 or float in [0, 1])."""
    model.eval()
    probs, feats = [], []
    for i in range(0, len(images), batch_size):
        x = to_unit(images[i : i + batch_size])
        f = model.features(x)
        feats.append(f)
        probs.append(F.softmax(model.head(f), dim=1))
    return torch.cat(probs), torch.cat(feats)


def sure_counts(model: Classifier, images: torch.Tensor, sure: float) -> list[int]:
    """How many images the classifier reads as each class with more than ``sure`` certainty.

    An image read less surely, or read as "none of them" by a classifier with a reject class,
    counts for no class: an untrained generator's grey blobs are not zeros.
    """
    probs, _ = predict(model, images)
    best, read = probs.max(1)
    kept = read[(best > sure) & (read < model.config.classes)]
    return torch.bincount(kept, minlength=model.config.classes).tolist()


def accuracy(model: Classifier, split: Split) -> float:
    probs, _ = predict(model, split.images)
    return float((probs.argmax(1) == split.labels).float().mean())
