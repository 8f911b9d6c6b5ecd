"""Training the classifiers: a short supervised loop, deterministic for a seed.

The measuring classifier learns the dataset's own images. The upload classifier, which the
Anomaly page's combined score asks "is this a digit at all?", learns the same digits as they
arrive as uploads (gen_core.render) and, by outlier exposure, synthetic images that are no
digit (gen_core.training.outliers).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from gen_core.data import BatchStream, Split, random_shift, to_unit
from gen_core.device import own_rng, seeded_rng_state
from gen_core.models.classifier import Classifier, ClassifierConfig
from gen_core.preprocess import Framing
from gen_core.render import as_uploads
from gen_core.training.outliers import outliers as synthetic_outliers


def train_classifier(
    train: Split,
    *,
    epochs: int = 20,
    batch_size: int = 64,
    lr: float = 2e-3,
    seed: int = 0,
    outliers: torch.Tensor | None = None,
) -> Classifier:
    """Adam with a cosine learning-rate decay on cross-entropy, small random shifts (±2 px) as
    augmentation; deterministic for a seed. With ``outliers`` (images of no class) the model
    has one class more, "none of them", and every batch also holds half as many outliers
    labelled with it (outlier exposure with a reject class, after Hendrycks et al. 2019)."""
    with own_rng(seeded_rng_state(seed)):
        model = Classifier(ClassifierConfig(reject=outliers is not None)).train()
        none = model.config.classes  # the label of "none of them"
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        stream = BatchStream(train.images, batch_size, seed, torch.device("cpu"))
        others = (
            BatchStream(outliers, batch_size // 2, seed + 1, torch.device("cpu"))
            if outliers is not None
            else None
        )
        total = epochs * stream.batches_per_epoch
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, total)
        for _ in range(total):
            idx = stream.next_indices()
            x, y = random_shift(to_unit(train.images[idx]), 2), train.labels[idx]
            if others is not None:
                x = torch.cat([x, random_shift(to_unit(others.next()), 2)])
                y = torch.cat([y, torch.full((len(x) - len(y),), none)])
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            schedule.step()
    return model.eval()


def upload_training_set(
    train: Split, copies: int, framing: Framing, seed: int = 0
) -> tuple[Split, torch.Tensor]:
    """``copies`` renderings of every training image through the upload road, and as many
    synthetic outliers as training images, taken down the same road (uint8 tensors)."""
    images, labels = [], []
    for k in range(copies):
        rendered, kept = as_uploads(list(train.images), framing, seed + 1000 * k)
        images.append(rendered)
        labels.append(train.labels[kept])
    others, _ = as_uploads(synthetic_outliers(len(train), seed), framing, seed + 999_999)
    to_bytes = lambda x: (x * 255).round().to(torch.uint8)  # noqa: E731
    return Split(to_bytes(torch.cat(images)), torch.cat(labels)), to_bytes(others)
