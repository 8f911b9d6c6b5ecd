"""Training the measuring classifier: a short supervised loop, deterministic for a seed."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from gen_core.data import BatchStream, Split, random_shift, to_unit
from gen_core.device import own_rng, seeded_rng_state
from gen_core.models.classifier import Classifier, ClassifierConfig


def train_classifier(
    train: Split, *, epochs: int = 20, batch_size: int = 64, lr: float = 2e-3, seed: int = 0
) -> Classifier:
    """Adam with a cosine learning-rate decay on cross-entropy, small random shifts (±2 px) as
    augmentation; deterministic for a seed."""
    with own_rng(seeded_rng_state(seed)):
        model = Classifier(ClassifierConfig()).train()
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        stream = BatchStream(train.images, batch_size, seed, torch.device("cpu"))
        total = epochs * stream.batches_per_epoch
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, total)
        for _ in range(total):
            idx = stream.next_indices()
            x, y = random_shift(to_unit(train.images[idx]), 2), train.labels[idx]
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            schedule.step()
    return model.eval()
