"""Upload a digit photo on the Anomaly page in a real browser and read the verdict."""

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from gen_core.data import load_dataset

from ..helpers import draw

pytestmark = pytest.mark.slow  # real processes, servers or browsers: the full suite only

expect.set_options(timeout=30_000)


def test_upload_a_png_and_see_the_verdict_and_heatmap(page: Page, app_url: str, tmp_path):
    photo = tmp_path / "my-seven.png"
    Image.fromarray(255 - load_dataset("mnist-5k").test.images[705, 0].numpy()).resize(
        (300, 300)
    ).save(photo)
    page.goto(f"{app_url}/anomaly")
    expect(page.get_by_text("Threshold", exact=False).first).to_be_visible()
    page.locator('input[type="file"]').set_input_files(str(photo))
    expect(page.get_by_text("my-seven.png · ✅ normal", exact=False)).to_be_visible()
    expect(page.get_by_role("paragraph").filter(has_text="error map")).to_be_visible()
    expect(page.get_by_role("paragraph").filter(has_text="grayscale, inverted")).to_be_visible()


def test_draw_a_digit_with_the_mouse_and_get_a_verdict(page: Page, app_url: str):
    page.goto(f"{app_url}/anomaly")
    expect(page.get_by_text("Threshold", exact=False).first).to_be_visible()
    page.get_by_text("…or draw a digit").click()
    canvas = page.locator("canvas").filter(visible=True).last
    expect(canvas).to_be_visible()
    expect(page.get_by_text("the canvas is empty", exact=False)).to_be_visible()
    draw(page, canvas, [[(0.3, 0.2), (0.7, 0.2), (0.45, 0.85)]])  # a seven
    expect(page.get_by_text("your drawing ·", exact=False)).to_be_visible()
    expect(page.get_by_role("paragraph").filter(has_text="error map")).to_be_visible()
