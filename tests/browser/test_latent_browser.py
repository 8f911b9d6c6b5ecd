"""Drag the interpolation slider, upload or draw endpoints, click and draw on the latent map in
a real browser."""

import contextlib
import math
import re
import time

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from gen_core.data import load_dataset

from ..helpers import draw

pytestmark = pytest.mark.slow  # real processes, servers or browsers: the full suite only

expect.set_options(timeout=30_000)


def pixels(page: Page, selector: str) -> str:
    """What a component's canvas shows now, as a data URL."""
    return page.locator(selector).first.evaluate("(c) => c.toDataURL()")


def pick_checkpoint(page: Page, label: str) -> None:
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').click()
    page.get_by_role("option", name=label, exact=True).click()


def test_scrub_and_play_the_walk_in_the_browser(page: Page, app_url: str, tmp_path):
    page.goto(f"{app_url}/interpolate")
    where = page.locator(".scrubber .where")
    expect(where).to_have_text("position 0.00 · frame 1 of 121")
    frame = ".scrubber canvas"
    page.wait_for_timeout(300)  # the sprite decodes, then the first frame is drawn
    before = pixels(page, frame)
    page.locator(".scrubber input.position").focus()
    for _ in range(30):
        page.keyboard.press("ArrowRight")
    expect(where).to_have_text("position 0.25 · frame 31 of 121")
    assert pixels(page, frame) != before  # a new frame, drawn in the page: no rerun exists here
    page.get_by_role("button", name="Play").click()
    expect(where).not_to_have_text("position 0.25 · frame 31 of 121")
    page.get_by_role("button", name="Pause").click()

    pick_checkpoint(page, "vae (shipped)")
    page.get_by_text("Upload", exact=True).click()
    files = []
    test = load_dataset("mnist-5k").test
    for index in (5, 705):  # a 0 and a 7, drawn black on white as on paper
        path = tmp_path / f"digit{index}.png"
        Image.fromarray(255 - test.images[index, 0].numpy()).resize((120, 120)).save(path)
        files.append(str(path))
    page.locator('input[type="file"]').set_input_files(files)
    expect(page.get_by_text("Spherical (slerp): 9 frames")).to_be_visible()
    expect(
        page.get_by_role("paragraph").filter(has_text="digit5.png")
    ).to_be_visible()  # the caption under the digit


def map_pixel(page: Page, *, point: int | None = None, at=None) -> tuple[float, float]:
    """The page position of test item ``point`` on the latent map, or of latent ``at`` (x, y);
    waits out a rerun that is replacing the map."""
    canvas = page.locator(".latent-map canvas.map")
    for _ in range(50):
        box = canvas.bounding_box() if canvas.count() == 1 else None
        if box:
            x, y = canvas.evaluate(
                "(c, [i, at]) => (at ? c.toPixel(at[0], at[1]) : c.pointPixel(i))", [point, at]
            )
            return box["x"] + x, box["y"] + y
        page.wait_for_timeout(200)
    raise AssertionError("the latent map did not settle")


def test_hover_decodes_and_clicks_select_on_the_latent_map(page: Page, app_url: str):
    page.goto(f"{app_url}/latent_space")
    said = page.locator(".latent-map .said")
    expect(said).to_have_text("Move over the map to decode")
    expect(page.get_by_text("Test digit #0", exact=False)).to_be_visible()
    blank = pixels(page, ".latent-map canvas.preview")
    page.mouse.move(*map_pixel(page, at=(0.0, 0.0)))
    node = re.compile(r"decoded at \(-?0\.\d\d, -?0\.\d\d\)")  # the grid's nearest node
    expect(said).to_have_text(node, timeout=5000)
    near_origin = pixels(page, ".latent-map canvas.preview")
    assert near_origin != blank
    page.mouse.move(*map_pixel(page, at=(1.5, -1.0)))
    expect(said).to_have_text(re.compile(r"decoded at \(1\.\d\d, -[01]\.\d\d\)"))
    assert pixels(page, ".latent-map canvas.preview") != near_origin
    page.mouse.click(*map_pixel(page, point=703))  # the fourth 7 of the test split
    expect(page.get_by_text("Test digit #703", exact=False)).to_be_visible()
    expect(page.get_by_text("label 7", exact=False)).to_be_visible()
    box = page.locator(".latent-map canvas.map").bounding_box()
    page.mouse.click(box["x"] + 4, box["y"] + 4)  # the top left corner: empty space
    expect(page.get_by_text("Decoded at (", exact=False)).to_be_visible()
    page.get_by_label("Test digit to inspect (or click one on the map)").fill("12")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Test digit #12", exact=False)).to_be_visible()


def test_click_and_drag_the_walk_on_the_latent_map(page: Page, app_url: str):
    page.goto(f"{app_url}/interpolate")
    pick_checkpoint(page, "vae (shipped)")
    page.get_by_text("Click on the map", exact=True).click()
    expect(page.get_by_text("Click the map to add the path's next point")).to_be_visible()
    page.wait_for_timeout(1000)  # the rerun that moved the map to the top has settled
    page.mouse.click(*map_pixel(page, at=(-2.0, 0.0)))
    page.wait_for_timeout(1000)
    page.mouse.click(*map_pixel(page, at=(2.0, 0.0)))
    expect(page.locator(".scrubber .where")).to_have_text("position 0.00 · frame 1 of 121")
    page.locator(".scrubber input.position").focus()
    page.keyboard.press("End")
    end = pixels(page, ".scrubber canvas")
    page.locator(".latent-map canvas.map").scroll_into_view_if_needed()
    page.wait_for_timeout(500)  # no scrolling left under the pointer
    page.mouse.move(*map_pixel(page, at=(2.0, 0.0)))  # drag the second point up
    page.mouse.down()
    page.mouse.move(*map_pixel(page, at=(1.0, 2.5)), steps=10)
    dragged = page.locator(".latent-map canvas.map").evaluate("(c) => c.pathPoints()")
    assert abs(dragged[1][0] - 1.0) < 0.3 and abs(dragged[1][1] - 2.5) < 0.3  # it follows
    page.mouse.up()  # one rerun decodes the new walk exactly
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:  # the map comes back with the point where it was let go
        with contextlib.suppress(Exception):  # a map being replaced by the rerun
            moved = page.locator(".latent-map canvas.map").evaluate("(c) => c.pathPoints()")
            if abs(moved[1][0] - 1.0) < 0.3 and abs(moved[1][1] - 2.5) < 0.3:
                break
        page.wait_for_timeout(300)
    while pixels(page, ".scrubber canvas") == end and time.monotonic() < deadline:
        page.locator(".scrubber input.position").focus()
        page.keyboard.press("End")
        page.wait_for_timeout(300)
    assert pixels(page, ".scrubber canvas") != end  # the walk now ends where the point was let go


def test_draw_a_digit_and_find_it_on_the_latent_map(page: Page, app_url: str):
    page.goto(f"{app_url}/latent_space")
    pick_checkpoint(page, "vae (shipped)")
    page.get_by_text("Draw a digit and find it on the map").click()
    canvas = page.locator('[data-testid="stExpander"] canvas').filter(visible=True).last
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
    expect(page.get_by_text("Linear (lerp): 9 frames")).to_be_visible()
