"""Image tensors to pictures: grids for sample snapshots and single digits for pages."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from gen_core.files import atomic_write


def _corners(n: int, cols: int, size: tuple[int, int], padding: int) -> list[tuple[int, int]]:
    """Top-left pixel of each tile in a grid of ``cols`` columns (torchvision's make_grid layout)."""
    h, w = size
    return [
        (padding + (i // cols) * (h + padding), padding + (i % cols) * (w + padding))
        for i in range(n)
    ]


def to_pil(images: torch.Tensor, nrow: int = 8, padding: int = 2, scale: int = 1) -> Image.Image:
    """A grayscale grid (or one image) from (N, 1, H, W) or (1, H, W) values in [0, 1];
    ``scale`` enlarges it with nearest-neighbour, so browsers show crisp pixels.

    Laid out as torchvision's make_grid does, but without importing torchvision: in a training
    process that import alone costs 160 MB of memory and about 2 s of start-up.
    """
    if images.dim() == 3:
        images = images.unsqueeze(0)
    images = images.detach().float().cpu().clamp(0, 1)[:, 0]
    n, h, w = images.shape
    if n == 1:  # one image is drawn bare
        grid = images[0]
    else:
        cols = min(nrow, n)
        rows = (n + cols - 1) // cols
        grid = torch.full((rows * (h + padding) + padding, cols * (w + padding) + padding), 1.0)
        for image, (y, x) in zip(images, _corners(n, cols, (h, w), padding), strict=True):
            grid[y : y + h, x : x + w] = image
    picture = Image.fromarray((grid * 255).round().to(torch.uint8).numpy())  # 2-D uint8: mode "L"
    if scale > 1:
        return picture.resize(
            (picture.width * scale, picture.height * scale), Image.Resampling.NEAREST
        )
    return picture


def png_bytes(image: Image.Image) -> bytes:
    """PNG file contents, for a download button."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def save_grid(images: torch.Tensor, path: str | Path, nrow: int = 8) -> Path:
    """Write a PNG grid, atomically, so a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    picture = to_pil(images, nrow=nrow)
    return atomic_write(path, lambda tmp: picture.save(tmp, format="PNG"))


def from_grid(
    image: Image.Image, n: int | None = None, nrow: int = 8, padding: int = 2, size: int = 28
) -> torch.Tensor:
    """The first ``n`` images (every whole tile when None) of a grid drawn by :func:`to_pil`, as
    (N, 1, size, size) in [0, 1]: a run's saved sample grids can be measured again later."""
    array = torch.from_numpy(np.asarray(image.convert("L"), dtype=np.float32) / 255)
    step = size + padding
    rows, cols = (array.shape[0] - padding) // step, min(nrow, (array.shape[1] - padding) // step)
    n = rows * cols if n is None else n
    if n > rows * cols or n < 1:
        raise ValueError(
            f"a {array.shape[1]}x{array.shape[0]} picture does not hold {n} grid tiles"
        )
    corners = _corners(n, cols, (size, size), padding)
    return torch.stack([array[y : y + size, x : x + size] for y, x in corners]).unsqueeze(1)


def to_gif(frames: Sequence[Image.Image], ms_per_frame: int = 200) -> bytes:
    """An animated GIF of the frames (e.g. a run's sample grids in order), looping forever."""
    if not frames:
        raise ValueError("a GIF needs at least one frame")
    buffer = io.BytesIO()
    frames[0].save(
        buffer, format="GIF", save_all=True, append_images=frames[1:], duration=ms_per_frame, loop=0
    )
    return buffer.getvalue()


def heatmap(values: torch.Tensor, scale: int = 1) -> Image.Image:
    """A black-red-yellow picture of non-negative values (H, W) or (1, H, W), brightest at the max."""
    v = values.detach().float().cpu().reshape(values.shape[-2:])
    v = (v / v.max()).clamp(0, 1) if v.max() > 0 else torch.zeros_like(v)
    rgb = torch.stack([(v * 2).clamp(0, 1), (v * 2 - 1).clamp(0, 1), torch.zeros_like(v)], -1)
    image = Image.fromarray((rgb * 255).round().to(torch.uint8).numpy())
    return (
        image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
        if scale > 1
        else image
    )
