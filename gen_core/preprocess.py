"""Any photo or scan -> a 28x28 image framed as the model's dataset was, keeping every stage.

MNIST digits are white on black, size-normalised to fit 20x20 with their aspect kept, and
centred by centre of mass in a 28x28 frame (LeCun et al., 1998). Fashion-MNIST items were
trimmed, resized so the longest side is 28 and centred in the frame (Xiao et al., 2017).
Uploads are made the same way as the model's data. Files are opened only from an allow-list
of formats, with Pillow's decompression-bomb limit lowered, and every refusal is an
:class:`ImageRejected` with a message for a person.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = ("PNG", "JPEG")
MAX_BYTES = 10_000_000
MAX_PIXELS = 40_000_000  # a 12-megapixel phone photo passes; a decompression bomb does not
WORK_SIDE = 512  # big photos are shrunk to this before any pixel work
MIN_SIDE = 8
MIN_INK_FRACTION = 0.001
MAX_GRAIN = 12.0  # grey levels of sensor noise taken off before finding the ink


@dataclass(frozen=True)
class Framing:
    """How a dataset placed its objects in the 28x28 frame."""

    fit: int  # longest side of the object after resizing
    by_mass: bool  # centred by centre of mass (MNIST) or by its bounding box (Fashion-MNIST)
    label: str  # how the last stage is captioned


MNIST = Framing(fit=20, by_mass=True, label="MNIST-style 28×28")
FASHION = Framing(fit=28, by_mass=False, label="Fashion-MNIST-style 28×28")


def framing_for(dataset: str) -> Framing:
    """The framing of a dataset by name: Fashion-MNIST's for it, MNIST's for the digit sets."""
    return FASHION if dataset == "fashion-mnist" else MNIST


class ImageRejected(ValueError):
    """An upload that cannot be turned into a digit; the message says what is wrong."""


@dataclass
class Stages:
    """Each step of the conversion, as images a page can show, and the result as a tensor."""

    original: Image.Image
    gray: Image.Image
    inverted: bool
    cropped: Image.Image
    fitted: Image.Image
    centred: Image.Image
    tensor: torch.Tensor  # (1, 28, 28) float in [0, 1], white ink on black


def open_image(data: bytes, name: str = "upload") -> Image.Image:
    """Decode an upload safely: allowed formats only, size and bomb limits, one frame, upright."""
    if not data:
        raise ImageRejected(f"{name} is empty.")
    if len(data) > MAX_BYTES:
        raise ImageRejected(
            f"{name} is {len(data) / 1e6:.1f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
            if image.width * image.height > MAX_PIXELS:
                raise ImageRejected(
                    f"{name} is {image.width}x{image.height} pixels: too large to be a digit photo (limit {MAX_PIXELS / 1e6:.0f} megapixels)."
                )
            frames = getattr(image, "n_frames", 1)
            if frames > 1:
                raise ImageRejected(
                    f"{name} is animated ({frames} frames): upload a single still image."
                )
            image.load()
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(
            f"{name} declares more pixels than it could honestly hold (a decompression bomb) and was not opened."
        ) from None
    except UnidentifiedImageError:
        raise ImageRejected(
            f"{name} is not a PNG or JPEG image (whatever its file name says)."
        ) from None
    except (OSError, SyntaxError, ValueError) as err:
        raise ImageRejected(f"{name} is damaged or truncated and cannot be read ({err}).") from None
    return ImageOps.exif_transpose(image)


def to_gray(image: Image.Image) -> Image.Image:
    """8-bit grayscale from any mode: 16-bit and float rescaled, CMYK and palettes converted,
    and transparency resolved (when colour is flat and only alpha varies, alpha is the ink)."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        array = np.asarray(image, dtype=np.float64)
        lo, hi = float(array.min()), float(array.max())
        scaled = (array - lo) / (hi - lo) * 255 if hi > lo else np.zeros_like(array)
        return Image.fromarray(scaled.astype(np.uint8))
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        alpha = np.asarray(rgba.getchannel("A"), dtype=np.float64)
        gray = np.asarray(rgba.convert("L"), dtype=np.float64)
        if alpha.std() > 1 and gray[alpha > 0].std() < 8:
            return Image.fromarray(
                alpha.astype(np.uint8)
            )  # ink drawn in the alpha channel: white on black
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("L")
    return image.convert("L")


