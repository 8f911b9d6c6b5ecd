"""DiffAugment (Zhao et al., 2020): the same random translation and cutout applied to real and
fake images before every discriminator pass, differentiably, so G's gradients pass through.

With few training images a discriminator memorises them and its feedback to G degrades;
augmenting both what D sees of the data and of G keeps D from memorising, without teaching G
to draw augmented digits (augmenting the reals alone would). Grayscale here: no colour ops.

The sizes are for 28-px digits, not the paper's 32-px photographs (shifts of 1/8, a square of
half the side): MNIST centres each digit in a 20-px box, which leaves it 0 to 4 px of margin
(under 4 px for three of mnist-5k's digits in four), so a 4-px shift pushes strokes out of the
frame, and a 14-px square erases most of a digit. At equal steps on mnist-5k the paper's
sizes scored FID 187 where these scored 120 (BENCHMARKS.md).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

BACKGROUND = -1.0  # images reach D in [-1, 1]: what a shift uncovers or a cutout erases is paper
SHIFT = 1 / 14  # up to 2 px each way on 28 px
CUT = 1 / 4  # a 7-px square


def translate(x: torch.Tensor, ratio: float = SHIFT) -> torch.Tensor:
    """Each image shifted by whole pixels, up to ``ratio`` of its size each way."""
    n, _, h, w = x.shape
    most_y, most_x = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dy = torch.randint(-most_y, most_y + 1, (n, 1, 1), device=x.device)
    dx = torch.randint(-most_x, most_x + 1, (n, 1, 1), device=x.device)
    padded = F.pad(x, (most_x, most_x, most_y, most_y), value=BACKGROUND)
    rows = torch.arange(h, device=x.device)[None, :, None] + most_y - dy  # (n, h, 1)
    cols = torch.arange(w, device=x.device)[None, None, :] + most_x - dx  # (n, 1, w)
    index = torch.arange(n, device=x.device)[:, None, None]
    return padded[index, :, rows, cols].permute(0, 3, 1, 2)  # (n, h, w, c) -> (n, c, h, w)


def cutout(x: torch.Tensor, ratio: float = CUT) -> torch.Tensor:
    """Each image with one square of ``ratio`` of its size, anywhere, set to the background."""
    n, _, h, w = x.shape
    size_y, size_x = int(h * ratio + 0.5), int(w * ratio + 0.5)
    top = torch.randint(0, h - size_y + 1, (n, 1, 1), device=x.device)
    left = torch.randint(0, w - size_x + 1, (n, 1, 1), device=x.device)
    rows = torch.arange(h, device=x.device)[None, :, None]
    cols = torch.arange(w, device=x.device)[None, None, :]
    inside = (rows >= top) & (rows < top + size_y) & (cols >= left) & (cols < left + size_x)
    return torch.where(inside[:, None], torch.full_like(x, BACKGROUND), x)


def diff_augment(x: torch.Tensor) -> torch.Tensor:
    """The paper's policy for small data, sized for digits: translation, then cutout."""
    return cutout(translate(x))
