"""Drag the interpolation slider, upload or draw endpoints, click and draw on the latent map in
a real browser."""

import math

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from gen_core.data import load_dataset

from ..helpers import draw

pytestmark = pytest.mark.slow  # real processes, servers or browsers: the full suite only

expect.set_options(timeout=30_000)


def image_src(page: Page, caption: str) -> str:
    """The src of the image shown with this caption (Streamlit puts the caption under the img)."""
    return page.evaluate(
        """(caption) => { const fig = [...document.querySelectorAll('[data-testid="stImageContainer"], [data-testid="stImage"]')]
               .find(el => el.innerText.trim() === caption);
           return fig ? fig.querySelector('img').src : null; }""",
        caption,
    )


def pick_checkpoint(page: Page, label: str) -> None:
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').click()
    page.get_by_role("option", name=label, exact=True).click()


def test_drag_the_slider_and_walk_between_uploaded_digits(page: Page, app_url: str, tmp_path):
    page.goto(f"{app_url}/interpolate")
    expect(page.get_by_text("position 0.50").first).to_be_visible()
    before = image_src(page, "position 0.50")
    assert before
    slider = page.get_by_role("slider").nth(1)  # "Frames per leg", then "Position along the path"
    slider.focus()
    for _ in range(20):
        page.keyboard.press("ArrowRight")
    expect(page.get_by_text("position 0.70").first).to_be_visible()
    assert image_src(page, "position 0.70") != before

    pick_checkpoint(page, "vae (shipped)")
    page.get_by_text("Upload", exact=True).click()
    files = []
    test = load_dataset("mnist-5k").test
    for index in (5, 705):  # a 0 and a 7, drawn black on white as on paper
        path = tmp_path / f"digit{index}.png"
        Image.fromarray(255 - test.images[index, 0].numpy()).resize((120, 120)).save(path)
        files.append(str(path))
    page.locator('input[type="file"]').set_input_files(files)
    expect(page.get_by_text("Spherical (slerp)")).to_be_visible()
    expect(
        page.get_by_role("paragraph").filter(has_text="digit5.png")
    ).to_be_visible()  # the caption under the digit


def click_map_point(page: Page, trace: int, point: int) -> None:
    """Click where plotly drew a point of the latent map (data -> pixel through its axes)."""
    box = page.locator(".js-plotly-plot").first.bounding_box()
    x, y = page.evaluate(
        """([trace, point]) => { const gd = document.querySelector('.js-plotly-plot');
               const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, d = gd._fullData[trace];
               return [xa._offset + xa.l2p(d.x[point]), ya._offset + ya.l2p(d.y[point])]; }""",
        [trace, point],
    )
    page.mouse.click(box["x"] + x, box["y"] + y)


def test_click_a_digit_and_empty_space_on_the_latent_map(page: Page, app_url: str):
    page.goto(f"{app_url}/latent_space")
    expect(page.locator(".js-plotly-plot").first).to_be_visible()
    expect(page.get_by_text("Test digit #0", exact=False)).to_be_visible()
    click_map_point(page, trace=7, point=3)  # the fourth 7 of the test split: index 703
    expect(page.get_by_text("Test digit #703", exact=False)).to_be_visible()
    expect(page.get_by_text("label 7", exact=False)).to_be_visible()
    page.wait_for_timeout(1500)  # let the chart settle after the rerun before the next click
    click_map_point(page, trace=10, point=0)  # the lattice's corner: empty space
    expect(page.get_by_text("Decoded at (", exact=False)).to_be_visible()


def test_draw_a_digit_and_find_it_on_the_latent_map(page: Page, app_url: str):
    page.goto(f"{app_url}/latent_space")
    pick_checkpoint(page, "vae (shipped)")
    page.get_by_text("Draw a digit and find it on the map").click()
    canvas = page.locator("canvas").filter(visible=True).last
    expect(canvas).to_be_visible()
    draw(page, canvas, [[(0.5, 0.15), (0.5, 0.9)]])  # a one
    expect(page.get_by_text("Your drawing is the star on the map", exact=False)).to_be_visible()
    expect(page.get_by_role("paragraph").filter(has_text="your drawing").first).to_be_visible()


def test_two_drawings_are_the_ends_of_a_walk(page: Page, app_url: str):
    page.goto(f"{app_url}/interpolate")
    pick_checkpoint(page, "vae (shipped)")
    page.get_by_text("Draw", exact=True).click()
    canvases = page.locator("canvas").filter(visible=True)
    expect(page.get_by_text("canvas is empty", exact=False)).to_have_count(2)  # both are ready
    draw(page, canvases.first, [[(0.5, 0.15), (0.5, 0.9)]])  # a one, then a zero
    expect(page.get_by_text("canvas is empty", exact=False)).to_have_count(1)
    zero = [(0.5 + 0.25 * math.cos(t / 10), 0.5 + 0.35 * math.sin(t / 10)) for t in range(0, 64, 4)]
    draw(page, canvases.last, [zero])  # each canvas is two layers: the last is the second's
    expect(page.get_by_text("Linear (lerp)")).to_be_visible()
    expect(page.get_by_text("9 frames").first).to_be_visible()