def prepare(data: bytes | Image.Image, name: str = "upload", framing: Framing = MNIST) -> Stages:
    """Every stage from an upload (bytes) or an image to a 28x28 image framed like the data."""
    original = open_image(data, name) if isinstance(data, bytes) else data
    if min(original.size) < MIN_SIDE:
        raise ImageRejected(
            f"{name} is {original.width}x{original.height} pixels: too small to hold a digit (at least {MIN_SIDE}x{MIN_SIDE})."
        )
    work = original.copy()
    work.thumbnail((WORK_SIDE, WORK_SIDE), Image.Resampling.LANCZOS)
    array = np.asarray(to_gray(work), dtype=np.float64)
    inverted = bool(np.median(_border(array)) > 127)  # light paper, dark ink: flip to MNIST's
    if inverted:
        array = 255 - array
    gray = Image.fromarray(array.astype(np.uint8))  # as the caption says: inverted when it was
    border = _border(array)
    background = np.median(border)
    # The paper's noise, robustly; capped, for an object that touches the border is no noise.
    grain = min(1.4826 * np.median(np.abs(border - background)), MAX_GRAIN)
    ink = np.clip(array - background - 3 * grain, 0, None)
    if ink.max() < 30 or (ink > 0.3 * ink.max()).mean() < MIN_INK_FRACTION:
        raise ImageRejected(
            f"{name} has no ink: it is blank (all one shade) or too faint to hold a digit."
        )
    ink = ink / ink.max() * 255
    # The box around the ink, from a median-filtered mask: lone specks of noise or JPEG ringing
    # far from the digit would otherwise stretch it and shrink the digit in the frame.
    mask = Image.fromarray(((ink > 0.2 * 255) * 255).astype(np.uint8)).filter(
        ImageFilter.MedianFilter(3)
    )
    rows, cols = np.nonzero(np.asarray(mask))
    if not len(rows):
        rows, cols = np.nonzero(ink > 0.2 * 255)
    crop = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    cropped = Image.fromarray(crop.astype(np.uint8))
    scale = framing.fit / max(crop.shape)
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    fitted = cropped.resize(size, Image.Resampling.LANCZOS)
    place = _centre_by_mass if framing.by_mass else _centre_by_box
    centred = place(np.asarray(fitted, dtype=np.float64))
    tensor = torch.from_numpy(centred / 255).float().unsqueeze(0)
    return Stages(
        original, gray, inverted, cropped, fitted, Image.fromarray(centred.astype(np.uint8)), tensor
    )


def _border(array: np.ndarray) -> np.ndarray:
    """The outermost pixels of an image: its paper, in a scan or a photo of a digit."""
    return np.concatenate([array[0], array[-1], array[:, 0], array[:, -1]])


def _centre_by_box(item: np.ndarray) -> np.ndarray:
    """Place the item in 28x28 with equal margins (its bounding box centred)."""
    frame = np.zeros((28, 28))
    h, w = item.shape
    top, left = (28 - h) // 2, (28 - w) // 2
    frame[top : top + h, left : left + w] = item
    return np.clip(frame, 0, 255)


def _centre_by_mass(digit: np.ndarray) -> np.ndarray:
    """Place the digit in 28x28 so its centre of mass sits at the centre (14, 14)."""
    frame = np.zeros((28, 28))
    h, w = digit.shape
    total = digit.sum()
    cy = (digit.sum(1) @ np.arange(h)) / total if total else (h - 1) / 2
    cx = (digit.sum(0) @ np.arange(w)) / total if total else (w - 1) / 2
    top = int(np.clip(round(13.5 - cy), 0, 28 - h))
    left = int(np.clip(round(13.5 - cx), 0, 28 - w))
    frame[top : top + h, left : left + w] = digit
    return np.clip(frame, 0, 255)
