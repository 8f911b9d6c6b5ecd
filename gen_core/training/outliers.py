"""Synthetic images that are not digits, for outlier exposure (Hendrycks et al., 2019).

A classifier trained on digits alone is confident on anything, a shirt included. Shown these
as well, with the loss pushing its prediction towards uniform, it learns what a digit is not:
filled regions, textures, holes. None of them is a real object (no clothes, no letters), so
what it learns is general, and the benchmark's clothes stay unseen. Thin shapes are left out:
framed for upload, a thin bar looks like a one.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

SIDE = 112
MAX_ASPECT = 2.5  # longer side over shorter side of a shape's extent


def outlier(rng: np.random.Generator) -> np.ndarray:
    """One image (SIDE x SIDE, uint8, white on black) of one to three filled shapes, with a
    texture (smooth, striped or grainy) and sometimes holes."""
    while True:
        image = _shapes(rng)
        rows, cols = np.nonzero(image > 40)
        if len(rows):
            h, w = np.ptp(rows) + 1, np.ptp(cols) + 1
            if max(h, w) / min(h, w) <= MAX_ASPECT:
                return image


def outliers(n: int, seed: int = 0) -> list[np.ndarray]:
    """``n`` outlier images, the same ones for the same seed."""
    rng = np.random.default_rng(seed)
    return [outlier(rng) for _ in range(n)]


def _shapes(rng: np.random.Generator) -> np.ndarray:
    image = Image.new("L", (SIDE, SIDE), 0)
    draw = ImageDraw.Draw(image)
    for _ in range(rng.integers(1, 4)):
        grey = int(rng.integers(90, 256))
        x0, y0 = rng.uniform(0, SIDE * 0.6, 2)
        w, h = rng.uniform(SIDE * 0.2, SIDE * 0.9, 2)
        box = (x0, y0, min(SIDE, x0 + w), min(SIDE, y0 + h))
        kind = rng.integers(0, 3)
        if kind == 0:
            draw.ellipse(box, fill=grey)
        elif kind == 1:
            draw.rectangle(box, fill=grey)
        else:
            corners = rng.integers(3, 8)
            angles = np.sort(rng.uniform(0, 2 * np.pi, corners))
            radii = rng.uniform(0.3, 0.5, corners)
            cx, cy = x0 + w / 2, y0 + h / 2
            polygon = [
                (cx + r * w * np.cos(a), cy + r * h * np.sin(a))
                for r, a in zip(radii, angles, strict=True)
            ]
            draw.polygon(polygon, fill=grey)
    pixels = np.asarray(image, dtype=np.float64) * _texture(rng)
    if rng.random() < 0.4:
        pixels *= 1 - _holes(rng)
    return pixels.clip(0, 255).astype(np.uint8)


def _texture(rng: np.random.Generator) -> np.ndarray:
    """A multiplier in [0.5, 1]: flat, smooth blotches, stripes at any angle, or grain."""
    kind = rng.integers(0, 4)
    if kind == 0:
        return np.ones((SIDE, SIDE))
    if kind == 1:
        coarse = Image.fromarray((rng.random((8, 8)) * 255).astype(np.uint8))
        return 0.5 + 0.5 * np.asarray(coarse.resize((SIDE, SIDE), Image.Resampling.BICUBIC)) / 255
    if kind == 2:
        period, angle = rng.integers(4, 16), rng.uniform(0, np.pi)
        yy, xx = np.mgrid[:SIDE, :SIDE]
        wave = np.sin((xx * np.cos(angle) + yy * np.sin(angle)) * 2 * np.pi / period)
        return 0.6 + 0.4 * (wave > 0)
    return 0.6 + 0.4 * rng.random((SIDE, SIDE))


def _holes(rng: np.random.Generator) -> np.ndarray:
    holes = Image.new("L", (SIDE, SIDE), 0)
    draw = ImageDraw.Draw(holes)
    for _ in range(rng.integers(1, 4)):
        x0, y0 = rng.uniform(0, SIDE * 0.8, 2)
        size = rng.uniform(SIDE * 0.05, SIDE * 0.25)
        draw.ellipse((x0, y0, x0 + size, y0 + size), fill=255)
    return np.asarray(holes, dtype=np.float64) / 255
