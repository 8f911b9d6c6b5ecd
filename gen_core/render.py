"""A 28x28 image as the file a person would upload: a scan or a photo of it, as bytes.

Uploads are not dataset tensors: they arrive at any size, dark ink on light paper or the
reverse, with margins, blur, JPEG artefacts, a slight tilt and sensor noise. A detector's
threshold, and every figure about uploads, must come from images that took that road, so
this module renders reference images into such files; ``preprocess.prepare`` then reads
them back exactly as it reads an upload.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageFilter

from gen_core.preprocess import MNIST, Framing, ImageRejected, prepare


@dataclass(frozen=True)
class Look:
    """How one rendered upload looks."""

    side: int  # pixels of the square file, 28 to ~600
    dark_on_light: bool  # ink darker than the paper, as in a scan or a photo of paper
    margin: float  # blank border on each side, as a fraction of the side
    rotation: float  # degrees, counter-clockwise
    blur: float  # Gaussian blur radius, in output pixels
    noise: float  # standard deviation of sensor noise, in grey levels
    paper: int  # grey level of the background (light) before any inversion
    ink: int  # grey level of full ink (dark)
    jpeg: int  # JPEG quality; 0 writes a PNG

    @property
    def format(self) -> str:
        return "JPEG" if self.jpeg else "PNG"


def random_looks(n: int, seed: int = 0) -> list[Look]:
    """``n`` looks drawn from the range uploads arrive in; the same list for the same seed."""
    rng = np.random.default_rng(seed)
    looks = []
    for _ in range(n):
        side = int(np.exp(rng.uniform(np.log(28), np.log(600))))
        looks.append(
            Look(
                side=side,
                dark_on_light=bool(rng.random() < 0.7),
                margin=float(rng.uniform(0.0, 0.25)),
                rotation=float(rng.uniform(-8, 8)),
                blur=float(rng.uniform(0.3, 1.5) * side / 100) if rng.random() < 0.5 else 0.0,
                noise=float(rng.uniform(2, 12)) if rng.random() < 0.5 else 0.0,
                paper=int(rng.integers(200, 256)),
                ink=int(rng.integers(0, 70)),
                jpeg=int(rng.integers(60, 96)) if rng.random() < 0.5 else 0,
            )
        )
    return looks


def render(image: torch.Tensor | np.ndarray, look: Look, seed: int = 0) -> bytes:
    """The upload file of one image: white ink on black, (H, W) or (1, H, W), uint8 or float in
    [0, 1] (a 28x28 dataset image, or a larger drawing); its longer side fills the frame."""
    pixels = np.asarray(image, dtype=np.float64)
    h, w = np.shape(pixels)[-2:]
    pixels = pixels.reshape(h, w)
    if pixels.max() <= 1.0:
        pixels = pixels * 255
    inner = max(8, round(look.side * (1 - 2 * look.margin)))
    size = (max(1, round(inner * w / max(h, w))), max(1, round(inner * h / max(h, w))))
    ink = Image.fromarray(pixels.clip(0, 255).astype(np.uint8)).resize(
        size, Image.Resampling.BICUBIC
    )
    canvas = Image.new("L", (look.side, look.side), 0)
    canvas.paste(ink, ((look.side - size[0]) // 2, (look.side - size[1]) // 2))
    canvas = canvas.rotate(look.rotation, Image.Resampling.BILINEAR, fillcolor=0)
    if look.blur:
        canvas = canvas.filter(ImageFilter.GaussianBlur(look.blur))
    amount = np.asarray(canvas, dtype=np.float64) / 255  # 1 where there is full ink
    if look.dark_on_light:
        grey = look.paper + (look.ink - look.paper) * amount
    else:
        grey = (255 - look.paper) + (look.paper - look.ink) * amount
    if look.noise:
        grey = grey + np.random.default_rng(seed).normal(0, look.noise, grey.shape)
    out = Image.fromarray(grey.clip(0, 255).round().astype(np.uint8))
    buffer = io.BytesIO()
    if look.jpeg:
        out.save(buffer, format="JPEG", quality=look.jpeg)
    else:
        out.save(buffer, format="PNG")
    return buffer.getvalue()


def render_all(images: Sequence[torch.Tensor | np.ndarray], seed: int = 0) -> list[bytes]:
    """Every image rendered with its own random look (seeded), as a batch of upload files."""
    looks = random_looks(len(images), seed)
    return [
        render(image, look, seed + i)
        for i, (image, look) in enumerate(zip(images, looks, strict=True))
    ]


def as_uploads(
    images: Sequence[torch.Tensor | np.ndarray], framing: Framing = MNIST, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Images taken down the upload road: rendered to files, then read back by ``prepare`` as
    an upload is, (N, 1, 28, 28) in [0, 1], and the indices of the images they came from (one
    that ``prepare`` would refuse, all but blank once rendered, is left out)."""
    prepared, kept = [], []
    for i, data in enumerate(render_all(images, seed)):
        with contextlib.suppress(ImageRejected):
            prepared.append(prepare(data, f"rendered #{i}", framing).tensor)
            kept.append(i)
    stacked = torch.stack(prepared) if prepared else torch.empty(0, 1, 28, 28)
    return stacked, torch.tensor(kept, dtype=torch.int64)
