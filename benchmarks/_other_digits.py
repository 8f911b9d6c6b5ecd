"""Digits that are not MNIST's: typed in fonts and drawn as strokes, as white ink on black.

The anomaly benchmark checks that a detector fitted on MNIST still calls these normal once
they are uploaded (rendered to files by gen_core.render). Two sources:
- fonts: every digit in each font found on this machine, handwriting fonts first (Debian's
  fonts-dkg-handwriting, fonts-breip, fonts-comic-neue, fonts-humor-sans,
  fonts-bwht, fonts-dancingscript, fonts-kaushanscript, fonts-rufscript) and print fonts
  (DejaVu, Liberation);
- drawn: each digit as pen strokes (a skeleton per digit, jittered, at random widths), as a
  person draws with a mouse or a finger.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

HANDWRITING = (
    "fifthhorseman/dkg.ttf",
    "breip/Breip.ttf",
    "comic-neue/ComicNeue-Regular.otf",
    "humor-sans/Humor-Sans.ttf",
    "bwht/BecauseWeBuild-Regular.otf",
    "bwht/BecauseWeConnect-Regular.otf",
    "bwht/BecauseWeCreate-Regular.otf",
    "bwht/BecauseWeLearn-Regular.otf",
    "bwht/BecauseWeMentor-Regular.otf",
    "bwht/BecauseWeOrganize-Regular.otf",
    "dancingscript/DancingScript-Regular.otf",
    "kaushanscript/KaushanScript-Regular.otf",
    "rufscript/Rufscript010.ttf",
)
PRINT = (
    "dejavu/DejaVuSans.ttf",
    "dejavu/DejaVuSans-Bold.ttf",
    "dejavu/DejaVuSerif.ttf",
    "dejavu/DejaVuSansMono.ttf",
    "liberation/LiberationSans-Regular.ttf",
    "liberation/LiberationSerif-Regular.ttf",
    "liberation/LiberationMono-Regular.ttf",
    "liberation/LiberationSansNarrow-Regular.ttf",
)
FONT_DIRS = (Path("/usr/share/fonts/truetype"), Path("/usr/share/fonts/opentype"))
SIDE = 200


def font_files(names: tuple[str, ...]) -> list[Path]:
    """The fonts of ``names`` that are installed here."""
    return [d / n for n in names for d in FONT_DIRS if (d / n).is_file()]


def font_digit(font: Path, digit: int) -> np.ndarray:
    """One digit typed in a font, white on black, cropped to its ink."""
    canvas = Image.new("L", (SIDE * 2, SIDE * 2), 0)
    face = ImageFont.truetype(str(font), SIDE)
    ImageDraw.Draw(canvas).text((SIDE // 2, SIDE // 4), str(digit), fill=255, font=face)
    pixels = np.asarray(canvas)
    rows, cols = np.nonzero(pixels > 40)
    return pixels[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]


def fonts(names: tuple[str, ...]) -> tuple[list[np.ndarray], list[int]]:
    """Every digit in each installed font of ``names``, and its label."""
    images, labels = [], []
    for font in font_files(names):
        for digit in range(10):
            images.append(font_digit(font, digit))
            labels.append(digit)
    return images, labels


def _arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, n: int = 24) -> list:
    """Points along an ellipse from angle a0 to a1 (degrees, 0 = right, 90 = down)."""
    return [(cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
            for a in np.linspace(a0, a1, n)]  # fmt: skip


# Each digit as strokes in a unit box (x right, y down), the way people commonly write it.
SKELETONS: dict[int, list[list[tuple[float, float]]]] = {
    0: [_arc(0.5, 0.5, 0.3, 0.45, -90, 275)],
    1: [[(0.38, 0.22), (0.55, 0.05), (0.55, 0.95)]],
    2: [_arc(0.5, 0.3, 0.28, 0.25, 200, 370) + [(0.2, 0.95), (0.82, 0.95)]],
    3: [_arc(0.48, 0.28, 0.27, 0.23, 200, 450) + _arc(0.48, 0.72, 0.3, 0.23, -90, 160)],
    4: [[(0.6, 0.05), (0.15, 0.65), (0.85, 0.65)], [(0.65, 0.3), (0.65, 0.95)]],
    5: [[(0.78, 0.05), (0.3, 0.05), (0.26, 0.45)] + _arc(0.48, 0.68, 0.3, 0.27, -110, 150)],
    6: [[(0.68, 0.05)] + _arc(0.5, 0.68, 0.3, 0.27, 200, 560)],
    7: [[(0.18, 0.05), (0.82, 0.05), (0.38, 0.95)]],
    8: [_arc(0.5, 0.27, 0.24, 0.22, 90, 450), _arc(0.5, 0.72, 0.29, 0.23, -90, 270)],
    9: [_arc(0.5, 0.3, 0.28, 0.25, 0, 360) + [(0.78, 0.3), (0.72, 0.95)]],
}


def drawn_digit(digit: int, rng: np.random.Generator) -> np.ndarray:
    """A digit drawn as pen strokes: its skeleton jittered, slanted and stretched, at a random
    pen width, white on black (as a drawing canvas gives it)."""
    canvas = Image.new("L", (SIDE, SIDE), 0)
    draw = ImageDraw.Draw(canvas)
    slant, stretch = rng.uniform(-0.25, 0.15), rng.uniform(0.75, 1.1)
    width = int(rng.uniform(0.05, 0.13) * SIDE)
    wobble = rng.normal(0, 0.015, 2)
    for stroke in SKELETONS[digit]:
        points = []
        for x, y in stroke:
            x, y = x + rng.normal(0, 0.012) + wobble[0], y + rng.normal(0, 0.012) + wobble[1]
            x = 0.5 + (x - 0.5) * stretch + slant * (0.5 - y)
            points.append((0.1 * SIDE + 0.8 * SIDE * x, 0.1 * SIDE + 0.8 * SIDE * y))
        draw.line(points, fill=255, width=width, joint="curve")
        for end in (points[0], points[-1]):  # round pen ends
            r = width / 2
            draw.ellipse((end[0] - r, end[1] - r, end[0] + r, end[1] + r), fill=255)
    return np.asarray(canvas)


def drawn(per_digit: int, seed: int = 0) -> tuple[list[np.ndarray], list[int]]:
    """``per_digit`` drawings of every digit, and their labels."""
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for digit in range(10):
        for _ in range(per_digit):
            images.append(drawn_digit(digit, rng))
            labels.append(digit)
    return images, labels
