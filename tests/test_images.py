"""Sample grids: drawn as torchvision draws them, read back tile by tile, animated."""

import io

import numpy as np
import pytest
import torch
from PIL import Image

from gen_core.images import from_grid, save_grid, to_gif, to_pil


def test_gif_holds_every_frame():
    frames = [Image.new("L", (10, 10), color) for color in (0, 128, 255)]
    gif = Image.open(io.BytesIO(to_gif(frames, 100)))
    assert gif.format == "GIF" and gif.n_frames == 3


def test_from_grid_gives_back_the_images_of_a_saved_grid(tmp_path):
    images = torch.rand(64, 1, 28, 28)
    path = save_grid(images, tmp_path / "grid.png")
    back = from_grid(Image.open(path))
    assert back.shape == (64, 1, 28, 28)
    assert (back - images).abs().max() <= 0.5 / 255 + 1e-6  # only the 8-bit rounding differs
    assert torch.equal(from_grid(Image.open(path), 10), back[:10])
    with pytest.raises(ValueError, match="does not hold"):
        from_grid(Image.open(path), 65)


def test_grids_are_laid_out_as_torchvision_make_grid_lays_them_out():
    from torchvision.utils import make_grid

    for n, nrow in ((1, 8), (5, 8), (9, 3), (64, 8)):
        images = torch.rand(n, 1, 28, 28)
        expected = make_grid(images, nrow=nrow, padding=2, pad_value=1.0)[0]
        expected = (expected * 255).round().to(torch.uint8).numpy()
        assert (np.asarray(to_pil(images, nrow=nrow)) == expected).all()
